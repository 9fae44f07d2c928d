#pragma once
// FUP tier changes to CoA (issue 6; docs/jobs.md "FUP to CoA"), a job of the jobs leader. The
// accounting writer records a tier change in tier_change_jobs in the batch that crossed the
// threshold (docs/accounting.md); this job turns each pending one into a CoA-Request per open
// session of the subscriber, in the coa_requests outbox (docs/coa.md), with the attributes the
// policy's coa_for_tier(sub, nas, tier) gives for that NAS's vendor, and marks the job done.
// The CoA sender job then sends them. A subscriber with no open session gets its tier at its
// next login (authorize sees current_tier), so the job is done with a note.
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "core/crypto/secret_box.hpp"
#include "core/jobs/scheduler.hpp"
#include "core/policy/store.hpp"

namespace gatehouse::jobs {

struct FupCoaOptions {
    std::string conninfo;
    std::string policy_dir = "policies";  // the policy coa_for_tier comes from
    std::chrono::milliseconds interval{std::chrono::seconds(10)};
    size_t batch = 200;                                       // tier jobs per run at most
    std::chrono::seconds lifetime{std::chrono::minutes(30)};  // of each CoA in the outbox
    std::function<void(std::string_view)> log;                // stderr when empty
};

struct FupCoaRun {
    size_t jobs = 0;        // tier jobs taken
    size_t queued = 0;      // CoA requests written to the outbox
    size_t no_session = 0;  // jobs done without a CoA: nobody online
    size_t failed = 0;      // jobs the policy could not render (status failed, last_error)
};

class FupCoaJob {
  public:
    /// `box` opens the snapshot's secrets (the subscribers and NAS loaded for the policy). The
    /// policy is loaded from options.policy_dir into the job's own store and VM (a jobs-only
    /// node serves no RADIUS and has no other), again every 5 minutes.
    FupCoaJob(FupCoaOptions options, crypto::SecretBox box);
    ~FupCoaJob();

    /// Throws what libpqxx throws (the scheduler logs it).
    FupCoaRun runOnce(const JobContext& context);
    Job job();  // "fup_coa" every options.interval

  private:
    struct State;
    void say(const std::string& line);

    FupCoaOptions options_;
    crypto::SecretBox box_;
    std::unique_ptr<State> state_;
};

}  // namespace gatehouse::jobs
