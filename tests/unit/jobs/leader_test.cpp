// Leader election against a real PostgreSQL (tests/unit/store/pg_fixture.hpp): each test has
// its own database, and advisory locks are per database, so tests never see each other's lock.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/jobs/leader.hpp"
#include "tests/unit/store/pg_fixture.hpp"

namespace gatehouse::jobs {
namespace {

using store::testing::PgTest;
using namespace std::chrono_literals;

// Polls `done` until it holds or `limit` passes.
bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit = 15s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        std::this_thread::sleep_for(10ms);
    }
    return true;
}

// One Leader plus what its callbacks and log saw.
struct Candidate {
    explicit Candidate(const std::string& conninfo, int retry_ms = 100) {
        LeaderOptions o;
        o.conninfo = conninfo;
        o.retry_ms = retry_ms;
        o.on_gain = [this] { ++gained; };
        o.on_lose = [this] { ++lost; };
        o.log = [this](std::string_view line) {
            std::lock_guard lock(mutex);
            lines.emplace_back(line);
        };
        leader = std::make_unique<Leader>(std::move(o));
    }
    bool logged(std::string_view prefix) {
        std::lock_guard lock(mutex);
        for (const auto& l : lines)
            if (l.rfind(prefix, 0) == 0)
                return true;
        return false;
    }

    std::atomic<int> gained{0};
    std::atomic<int> lost{0};
    std::mutex mutex;
    std::vector<std::string> lines;
    std::unique_ptr<Leader> leader;
};

class LeaderElection : public PgTest {
  protected:
    // The backend holding the leader lock in this test's database, or 0.
    int lockHolderPid() {
        const auto key = static_cast<uint64_t>(kLeaderLockKey);
        auto r =
            sql("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                " AND classid::bigint = " +
                std::to_string(key >> 32) +
                " AND objid::bigint = " + std::to_string(key & 0xffffffffu) + " AND objsubid = 1");
        return r.empty() ? 0 : r[0][0].as<int>();
    }
};

TEST_F(LeaderElection, TwoCandidatesOnOneDatabaseElectExactlyOne) {
    Candidate a(conninfo()), b(conninfo());
    a.leader->start();
    b.leader->start();
    // Both have tried at least once: one holds the lock, the other said it follows.
    ASSERT_TRUE(eventually([&] {
        return (a.leader->isLeader() && b.logged("jobs.leader.following")) ||
               (b.leader->isLeader() && a.logged("jobs.leader.following"));
    }));
    EXPECT_NE(a.leader->isLeader(), b.leader->isLeader());
    EXPECT_EQ(a.gained + b.gained, 1);
    EXPECT_EQ(a.lost + b.lost, 0);
    EXPECT_NE(lockHolderPid(), 0);
}

TEST_F(LeaderElection, KilledLeaderSessionHandsLeadershipToTheOther) {
    Candidate a(conninfo());
    a.leader->start();
    ASSERT_TRUE(eventually([&] { return a.leader->isLeader(); }));
    Candidate b(conninfo());
    b.leader->start();
    ASSERT_TRUE(eventually([&] { return b.logged("jobs.leader.following"); }));
    ASSERT_FALSE(b.leader->isLeader());

    const int pid = lockHolderPid();
    ASSERT_NE(pid, 0);
    sql("SELECT pg_terminate_backend(" + std::to_string(pid) + ")");

    ASSERT_TRUE(eventually([&] { return b.leader->isLeader(); }));
    EXPECT_FALSE(a.leader->isLeader());
    EXPECT_EQ(a.lost, 1);
    EXPECT_TRUE(a.logged("jobs.leader.lost"));
    EXPECT_EQ(b.gained, 1);
    // The old leader reconnects and follows: it does not take the lock back.
    ASSERT_TRUE(eventually([&] { return a.logged("jobs.leader.following"); }));
    EXPECT_FALSE(a.leader->isLeader());
    EXPECT_EQ(a.gained, 1);
}

TEST_F(LeaderElection, StoppedLeaderFreesTheLockForTheOther) {
    Candidate a(conninfo());
    a.leader->start();
    ASSERT_TRUE(eventually([&] { return a.leader->isLeader(); }));
    Candidate b(conninfo());
    b.leader->start();
    ASSERT_TRUE(eventually([&] { return b.logged("jobs.leader.following"); }));

    a.leader->stop();
    EXPECT_FALSE(a.leader->isLeader());
    EXPECT_EQ(a.lost, 1);
    ASSERT_TRUE(eventually([&] { return b.leader->isLeader(); }));
}

TEST_F(LeaderElection, UnreachableDatabaseIsNeverLeaderAndIsLogged) {
    Candidate a("host=/nonexistent-gh-dir port=1 dbname=none connect_timeout=1");
    a.leader->start();
    ASSERT_TRUE(eventually([&] { return a.logged("jobs.leader.db_error"); }));
    EXPECT_FALSE(a.leader->isLeader());
    a.leader->stop();
    EXPECT_EQ(a.gained, 0);
    EXPECT_EQ(a.lost, 0);
}

TEST(LeaderTimeouts, AddsKeepalivesToAKeyValueConninfoOnly) {
    EXPECT_EQ(withLeaderTimeouts("host=db dbname=gh", 2000),
              "host=db dbname=gh connect_timeout=5 keepalives=1 keepalives_idle=5 "
              "keepalives_interval=2 keepalives_count=3 tcp_user_timeout=10000");
    EXPECT_EQ(withLeaderTimeouts("host=db connect_timeout=2 tcp_user_timeout=3000", 2000),
              "host=db connect_timeout=2 tcp_user_timeout=3000");
    EXPECT_EQ(withLeaderTimeouts("host=db connect_timeout=2", 5000),
              "host=db connect_timeout=2 keepalives=1 keepalives_idle=5 keepalives_interval=2 "
              "keepalives_count=3 tcp_user_timeout=15000");
    EXPECT_EQ(withLeaderTimeouts("postgresql://u@db/gh", 2000), "postgresql://u@db/gh");
}

}  // namespace
}  // namespace gatehouse::jobs
