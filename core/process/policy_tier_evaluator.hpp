#pragma once
// store::TierEvaluator over the policy's fup(): the accounting writer asks it, on the writer's
// thread, which FUP tier a subscriber's new usage puts it in. It keeps its own Lua VM (built
// on first use, on the thread that uses it) following the PolicyStore like a worker does.
#include <memory>

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
    std::unique_ptr<policy::WorkerPolicy> vm_;
};

}  // namespace gatehouse::process
