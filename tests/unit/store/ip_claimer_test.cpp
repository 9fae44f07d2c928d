// The claimer thread behind held Access-Accepts (core/store/ip_claimer.*) and its production
// claim (ipam_claim_function.cpp) against a real PostgreSQL, including PostgreSQL going away:
// a claim then becomes an error the worker turns into a Reject, never a hang or a crash, and
// the next claim after PostgreSQL is back succeeds on a fresh connection.
#include "core/store/ip_claimer.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "core/store/ipam_claim_function.hpp"
#include "core/store/ipam_repository.hpp"
#include "tests/unit/store/pg_fixture.hpp"

namespace gatehouse::store {
namespace {

class CollectingSink : public IpClaimSink {
  public:
    void claimed(uint64_t token, IpClaimResult result) override {
        std::lock_guard lock(mutex_);
        results_[token] = std::move(result);
        cv_.notify_all();
    }
    /// The result for `token`, waiting up to 10 s.
    IpClaimResult await(uint64_t token) {
        std::unique_lock lock(mutex_);
        const bool got = cv_.wait_for(lock, std::chrono::seconds(10),
                                      [&] { return results_.count(token) != 0; });
        EXPECT_TRUE(got) << "no result for token " << token;
        return got ? results_[token] : IpClaimResult{0, "(none)", {}};
    }
    size_t size() {
        std::lock_guard lock(mutex_);
        return results_.size();
    }

