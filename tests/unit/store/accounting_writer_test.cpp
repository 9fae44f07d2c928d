// The group-commit accounting writer against a real PostgreSQL: acknowledgement only once a
// record is committed or spooled, group commit under load, the spool while the database is
// down and its replay, the queue bound, stop() draining, FUP tier changes, LiveState and the
// stale-session sweep.
#include "core/store/accounting_writer.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "tests/unit/store/pg_fixture.hpp"

namespace gatehouse::store {
namespace {

using namespace std::chrono_literals;

constexpr uint32_t kNasIp = 0x0A000001;  // 10.0.0.1
constexpr auto kDeadline = 20s;

int64_t unixNow() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// Polls `done` until it holds or the deadline passes; true when it held.
template <class F>
bool eventually(F done) {
    const auto until = std::chrono::steady_clock::now() + kDeadline;
    while (!done()) {
        if (std::chrono::steady_clock::now() > until)
            return false;
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

/// Records every acknowledgement: token -> the durable flags it was acknowledged with.
class RecordingSink : public AckSink {
  public:
    void acknowledged(std::span<const uint64_t> tokens, bool durable) override {
        {
            std::unique_lock lock(mutex_);
            for (uint64_t t : tokens)
                acks_[t].push_back(durable);
            total_ += tokens.size();
            ++calls_;
            // Holds the writer thread inside its first acknowledgement until the test opens
            // the gate: the writer is then provably busy while more records are queued.
            if (gated_)
                changed_.wait(lock, [this] { return !gated_; });
        }
        changed_.notify_all();
    }

    /// Waits until `n` acknowledgements in all arrived.
    bool waitFor(size_t n) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, kDeadline, [&] { return total_ >= n; });
    }
    void closeGate() {
        std::lock_guard lock(mutex_);
        gated_ = true;
    }
    void openGate() {
        {
            std::lock_guard lock(mutex_);
            gated_ = false;
        }
        changed_.notify_all();
    }
    std::map<uint64_t, std::vector<bool>> acks() const {
        std::lock_guard lock(mutex_);
        return acks_;
    }
    size_t total() const {
        std::lock_guard lock(mutex_);
        return total_;
    }
    size_t calls() const {
        std::lock_guard lock(mutex_);
        return calls_;
    }

  private:
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::map<uint64_t, std::vector<bool>> acks_;
    size_t total_ = 0;
    size_t calls_ = 0;
    bool gated_ = false;
};

/// fup() stand-in: always the same tier; counts the calls and remembers what it was shown.
class FixedTier : public TierEvaluator {
  public:
    explicit FixedTier(std::optional<int> tier) : tier_(tier) {}
    std::optional<int> tierFor(std::string_view username,
                               const policy::LiveCounters& live) override {
        std::lock_guard lock(mutex_);
        ++calls_;
        last_user_ = std::string(username);
        last_live_ = live;
        return tier_;
    }
    int calls() const {
        std::lock_guard lock(mutex_);
        return calls_;
    }
    std::string lastUser() const {
        std::lock_guard lock(mutex_);
        return last_user_;
    }
    policy::LiveCounters lastLive() const {
        std::lock_guard lock(mutex_);
        return last_live_;
    }

  private:
    mutable std::mutex mutex_;
    std::optional<int> tier_;
    int calls_ = 0;
    std::string last_user_;
    policy::LiveCounters last_live_;
};

class AccountingWriterTest : public testing::PgTest {
  protected:
    void SetUp() override {
        PgTest::SetUp();
        char tmpl[] = "/tmp/gh-writer-test-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        temp_dir_ = tmpl;
        alice_ = insertSubscriber("alice");
    }
    void TearDown() override {
        if (HasFailure()) {
            std::lock_guard lock(log_mutex_);
            for (const std::string& line : log_)
                std::cerr << "writer log: " << line << "\n";
        }
        std::filesystem::remove_all(temp_dir_);
        PgTest::TearDown();
    }

    std::string spoolDir() const { return temp_dir_ + "/spool"; }

    AccountingWriterOptions options(std::string conninfo) {
        AccountingWriterOptions o;
        o.conninfo = std::move(conninfo);
        o.spool_dir = spoolDir();
        o.retry_ms = 50;
        o.log = [this](std::string_view line) {
            std::lock_guard lock(log_mutex_);
            log_.emplace_back(line);
        };
        return o;
    }

    AccountingRecord record(AcctStatus status, const std::string& uid, uint64_t in = 0,
                            uint64_t out = 0, uint32_t session_time = 0) {
        AccountingRecord r;
        r.status = status;
        r.event_time = unixNow();
        r.received_at = r.event_time;
        r.session_id = "sid-" + uid;
        r.unique_id = uid;
        r.username = "alice";
        r.subscriber_id = alice_;
        r.nas_id = 1;
        r.nas_ip = kNasIp;
        r.nas_port_id = "ether1";
        r.session_time = session_time;
        r.input_octets = in;
        r.output_octets = out;
        if (status == AcctStatus::kStop)
            r.terminate_cause = "User-Request";
        return r;
    }
    AccountingRecord start(const std::string& uid) { return record(AcctStatus::kStart, uid); }

    int count(const std::string& query) { return sql(query)[0][0].as<int>(); }
    int sessions(const std::string& uid) {
        return count("SELECT count(*) FROM radacct WHERE acctuniqueid = '" + uid + "'");
    }
    std::string column(const std::string& uid, const std::string& col) {
        auto r = sql("SELECT " + col + " FROM radacct WHERE acctuniqueid = '" + uid + "'");
        if (r.size() != 1)
            return "<" + std::to_string(r.size()) + " rows>";
        return r[0][0].is_null() ? "" : r[0][0].as<std::string>();
    }

