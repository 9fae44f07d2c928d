#include "core/store/accounting_writer.hpp"

#include <algorithm>
#include <chrono>
#include <pqxx/pqxx>
#include <unordered_map>

#include "core/store/accounting_quarantine.hpp"
#include "core/store/accounting_repository.hpp"
#include "core/store/pg_pool.hpp"
#include "core/store/spool.hpp"
#include "core/store/validate.hpp"
#include "core/util/one_line.hpp"

namespace gatehouse::store {

namespace {

int64_t steadyMs() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

int64_t unixNow() {
    using namespace std::chrono;
    return duration_cast<seconds>(system_clock::now().time_since_epoch()).count();
}

/// A bounded connect (else a dead host holds the writer for the kernel's SYN timeout). libpq
/// takes either form of conninfo: key=value pairs get another pair, a URI (docs/store.md) a
/// query parameter; appending " connect_timeout=2" to a URI made it unparsable, so the writer
/// never connected and spooled everything.
std::string withConnectTimeout(const std::string& conninfo) {
    if (conninfo.find("connect_timeout") != std::string::npos)
        return conninfo;
    if (conninfo.rfind("postgres://", 0) == 0 || conninfo.rfind("postgresql://", 0) == 0)
        return conninfo + (conninfo.find('?') == std::string::npos ? "?" : "&") +
               "connect_timeout=2";
    return conninfo + " connect_timeout=2";
}

}  // namespace

AccountingWriter::AccountingWriter(AccountingWriterOptions options, LiveState* live,
                                   TierEvaluator* tiers)
    : options_(std::move(options)), live_(live), tiers_(tiers) {
    if (options_.connections > 1)
        for (size_t i = 0; i < options_.connections; ++i)
            lanes_.push_back(std::make_unique<Lane>());
}

AccountingWriter::~AccountingWriter() {
    stop();
}

void AccountingWriter::say(std::string_view line) const {
    if (options_.log)
        options_.log(line);
}

Expected<void, std::string> AccountingWriter::start() {
    auto spool = Spool::open(options_.spool_dir);
    if (!spool)
        return unexpected("accounting spool " + options_.spool_dir + ": " + spool.error());
    spool_ = std::move(*spool);
    spool_batches_ = spool_->stats().pending_batches;
    spool_records_ = spool_->stats().pending_records;
    if (spool_->stats().torn_tail_bytes > 0)
        say("accounting spool: cut " + std::to_string(spool_->stats().torn_tail_bytes) +
            " bytes of an unfinished write (never acknowledged)");
    if (!spool_->empty())
        say("accounting spool: " + std::to_string(spool_->stats().pending_batches) +
            " batches to replay");
    if (connect())
        refreshDay();
    for (auto& lane : lanes_)
        lane->thread = std::thread([this, l = lane.get()] { laneLoop(*l); });
    thread_ = std::thread([this] { run(); });
    return {};
}

AccountingWriter::Lane& AccountingWriter::laneFor(const AccountingRecord& record) {
    return *lanes_[std::hash<std::string_view>{}(record.username) % lanes_.size()];
}

namespace {
bool isNasEvent(const AccountingRecord& r) {
    return r.status == AcctStatus::kAccountingOn || r.status == AcctStatus::kAccountingOff;
}
}  // namespace

bool AccountingWriter::submit(AccountingRecord&& record, AckSink* sink, uint64_t token) {
    Lane* lane = nullptr;
    {
        std::lock_guard lock(mutex_);
        if (stopping_ || queued_ >= options_.queue_max) {
            refused_.fetch_add(1, std::memory_order_relaxed);
            return false;
        }
        ++queued_;
        if (lanes_.empty() || barrier_ || isNasEvent(record)) {
            // An Accounting-On/Off closes sessions of every lane: the writer thread applies it
            // once the lanes have applied what came before it, and holds what comes after.
            barrier_ = barrier_ || (!lanes_.empty() && isNasEvent(record));
            queue_.push_back(Item{std::move(record), sink, token});
        } else {
            lane = &laneFor(record);
            lane->queue.push_back(Item{std::move(record), sink, token});
        }
    }
    if (lane != nullptr)
        lane->wake.notify_one();
    else
        wake_.notify_one();
    return true;
}

void AccountingWriter::stop() {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ && !thread_.joinable())
            return;
        stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable())
        thread_.join();
    // The writer thread has released everything it held to the lanes: they finish their
    // queues, then end.
    {
        std::lock_guard lock(mutex_);
        lanes_stopping_ = true;
        paused_ = false;
    }
    for (auto& lane : lanes_)
        lane->wake.notify_all();
    for (auto& lane : lanes_)
        if (lane->thread.joinable())
            lane->thread.join();
}

