#include "core/process/policy_tier_evaluator.hpp"

#include <chrono>

namespace gatehouse::process {

std::optional<int> PolicyTierEvaluator::tierFor(std::string_view username,
                                                const policy::LiveCounters& live) {
    std::lock_guard lock(mutex_);
    if (!vm_)
        vm_ = std::make_unique<policy::WorkerPolicy>(policies_);
    vm_->refresh();
    policy::PolicyHost* host = vm_->host();
    if (host == nullptr)
        return std::nullopt;
    const std::shared_ptr<const store::Snapshot> snapshot = snapshots_.current();
    const store::SubscriberEntry* entry = snapshot->subscriber(username);
    if (entry == nullptr || !entry->subscriber->service || entry->subscriber->service->fup.empty())
        return std::nullopt;  // no tiers to move between
    // fup(sub, usage) sees the usage as it stands after this batch.
    policy::Subscriber sub = *entry->subscriber;
    sub.open_sessions = live.open_sessions;
    sub.current_tier = live.current_tier;
    sub.usage = live.usage;
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    auto tier = host->fup(sub, snapshot->settings(), now);
    if (!tier)
        return std::nullopt;  // logged by the host as file:line
    return *tier;
}

}  // namespace gatehouse::process