    /// A service with FUP1 and FUP2 (as the panel creates them) for alice.
    void giveAliceFupTiers() {
        const int64_t service =
            sql("INSERT INTO services (name, download_bps, upload_bps) VALUES ('home',"
                " 20000000, 5000000) RETURNING id")[0][0]
                .as<int64_t>();
        const std::string id = std::to_string(service);
        sql("INSERT INTO service_fup_tiers (service_id, tier, name, daily_bytes, download_bps,"
            " upload_bps) VALUES (" +
            id + ", 1, 'FUP1', 1000, 4000000, 1000000), (" + id +
            ", 2, 'FUP2', 1000000, 1000000, 500000)");
        sql("UPDATE subscribers SET service_id = " + id + " WHERE id = " + std::to_string(alice_));
    }

    /// Subscribers "u0".."u<n-1>", so that records spread over every lane.
    std::vector<int64_t> insertUsers(int n) {
        std::vector<int64_t> ids;
        for (int i = 0; i < n; ++i)
            ids.push_back(insertSubscriber("u" + std::to_string(i)));
        return ids;
    }

    std::string temp_dir_;
    int64_t alice_ = 0;
    std::mutex log_mutex_;
    std::vector<std::string> log_;
};

TEST_F(AccountingWriterTest, LoneRecordIsCommittedBeforeItsAcknowledgement) {
    LiveState live;
    RecordingSink sink;
    AccountingWriter writer(options(conninfo()), &live, nullptr);
    ASSERT_TRUE(writer.start().has_value());
    EXPECT_TRUE(writer.stats().database_up);

    ASSERT_TRUE(writer.submit(start("s1"), &sink, 42));
    ASSERT_TRUE(sink.waitFor(1));
    // The acknowledgement came: the row must already be visible to another connection.
    EXPECT_EQ(sessions("s1"), 1);
    EXPECT_EQ(column("s1", "acctstoptime"), "");
    EXPECT_EQ(column("s1", "username"), "alice");
    const auto acks = sink.acks();
    ASSERT_EQ(acks.size(), 1u);
    EXPECT_EQ(acks.begin()->first, 42u);
    EXPECT_EQ(acks.begin()->second, std::vector<bool>{true});

    const AccountingWriterStats s = writer.stats();
    EXPECT_EQ(s.committed_records, 1u);
    EXPECT_EQ(s.committed_batches, 1u);
    EXPECT_EQ(s.last_batch_size, 1u);
    EXPECT_EQ(s.spooled_records, 0u);
    EXPECT_EQ(s.lost, 0u);
    EXPECT_EQ(s.refused, 0u);
}

TEST_F(AccountingWriterTest, RecordsFromFourThreadsAreAcknowledgedOnceEachInGroupCommits) {
    constexpr int kThreads = 4;
    constexpr int kPerThread = 1250;
    constexpr size_t kTotal = kThreads * kPerThread;
    RecordingSink sink;
    AccountingWriter writer(options(conninfo()), nullptr, nullptr);
    ASSERT_TRUE(writer.start().has_value());

    // The first acknowledgement blocks the writer thread until every record is queued, so
    // the rest must be grouped (no dependence on how fast anything runs).
    sink.closeGate();
    std::vector<std::thread> threads;
    std::atomic<int> refused{0};
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i) {
                const uint64_t token = static_cast<uint64_t>(t) * 100000 + i;
                if (!writer.submit(start("t" + std::to_string(token)), &sink, token))
                    ++refused;
            }
        });
    }
    for (std::thread& th : threads)
        th.join();
    sink.openGate();
    ASSERT_EQ(refused.load(), 0);
    ASSERT_TRUE(sink.waitFor(kTotal));

    const auto acks = sink.acks();
    ASSERT_EQ(acks.size(), kTotal);
    for (const auto& [token, flags] : acks)
        EXPECT_EQ(flags, std::vector<bool>{true}) << "token " << token;
    EXPECT_EQ(sink.total(), kTotal);

    const AccountingWriterStats s = writer.stats();
    EXPECT_EQ(s.committed_records, kTotal);
    EXPECT_LT(s.committed_batches, s.committed_records);
    EXPECT_GT(s.max_batch_size, 1u);
    EXPECT_LE(s.max_batch_size, 2000u);  // batch_max
    EXPECT_EQ(s.queue_depth, 0u);
    // One call per batch for the one sink, not one per record.
    EXPECT_EQ(sink.calls(), s.committed_batches);
    EXPECT_EQ(count("SELECT count(*) FROM radacct"), static_cast<int>(kTotal));
}

