#include "core/store/accounting_writer.hpp"

#include <algorithm>
#include <chrono>
#include <pqxx/pqxx>
#include <unordered_map>

#include "core/store/accounting_quarantine.hpp"
#include "core/store/accounting_repository.hpp"
#include "core/store/pg_pool.hpp"
#include "core/store/spool.hpp"

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

/// libpq messages span lines; a log line must not.
std::string oneLine(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '\n' || c == '\t' || c == '\r') {
            if (!out.empty() && out.back() != ' ')
                out.push_back(' ');
        } else {
            out.push_back(c);
        }
    }
    while (!out.empty() && out.back() == ' ')
        out.pop_back();
    return out;
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

struct AccountingWriter::Db {
    std::unique_ptr<pqxx::connection> conn;
};

AccountingWriter::AccountingWriter(AccountingWriterOptions options, LiveState* live,
                                   TierEvaluator* tiers)
    : options_(std::move(options)), live_(live), tiers_(tiers), db_(std::make_unique<Db>()) {}

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
    thread_ = std::thread([this] { run(); });
    return {};
}

bool AccountingWriter::submit(AccountingRecord&& record, AckSink* sink, uint64_t token) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_ || queue_.size() >= options_.queue_max) {
            refused_.fetch_add(1, std::memory_order_relaxed);
            return false;
        }
        queue_.push_back(Item{std::move(record), sink, token});
    }
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
    s.quarantined = quarantined_.load();
    s.database_up = database_up_.load();
    {
        std::lock_guard lock(mutex_);
        s.queue_depth = queue_.size();
    }
    return s;
}

bool AccountingWriter::connect() {
    if (db_->conn && !idleConnectionBroken(*db_->conn))
        return true;
    db_->conn.reset();
    try {
        auto conn = std::make_unique<pqxx::connection>(withConnectTimeout(options_.conninfo));
        {
            pqxx::nontransaction txn(*conn);
            txn.exec("SET statement_timeout = " + std::to_string(options_.statement_timeout_ms));
            txn.exec("SET application_name = 'gatehouse accounting'");
            // The batch statements are prepared once per connection and run on their generic
            // plan: planning them per batch (radacct's partitions times their indexes) cost
            // a third of the batch. They are written so that the plan is the same index
            // probes whatever the statistics when it was made (an empty radacct included),
            // and PostgreSQL plans again when autovacuum refreshes the tables' statistics.
            txn.exec("SET plan_cache_mode = force_generic_plan");
        }
        db_->conn = std::move(conn);
        if (!database_up_.exchange(true))
            say("accounting: database reachable, committing directly");
        if (live_ != nullptr) {
            pqxx::work load(*db_->conn);
            auto rows = AccountingRepository::loadLiveState(load, options_.timezone(), unixNow());
            load.commit();
            live_->replaceAll(rows);
            next_live_reload_ms_ = steadyMs() + options_.live_reload_ms;
        }
        return true;
    } catch (const std::exception& e) {
        db_->conn.reset();
        if (database_up_.exchange(false))
            say("accounting: database unreachable, spooling: " + oneLine(e.what()));
        next_retry_ms_ = steadyMs() + options_.retry_ms;
        return false;
    }
}

void AccountingWriter::run() {
    std::vector<Item> batch;
    batch.reserve(options_.batch_max);
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            // Idle: wake for work, or every 100 ms for the retry and the day check; with a
            // spool to replay and the database up, do not wait at all.
            const bool replaying = database_up_.load() && !spool_->empty();
            wake_.wait_for(lock, std::chrono::milliseconds(replaying ? 0 : 100),
                           [this] { return stopping_ || !queue_.empty(); });
            while (!queue_.empty() && batch.size() < options_.batch_max) {
                batch.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
            if (batch.empty() && stopping_)
                return;
        }
        if (!batch.empty())
            handle(batch);
        const int64_t now = steadyMs();
        if (!database_up_.load() && now >= next_retry_ms_)
            connect();
        if (database_up_.load() && !spool_->empty())
            replayOne();
        if (database_up_.load() && now >= next_day_check_ms_)
            refreshDay();
        if (database_up_.load() && now >= next_sweep_ms_)
            sweepStale();
    }
}

