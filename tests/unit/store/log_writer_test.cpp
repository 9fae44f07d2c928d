#include "core/store/log_writer.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "tests/unit/store/pg_fixture.hpp"

namespace gatehouse::store {
namespace {

using testing::PgTest;

LogEvent logEvent(int64_t at_ms, std::string event, std::string username, uint32_t nas_ip,
                  std::string reason, std::string detail) {
    LogEvent e;
    e.at_ms = at_ms;
    e.event = std::move(event);
    e.username = std::move(username);
    e.nas_ip = nas_ip;
    e.reason = std::move(reason);
    e.detail = std::move(detail);
    return e;
}

LogWriterOptions optionsFor(const std::string& conninfo) {
    LogWriterOptions o;
    o.conninfo = conninfo;
    o.queue_capacity = 1024;
    o.writers = 2;
    o.batch_max = 100;
    return o;
}

// Polls (no fixed sleep) until `done` or a generous deadline; returns done().
bool eventually(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

class LogWriterTest : public PgTest {};

TEST_F(LogWriterTest, PushedEventsArriveWithEveryField) {
    LogWriter writer(optionsFor(conninfo()));
    writer.start();
    ASSERT_TRUE(writer.push(logEvent(1700000000123, "accept", "alice", 0x0a000005, "",
                                     R"({"tier":1,"ip":"10.0.0.5"})")));
    ASSERT_TRUE(writer.push(
        logEvent(1700000001999, "reject", "b\"o\\b,{x} ü", 0xc0a80101, "bad \"password\"", "")));
    ASSERT_TRUE(writer.push(logEvent(1700000002000, "acct-on", "", 0, "", "")));
    writer.stop();

    auto r = sql(
        "SELECT (extract(epoch FROM at) * 1000)::bigint, username, host(nas_ip), event, reason, "
        "detail::text, username IS NULL, nas_ip IS NULL, detail IS NULL "
        "FROM radius_logs ORDER BY at");  // two writers may commit out of push order
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r[0][0].as<int64_t>(), 1700000000123);
    EXPECT_EQ(r[0][1].as<std::string>(), "alice");
    EXPECT_EQ(r[0][2].as<std::string>(), "10.0.0.5");
    EXPECT_EQ(r[0][3].as<std::string>(), "accept");
    EXPECT_EQ(r[0][4].as<std::string>(), "");
    EXPECT_EQ(r[0][5].as<std::string>(), R"({"ip": "10.0.0.5", "tier": 1})");

    EXPECT_EQ(r[1][0].as<int64_t>(), 1700000001999);
    EXPECT_EQ(r[1][1].as<std::string>(), "b\"o\\b,{x} ü");
    EXPECT_EQ(r[1][2].as<std::string>(), "192.168.1.1");
    EXPECT_EQ(r[1][3].as<std::string>(), "reject");
    EXPECT_EQ(r[1][4].as<std::string>(), "bad \"password\"");
    EXPECT_TRUE(r[1][8].as<bool>());  // "" detail: NULL

    EXPECT_EQ(r[2][0].as<int64_t>(), 1700000002000);
    EXPECT_EQ(r[2][3].as<std::string>(), "acct-on");
    EXPECT_TRUE(r[2][6].as<bool>());  // "" username: NULL
    EXPECT_TRUE(r[2][7].as<bool>());  // nas_ip 0: NULL
    EXPECT_TRUE(r[2][8].as<bool>());

    LogWriterStats s = writer.stats();
    EXPECT_EQ(s.queued, 3u);
    EXPECT_EQ(s.written, 3u);
    EXPECT_EQ(s.failed, 0u);
    EXPECT_EQ(s.dropped, 0u);
    EXPECT_EQ(s.depth, 0u);
    EXPECT_GE(s.batches, 1u);
}

TEST_F(LogWriterTest, UnsetTimestampMeansNow) {
    LogWriter writer(optionsFor(conninfo()));
    writer.start();
    ASSERT_TRUE(writer.push(logEvent(0, "accept", "alice", 0, "", "")));
    writer.stop();
    auto r = sql("SELECT abs(extract(epoch FROM now() - at)) < 600 FROM radius_logs");
    ASSERT_EQ(r.size(), 1u);
    EXPECT_TRUE(r[0][0].as<bool>());
}

TEST_F(LogWriterTest, FullQueueDropsAndCounts) {
    LogWriterOptions o = optionsFor(conninfo());
    o.queue_capacity = 4;
    LogWriter writer(o);  // not started: nothing drains the queue
    int accepted = 0;
    for (int i = 0; i < 10; ++i)
        accepted += writer.push(logEvent(1, "accept", "u" + std::to_string(i), 0, "", "")) ? 1 : 0;
    EXPECT_EQ(accepted, 4);
    LogWriterStats s = writer.stats();
    EXPECT_EQ(s.queued, 4u);
    EXPECT_EQ(s.dropped, 6u);
    EXPECT_EQ(s.depth, 4u);
    EXPECT_EQ(s.written, 0u);
}

TEST_F(LogWriterTest, ConcurrentPushesArriveExactlyOnce) {
    LogWriterOptions o = optionsFor(conninfo());
    o.queue_capacity = 65536;
    o.batch_max = 500;
    LogWriter writer(o);
    writer.start();
    constexpr int kThreads = 4;
    constexpr int kPerThread = 2500;
    std::vector<std::thread> threads;
    std::atomic<int> refused{0};
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&writer, &refused, t] {
            for (int i = 0; i < kPerThread; ++i) {
                std::string name = "t" + std::to_string(t) + "-" + std::to_string(i);
                if (!writer.push(logEvent(1700000000000 + i, "accept", name, 0x0a000001, "", "")))
                    refused.fetch_add(1);
            }
        });
    }
    for (std::thread& t : threads)
        t.join();
    ASSERT_EQ(refused.load(), 0);
    ASSERT_TRUE(eventually([&] { return writer.stats().written == kThreads * kPerThread; }));
    writer.stop();

    auto r = sql("SELECT count(*), count(DISTINCT username) FROM radius_logs");
    EXPECT_EQ(r[0][0].as<int64_t>(), kThreads * kPerThread);
    EXPECT_EQ(r[0][1].as<int64_t>(), kThreads * kPerThread);
    LogWriterStats s = writer.stats();
    EXPECT_EQ(s.queued, static_cast<uint64_t>(kThreads * kPerThread));
    EXPECT_EQ(s.written, static_cast<uint64_t>(kThreads * kPerThread));
    EXPECT_EQ(s.failed, 0u);
    EXPECT_EQ(s.depth, 0u);
}