TEST_F(AccountingWriterTest, UnreachableDatabaseSpoolsAndAcknowledgesThenReplayApplies) {
    RecordingSink sink;
    uint64_t spooled_batches = 0;
    {
        AccountingWriter down(options("host=127.0.0.1 port=1 user=nobody dbname=nothing"), nullptr,
                              nullptr);
        ASSERT_TRUE(down.start().has_value());
        EXPECT_FALSE(down.stats().database_up);
        ASSERT_TRUE(down.submit(start("s1"), &sink, 1));
        ASSERT_TRUE(sink.waitFor(1));
        ASSERT_TRUE(down.submit(start("s2"), &sink, 2));
        ASSERT_TRUE(down.submit(start("s3"), &sink, 3));
        ASSERT_TRUE(sink.waitFor(3));

        const AccountingWriterStats s = down.stats();
        EXPECT_EQ(s.spooled_records, 3u);
        EXPECT_GE(s.spooled_batches, 2u);
        EXPECT_EQ(s.spool_pending_records, 3u);
        EXPECT_EQ(s.spool_pending_batches, s.spooled_batches);
        EXPECT_EQ(s.committed_records, 0u);
        EXPECT_EQ(s.lost, 0u);
        EXPECT_FALSE(s.database_up);
        spooled_batches = s.spooled_batches;
    }
    for (const auto& [token, flags] : sink.acks())
        EXPECT_EQ(flags, std::vector<bool>{true}) << "token " << token;
    EXPECT_EQ(sink.total(), 3u);
    EXPECT_GT(std::filesystem::file_size(spoolDir() + "/accounting.spool"), 0u);
    EXPECT_EQ(count("SELECT count(*) FROM radacct"), 0);

    // The database is back: a writer on the same spool replays it.
    AccountingWriter up(options(conninfo()), nullptr, nullptr);
    ASSERT_TRUE(up.start().has_value());
    ASSERT_TRUE(eventually([&] { return up.stats().spool_pending_batches == 0; }));
    const AccountingWriterStats s = up.stats();
    EXPECT_EQ(s.spool_pending_records, 0u);
    EXPECT_EQ(s.replayed_records, 3u);
    EXPECT_EQ(s.replayed_batches, spooled_batches);
    EXPECT_EQ(sessions("s1"), 1);
    EXPECT_EQ(sessions("s2"), 1);
    EXPECT_EQ(sessions("s3"), 1);
    EXPECT_EQ(count("SELECT count(*) FROM accounting_spool_applied"),
              static_cast<int>(spooled_batches));
    EXPECT_EQ(std::filesystem::file_size(spoolDir() + "/accounting.spool"), 0u);
}

TEST_F(AccountingWriterTest, FullQueueRefusesAndCounts) {
    AccountingWriterOptions o = options(conninfo());
    o.queue_max = 2;
    RecordingSink sink;
    AccountingWriter writer(o, nullptr, nullptr);  // not started: nothing drains the queue
    EXPECT_TRUE(writer.submit(start("s1"), &sink, 1));
    EXPECT_TRUE(writer.submit(start("s2"), &sink, 2));
    EXPECT_FALSE(writer.submit(start("s3"), &sink, 3));
    EXPECT_FALSE(writer.submit(start("s4"), &sink, 4));
    const AccountingWriterStats s = writer.stats();
    EXPECT_EQ(s.refused, 2u);
    EXPECT_EQ(s.queue_depth, 2u);
    EXPECT_EQ(sink.total(), 0u);
}

TEST_F(AccountingWriterTest, StopAcknowledgesEverythingQueuedFirst) {
    constexpr size_t kRecords = 300;
    RecordingSink sink;
    AccountingWriter writer(options(conninfo()), nullptr, nullptr);
    ASSERT_TRUE(writer.start().has_value());
    for (size_t i = 0; i < kRecords; ++i)
        ASSERT_TRUE(writer.submit(start("s" + std::to_string(i)), &sink, i));
    writer.stop();
    // No waiting: stop() returned, so every record was answered.
    EXPECT_EQ(sink.total(), kRecords);
    EXPECT_EQ(sink.acks().size(), kRecords);
    EXPECT_EQ(writer.stats().committed_records, kRecords);
    EXPECT_EQ(count("SELECT count(*) FROM radacct"), static_cast<int>(kRecords));
    // After stop() nothing more is taken.
    EXPECT_FALSE(writer.submit(start("late"), &sink, 9999));
    EXPECT_EQ(writer.stats().refused, 1u);
}

TEST_F(AccountingWriterTest, StopWhileTheDatabaseIsDownSpoolsTheQueue) {
    RecordingSink sink;
    AccountingWriter writer(options("host=127.0.0.1 port=1 user=nobody dbname=nothing"), nullptr,
                            nullptr);
    ASSERT_TRUE(writer.start().has_value());
    for (uint64_t i = 0; i < 50; ++i)
        ASSERT_TRUE(writer.submit(start("s" + std::to_string(i)), &sink, i));
    writer.stop();
    EXPECT_EQ(sink.total(), 50u);
    EXPECT_EQ(writer.stats().spooled_records, 50u);
}