  private:
    std::mutex mutex_;
    std::condition_variable cv_;
    std::map<uint64_t, IpClaimResult> results_;
};

IpClaimRequest poolRequest(const std::string& pool, int64_t subscriber) {
    IpClaimRequest r;
    r.pool = pool;
    r.subscriber_id = subscriber;
    return r;
}

TEST(IpClaimer, EveryClaimIsAnsweredWithItsTokenAndStopAnswersWhatIsQueued) {
    std::mutex gate;
    gate.lock();  // the first claim waits until everything is queued
    int calls = 0;
    IpClaimer claimer([&](const IpClaimRequest& r) {
        if (calls++ == 0) {
            std::lock_guard wait(gate);
        }
        return IpClaimResult{static_cast<uint32_t>(r.subscriber_id), {}, {}};
    });
    claimer.start();
    CollectingSink sink;
    for (uint64_t t = 1; t <= 5; ++t)
        ASSERT_TRUE(claimer.submit(poolRequest("p", static_cast<int64_t>(t * 10)), &sink, t));
    gate.unlock();
    claimer.stop();
    ASSERT_EQ(sink.size(), 5u);
    for (uint64_t t = 1; t <= 5; ++t)
        EXPECT_EQ(sink.await(t).ip, t * 10);
    EXPECT_FALSE(claimer.submit(poolRequest("p", 1), &sink, 6)) << "stopped: nothing is taken";
}

TEST(IpClaimer, AFullQueueRefusesInsteadOfGrowing) {
    std::mutex gate;
    gate.lock();
    IpClaimerOptions options;
    options.queue_max = 2;
    IpClaimer claimer(
        [&](const IpClaimRequest&) {
            std::lock_guard wait(gate);
            return IpClaimResult{1, {}, {}};
        },
        options);
    CollectingSink sink;
    // Not started: nothing leaves the queue.
    EXPECT_TRUE(claimer.submit(poolRequest("p", 1), &sink, 1));
    EXPECT_TRUE(claimer.submit(poolRequest("p", 2), &sink, 2));
    EXPECT_FALSE(claimer.submit(poolRequest("p", 3), &sink, 3));
    gate.unlock();
    claimer.start();
    claimer.stop();
    EXPECT_EQ(sink.size(), 2u);
}

TEST(IpClaimer, LanesClaimSideBySideAndKeepOneSubscriberOnOneLane) {
    std::mutex gate;
    gate.lock();  // holds every claim of subscriber 2 (lane 0 of 2)
    std::atomic<int> made{0};
    std::mutex seen_mutex;
    std::map<int64_t, std::set<int>> lanes_seen;  // subscriber -> lanes that claimed for it
    IpClaimer claimer(
        [&]() -> ClaimFunction {
            const int lane = made++;
            return [&, lane](const IpClaimRequest& r) {
                {
                    std::lock_guard lock(seen_mutex);
                    lanes_seen[r.subscriber_id].insert(lane);
                }
                if (r.subscriber_id == 2) {
                    std::lock_guard wait(gate);
                }
                return IpClaimResult{static_cast<uint32_t>(r.subscriber_id), {}, {}};
            };
        },
        2);
    ASSERT_EQ(claimer.lanes(), 2u);
    EXPECT_EQ(made.load(), 2) << "one claim function (one connection) per lane";
    claimer.start();
    CollectingSink sink;
    ASSERT_TRUE(claimer.submit(poolRequest("p", 2), &sink, 1));
    ASSERT_TRUE(claimer.submit(poolRequest("p", 3), &sink, 2));
    ASSERT_TRUE(claimer.submit(poolRequest("p", 5), &sink, 3));
    // Subscriber 2's lane is stuck; the other lane answers 3 and 5 meanwhile.
    EXPECT_EQ(sink.await(2).ip, 3u);
    EXPECT_EQ(sink.await(3).ip, 5u);
    EXPECT_EQ(sink.size(), 2u);
    gate.unlock();
    EXPECT_EQ(sink.await(1).ip, 2u);
    ASSERT_TRUE(claimer.submit(poolRequest("p", 2), &sink, 4));
    EXPECT_EQ(sink.await(4).ip, 2u);
    claimer.stop();
    std::lock_guard lock(seen_mutex);
    EXPECT_EQ(lanes_seen[2].size(), 1u);
    EXPECT_NE(*lanes_seen[2].begin(), *lanes_seen[3].begin());
}

TEST(IpClaimer, AClaimThatThrowsIsAnsweredAsDatabaseUnavailable) {
    // What the production claim does when it cannot connect: libpqxx throws from the
    // connection's constructor.
    IpClaimer claimer(makeIpamClaimFunction("host=127.0.0.1 port=1 connect_timeout=2"));
    claimer.start();
    CollectingSink sink;
    ASSERT_TRUE(claimer.submit(poolRequest("office", 7), &sink, 1));
    const IpClaimResult r = sink.await(1);
    EXPECT_EQ(r.ip, 0u);
    EXPECT_EQ(r.error.rfind("database unavailable: ", 0), 0u) << r.error;
}

class IpamClaimFunction : public testing::PgTest {
  protected:
    void pool(const std::string& name, const std::string& ranges) {
        PoolInput in;
        in.name = name;
        in.ranges = ranges;
        ASSERT_TRUE(upsertPool(conn(), in).has_value());
    }
    /// Ends every other connection to this test's database, as a PostgreSQL restart would, and
    /// waits (up to 10 s) until those backends are gone: pg_terminate_backend only signals.
    void terminateOthers() {
        const std::string others =
            " FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            " AND backend_type = 'client backend'";
        sql("SELECT pg_terminate_backend(pid)" + others);
        for (int i = 0; i < 1000 && sql("SELECT count(*)" + others)[0][0].as<int>() > 0; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        ASSERT_EQ(sql("SELECT count(*)" + others)[0][0].as<int>(), 0);
    }
};

TEST_F(IpamClaimFunction, ClaimsAPoolAddressAndReportsExhaustion) {
    pool("office", "10.77.0.10");
    const int64_t alice = insertSubscriber("alice");
    const int64_t bob = insertSubscriber("bob");
    ClaimFunction claim = makeIpamClaimFunction(conninfo());
    EXPECT_EQ(claim(poolRequest("office", alice)).ip, 0x0a4d000au);
    const IpClaimResult none = claim(poolRequest("office", bob));
    EXPECT_EQ(none.ip, 0u);
    EXPECT_EQ(none.error, "pool 'office': exhausted");
}

TEST_F(IpamClaimFunction, StaticRequestsGoThroughTheConflictCheck) {
    pool("lan", "10.78.0.5-10.78.0.6");
    const int64_t dave = insertSubscriber("dave");
    const int64_t erin = insertSubscriber("erin");
    sql("INSERT INTO radacct (acctsessionid, acctuniqueid, username, subscriber_id, nasipaddress,"
        " framedipaddress, acctstarttime, acctupdatetime) VALUES ('e-1', 'e-1', 'erin', " +
        std::to_string(erin) + ", '192.0.2.1', '10.78.0.5', now(), now())");
    ClaimFunction claim = makeIpamClaimFunction(conninfo());
    IpClaimRequest r;
    r.address = "10.78.0.5";
    r.subscriber_id = dave;
    r.static_attempts = 2;
    r.static_subnet = "10.78.0.0/24";
    const IpClaimResult first = claim(r);
    EXPECT_EQ(first.ip, 0u);
    EXPECT_EQ(first.error,
              "static ip conflict: 10.78.0.5 is in use by erin session e-1 (login 1 of 2)");
    const IpClaimResult second = claim(r);
    EXPECT_EQ(second.ip, 0x0a4e0006u);
    EXPECT_EQ(second.note,
              "static=10.78.0.5 holder=\"erin session e-1\" login=2 assigned=10.78.0.6");
}

TEST_F(IpamClaimFunction, AConnectionPostgresClosedIsReplacedBeforeTheNextClaim) {
    pool("office", "10.77.0.10-10.77.0.11");
    const int64_t alice = insertSubscriber("alice");
    const int64_t bob = insertSubscriber("bob");
    ClaimFunction claim = makeIpamClaimFunction(conninfo());
    EXPECT_NE(claim(poolRequest("office", alice)).ip, 0u);
    terminateOthers();  // the claimer's connection, idle between two logins
    const IpClaimResult after = claim(poolRequest("office", bob));
    EXPECT_NE(after.ip, 0u) << after.error;
    EXPECT_EQ(
        sql("SELECT count(*) FROM ip_pool_assignments WHERE status = 'in_use'")[0][0].as<int>(), 2);
}

}  // namespace
}  // namespace gatehouse::store
