#include "core/policy/worker_policy.hpp"

#include <fmt/core.h>

namespace gatehouse::policy {

WorkerPolicy::WorkerPolicy(PolicyStore& store) : store_(store) {
    refresh();
}

bool WorkerPolicy::refresh() {
    const uint64_t version = store_.version();
    if (version == seen_version_)
        return false;
    PolicyStore::Snapshot snap = store_.snapshot();
    bool swapped = false;

    if (snap.current && (!host_ || host_->bundlePtr() != snap.current) &&
        failed_current_ != snap.current.get()) {
        auto built = PolicyHost::create(snap.current, store_.dictionary());
        if (built) {
            host_ = std::move(*built);  // the old VM goes only now, after the new one exists
            generation_ = snap.generation;
            failed_current_ = nullptr;
            swapped = true;
        } else {
            // It passed in the reloader's VM, so this is memory or a bug: keep serving the old.
            failed_current_ = snap.current.get();
            ++build_failures_;
            store_.metrics().worker_build_failures.fetch_add(1, std::memory_order_relaxed);
            store_.sink().event("policy.worker.build_failed",
                                fmt::format("policy.worker.build_failed {} (keeping generation {})",
                                            built.error().describe(), generation_));
        }
    } else if (host_ && host_->bundlePtr() == snap.current) {
        generation_ = snap.generation;
    }

    if (snap.canary != canary_) {
        std::unique_ptr<PolicyHost> next;
        if (snap.canary && failed_candidate_ != snap.canary->bundle.get()) {
            auto built = PolicyHost::create(snap.canary->bundle, store_.dictionary());
            if (built) {
                next = std::move(*built);
            } else {
                failed_candidate_ = snap.canary->bundle.get();
                ++build_failures_;
                store_.metrics().worker_build_failures.fetch_add(1, std::memory_order_relaxed);
            }
        }
        candidate_ = std::move(next);
        canary_ = candidate_ ? snap.canary : nullptr;
        swapped = true;
    }
    seen_version_ = snap.version;
    return swapped;
}

PolicyHost* WorkerPolicy::route(const RequestContext& ctx, bool& to_candidate) {
    to_candidate = false;
    if (canary_ && candidate_ && canary_->active.load(std::memory_order_acquire) &&
        routesToCandidate(canary_->config, ctx)) {
        to_candidate = true;
        return candidate_.get();
    }
    return host_.get();
}

void WorkerPolicy::recordCanary(bool to_candidate, bool accepted, bool policy_error) {
    if (!canary_ || !canary_->active.load(std::memory_order_relaxed))
        return;
    (to_candidate ? canary_->candidate : canary_->current).record(accepted, policy_error);
    if (to_candidate)
        store_.checkCanary(canary_);
}

Decision WorkerPolicy::authorize(const RequestContext& ctx) {
    bool to_candidate = false;
    PolicyHost* host = route(ctx, to_candidate);
    if (!host) {
        Decision d;
        d.reason = "policy error";
        d.policy_error = "no policy loaded";
        return d;
    }
    Decision d = host->authorize(ctx);
    recordCanary(to_candidate, d.accept, !d.policy_error.empty());
    return d;
}

AccountingDecision WorkerPolicy::accounting(const RequestContext& ctx) {
    bool to_candidate = false;
    PolicyHost* host = route(ctx, to_candidate);
    if (!host) {
        AccountingDecision d;
        d.policy_error = "no policy loaded";
        return d;
    }
    AccountingDecision d = host->accounting(ctx);
    recordCanary(to_candidate, d.record, !d.policy_error.empty());
    return d;
}

}  // namespace gatehouse::policy