TEST_F(AccountingWriterTest, TierChangeIsRecordedWithTheBatchAndShownInLiveState) {
    giveAliceFupTiers();
    LiveState live;
    FixedTier tiers(1);
    RecordingSink sink;
    AccountingWriter writer(options(conninfo()), &live, &tiers);
    ASSERT_TRUE(writer.start().has_value());

    ASSERT_TRUE(writer.submit(start("s1"), &sink, 1));
    ASSERT_TRUE(writer.submit(record(AcctStatus::kInterimUpdate, "s1", 5000, 7000, 60), &sink, 2));
    ASSERT_TRUE(sink.waitFor(2));
    EXPECT_GE(tiers.calls(), 1);
    EXPECT_EQ(tiers.lastUser(), "alice");

    auto jobs =
        sql("SELECT subscriber_id, from_tier, to_tier, reason, status FROM"
            " tier_change_jobs");
    ASSERT_EQ(jobs.size(), 1u);
    EXPECT_EQ(jobs[0][0].as<int64_t>(), alice_);
    EXPECT_EQ(jobs[0][1].as<int>(), 0);
    EXPECT_EQ(jobs[0][2].as<int>(), 1);
    EXPECT_EQ(jobs[0][3].as<std::string>(), "usage");
    EXPECT_EQ(jobs[0][4].as<std::string>(), "pending");
    EXPECT_EQ(count("SELECT current_tier FROM subscribers WHERE id = " + std::to_string(alice_)),
              1);
    auto counters = live.get(alice_);
    ASSERT_TRUE(counters.has_value());
    EXPECT_EQ(counters->current_tier, 1);
    EXPECT_EQ(writer.stats().tier_changes, 1u);

    // Already in tier 1: a further Interim asks again but records nothing new.
    const int calls_before = tiers.calls();
    ASSERT_TRUE(writer.submit(record(AcctStatus::kInterimUpdate, "s1", 9000, 9000, 120), &sink, 3));
    ASSERT_TRUE(sink.waitFor(3));
    EXPECT_GT(tiers.calls(), calls_before);
    EXPECT_EQ(tiers.lastLive().current_tier, 1);
    EXPECT_EQ(count("SELECT count(*) FROM tier_change_jobs"), 1);
    EXPECT_EQ(writer.stats().tier_changes, 1u);
}

TEST_F(AccountingWriterTest, EvaluatorReturningTheCurrentTierWritesNothing) {
    giveAliceFupTiers();
    LiveState live;
    FixedTier tiers(0);
    RecordingSink sink;
    AccountingWriter writer(options(conninfo()), &live, &tiers);
    ASSERT_TRUE(writer.start().has_value());
    ASSERT_TRUE(writer.submit(start("s1"), &sink, 1));
    ASSERT_TRUE(writer.submit(record(AcctStatus::kInterimUpdate, "s1", 5000, 7000, 60), &sink, 2));
    ASSERT_TRUE(sink.waitFor(2));
    EXPECT_GE(tiers.calls(), 1);
    EXPECT_EQ(count("SELECT count(*) FROM tier_change_jobs"), 0);
    EXPECT_EQ(count("SELECT current_tier FROM subscribers WHERE id = " + std::to_string(alice_)),
              0);
    EXPECT_EQ(writer.stats().tier_changes, 0u);
    ASSERT_TRUE(live.get(alice_).has_value());
    EXPECT_EQ(live.get(alice_)->current_tier, 0);
}

TEST_F(AccountingWriterTest, EvaluatorWithoutAnAnswerWritesNothing) {
    LiveState live;
    FixedTier tiers(std::nullopt);
    RecordingSink sink;
    AccountingWriter writer(options(conninfo()), &live, &tiers);
    ASSERT_TRUE(writer.start().has_value());
    ASSERT_TRUE(writer.submit(start("s1"), &sink, 1));
    ASSERT_TRUE(sink.waitFor(1));
    EXPECT_EQ(tiers.calls(), 1);
    EXPECT_EQ(count("SELECT count(*) FROM tier_change_jobs"), 0);
    EXPECT_EQ(sink.acks().at(1), std::vector<bool>{true});
}

TEST_F(AccountingWriterTest, LiveStateFollowsStartAndStopWithUsage) {
    LiveState live;
    RecordingSink sink;
    AccountingWriter writer(options(conninfo()), &live, nullptr);
    ASSERT_TRUE(writer.start().has_value());
    EXPECT_FALSE(live.get(alice_).has_value());

    ASSERT_TRUE(writer.submit(start("s1"), &sink, 1));
    ASSERT_TRUE(sink.waitFor(1));
    auto after_start = live.get(alice_);
    ASSERT_TRUE(after_start.has_value());
    EXPECT_EQ(after_start->open_sessions, 1u);
    EXPECT_EQ(after_start->usage.daily_upload, 0u);

    ASSERT_TRUE(writer.submit(record(AcctStatus::kStop, "s1", 1500, 7000, 90), &sink, 2));
    ASSERT_TRUE(sink.waitFor(2));
    auto after_stop = live.get(alice_);
    ASSERT_TRUE(after_stop.has_value());
    EXPECT_EQ(after_stop->open_sessions, 0u);
    EXPECT_EQ(after_stop->usage.daily_upload, 1500u);  // Acct-Input-Octets: from the user
    EXPECT_EQ(after_stop->usage.daily_download, 7000u);
    EXPECT_EQ(after_stop->usage.monthly_upload, 1500u);
    EXPECT_EQ(after_stop->usage.monthly_download, 7000u);
}

TEST_F(AccountingWriterTest, StartLoadsLiveStateFromTheDatabase) {
    RecordingSink sink;
    {
        AccountingWriter first(options(conninfo()), nullptr, nullptr);
        ASSERT_TRUE(first.start().has_value());
        ASSERT_TRUE(first.submit(start("s1"), &sink, 1));
        ASSERT_TRUE(first.submit(record(AcctStatus::kInterimUpdate, "s1", 10, 20, 30), &sink, 2));
        ASSERT_TRUE(sink.waitFor(2));
    }
    LiveState live;
    AccountingWriter second(options(conninfo()), &live, nullptr);
    ASSERT_TRUE(second.start().has_value());
    auto counters = live.get(alice_);
    ASSERT_TRUE(counters.has_value());
    EXPECT_EQ(counters->open_sessions, 1u);
    EXPECT_EQ(counters->usage.daily_upload, 10u);
    EXPECT_EQ(counters->usage.monthly_download, 20u);
}