AccountingWriterStats AccountingWriter::stats() const {
    AccountingWriterStats s;
    s.committed_records = committed_records_.load();
    s.committed_batches = committed_batches_.load();
    s.spooled_records = spooled_records_.load();
    s.spooled_batches = spooled_batches_.load();
    s.replayed_records = replayed_records_.load();
    s.replayed_batches = replayed_batches_.load();
    s.refused = refused_.load();
    s.lost = lost_.load();
    s.last_batch_size = last_batch_.load();
    s.max_batch_size = max_batch_.load();
    s.spool_pending_batches = spool_batches_.load();
    s.spool_pending_records = spool_records_.load();
    s.tier_changes = tier_changes_.load();
    s.stale_closed = stale_closed_.load();
    s.sessions_reopened = reopened_.load();
    s.reopen_conflicts = reopen_conflicts_.load();
    s.quarantined = quarantined_.load();
    s.database_up = database_up_.load();
    {
        std::lock_guard lock(mutex_);
        s.queue_depth = queued_;
    }
    return s;
}

namespace {

/// A connection for the writer, configured; throws when PostgreSQL does not answer.
std::unique_ptr<pqxx::connection> openConnection(const AccountingWriterOptions& options) {
    auto conn = std::make_unique<pqxx::connection>(withConnectTimeout(options.conninfo));
    pqxx::nontransaction txn(*conn);
    txn.exec("SET statement_timeout = " + std::to_string(options.statement_timeout_ms));
    txn.exec("SET application_name = 'gatehouse accounting'");
    // The batch statements are prepared once per connection and run on their generic plan:
    // planning them per batch (radacct's partitions times their indexes) cost a third of the
    // batch. They are written so that the plan is the same index probes whatever the
    // statistics when it was made (an empty radacct included), and PostgreSQL plans again
    // when autovacuum refreshes the tables' statistics.
    txn.exec("SET plan_cache_mode = force_generic_plan");
    return conn;
}

}  // namespace

bool AccountingWriter::connect(Lane& lane) {
    if (!database_up_.load())
        return false;  // the writer thread finds out when it is back; spool meanwhile
    if (lane.conn && !idleConnectionBroken(*lane.conn))
        return true;
    lane.conn.reset();
    try {
        lane.conn = openConnection(options_);
        return true;
    } catch (const std::exception& e) {
        return lostConnection(lane, "connection failed, spooling: " + oneLine(e.what()));
    }
}

bool AccountingWriter::connect() {
    if (main_.conn && !idleConnectionBroken(*main_.conn)) {
        // A lane lost its connection and marked the database down; this one is fine.
        if (!database_up_.exchange(true))
            say("accounting: database reachable, committing directly");
        return true;
    }
    main_.conn.reset();
    try {
        main_.conn = openConnection(options_);
        // LiveState first: a lane commits only once database_up_ says so, and its updates
        // must land on the loaded state, not under it.
        if (live_ != nullptr)
            reloadLiveState(*main_.conn, options_.timezone());
        if (!database_up_.exchange(true))
            say("accounting: database reachable, committing directly");
        return true;
    } catch (const std::exception& e) {
        main_.conn.reset();
        if (database_up_.exchange(false))
            say("accounting: database unreachable, spooling: " + oneLine(e.what()));
        next_retry_ms_ = steadyMs() + options_.retry_ms;
        return false;
    }
}

void AccountingWriter::reloadLiveState(pqxx::connection& conn, const std::string& tz) {
    pauseLanes();
    try {
        pqxx::work load(conn);
        auto rows = AccountingRepository::loadLiveState(load, tz, unixNow());
        load.commit();
        live_->replaceAll(rows);
        next_live_reload_ms_ = steadyMs() + options_.live_reload_ms;
    } catch (...) {
        resumeLanes();
        throw;
    }
    resumeLanes();
}

void AccountingWriter::pauseLanes() {
    if (lanes_.empty())
        return;
    std::unique_lock lock(mutex_);
    paused_ = true;
    lanes_idle_.wait(lock, [this] {
        return std::none_of(lanes_.begin(), lanes_.end(), [](const auto& l) { return l->busy; });
    });
}