TEST_F(LogWriterTest, StopWritesWhatIsQueued) {
    LogWriter writer(optionsFor(conninfo()));
    for (int i = 0; i < 250; ++i)
        ASSERT_TRUE(
            writer.push(logEvent(1000 + i, "acct-stop", "u" + std::to_string(i), 0, "", "")));
    writer.start();
    writer.stop();  // no waiting before: stop() itself drains
    EXPECT_EQ(sql("SELECT count(*) FROM radius_logs")[0][0].as<int64_t>(), 250);
    LogWriterStats s = writer.stats();
    EXPECT_EQ(s.written, 250u);
    EXPECT_EQ(s.depth, 0u);
    EXPECT_GE(s.batches, 3u);  // batch_max 100
}

TEST_F(LogWriterTest, BadDetailCostsOnlyThatEvent) {
    LogWriter writer(optionsFor(conninfo()));
    ASSERT_TRUE(writer.push(logEvent(1, "accept", "a", 0, "", "{}")));
    ASSERT_TRUE(writer.push(logEvent(2, "accept", "b", 0, "", "{not json")));
    ASSERT_TRUE(writer.push(logEvent(3, "accept", "c", 0, "", "")));
    writer.start();
    writer.stop();
    auto r = sql("SELECT username FROM radius_logs ORDER BY at");
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0][0].as<std::string>(), "a");
    EXPECT_EQ(r[1][0].as<std::string>(), "c");
    EXPECT_EQ(writer.stats().written, 2u);
    EXPECT_EQ(writer.stats().failed, 1u);
}