TEST_F(AccountingWriterTest, StaleSessionIsClosedBySweepAndCounted) {
    AccountingWriterOptions o = options(conninfo());
    o.stale_session_s = 60;
    o.sweep_every_ms = 10;
    LiveState live;
    RecordingSink sink;
    AccountingWriter writer(o, &live, nullptr);
    ASSERT_TRUE(writer.start().has_value());
    ASSERT_TRUE(writer.submit(start("old"), &sink, 1));
    ASSERT_TRUE(writer.submit(start("fresh"), &sink, 2));
    ASSERT_TRUE(sink.waitFor(2));
    ASSERT_EQ(live.get(alice_)->open_sessions, 2u);

    sql("UPDATE radacct SET acctupdatetime = now() - interval '2 hours'"
        " WHERE acctuniqueid = 'old'");
    ASSERT_TRUE(eventually([&] { return writer.stats().stale_closed > 0; }));
    EXPECT_EQ(writer.stats().stale_closed, 1u);
    EXPECT_EQ(column("old", "acctterminatecause"), "Stale-Session");
    EXPECT_NE(column("old", "acctstoptime"), "");
    EXPECT_EQ(column("fresh", "acctstoptime"), "");
    EXPECT_EQ(column("fresh", "acctterminatecause"), "");
    auto counters = live.get(alice_);
    ASSERT_TRUE(counters.has_value());
    EXPECT_EQ(counters->open_sessions, 1u);
}

TEST_F(AccountingWriterTest, AutoStaleBoundFollowsTheInterimIntervalSetting) {
    // interim_interval 600 s: bound 720 s. A session silent for 11 minutes stays, one silent
    // for 13 minutes is closed.
    sql("INSERT INTO settings (key, value) VALUES ('interim_interval', '600')");
    AccountingWriterOptions o = options(conninfo());
    o.stale_session_s = AccountingWriterOptions::kStaleAuto;
    o.sweep_every_ms = 10;
    RecordingSink sink;
    AccountingWriter writer(o, nullptr, nullptr);
    ASSERT_TRUE(writer.start().has_value());
    ASSERT_TRUE(writer.submit(start("quiet"), &sink, 1));
    ASSERT_TRUE(writer.submit(start("late"), &sink, 2));
    ASSERT_TRUE(sink.waitFor(2));
    sql("UPDATE radacct SET acctupdatetime = now() - interval '11 minutes'"
        " WHERE acctuniqueid = 'late'");
    sql("UPDATE radacct SET acctupdatetime = now() - interval '13 minutes'"
        " WHERE acctuniqueid = 'quiet'");
    ASSERT_TRUE(eventually([&] { return writer.stats().stale_closed > 0; }));
    EXPECT_EQ(column("quiet", "acctterminatecause"), "Stale-Session");
    EXPECT_EQ(column("late", "acctstoptime"), "");
}

TEST_F(AccountingWriterTest, StaleSweepWaitsForTheSpoolThatMayHoldNewerUpdates) {
    // The database was down for longer than the stale bound while the NAS kept sending
    // Interims (spooled). Sweeping before the spool is replayed would close live sessions,
    // release their addresses, and then ignore their spooled Interims (after a Stop).
    RecordingSink sink;
    {
        AccountingWriter up(options(conninfo()), nullptr, nullptr);
        ASSERT_TRUE(up.start().has_value());
        ASSERT_TRUE(up.submit(start("s1"), &sink, 1));
        ASSERT_TRUE(sink.waitFor(1));
    }
    sql("UPDATE radacct SET acctupdatetime = now() - interval '2 hours'"
        " WHERE acctuniqueid = 's1'");
    {
        AccountingWriter down(options("host=127.0.0.1 port=1 user=nobody dbname=nothing"), nullptr,
                              nullptr);
        ASSERT_TRUE(down.start().has_value());
        ASSERT_TRUE(down.submit(start("other"), &sink, 2));
        ASSERT_TRUE(sink.waitFor(2));
        ASSERT_TRUE(
            down.submit(record(AcctStatus::kInterimUpdate, "s1", 4000, 8000, 7200), &sink, 3));
        ASSERT_TRUE(sink.waitFor(3));
        ASSERT_EQ(down.stats().spooled_batches, 2u);
    }

    AccountingWriterOptions o = options(conninfo());
    o.stale_session_s = 60;
    o.sweep_every_ms = 10;
    AccountingWriter back(o, nullptr, nullptr);
    ASSERT_TRUE(back.start().has_value());
    ASSERT_TRUE(eventually([&] { return back.stats().spool_pending_batches == 0; }));
    // A session that is stale for sure: once it is closed, a sweep ran after the replay.
    sql("UPDATE radacct SET acctupdatetime = now() - interval '2 hours'"
        " WHERE acctuniqueid = 'other'");
    ASSERT_TRUE(eventually([&] { return back.stats().stale_closed > 0; }));
    EXPECT_EQ(back.stats().stale_closed, 1u);
    EXPECT_EQ(column("other", "acctterminatecause"), "Stale-Session");
    EXPECT_EQ(column("s1", "acctterminatecause"), "");
    EXPECT_EQ(column("s1", "acctstoptime"), "");
    EXPECT_EQ(column("s1", "acctinputoctets"), "4000");
    EXPECT_EQ(column("s1", "acctoutputoctets"), "8000");
}

TEST_F(AccountingWriterTest, StartFailsNamingAnUnusableSpoolDirectory) {
    AccountingWriterOptions o = options(conninfo());
    o.spool_dir = "/proc/gh-no-such-dir/spool";
    AccountingWriter writer(o, nullptr, nullptr);
    auto started = writer.start();
    ASSERT_FALSE(started.has_value());
    EXPECT_NE(started.error().find("/proc/gh-no-such-dir/spool"), std::string::npos)
        << started.error();
}