void AccountingWriter::resumeLanes() {
    if (lanes_.empty())
        return;
    {
        std::lock_guard lock(mutex_);
        paused_ = false;
    }
    for (auto& lane : lanes_)
        lane->wake.notify_one();
}

void AccountingWriter::drainLanes() {
    if (lanes_.empty())
        return;
    std::unique_lock lock(mutex_);
    lanes_idle_.wait(lock, [this] {
        return std::none_of(lanes_.begin(), lanes_.end(),
                            [](const auto& l) { return l->busy || !l->queue.empty(); });
    });
}

void AccountingWriter::releaseBarrier() {
    if (lanes_.empty())
        return;
    {
        std::lock_guard lock(mutex_);
        while (!queue_.empty() && !isNasEvent(queue_.front().record)) {
            Lane& lane = laneFor(queue_.front().record);
            lane.queue.push_back(std::move(queue_.front()));
            queue_.pop_front();
        }
        barrier_ = !queue_.empty();  // another Accounting-On/Off waits its turn
    }
    for (auto& lane : lanes_)
        lane->wake.notify_one();
}

bool AccountingWriter::spoolEmpty() {
    std::lock_guard lock(spool_mutex_);
    return spool_->empty();
}

void AccountingWriter::run() {
    std::vector<Item> batch;
    batch.reserve(options_.batch_max);
    for (;;) {
        const bool replaying = database_up_.load() && !spoolEmpty();
        bool held = false;
        {
            std::unique_lock lock(mutex_);
            // Idle: wake for work, or every 100 ms for the retry and the day check; with a
            // spool to replay and the database up, do not wait at all.
            wake_.wait_for(lock, std::chrono::milliseconds(replaying ? 0 : 100),
                           [this] { return stopping_ || !queue_.empty(); });
            if (queue_.empty() && stopping_)
                return;
            held = !queue_.empty();
        }
        // With lanes, queue_ holds an Accounting-On/Off and what came after it: the lanes
        // first apply everything before it.
        if (held)
            drainLanes();
        {
            std::lock_guard lock(mutex_);
            while (!queue_.empty() && batch.size() < options_.batch_max) {
                // With lanes, the Accounting-On/Off and what was held behind it, up to the
                // next one.
                if (!lanes_.empty() && !batch.empty() && isNasEvent(queue_.front().record))
                    break;
                batch.push_back(std::move(queue_.front()));
                queue_.pop_front();
                --queued_;
            }
        }
        if (!batch.empty())
            handle(main_, batch);
        releaseBarrier();
        const int64_t now = steadyMs();
        if (!database_up_.load() && now >= next_retry_ms_)
            connect();
        if (database_up_.load() && !spoolEmpty()) {
            pauseLanes();  // a frame spans subscribers
            replayOne();
            resumeLanes();
        }
        if (database_up_.load() && now >= next_day_check_ms_)
            refreshDay();
        if (database_up_.load() && now >= next_sweep_ms_)
            sweepStale();
    }
}

void AccountingWriter::laneLoop(Lane& lane) {
    std::vector<Item> batch;
    batch.reserve(options_.batch_max);
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            lane.wake.wait(lock, [&] {
                return (!paused_ && !lane.queue.empty()) || (lanes_stopping_ && lane.queue.empty());
            });
            if (lane.queue.empty())
                return;  // stopping, nothing left
            while (!lane.queue.empty() && batch.size() < options_.batch_max) {
                batch.push_back(std::move(lane.queue.front()));
                lane.queue.pop_front();
                --queued_;
            }
            lane.busy = true;
        }
        handle(lane, batch);
        {
            std::lock_guard lock(mutex_);
            lane.busy = false;
        }
        lanes_idle_.notify_all();
    }
}

void AccountingWriter::handle(Lane& lane, std::vector<Item>& batch) {
    std::vector<AccountingRecord> records;
    records.reserve(batch.size());
    for (Item& item : batch)
        records.push_back(std::move(item.record));
    last_batch_.store(records.size(), std::memory_order_relaxed);
    if (records.size() > max_batch_.load(std::memory_order_relaxed))
        max_batch_.store(records.size(), std::memory_order_relaxed);

    bool durable = false;
    if (database_up_.load() && commit(lane, records)) {
        durable = true;
        committed_records_.fetch_add(records.size());
        committed_batches_.fetch_add(1);
    } else {
        std::lock_guard lock(spool_mutex_);
        auto seq = spool_->append(records);
        if (seq) {
            durable = true;
            spooled_records_.fetch_add(records.size());
            spooled_batches_.fetch_add(1);
            spool_batches_ = spool_->stats().pending_batches;
            spool_records_ = spool_->stats().pending_records;
        } else {
            lost_.fetch_add(records.size());
            say("accounting: neither the database nor the spool took " +
                std::to_string(records.size()) +
                " records (not acknowledged; the NAS retries): " + seq.error());
        }
    }
    acknowledge(batch, durable);
    batch.clear();
}

