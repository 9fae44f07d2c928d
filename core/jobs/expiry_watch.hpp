#pragma once
// The expiry job (docs/coa.md "Plan change, renewal, disable, expiry"), a job of the jobs
// leader: a session that was let in before the subscriber's cut moment must not outlive it.
// Every minute, for each subscriber with an open session that started before its cut moment
// (expires_at, plus settings.grace_days days when settings.expired_action is "grace", as
// policies/default.lua's expiry_state) when that moment has passed, and no expiry job since,
// it writes one session change job of kind 'expiry' (tier_change_jobs, migration 008); the
// fup_coa job turns it into a Disconnect-Request and the redial is decided by authorize()
// (reject or walled garden). Whatever settings.hard_cut says: it only shapes the
// Session-Timeout given at login, which a shortened expiry or a NAS ignoring it defeats.
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "core/jobs/scheduler.hpp"

namespace gatehouse::jobs {

struct ExpiryWatchOptions {
    std::string conninfo;
    std::chrono::milliseconds interval{std::chrono::minutes(1)};
    std::function<void(std::string_view)> log;  // stderr when empty
};

struct ExpiryWatchRun {
    size_t queued = 0;  // expiry jobs written
};

class ExpiryWatch {
  public:
    explicit ExpiryWatch(ExpiryWatchOptions options);

    /// One pass, one transaction. Throws what libpqxx throws (the scheduler logs it).
    ExpiryWatchRun runOnce(const JobContext& context);
    Job job();  // "expiry" every options.interval

  private:
    void say(const std::string& line);

    ExpiryWatchOptions options_;
};

}  // namespace gatehouse::jobs
