#pragma once
// Periodic jobs of the jobs role (docs/jobs.md): registered once, run one at a time on one
// thread, and only while this process is the leader (Leader's callbacks call setLeader()).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace gatehouse::jobs {

/// What a running job may ask: whether it should give up early (leadership lost or stopping).
/// A job that walks many items checks it between two of them.
class JobContext {
  public:
    explicit JobContext(const std::atomic<bool>& leader, const std::atomic<bool>& stopping)
        : leader_(leader), stopping_(stopping) {}
    bool cancelled() const {
        return stopping_.load(std::memory_order_acquire) ||
               !leader_.load(std::memory_order_acquire);
    }

  private:
    const std::atomic<bool>& leader_;
    const std::atomic<bool>& stopping_;
};

struct Job {
    std::string name;
    std::chrono::milliseconds interval{60000};
    std::function<void(const JobContext&)> run;  // may throw: logged with the job's name
    bool run_on_gain = true;  // run at once when leadership is gained (else after interval)
};

struct JobStats {
    std::string name;
    uint64_t runs = 0;
    uint64_t failures = 0;
    std::string last_error;
};

struct SchedulerOptions {
    /// One line per failure ("jobs.job.failed name=... error=..."); stderr when empty.
    std::function<void(std::string_view)> log;
};

class Scheduler {
  public:
    explicit Scheduler(SchedulerOptions options = {});
    ~Scheduler();  // stop()
    Scheduler(const Scheduler&) = delete;
    Scheduler& operator=(const Scheduler&) = delete;

    /// Before start().
    void add(Job job);
    void start();
    /// Wakes the thread and joins it: immediate when idle, else as soon as the running job
    /// returns (jobs see cancelled() at once).
    void stop();

    /// From Leader::on_gain / on_lose. Gaining makes every run_on_gain job due now.
    void setLeader(bool leader);
    bool leader() const { return leader_.load(std::memory_order_acquire); }

    std::vector<JobStats> stats() const;

  private:
    struct Entry {
        Job job;
        std::chrono::steady_clock::time_point due;
        JobStats stats;
    };

    void run();
    void say(const std::string& line);

    SchedulerOptions options_;
    std::vector<Entry> entries_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::atomic<bool> leader_{false};
    std::atomic<bool> stopping_{false};
    uint64_t leader_epoch_ = 0;  // bumped on every change, under mutex_
    std::thread thread_;
};

}  // namespace gatehouse::jobs