bool AccountingWriter::commit(Lane& lane, std::span<const AccountingRecord> records) {
    if (&lane == &main_ ? !connect() : !connect(lane))
        return false;
    try {
        pqxx::work txn(*lane.conn);
        // LiveState is the touched subscribers' state before this batch (updated only below,
        // after the commit, on this thread): the repository then skips reading them back.
        KnownLiveState known;
        if (live_ != nullptr)
            known = [this](int64_t id) -> std::optional<SubscriberLiveState> {
                // Not there: no open session, no usage this month and tier 0 when LiveState
                // was loaded (loadLiveState leaves out no one else), nor since.
                auto c = live_->get(id).value_or(policy::LiveCounters{});
                return SubscriberLiveState{id, c.usage, c.open_sessions, c.current_tier};
            };
        ApplyResult result =
            AccountingRepository::apply(txn, records, options_.timezone(), known, &lane.sessions);
        evaluateTiers(txn, records, result);
        txn.commit();
        for (const std::string& key : result.session_keys)
            lane.sessions.add(key);
        if (live_ != nullptr)
            live_->update(result.touched);
        noteReopened(result);
        return true;
    } catch (const pqxx::sql_error& e) {
        if (isPermanentSqlState(e.sqlstate()))
            return isolate(lane, records, oneLine(e.what()));
        return lostConnection(lane, "batch of " + std::to_string(records.size()) +
                                        " not committed, spooling: " + oneLine(e.what()));
    } catch (const std::exception& e) {
        // Broken connection, statement timeout, or a commit whose outcome is unknown: the
        // batch goes to the spool; if it did commit after all, replay changes nothing.
        return lostConnection(lane, "batch of " + std::to_string(records.size()) +
                                        " not committed, spooling: " + oneLine(e.what()));
    }
}

bool AccountingWriter::lostConnection(Lane& lane, const std::string& why) {
    say("accounting: " + why);
    lane.conn.reset();
    database_up_ = false;
    next_retry_ms_ = steadyMs() + options_.retry_ms;
    return false;
}

void AccountingWriter::evaluateTiers(pqxx::work& txn, std::span<const AccountingRecord> records,
                                     ApplyResult& result) {
    if (tiers_ == nullptr || result.touched.empty())
        return;
    std::unordered_map<int64_t, std::string_view> names;
    for (const AccountingRecord& r : records)
        if (r.subscriber_id != 0)
            names.emplace(r.subscriber_id, r.username);
    for (SubscriberLiveState& s : result.touched) {
        auto name = names.find(s.subscriber_id);
        if (name == names.end())
            continue;
        policy::LiveCounters live{s.open_sessions, s.current_tier, s.usage};
        std::optional<int> tier = tiers_->tierFor(name->second, live);
        if (tier && *tier != s.current_tier) {
            AccountingRepository::recordTierChange(txn, s.subscriber_id, s.current_tier, *tier,
                                                   "usage");
            s.current_tier = *tier;
            tier_changes_.fetch_add(1);
        }
    }
}

bool AccountingWriter::isolate(Lane& lane, std::span<const AccountingRecord> records,
                               const std::string& why) {
    std::lock_guard serial(quarantine_mutex_);
    // PostgreSQL refuses this batch for what is in it (a data or integrity error): the same
    // batch would fail for ever. Each record alone, then; the ones refused alone go to the
    // quarantine file (durable, for an operator), so the rest are not held hostage.
    say("accounting: batch of " + std::to_string(records.size()) +
        " refused, applying record by record: " + why);
    AccountingQuarantine quarantine(options_.spool_dir);
    for (const AccountingRecord& record : records) {
        try {
            pqxx::work txn(*lane.conn);
            ApplyResult result =
                AccountingRepository::apply(txn, std::span(&record, 1), options_.timezone());
            evaluateTiers(txn, std::span(&record, 1), result);
            txn.commit();
            if (live_ != nullptr)
                live_->update(result.touched);
            noteReopened(result);
        } catch (const pqxx::sql_error& e) {
            if (!isPermanentSqlState(e.sqlstate()))
                return lostConnection(lane, "record by record: " + oneLine(e.what()));
            if (auto q = quarantine.add(record, oneLine(e.what())); !q) {
                say("accounting: quarantine: " + q.error());
                return false;
            }
            quarantined_.fetch_add(1);
            say("accounting: record " + record.unique_id + " of " + record.username +
                " quarantined in " + quarantine.path() + ": " + oneLine(e.what()));
        } catch (const std::exception& e) {
            return lostConnection(lane, "record by record: " + oneLine(e.what()));
        }
    }
    return true;
}

