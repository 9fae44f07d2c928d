#pragma once
// store::TierEvaluator over the policy's fup(): the accounting writer asks it which FUP tier a
// subscriber's new usage puts it in. It keeps its own Lua VM (built on first use) following
// the PolicyStore like a worker does; the writer's connection threads call it at once, so one
// call at a time (a fup() call takes microseconds, a batch's commit milliseconds).
#include <memory>
#include <mutex>

#include "core/policy/store.hpp"
#include "core/policy/worker_policy.hpp"
#include "core/store/accounting_writer.hpp"
#include "core/store/snapshot.hpp"

namespace gatehouse::process {

class PolicyTierEvaluator : public store::TierEvaluator {
  public:
    PolicyTierEvaluator(policy::PolicyStore& policies, const store::SnapshotHolder& snapshots)
        : policies_(policies), snapshots_(snapshots) {}

    std::optional<int> tierFor(std::string_view username,
                               const policy::LiveCounters& live) override;

  private:
    policy::PolicyStore& policies_;
    const store::SnapshotHolder& snapshots_;
    std::mutex mutex_;
    std::unique_ptr<policy::WorkerPolicy> vm_;
};

}  // namespace gatehouse::process