TEST_F(AccountingWriterTest, UriConninfoConnects) {
    // docs/store.md: --db takes a postgresql:// URI too; the writer adds its connect timeout
    // as a query parameter then (a " key=value" tail would make the URI unparsable).
    const std::string uri = "postgresql:///" + std::string(conn().dbname()) +
                            "?host=" + conn().hostname() + "&port=" + conn().port() +
                            "&user=" + conn().username();
    RecordingSink sink;
    AccountingWriter writer(options(uri), nullptr, nullptr);
    ASSERT_TRUE(writer.start().has_value());
    EXPECT_TRUE(writer.stats().database_up) << uri;
    ASSERT_TRUE(writer.submit(start("s1"), &sink, 1));
    ASSERT_TRUE(sink.waitFor(1));
    EXPECT_EQ(writer.stats().committed_records, 1u);
    EXPECT_EQ(writer.stats().spooled_records, 0u);
    EXPECT_EQ(sessions("s1"), 1);
}

TEST_F(AccountingWriterTest, CorruptValuesAreCommittedNotSpooled) {
    // A batch the database refuses would be spooled and then fail every replay, so nothing a
    // NAS can send may make a batch fail: counters beyond bigint saturate (also summed over
    // sessions and batches), text is cleaned, odd times land in the default partition.
    LiveState live;
    RecordingSink sink;
    AccountingWriter writer(options(conninfo()), &live, nullptr);
    ASSERT_TRUE(writer.start().has_value());
    auto odd = record(AcctStatus::kInterimUpdate, "h1", UINT64_MAX, UINT64_MAX, UINT32_MAX);
    odd.username = std::string("al\xff\xfe\0ce", 7);
    odd.session_id = std::string("s\0x", 3);
    odd.event_time = 0;
    auto future = record(AcctStatus::kInterimUpdate, "h2", 10, 10, 10);
    future.event_time = 4294967295;  // 2106
    ASSERT_TRUE(writer.submit(std::move(odd), &sink, 1));
    ASSERT_TRUE(writer.submit(std::move(future), &sink, 2));
    ASSERT_TRUE(sink.waitFor(2));
    // Two sessions at the maximum on one day: in one batch, then in the next.
    ASSERT_TRUE(
        writer.submit(record(AcctStatus::kInterimUpdate, "h3", UINT64_MAX, 1, 10), &sink, 3));
    ASSERT_TRUE(
        writer.submit(record(AcctStatus::kInterimUpdate, "h4", UINT64_MAX, 1, 10), &sink, 4));
    ASSERT_TRUE(sink.waitFor(4));
    ASSERT_TRUE(
        writer.submit(record(AcctStatus::kInterimUpdate, "h5", UINT64_MAX, 1, 10), &sink, 5));
    ASSERT_TRUE(sink.waitFor(5));

    const AccountingWriterStats s = writer.stats();
    EXPECT_EQ(s.committed_records, 5u);
    EXPECT_EQ(s.spooled_records, 0u);
    EXPECT_EQ(count("SELECT count(*) FROM radacct"), 5);
    EXPECT_EQ(column("h3", "acctinputoctets"), "9223372036854775807");
    auto counters = live.get(alice_);
    ASSERT_TRUE(counters.has_value());
    EXPECT_EQ(counters->usage.daily_upload, uint64_t{INT64_MAX});
    EXPECT_EQ(counters->usage.monthly_upload, uint64_t{INT64_MAX});
    EXPECT_EQ(counters->usage.daily_download, 3u);
}

}  // namespace
}  // namespace gatehouse::store

