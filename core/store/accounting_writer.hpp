#pragma once
// The group-commit accounting writer (ARCHITECTURE.md, issue 5). Workers submit records and
// go on serving; one writer thread takes everything queued (up to batch_max) and applies it
// in ONE transaction, then acknowledges every record of the batch at once, so under load
// batches grow by themselves and a lone request is committed at once. The Accounting-Response
// goes out only on that acknowledgement.
//
// When PostgreSQL is unreachable or a batch fails or runs past statement_timeout_ms, the batch
// is appended to the fsync'd spool instead and acknowledged; while the database is down every
// batch goes there. When the database answers again the spool is replayed oldest first, one
// frame per transaction with its (spool id, seq) recorded in that transaction, interleaved with
// new batches (apply is idempotent and monotonic, so order does not change the result).
//
// After each committed batch the touched subscribers' usage goes to LiveState and through the
// policy's fup(): a tier change is recorded (tier_change_jobs) in the same transaction.
//
// With connections > 1 the subscribers are shared out over that many lanes by a hash of
// User-Name, each lane a thread with its own connection doing the above (group commit, spool
// fallback) on its own queue, so PostgreSQL works with several backends at once (one backend
// was the bottleneck: docs/accounting-bench.md) and one lane's commit overlaps another's work.
// Lanes never touch the same rows (a session, its usage counters, its subscriber's tier and
// pool address all belong to one User-Name), so they neither wait for nor deadlock with each
// other, and each subscriber's LiveState is written by one lane only. What spans subscribers
// runs on the writer thread while the lanes hold still: Accounting-On/Off (after the lanes have
// drained what came before it, so order is kept), spool replay, the stale sweep and LiveState
// reloads.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <pqxx/connection>
#include <pqxx/transaction>

#include "core/store/accounting_record.hpp"
#include "core/store/accounting_repository.hpp"
#include "core/store/live_state.hpp"
#include "core/util/expected.hpp"

namespace gatehouse::store {

class Spool;

/// Where acknowledgements go (a worker). Called on the writer thread: must not block, so an
/// implementation posts to its own thread. durable=false: neither committed nor spooled (the
/// spool failed too): the request must not be answered, the NAS will retransmit.
class AckSink {
  public:
    virtual ~AckSink() = default;
    virtual void acknowledged(std::span<const uint64_t> tokens, bool durable) = 0;
};

/// The policy's fup() for one subscriber with its new usage. Called from the writer's
/// connection threads at once: the implementation serialises itself. nullopt: unknown
/// subscriber or the policy failed.
class TierEvaluator {
  public:
    virtual ~TierEvaluator() = default;
    virtual std::optional<int> tierFor(std::string_view username,
                                       const policy::LiveCounters& live) = 0;
};

struct AccountingWriterOptions {
    std::string conninfo;
    std::string spool_dir = "var/spool";
    size_t batch_max = 2000;
    /// Lanes (threads, each with its own connection) the subscribers are shared out over;
    /// 1: the writer thread commits everything itself.
    size_t connections = 2;
    size_t queue_max = 200000;  // records waiting; beyond, submit() refuses (the NAS retries)
    int64_t statement_timeout_ms = 2000;  // a slower batch goes to the spool
    int64_t retry_ms = 1000;              // while the database is down, how often to try it
    /// Sessions with no update for longer than this are closed ("Stale-Session") and their
    /// pool address released; swept once a minute by the node holding the jobs lock (a
    /// PostgreSQL advisory lock, so several radius nodes never sweep twice). 0: never.
    /// No update for longer: closed. 0: never; kStaleAuto: one interim interval (read from the
    /// settings at each sweep) + 2 minutes (AccountingRepository::autoStaleBound). The
    /// stale_session_minutes setting, when set, overrides it at each sweep (staleBound).
    int64_t stale_session_s = 1800;
    static constexpr int64_t kStaleAuto = -1;
    int64_t sweep_every_ms = 60000;
    /// LiveState is reloaded from the database this often (and at each new day): with several
    /// radius nodes, sessions the others saw reach this node within this bound. 0: never.
    int64_t live_reload_ms = 300000;
    /// Run hourly by the jobs-lock holder, on the writer thread, after the monthly radacct
    /// partitions are ensured (gh_ensure_radacct_partitions): e.g. pruning radius_logs.
    std::function<void()> hourly;
    /// The ISP's time zone now (settings.timezone); read once per batch.
    std::function<std::string()> timezone = [] { return std::string("UTC"); };
    std::function<void(std::string_view)> log;  // one line per event worth an operator's eye
};

struct AccountingWriterStats {
    uint64_t committed_records = 0;
    uint64_t committed_batches = 0;
    uint64_t spooled_records = 0;
    uint64_t spooled_batches = 0;
    uint64_t replayed_records = 0;
    uint64_t replayed_batches = 0;
    uint64_t refused = 0;  // submit() said no: queue full
    uint64_t lost = 0;     // neither committed nor spooled: not acknowledged
    uint64_t queue_depth = 0;
    uint64_t last_batch_size = 0;
    uint64_t max_batch_size = 0;
    uint64_t spool_pending_batches = 0;
    uint64_t spool_pending_records = 0;
    uint64_t tier_changes = 0;
    uint64_t stale_closed = 0;
    /// Sessions we had closed (stale sweep, MikroTik reconciler) that the NAS's accounting
    /// brought back (docs/accounting.md, "Sessions we closed that come back").
    uint64_t sessions_reopened = 0;
    uint64_t reopen_conflicts = 0;  // of those, addresses someone else held by then
    uint64_t quarantined = 0;       // refused by PostgreSQL for their content: quarantine.jsonl
    bool database_up = false;
};

class AccountingWriter {
  public:
    AccountingWriter(AccountingWriterOptions options, LiveState* live, TierEvaluator* tiers);
    ~AccountingWriter();  // stop()
    AccountingWriter(const AccountingWriter&) = delete;
    AccountingWriter& operator=(const AccountingWriter&) = delete;

