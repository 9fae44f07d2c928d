#pragma once
// Session change jobs to CoA / Disconnect (docs/jobs.md "FUP to CoA", docs/coa.md "Plan
// change, renewal, disable, expiry"), a job of the jobs leader. Named for its first use, FUP
// tiers, it now carries out every pending row of tier_change_jobs (the session change jobs,
// migration 008) by its kind:
//   tier      the accounting writer crossed an FUP threshold: a CoA-Request per open session
//             with what the policy's coa_for_tier(sub, nas, tier) gives for the NAS's vendor;
//   plan      store::updateSubscriber changed the service: the same CoA at the current tier
//             with the new service, or a Disconnect-Request when the session's address cannot
//             stay (another pool) or the policy gives nothing;
//   renewal, disabled, expiry: a Disconnect-Request; the redial is authorised afresh.
// Requests go to the coa_requests outbox (docs/coa.md), in the transaction that marks the job
// done; the CoA sender job sends them. A subscriber with no open session gets the change at its
// next login (authorize sees the row), so the job is done with a note.
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
    size_t batch = 200;                                       // jobs per run at most
    std::chrono::seconds lifetime{std::chrono::minutes(30)};  // of each CoA in the outbox
    std::function<void(std::string_view)> log;                // stderr when empty
};

struct FupCoaRun {
    size_t jobs = 0;         // jobs taken
    size_t queued = 0;       // requests written to the outbox (CoA and Disconnect)
    size_t disconnects = 0;  // of those, Disconnect-Requests
    size_t no_session = 0;   // jobs done without a CoA: nobody online
    size_t failed = 0;       // jobs the policy could not render (status failed, last_error)
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
    /// The job's policy VM, (re)loaded every 5 minutes; nullptr when none ever loaded.
    policy::PolicyHost* policyHost();

    FupCoaOptions options_;
    crypto::SecretBox box_;
    std::unique_ptr<State> state_;
};

}  // namespace gatehouse::jobs
