// Scheduler: jobs run only while leader, failures are logged with the job's name, stop() is
// prompt; and with real Leaders on PostgreSQL, only the leader's jobs run.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/jobs/leader.hpp"
#include "core/jobs/scheduler.hpp"
#include "tests/unit/store/pg_fixture.hpp"

namespace gatehouse::jobs {
namespace {

using namespace std::chrono_literals;

bool eventually(const std::function<bool()>& done, std::chrono::milliseconds limit = 15s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline)
            return false;
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

struct Log {
    std::mutex mutex;
    std::vector<std::string> lines;
    SchedulerOptions options() {
        return SchedulerOptions{[this](std::string_view l) {
            std::lock_guard lock(mutex);
            lines.emplace_back(l);
        }};
    }
    size_t count(std::string_view line) {
        std::lock_guard lock(mutex);
        size_t n = 0;
        for (const auto& l : lines)
            n += l == line;
        return n;
    }
};

// A job that counts its runs and whether any ran while it should not have.
struct Counter {
    std::atomic<int> runs{0};
    std::atomic<bool> running{false};
    std::atomic<int> ran_cancelled{0};
    Job job(std::string name, std::chrono::milliseconds interval) {
        Job j;
        j.name = std::move(name);
        j.interval = interval;
        j.run = [this](const JobContext& ctx) {
            running = true;
            if (ctx.cancelled())
                ++ran_cancelled;
            ++runs;
            running = false;
        };
        return j;
    }
};

TEST(Scheduler, RunsNothingUntilLeaderAndStopsRunningWhenLeadershipIsLost) {
    Counter c;
    Scheduler s;
    s.add(c.job("tick", 1ms));
    s.start();
    // Not leader: a 1 ms job would have run dozens of times by now.
    std::this_thread::sleep_for(50ms);
    EXPECT_EQ(c.runs, 0);

    s.setLeader(true);
    ASSERT_TRUE(eventually([&] { return c.runs >= 3; }));
    s.setLeader(false);
    ASSERT_TRUE(eventually([&] { return !c.running; }));
    const int after_loss = c.runs;
    std::this_thread::sleep_for(50ms);
    EXPECT_LE(c.runs, after_loss + 1);  // at most the run that had started when we looked
    EXPECT_EQ(c.ran_cancelled, 0);
    s.stop();
}

TEST(Scheduler, GainingLeadershipRunsRunOnGainJobsAtOnce) {
    Counter now_job, later_job;
    Scheduler s;
    s.add(now_job.job("now", 1h));
    Job later = later_job.job("later", 1h);
    later.run_on_gain = false;
    s.add(std::move(later));
    s.start();
    s.setLeader(true);
    ASSERT_TRUE(eventually([&] { return now_job.runs == 1; }));
    std::this_thread::sleep_for(20ms);
    EXPECT_EQ(now_job.runs, 1);  // next one due in an hour
    EXPECT_EQ(later_job.runs, 0);
    s.stop();
}

TEST(Scheduler, AFailingJobIsLoggedWithItsNameAndRunsAgain) {
    Log log;
    Scheduler s(log.options());
    std::atomic<int> tries{0};
    Job j;
    j.name = "exploder";
    j.interval = 1ms;
    j.run = [&](const JobContext&) {
        ++tries;
        throw std::runtime_error("boom\nsecond line");
    };
    s.add(std::move(j));
    Counter other;
    s.add(other.job("other", 1ms));
    s.start();
    s.setLeader(true);
    ASSERT_TRUE(eventually([&] { return tries >= 2 && other.runs >= 2; }));
    s.stop();
    EXPECT_GE(log.count("jobs.job.failed name=exploder error=\"boom second line\""), 2u);
    const auto stats = s.stats();
    ASSERT_EQ(stats.size(), 2u);
    EXPECT_EQ(stats[0].name, "exploder");
    EXPECT_EQ(stats[0].failures, stats[0].runs);
    EXPECT_EQ(stats[0].last_error, "boom second line");
    EXPECT_EQ(stats[1].failures, 0u);
}

TEST(Scheduler, StopCancelsARunningJobAndReturns) {
    Scheduler s;
    std::atomic<bool> started{false}, saw_cancel{false};
    Job j;
    j.name = "long";
    j.interval = 1h;
    j.run = [&](const JobContext& ctx) {
        started = true;
        while (!ctx.cancelled())
            std::this_thread::sleep_for(1ms);
        saw_cancel = true;
    };
    s.add(std::move(j));
    s.start();
    s.setLeader(true);
    ASSERT_TRUE(eventually([&] { return started.load(); }));
    s.stop();  // would hang if the job never saw cancelled()
    EXPECT_TRUE(saw_cancel);
}

TEST(Scheduler, StopWithoutLeadershipReturns) {
    Scheduler s;
    Counter c;
    s.add(c.job("tick", 1ms));
    s.start();
    s.stop();
    EXPECT_EQ(c.runs, 0);
}

class SchedulerWithLeader : public store::testing::PgTest {};

// A Leader driving a Scheduler, as `gatehouse serve --roles jobs` wires them.
struct Node {
    Node(const std::string& conninfo) {
        scheduler.add(counter.job("tick", 5ms));
        LeaderOptions o;
        o.conninfo = conninfo;
        o.retry_ms = 100;
        o.on_gain = [this] { scheduler.setLeader(true); };
        o.on_lose = [this] { scheduler.setLeader(false); };
        o.log = [this](std::string_view line) {
            if (line.rfind("jobs.leader.following", 0) == 0)
                following = true;
        };
        leader = std::make_unique<Leader>(std::move(o));
        scheduler.start();
        leader->start();
    }
    ~Node() {
        leader->stop();
        scheduler.stop();
    }
    Counter counter;
    Scheduler scheduler;
    std::atomic<bool> following{false};
    std::unique_ptr<Leader> leader;
};

TEST_F(SchedulerWithLeader, OnlyTheLeadersJobsRunAndTheyMoveWithLeadership) {
    auto a = std::make_unique<Node>(conninfo());
    ASSERT_TRUE(eventually([&] { return a->counter.runs >= 3; }));
    Node b(conninfo());
    ASSERT_TRUE(eventually([&] { return b.following.load(); }));  // b tried the lock, lost
    EXPECT_TRUE(a->leader->isLeader());
    EXPECT_FALSE(b.leader->isLeader());
    EXPECT_EQ(b.counter.runs, 0);

    a.reset();  // the leader goes away: its session ends, the lock is free
    ASSERT_TRUE(eventually([&] { return b.counter.runs >= 3; }));
    EXPECT_TRUE(b.leader->isLeader());
    EXPECT_EQ(b.counter.ran_cancelled, 0);
}

}  // namespace
}  // namespace gatehouse::jobs