namespace gatehouse::store {
namespace {

/// PostgreSQL refuses any radacct row of user "poison" (a stand-in for a record the schema
/// rejects for its content): RAISE gives SQLSTATE P0001, a permanent error.
void installPoisonTrigger(pqxx::connection& c) {
    pqxx::work txn(c);
    txn.exec(R"SQL(
        CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.username = 'poison' THEN RAISE EXCEPTION 'poison refused'; END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER refuse_poison BEFORE INSERT ON radacct
            FOR EACH ROW EXECUTE FUNCTION refuse_poison();
    )SQL");
    txn.commit();
}

TEST_F(AccountingWriterTest, ARecordRefusedForItsContentIsQuarantinedAndTheRestCommitted) {
    installPoisonTrigger(conn());
    RecordingSink sink;
    AccountingWriter writer(options(conninfo()), nullptr, nullptr);
    ASSERT_TRUE(writer.start().has_value());
    sink.closeGate();  // the three land in one batch
    ASSERT_TRUE(writer.submit(start("warmup"), &sink, 0));
    AccountingRecord poison = start("p1");
    poison.username = "poison";
    ASSERT_TRUE(writer.submit(start("g1"), &sink, 1));
    ASSERT_TRUE(writer.submit(std::move(poison), &sink, 2));
    ASSERT_TRUE(writer.submit(start("g2"), &sink, 3));
    sink.openGate();
    ASSERT_TRUE(sink.waitFor(4));
    for (const auto& [token, flags] : sink.acks())
        EXPECT_EQ(flags, std::vector<bool>{true}) << "token " << token;
    EXPECT_EQ(sessions("g1"), 1);
    EXPECT_EQ(sessions("g2"), 1);
    EXPECT_EQ(sessions("p1"), 0);
    const AccountingWriterStats s = writer.stats();
    EXPECT_EQ(s.quarantined, 1u);
    EXPECT_EQ(s.spooled_records, 0u);
    EXPECT_TRUE(s.database_up);
    std::ifstream q(spoolDir() + "/quarantine.jsonl");
    std::string line, all;
    int lines = 0;
    while (std::getline(q, line)) {
        ++lines;
        all += line;
    }
    EXPECT_EQ(lines, 1);
    EXPECT_NE(all.find("\"username\":\"poison\""), std::string::npos) << all;
    EXPECT_NE(all.find("poison refused"), std::string::npos) << all;
}

TEST_F(AccountingWriterTest, ASpooledFrameWithARefusedRecordDoesNotBlockTheReplay) {
    RecordingSink sink;
    {
        AccountingWriter down(options("host=127.0.0.1 port=1 user=nobody dbname=nothing"), nullptr,
                              nullptr);
        ASSERT_TRUE(down.start().has_value());
        AccountingRecord poison = start("p1");
        poison.username = "poison";
        sink.closeGate();
        ASSERT_TRUE(down.submit(start("warmup"), &sink, 0));
        ASSERT_TRUE(down.submit(start("g1"), &sink, 1));
        ASSERT_TRUE(down.submit(std::move(poison), &sink, 2));
        sink.openGate();
        ASSERT_TRUE(sink.waitFor(3));
    }
    installPoisonTrigger(conn());
    AccountingWriter up(options(conninfo()), nullptr, nullptr);
    ASSERT_TRUE(up.start().has_value());
    ASSERT_TRUE(eventually([&] { return up.stats().spool_pending_batches == 0; }));
    EXPECT_EQ(sessions("warmup"), 1);
    EXPECT_EQ(sessions("g1"), 1);
    EXPECT_EQ(sessions("p1"), 0);
    EXPECT_EQ(up.stats().quarantined, 1u);
    // The good record is not held hostage, and a new one after it commits directly.
    RecordingSink later;
    ASSERT_TRUE(up.submit(start("g2"), &later, 9));
    ASSERT_TRUE(later.waitFor(1));
    EXPECT_EQ(sessions("g2"), 1);
}

}  // namespace
}  // namespace gatehouse::store

