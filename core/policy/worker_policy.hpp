#pragma once
// One per worker thread: the VMs this worker evaluates requests in, kept in step with the
// PolicyStore. refresh() runs between two requests; when the store moved on it builds the new
// VM first and only then drops the old one, so there is never a moment without a policy. Not
// thread-safe: only its worker touches it.
#include <cstdint>
#include <memory>

#include "core/policy/host.hpp"
#include "core/policy/store.hpp"

namespace gatehouse::policy {

class WorkerPolicy {
  public:
    /// Builds the VM of the policy serving now (none when the store has none yet).
    explicit WorkerPolicy(PolicyStore& store);
    WorkerPolicy(const WorkerPolicy&) = delete;
    WorkerPolicy& operator=(const WorkerPolicy&) = delete;

    /// Between two requests. One atomic load when nothing changed; true when a VM was swapped.
    bool refresh();

    /// authorize() in the VM this request is routed to (the canary's when it takes it), with
    /// the outcome counted for the canary. Without any policy: a reject with policy_error.
    Decision authorize(const RequestContext& ctx);
    AccountingDecision accounting(const RequestContext& ctx);

    /// The current policy's VM (fup, coa_for_tier run here, never on a canary); nullptr before
    /// the store's first good reload.
    PolicyHost* host() { return host_.get(); }
    PolicyHost* candidateHost() { return candidate_.get(); }
    /// Generation of the policy this worker runs (0: none).
    uint64_t generation() const { return generation_; }
    /// Bundles this worker failed to build a VM for (it kept the previous one).
    uint64_t buildFailures() const { return build_failures_; }

  private:
    /// Which VM serves ctx; `to_candidate` says whether it is the canary's.
    PolicyHost* route(const RequestContext& ctx, bool& to_candidate);
    void recordCanary(bool to_candidate, bool accepted, bool policy_error);

    PolicyStore& store_;
    uint64_t seen_version_ = ~uint64_t{0};
    uint64_t generation_ = 0;
    std::unique_ptr<PolicyHost> host_;
    std::shared_ptr<CanaryState> canary_;
    std::unique_ptr<PolicyHost> candidate_;
    // The bundles whose build failed here: not retried on every request.
    const PolicyBundle* failed_current_ = nullptr;
    const PolicyBundle* failed_candidate_ = nullptr;
    uint64_t build_failures_ = 0;
};

}  // namespace gatehouse::policy