void AccountingWriter::replayOne() {
    if (!connect())
        return;
    std::lock_guard spool_lock(spool_mutex_);
    auto next = spool_->next();
    if (!next) {
        say("accounting spool: " + next.error());
        return;
    }
    if (!*next)
        return;
    const SpoolBatch& frame = **next;
    try {
        pqxx::work txn(*main_.conn);
        if (!AccountingRepository::spoolBatchApplied(txn, spool_->id(), frame.seq)) {
            ApplyResult result =
                AccountingRepository::apply(txn, frame.records, options_.timezone());
            evaluateTiers(txn, frame.records, result);  // usage from an outage moves tiers too
            AccountingRepository::markSpoolBatchApplied(txn, spool_->id(), frame.seq);
            txn.commit();
            if (live_ != nullptr)
                live_->update(result.touched);
            noteReopened(result);
        }
    } catch (const pqxx::sql_error& e) {
        if (!isPermanentSqlState(e.sqlstate())) {
            lostConnection(main_, "spool replay of batch " + std::to_string(frame.seq) +
                                      " failed, will retry: " + oneLine(e.what()));
            return;
        }
        // A frame PostgreSQL refuses: record by record, the refused ones quarantined, then
        // the frame is marked (re-applying the good records is idempotent anyway).
        if (!isolate(main_, frame.records, oneLine(e.what())))
            return;
        try {
            pqxx::work txn(*main_.conn);
            AccountingRepository::markSpoolBatchApplied(txn, spool_->id(), frame.seq);
            txn.commit();
        } catch (const std::exception& e2) {
            lostConnection(main_, "spool replay of batch " + std::to_string(frame.seq) +
                                      " failed, will retry: " + oneLine(e2.what()));
            return;
        }
    } catch (const std::exception& e) {
        lostConnection(main_, "spool replay of batch " + std::to_string(frame.seq) +
                                  " failed, will retry: " + oneLine(e.what()));
        return;
    }
    if (auto marked = spool_->markReplayed(frame.seq); !marked) {
        say("accounting spool: " + marked.error());
        return;
    }
    replayed_records_.fetch_add(frame.records.size());
    replayed_batches_.fetch_add(1);
    spool_batches_ = spool_->stats().pending_batches;
    spool_records_ = spool_->stats().pending_records;
    if (spool_->empty())
        say("accounting spool: replayed, empty");
}

void AccountingWriter::refreshDay() {
    next_day_check_ms_ =
        steadyMs() +
        (options_.live_reload_ms > 0 ? std::min<int64_t>(30000, options_.live_reload_ms) : 30000);
    if (!connect())
        return;
    try {
        const std::string tz = options_.timezone();
        std::string day;
        {
            pqxx::nontransaction txn(*main_.conn);
            day = txn.exec1("SELECT (now() AT TIME ZONE " + txn.quote(tz) + ")::date::text")[0]
                      .as<std::string>();
        }
        const bool new_day = !day_.empty() && day != day_;
        day_ = std::move(day);
        // A new day (or month) in the ISP's time zone: today's counters start from zero. And
        // every live_reload_ms anyway: sessions another radius node opened or closed are only
        // in the database (docs/accounting.md, several radius nodes).
        const bool due = options_.live_reload_ms > 0 && steadyMs() >= next_live_reload_ms_;
        if ((new_day || due) && live_ != nullptr)
            reloadLiveState(*main_.conn, tz);
    } catch (const std::exception& e) {
        say("accounting: day check failed: " + oneLine(e.what()));
    }
}