namespace gatehouse::store {
namespace {

// Another radius node's writer (here: a second writer on the same database, its own spool)
// opens a session for alice; this node's LiveState learns of it by the periodic reload.
TEST_F(AccountingWriterTest, PeriodicReloadBringsInSessionsOtherNodesOpened) {
    LiveState live;
    AccountingWriterOptions mine = options(conninfo());
    mine.live_reload_ms = 50;
    AccountingWriter writer(mine, &live, nullptr);
    ASSERT_TRUE(writer.start().has_value());
    EXPECT_FALSE(live.get(alice_).has_value());

    AccountingWriterOptions theirs = options(conninfo());
    theirs.spool_dir = temp_dir_ + "/other-node-spool";
    AccountingWriter other(theirs, nullptr, nullptr);
    ASSERT_TRUE(other.start().has_value());
    RecordingSink sink;
    ASSERT_TRUE(other.submit(start("elsewhere"), &sink, 1));
    ASSERT_TRUE(sink.waitFor(1));

    ASSERT_TRUE(eventually([&] {
        auto c = live.get(alice_);
        return c.has_value() && c->open_sessions == 1;
    }));
}

// --- lanes (connections > 1): subscribers shared out over threads with their own connections

TEST_F(AccountingWriterTest, LanesCommitEveryUsersRecordsAndKeepLiveStateExact) {
    constexpr int kUsers = 24;
    const std::vector<int64_t> ids = insertUsers(kUsers);
    AccountingWriterOptions o = options(conninfo());
    o.connections = 3;
    LiveState live;
    RecordingSink sink;
    AccountingWriter writer(o, &live, nullptr);
    ASSERT_TRUE(writer.start().has_value());

    // Per user: three sessions started (one per thread, so the lanes see them interleaved),
    // then one stopped with 1000 octets up and 2000 down.
    auto rec = [&](AcctStatus status, int user, int n) {
        AccountingRecord r = record(status, "u" + std::to_string(user) + "-" + std::to_string(n));
        r.username = "u" + std::to_string(user);
        r.subscriber_id = ids[user];
        return r;
    };
    std::vector<std::thread> threads;
    for (int n = 0; n < 3; ++n)
        threads.emplace_back([&, n] {
            for (int u = 0; u < kUsers; ++u)
                ASSERT_TRUE(writer.submit(rec(AcctStatus::kStart, u, n), &sink, u * 10 + n));
        });
    for (std::thread& t : threads)
        t.join();
    ASSERT_TRUE(sink.waitFor(3 * kUsers));
    for (int u = 0; u < kUsers; ++u) {
        AccountingRecord stop = rec(AcctStatus::kStop, u, 0);
        stop.input_octets = 1000;
        stop.output_octets = 2000;
        stop.session_time = 60;
        stop.terminate_cause = "User-Request";
        ASSERT_TRUE(writer.submit(std::move(stop), &sink, 1000 + u));
    }
    ASSERT_TRUE(sink.waitFor(4 * kUsers));

    EXPECT_EQ(count("SELECT count(*) FROM radacct"), 3 * kUsers);
    EXPECT_EQ(count("SELECT count(*) FROM radacct WHERE acctstoptime IS NULL"), 2 * kUsers);
    for (int u = 0; u < kUsers; ++u) {
        auto c = live.get(ids[u]);
        ASSERT_TRUE(c.has_value()) << "u" << u;
        EXPECT_EQ(c->open_sessions, 2u) << "u" << u;
        EXPECT_EQ(c->usage.daily_upload, 1000u) << "u" << u;
        EXPECT_EQ(c->usage.daily_download, 2000u) << "u" << u;
    }
    const AccountingWriterStats s = writer.stats();
    EXPECT_EQ(s.committed_records, 4u * kUsers);
    EXPECT_EQ(s.queue_depth, 0u);
    for (const auto& [token, flags] : sink.acks())
        EXPECT_EQ(flags, std::vector<bool>{true}) << "token " << token;
}

TEST_F(AccountingWriterTest, AccountingOnWithLanesComesAfterEveryEarlierRecordAndBeforeLaterOnes) {
    constexpr int kUsers = 16;
    const std::vector<int64_t> ids = insertUsers(kUsers);
    AccountingWriterOptions o = options(conninfo());
    o.connections = 4;
    RecordingSink sink;
    AccountingWriter writer(o, nullptr, nullptr);
    ASSERT_TRUE(writer.start().has_value());
    const int64_t t = unixNow();
    auto startOf = [&](int user, const std::string& uid) {
        AccountingRecord r = record(AcctStatus::kStart, uid);
        r.username = "u" + std::to_string(user);
        r.subscriber_id = ids[user];
        r.event_time = t;
        return r;
    };

    // The lanes are held inside their first acknowledgement, so the "before" Starts are still
    // queued in the lanes when the Accounting-On arrives; the "after" Starts come behind it.
    sink.closeGate();
    for (int u = 0; u < kUsers; ++u)
        ASSERT_TRUE(writer.submit(startOf(u, "before-" + std::to_string(u)), &sink, u));
    AccountingRecord on = record(AcctStatus::kAccountingOn, "");
    on.unique_id.clear();
    on.session_id.clear();
    on.event_time = t;
    ASSERT_TRUE(writer.submit(std::move(on), &sink, 500));
    // Started at the same second as the reboot but after it: they belong to the NAS's new
    // life, which only holds if they are applied after the Accounting-On.
    for (int u = 0; u < kUsers; ++u)
        ASSERT_TRUE(writer.submit(startOf(u, "after-" + std::to_string(u)), &sink, 100 + u));
    sink.openGate();
    ASSERT_TRUE(sink.waitFor(2 * kUsers + 1));

    EXPECT_EQ(count("SELECT count(*) FROM radacct WHERE acctuniqueid LIKE 'before-%'"
                    " AND acctterminatecause = 'NAS-Reboot'"),
              kUsers);
    EXPECT_EQ(count("SELECT count(*) FROM radacct WHERE acctuniqueid LIKE 'after-%'"
                    " AND acctstoptime IS NULL"),
              kUsers);
}

TEST_F(AccountingWriterTest, LanesSpoolWhileTheDatabaseIsDownAndAReplayAppliesEverything) {
    constexpr int kUsers = 20;
    const std::vector<int64_t> ids = insertUsers(kUsers);
    RecordingSink sink;
    {
        AccountingWriterOptions o = options("host=127.0.0.1 port=1 user=nobody dbname=nothing");
        o.connections = 3;
        AccountingWriter down(o, nullptr, nullptr);
        ASSERT_TRUE(down.start().has_value());
        for (int u = 0; u < kUsers; ++u) {
            AccountingRecord r = start("s" + std::to_string(u));
            r.username = "u" + std::to_string(u);
            r.subscriber_id = ids[u];
            ASSERT_TRUE(down.submit(std::move(r), &sink, u));
        }
        ASSERT_TRUE(sink.waitFor(kUsers));
        EXPECT_EQ(down.stats().spooled_records, static_cast<uint64_t>(kUsers));
        EXPECT_EQ(down.stats().lost, 0u);
    }
    for (const auto& [token, flags] : sink.acks())
        EXPECT_EQ(flags, std::vector<bool>{true}) << "token " << token;

    AccountingWriterOptions o = options(conninfo());
    o.connections = 3;
    AccountingWriter up(o, nullptr, nullptr);
    ASSERT_TRUE(up.start().has_value());
    ASSERT_TRUE(eventually([&] { return up.stats().spool_pending_batches == 0; }));
    EXPECT_EQ(up.stats().replayed_records, static_cast<uint64_t>(kUsers));
    EXPECT_EQ(count("SELECT count(*) FROM radacct"), kUsers);
}

TEST_F(AccountingWriterTest, StopWithLanesAcknowledgesEveryLanesQueue) {
    constexpr int kUsers = 12;
    const std::vector<int64_t> ids = insertUsers(kUsers);
    AccountingWriterOptions o = options(conninfo());
    o.connections = 3;
    RecordingSink sink;
    AccountingWriter writer(o, nullptr, nullptr);
    ASSERT_TRUE(writer.start().has_value());
    for (int i = 0; i < 30 * kUsers; ++i) {
        AccountingRecord r = start("s" + std::to_string(i));
        r.username = "u" + std::to_string(i % kUsers);
        r.subscriber_id = ids[i % kUsers];
        ASSERT_TRUE(writer.submit(std::move(r), &sink, i));
    }
    writer.stop();
    EXPECT_EQ(sink.total(), 30u * kUsers);
    EXPECT_EQ(count("SELECT count(*) FROM radacct"), 30 * kUsers);
}

}  // namespace
}  // namespace gatehouse::store
