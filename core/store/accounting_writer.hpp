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

/// The policy's fup() for one subscriber with its new usage (writer thread only; the
/// implementation keeps its own Lua VM). nullopt: unknown subscriber or the policy failed.
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
    size_t queue_max = 200000;  // records waiting; beyond, submit() refuses (the NAS retries)
    int64_t statement_timeout_ms = 2000;  // a slower batch goes to the spool
    int64_t retry_ms = 1000;              // while the database is down, how often to try it
    /// Sessions with no update for longer than this are closed ("Stale-Session") and their
    /// pool address released; swept once a minute by the node holding the jobs lock (a
    /// PostgreSQL advisory lock, so several radius nodes never sweep twice). 0: never.
    int64_t stale_session_s = 1800;
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
    uint64_t quarantined = 0;  // refused by PostgreSQL for their content: quarantine.jsonl
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
    void run();
    void handle(std::vector<Item>& batch);
    bool commit(std::span<const AccountingRecord> records);
    /// Records PostgreSQL refuses as a batch for their content: one by one, the refused ones
    /// to spool_dir/quarantine.jsonl. false: not all of them are durable.
    bool isolate(std::span<const AccountingRecord> records, const std::string& why);
    void evaluateTiers(pqxx::work& txn, std::span<const AccountingRecord> records,
                       ApplyResult& result);
    bool lostConnection(const std::string& why);  // logs, drops the connection; false
    bool connect();
    void replayOne();
    void refreshDay();
    void sweepStale();
    void acknowledge(std::vector<Item>& batch, bool durable);
    void say(std::string_view line) const;

    AccountingWriterOptions options_;
    LiveState* live_;
    TierEvaluator* tiers_;
    std::unique_ptr<Spool> spool_;

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Item> queue_;
    bool stopping_ = false;
    std::thread thread_;

    // Writer thread only.
    struct Db;
    std::unique_ptr<Db> db_;
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
        stale_closed_{0}, quarantined_{0};
    std::atomic<bool> database_up_{false};
};

}  // namespace gatehouse::store
