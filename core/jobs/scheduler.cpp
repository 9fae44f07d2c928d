#include "core/jobs/scheduler.hpp"

#include <fmt/core.h>

#include <cstdio>
#include <exception>

#include "core/util/one_line.hpp"

namespace gatehouse::jobs {

Scheduler::Scheduler(SchedulerOptions options) : options_(std::move(options)) {}

Scheduler::~Scheduler() {
    stop();
}

void Scheduler::add(Job job) {
    std::lock_guard lock(mutex_);
    Entry e;
    e.stats.name = job.name;
    e.due = std::chrono::steady_clock::now() + job.interval;
    e.job = std::move(job);
    entries_.push_back(std::move(e));
}

void Scheduler::start() {
    if (thread_.joinable())
        return;
    stopping_.store(false);
    thread_ = std::thread([this] { run(); });
}

void Scheduler::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_.store(true, std::memory_order_release);
    }
    wake_.notify_all();
    if (thread_.joinable())
        thread_.join();
}

void Scheduler::setLeader(bool leader) {
    {
        std::lock_guard lock(mutex_);
        if (leader_.load() == leader)
            return;
        leader_.store(leader, std::memory_order_release);
        ++leader_epoch_;
        if (leader) {
            const auto now = std::chrono::steady_clock::now();
            for (auto& e : entries_)
                e.due = e.job.run_on_gain ? now : now + e.job.interval;
        }
    }
    wake_.notify_all();
}

std::vector<JobStats> Scheduler::stats() const {
    std::lock_guard lock(mutex_);
    std::vector<JobStats> out;
    for (const auto& e : entries_)
        out.push_back(e.stats);
    return out;
}

void Scheduler::say(const std::string& line) {
    if (options_.log)
        options_.log(line);
    else
        fmt::print(stderr, "{}\n", line);
}

void Scheduler::run() {
    const JobContext context(leader_, stopping_);
    std::unique_lock lock(mutex_);
    while (!stopping_.load()) {
        if (!leader_.load() || entries_.empty()) {
            wake_.wait(lock);
            continue;
        }
        // The earliest due job; ties go to the one registered first.
        size_t next = 0;
        for (size_t i = 1; i < entries_.size(); ++i)
            if (entries_[i].due < entries_[next].due)
                next = i;
        const auto now = std::chrono::steady_clock::now();
        if (entries_[next].due > now) {
            wake_.wait_until(lock, entries_[next].due);
            continue;  // woken early (stop, leadership change) or due: look again
        }
        const uint64_t epoch = leader_epoch_;
        std::function<void(const JobContext&)> fn = entries_[next].job.run;
        const std::string name = entries_[next].job.name;
        std::string error;
        lock.unlock();
        try {
            fn(context);
        } catch (const std::exception& e) {
            error = oneLine(e.what());
            if (error.empty())
                error = "exception without a message";
        } catch (...) {
            error = "unknown exception";
        }
        lock.lock();
        Entry& entry = entries_[next];
        ++entry.stats.runs;
        if (!error.empty()) {
            ++entry.stats.failures;
            entry.stats.last_error = error;
        }
        // A leadership change while it ran has already set the due times.
        if (epoch == leader_epoch_)
            entry.due = std::chrono::steady_clock::now() + entry.job.interval;
        if (!error.empty()) {
            lock.unlock();
            say(fmt::format("jobs.job.failed name={} error=\"{}\"", name, error));
            lock.lock();
        }
    }
}

}  // namespace gatehouse::jobs