void AccountingWriter::handle(std::vector<Item>& batch) {
    std::vector<AccountingRecord> records;
    records.reserve(batch.size());
    for (Item& item : batch)
        records.push_back(std::move(item.record));
    last_batch_.store(records.size(), std::memory_order_relaxed);
    if (records.size() > max_batch_.load(std::memory_order_relaxed))
        max_batch_.store(records.size(), std::memory_order_relaxed);

    bool durable = false;
    if (database_up_.load() && commit(records)) {
        durable = true;
        committed_records_.fetch_add(records.size());
        committed_batches_.fetch_add(1);
    } else {
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

bool AccountingWriter::commit(std::span<const AccountingRecord> records) {
    if (!connect())
        return false;
    try {
        pqxx::work txn(*db_->conn);
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
        ApplyResult result = AccountingRepository::apply(txn, records, options_.timezone(), known);
        evaluateTiers(txn, records, result);
        txn.commit();
        if (live_ != nullptr)
            live_->update(result.touched);
        return true;
    } catch (const pqxx::sql_error& e) {
        if (isPermanentSqlState(e.sqlstate()))
            return isolate(records, oneLine(e.what()));
        return lostConnection("batch of " + std::to_string(records.size()) +
                              " not committed, spooling: " + oneLine(e.what()));
    } catch (const std::exception& e) {
        // Broken connection, statement timeout, or a commit whose outcome is unknown: the
        // batch goes to the spool; if it did commit after all, replay changes nothing.
        return lostConnection("batch of " + std::to_string(records.size()) +
                              " not committed, spooling: " + oneLine(e.what()));
    }
}

bool AccountingWriter::lostConnection(const std::string& why) {
    say("accounting: " + why);
    db_->conn.reset();
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

bool AccountingWriter::isolate(std::span<const AccountingRecord> records, const std::string& why) {
    // PostgreSQL refuses this batch for what is in it (a data or integrity error): the same
    // batch would fail for ever. Each record alone, then; the ones refused alone go to the
    // quarantine file (durable, for an operator), so the rest are not held hostage.
    say("accounting: batch of " + std::to_string(records.size()) +
        " refused, applying record by record: " + why);
    AccountingQuarantine quarantine(options_.spool_dir);
    for (const AccountingRecord& record : records) {
        try {
            pqxx::work txn(*db_->conn);
            ApplyResult result =
                AccountingRepository::apply(txn, std::span(&record, 1), options_.timezone());
            evaluateTiers(txn, std::span(&record, 1), result);
            txn.commit();
            if (live_ != nullptr)
                live_->update(result.touched);
        } catch (const pqxx::sql_error& e) {
            if (!isPermanentSqlState(e.sqlstate()))
                return lostConnection("record by record: " + oneLine(e.what()));
            if (auto q = quarantine.add(record, oneLine(e.what())); !q) {
                say("accounting: quarantine: " + q.error());
                return false;
            }
            quarantined_.fetch_add(1);
            say("accounting: record " + record.unique_id + " of " + record.username +
                " quarantined in " + quarantine.path() + ": " + oneLine(e.what()));
        } catch (const std::exception& e) {
            return lostConnection("record by record: " + oneLine(e.what()));
        }
    }
    return true;
}

void AccountingWriter::replayOne() {
    if (!connect())
        return;
    auto next = spool_->next();
    if (!next) {
        say("accounting spool: " + next.error());
        return;
    }
    if (!*next)
        return;
    const SpoolBatch& frame = **next;
    try {
        pqxx::work txn(*db_->conn);
        if (!AccountingRepository::spoolBatchApplied(txn, spool_->id(), frame.seq)) {
            ApplyResult result =
                AccountingRepository::apply(txn, frame.records, options_.timezone());
            evaluateTiers(txn, frame.records, result);  // usage from an outage moves tiers too
            AccountingRepository::markSpoolBatchApplied(txn, spool_->id(), frame.seq);
            txn.commit();
            if (live_ != nullptr)
                live_->update(result.touched);
        }
    } catch (const pqxx::sql_error& e) {
        if (!isPermanentSqlState(e.sqlstate())) {
            lostConnection("spool replay of batch " + std::to_string(frame.seq) +
                           " failed, will retry: " + oneLine(e.what()));
            return;
        }
        // A frame PostgreSQL refuses: record by record, the refused ones quarantined, then
        // the frame is marked (re-applying the good records is idempotent anyway).
        if (!isolate(frame.records, oneLine(e.what())))
            return;
        try {
            pqxx::work txn(*db_->conn);
            AccountingRepository::markSpoolBatchApplied(txn, spool_->id(), frame.seq);
            txn.commit();
        } catch (const std::exception& e2) {
            lostConnection("spool replay of batch " + std::to_string(frame.seq) +
                           " failed, will retry: " + oneLine(e2.what()));
            return;
        }
    } catch (const std::exception& e) {
        lostConnection("spool replay of batch " + std::to_string(frame.seq) +
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
            pqxx::nontransaction txn(*db_->conn);
            day = txn.exec1("SELECT (now() AT TIME ZONE " + txn.quote(tz) + ")::date::text")[0]
                      .as<std::string>();
        }
        const bool new_day = !day_.empty() && day != day_;
        day_ = std::move(day);
        // A new day (or month) in the ISP's time zone: today's counters start from zero. And
        // every live_reload_ms anyway: sessions another radius node opened or closed are only
        // in the database (docs/accounting.md, several radius nodes).
        const bool due = options_.live_reload_ms > 0 && steadyMs() >= next_live_reload_ms_;
        if ((new_day || due) && live_ != nullptr) {
            pqxx::work load(*db_->conn);
            auto rows = AccountingRepository::loadLiveState(load, tz, unixNow());
            load.commit();
            live_->replaceAll(rows);
            next_live_reload_ms_ = steadyMs() + options_.live_reload_ms;
        }
    } catch (const std::exception& e) {
        say("accounting: day check failed: " + oneLine(e.what()));
    }
}

void AccountingWriter::sweepStale() {
    next_sweep_ms_ = steadyMs() + options_.sweep_every_ms;
    if (options_.stale_session_s <= 0 && !options_.hourly)
        return;
    // The jobs lock (pg_advisory_lock key "gatehouse jobs"), session-level: held as long as
    // this connection lives, so exactly one node sweeps.
    static constexpr const char* kJobsLock = "SELECT pg_try_advisory_lock(7310259475401729)";
    try {
        {
            pqxx::nontransaction txn(*db_->conn);
            if (!txn.exec1(kJobsLock)[0].as<bool>())
                return;  // another node leads the jobs
        }
        if (steadyMs() >= next_hourly_ms_) {
            next_hourly_ms_ = steadyMs() + 3600 * 1000;
            {
                pqxx::nontransaction txn(*db_->conn);
                txn.exec("SELECT gh_ensure_radacct_partitions(3)");
            }
            if (options_.hourly)
                options_.hourly();
        }
        if (options_.stale_session_s <= 0)
            return;  // stale sessions are never closed
        // Not while our spool holds batches: after an outage longer than the bound their
        // Interims are the sessions' latest updates, and a session closed before they are
        // replayed would lose its address and ignore them (an Interim after a Stop).
        if (!spool_->empty())
            return;
        pqxx::work txn(*db_->conn);
        StaleResult r =
            AccountingRepository::closeStaleSessions(txn, options_.stale_session_s, unixNow());
        if (r.closed > 0) {
            auto rows = AccountingRepository::loadLiveState(txn, options_.timezone(), unixNow());
            txn.commit();
            if (live_ != nullptr)
                live_->replaceAll(rows);
            stale_closed_.fetch_add(r.closed);
            say("accounting: closed " + std::to_string(r.closed) +
                " stale sessions (no update for " + std::to_string(options_.stale_session_s) +
                " s), released " + std::to_string(r.addresses_released) + " pool addresses");
        } else {
            txn.commit();
        }
    } catch (const std::exception& e) {
        say("accounting: stale session sweep failed: " + oneLine(e.what()));
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