void AccountingWriter::sweepStale() {
    next_sweep_ms_ = steadyMs() + options_.sweep_every_ms;
    // Even with stale_session_s 0 the sweep runs: the panel's setting may turn it on.
    // The jobs lock (pg_advisory_lock key "gatehouse jobs"), session-level: held as long as
    // this connection lives, so exactly one node sweeps.
    static constexpr const char* kJobsLock = "SELECT pg_try_advisory_lock(7310259475401729)";
    try {
        {
            pqxx::nontransaction txn(*main_.conn);
            if (!txn.exec1(kJobsLock)[0].as<bool>())
                return;  // another node leads the jobs
        }
        if (steadyMs() >= next_hourly_ms_) {
            next_hourly_ms_ = steadyMs() + 3600 * 1000;
            {
                pqxx::nontransaction txn(*main_.conn);
                txn.exec("SELECT gh_ensure_radacct_partitions(3)");
            }
            if (options_.hourly)
                options_.hourly();
        }
        // Not while our spool holds batches: after an outage longer than the bound their
        // Interims are the sessions' latest updates, and a session closed before they are
        // replayed would lose its address and ignore them (an Interim after a Stop).
        if (!spoolEmpty())
            return;
        // The sweep spans subscribers, and its LiveState reload must not land under a lane's
        // newer update.
        pauseLanes();
        struct Resume {
            AccountingWriter* writer;
            ~Resume() { writer->resumeLanes(); }
        } resume{this};
        pqxx::work txn(*main_.conn);
        // Read at each sweep: the panel's setting changes it without a restart.
        const int64_t bound = AccountingRepository::staleBound(txn, options_.stale_session_s);
        if (bound == 0) {
            txn.commit();
            return;  // stale sessions are never closed
        }
        StaleResult r = AccountingRepository::closeStaleSessions(txn, bound, unixNow());
        if (r.closed > 0) {
            auto rows = AccountingRepository::loadLiveState(txn, options_.timezone(), unixNow());
            txn.commit();
            if (live_ != nullptr)
                live_->replaceAll(rows);
            stale_closed_.fetch_add(r.closed);
            say("accounting: closed " + std::to_string(r.closed) +
                " stale sessions (no update for " + std::to_string(bound) + " s), released " +
                std::to_string(r.addresses_released) + " pool addresses");
        } else {
            txn.commit();
        }
    } catch (const std::exception& e) {
        say("accounting: stale session sweep failed: " + oneLine(e.what()));
    }
}

void AccountingWriter::noteReopened(const ApplyResult& result) {
    if (result.reopened == 0)
        return;
    reopened_.fetch_add(result.reopened);
    reopen_conflicts_.fetch_add(result.reopen_conflicts.size());
    say("accounting: reopened " + std::to_string(result.reopened) +
        " sessions closed by Gatehouse (Stale-Session, NAS-Reconcile) that the NAS still "
        "accounts for, took back " +
        std::to_string(result.addresses_reclaimed) + " pool addresses");
    // One line per conflict, but a bounded number per batch: after a long partition many
    // sessions may come back at once, and the count above is in the metrics anyway.
    constexpr size_t kMaxConflictLines = 20;
    size_t shown = 0;
    for (const ReopenConflict& c : result.reopen_conflicts) {
        if (shown++ == kMaxConflictLines) {
            say("gatehouse.accounting.reopen_conflict more=" +
                std::to_string(result.reopen_conflicts.size() - kMaxConflictLines));
            break;
        }
        const char* why = c.why == ReopenConflict::Why::kReserved       ? "reserved"
                          : c.why == ReopenConflict::Why::kHoldsAnother ? "holds_another"
                                                                        : "held";
        say("gatehouse.accounting.reopen_conflict ip=" + formatIpv4(c.ip) +
            " session=" + oneLine(c.session_id) + " user=" + oneLine(c.username) + " holder=" +
            (c.holder != 0 ? std::to_string(c.holder) : std::string("-")) + " why=" + why);
    }
}

void AccountingWriter::acknowledge(std::vector<Item>& batch, bool durable) {
    // One call per sink with all its tokens (a worker posts once per batch, not per record).
    std::vector<std::pair<AckSink*, std::vector<uint64_t>>> by_sink;
    for (const Item& item : batch) {
        if (item.sink == nullptr)
            continue;
        auto it = std::find_if(by_sink.begin(), by_sink.end(),
                               [&](const auto& p) { return p.first == item.sink; });
        if (it == by_sink.end()) {
            by_sink.emplace_back(item.sink, std::vector<uint64_t>{});
            it = by_sink.end() - 1;
        }
        it->second.push_back(item.token);
    }
    for (auto& [sink, tokens] : by_sink)
        sink->acknowledged(tokens, durable);
}

}  // namespace gatehouse::store