    /// Opens the spool (an error names the directory and why), tries the database (down is
    /// fine: the spool takes over), loads LiveState when it can, starts the thread.
    Expected<void, std::string> start();
    /// Thread-safe. false: the queue is full; nothing was taken.
    bool submit(AccountingRecord&& record, AckSink* sink, uint64_t token);
    /// Everything queued is committed or spooled and acknowledged; then the thread ends.
    void stop();
    AccountingWriterStats stats() const;

  private:
    struct Item {
        AccountingRecord record;
        AckSink* sink;
        uint64_t token;
    };
    /// A connection, and for the lanes (connections > 1) the thread and queue of one share of
    /// the subscribers.
    struct Lane {
        std::unique_ptr<pqxx::connection> conn;
        std::thread thread;
        std::deque<Item> queue;  // under mutex_
        bool busy = false;       // under mutex_: a batch taken and not yet acknowledged
        std::condition_variable wake;
        KnownSessions sessions;  // the lane's thread only
    };
    void run();
    void laneLoop(Lane& lane);
    /// Commits the batch on `lane`'s connection (or spools it) and acknowledges it.
    void handle(Lane& lane, std::vector<Item>& batch);
    bool commit(Lane& lane, std::span<const AccountingRecord> records);
    /// Records PostgreSQL refuses as a batch for their content: one by one, the refused ones
    /// to spool_dir/quarantine.jsonl. false: not all of them are durable.
    bool isolate(Lane& lane, std::span<const AccountingRecord> records, const std::string& why);
    void evaluateTiers(pqxx::work& txn, std::span<const AccountingRecord> records,
                       ApplyResult& result);
    bool lostConnection(Lane& lane, const std::string& why);  // logs, drops the connection; false
    bool connect();            // the writer thread's connection (main_); database_up_
    bool connect(Lane& lane);  // a lane's, on its thread, while the database is up
    /// The lanes finish the batch they hold and take no other until resume(): for the writer
    /// thread's own transactions (replay, sweep, reloads), which span subscribers.
    void pauseLanes();
    void resumeLanes();
    /// Every lane idle with nothing queued (submit() queues on queue_ meanwhile: barrier_).
    void drainLanes();
    /// queue_'s records to their lanes, up to an Accounting-On/Off (the barrier stays).
    void releaseBarrier();
    Lane& laneFor(const AccountingRecord& record);
    bool spoolEmpty();
    void replayOne();
    void refreshDay();
    void reloadLiveState(pqxx::connection& conn, const std::string& tz);
    void sweepStale();
    /// After a commit: counts the batch's reopened sessions and logs their address conflicts.
    void noteReopened(const ApplyResult& result);
    void acknowledge(std::vector<Item>& batch, bool durable);
    void say(std::string_view line) const;

    AccountingWriterOptions options_;
    LiveState* live_;
    TierEvaluator* tiers_;
    std::unique_ptr<Spool> spool_;
    std::mutex spool_mutex_;       // the spool is written by the lanes, replayed by the writer
    std::mutex quarantine_mutex_;  // one isolate() at a time: quarantine.jsonl appends

    // queue_ feeds the writer thread: every record with one connection; with lanes, the
    // Accounting-On/Off records and what arrives after one until the lanes are drained.
    mutable std::mutex mutex_;
    std::condition_variable wake_, lanes_idle_;
    std::deque<Item> queue_;
    size_t queued_ = 0;  // in queue_ and every lane's queue
    bool stopping_ = false;
    bool lanes_stopping_ = false;
    bool paused_ = false;
    bool barrier_ = false;
    std::thread thread_;
    Lane main_;
    std::vector<std::unique_ptr<Lane>> lanes_;  // empty with one connection

    // Writer thread only.
    int64_t next_retry_ms_ = 0;
    int64_t next_day_check_ms_ = 0;
    int64_t next_sweep_ms_ = 0;
    int64_t next_hourly_ms_ = 0;
    int64_t next_live_reload_ms_ = 0;
    std::string day_;  // today in the ISP's time zone, as PostgreSQL says it

    // Read by stats() from any thread.
    std::atomic<uint64_t> committed_records_{0}, committed_batches_{0}, spooled_records_{0},
        spooled_batches_{0}, replayed_records_{0}, replayed_batches_{0}, refused_{0}, lost_{0},
        last_batch_{0}, max_batch_{0}, spool_batches_{0}, spool_records_{0}, tier_changes_{0},
        stale_closed_{0}, quarantined_{0}, reopened_{0}, reopen_conflicts_{0};
    std::atomic<bool> database_up_{false};
};

}  // namespace gatehouse::store