TEST_F(LogWriterTest, UnreachableDatabaseCountsFailedAndPushStillAccepts) {
    LogWriterOptions o = optionsFor("host=127.0.0.1 port=1 connect_timeout=1");
    o.writers = 1;
    o.batch_max = 10;
    LogWriter writer(o);
    writer.start();
    for (int i = 0; i < 100; ++i)
        ASSERT_TRUE(writer.push(logEvent(1, "accept", "u", 0, "", "")));
    ASSERT_TRUE(eventually([&] { return writer.stats().failed > 0; }));
    for (int i = 0; i < 100; ++i)
        ASSERT_TRUE(writer.push(logEvent(1, "accept", "u", 0, "", "")));
    writer.stop();
    LogWriterStats s = writer.stats();
    EXPECT_EQ(s.queued, 200u);
    EXPECT_EQ(s.written, 0u);
    EXPECT_EQ(s.failed, 200u);  // nothing is left behind unaccounted
    EXPECT_EQ(s.depth, 0u);
    EXPECT_EQ(s.batches, 0u);
}

TEST_F(LogWriterTest, PruneDeletesOnlyRowsOlderThanRetention) {
    constexpr int64_t kNow = 1800000000;
    sql("INSERT INTO radius_logs (at, username, event) VALUES "
        "(to_timestamp(" +
        std::to_string(kNow - 40 * 86400) +
        "), 'old1', 'accept'), "
        "(to_timestamp(" +
        std::to_string(kNow - 30 * 86400 - 1) +
        "), 'old2', 'accept'), "
        "(to_timestamp(" +
        std::to_string(kNow - 30 * 86400 + 60) +
        "), 'new1', 'accept'), "
        "(to_timestamp(" +
        std::to_string(kNow) + "), 'new2', 'accept')");
    LogWriterOptions o = optionsFor(conninfo());
    o.retention_days = 30;
    LogWriter writer(o);
    EXPECT_EQ(writer.prune(kNow), 2u);
    auto r = sql("SELECT username FROM radius_logs ORDER BY username");
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0][0].as<std::string>(), "new1");
    EXPECT_EQ(r[1][0].as<std::string>(), "new2");
    EXPECT_EQ(writer.stats().pruned, 2u);
    EXPECT_EQ(writer.prune(kNow), 0u);
}

TEST_F(LogWriterTest, PruneWorksThroughManySlices) {
    constexpr int64_t kNow = 1800000000;
    sql("INSERT INTO radius_logs (at, username, event) SELECT to_timestamp(" +
        std::to_string(kNow - 60 * 86400) +
        "), 'u' || g, 'accept' FROM generate_series(1, 25000) g");
    sql("INSERT INTO radius_logs (at, username, event) VALUES (to_timestamp(" +
        std::to_string(kNow) + "), 'keep', 'accept')");
    LogWriter writer(optionsFor(conninfo()));
    EXPECT_EQ(writer.prune(kNow), 25000u);
    EXPECT_EQ(sql("SELECT count(*) FROM radius_logs")[0][0].as<int64_t>(), 1);
}

}  // namespace
}  // namespace gatehouse::store

namespace gatehouse::store::testing {

// max_rate paces the writers: after a batch of 100 at 10 events/s a writer rests ~10 s, so
// the next burst meets a full queue and is dropped and counted instead of being written.
TEST_F(LogWriterTest, RateCapMakesABurstDropInsteadOfWriting) {
    LogWriterOptions o = optionsFor(conninfo());
    o.queue_capacity = 100;
    o.writers = 1;
    o.batch_max = 1000;
    o.max_rate = 10;
    LogWriter writer(o);
    writer.start();
    for (int i = 0; i < 100; ++i)
        ASSERT_TRUE(writer.push(logEvent(1, "accept", "a" + std::to_string(i), 0, "", "")));
    ASSERT_TRUE(eventually([&] { return writer.stats().written == 100; }));
    int accepted = 0;
    for (int i = 0; i < 150; ++i)
        accepted += writer.push(logEvent(1, "accept", "b" + std::to_string(i), 0, "", "")) ? 1 : 0;
    EXPECT_EQ(accepted, 100);
    EXPECT_EQ(writer.stats().dropped, 50u);
    EXPECT_EQ(writer.stats().written, 100u);  // resting: the second burst waits in the queue
    writer.stop();                            // stop() does not wait out the pacing
    EXPECT_EQ(writer.stats().written, 200u);
}

}  // namespace gatehouse::store::testing
