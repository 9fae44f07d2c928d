#include "core/policy/canary.hpp"

#include <fmt/core.h>

namespace gatehouse::policy {

void CanarySide::record(bool accepted, bool policy_error) {
    // Relaxed: these are statistics; each counter is exact, their sum read slightly apart.
    requests_.fetch_add(1, std::memory_order_relaxed);
    if (policy_error) {
        errors_.fetch_add(1, std::memory_order_relaxed);
    } else if (accepted) {
        accepts_.fetch_add(1, std::memory_order_relaxed);
    } else {
        rejects_.fetch_add(1, std::memory_order_relaxed);
    }
}

CanarySideStats CanarySide::stats() const {
    CanarySideStats s;
    s.requests = requests_.load(std::memory_order_relaxed);
    s.accepts = accepts_.load(std::memory_order_relaxed);
    s.rejects = rejects_.load(std::memory_order_relaxed);
    s.errors = errors_.load(std::memory_order_relaxed);
    return s;
}

uint64_t stableHash(std::string_view text) {
    uint64_t h = 14695981039346656037ull;
    for (unsigned char c : text) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

bool routesToCandidate(const CanaryConfig& config, const RequestContext& ctx) {
    if (!config.nas.empty()) {
        return ctx.nas && (ctx.nas->name == config.nas || ctx.nas->ip == config.nas);
    }
    if (config.percent <= 0)
        return false;
    if (config.percent >= 100)
        return true;
    std::string_view user;
    if (ctx.request) {
        if (const radius::AttrRef* a = ctx.request->find(0, 1)) {  // User-Name
            user = ctx.request->text(*a);
        }
    }
    if (user.empty() && ctx.subscriber)
        user = ctx.subscriber->username;
    if (user.empty())
        return false;
    // Basis points, so 0.5 % canaries work.
    const auto bucket = stableHash(user) % 10000;
    return double(bucket) < config.percent * 100.0;
}

std::optional<std::string> canaryVerdict(const CanaryConfig& config, const CanarySideStats& current,
                                         const CanarySideStats& candidate) {
    if (candidate.requests < config.min_requests || candidate.requests == 0)
        return std::nullopt;
    if (candidate.errorRate() > config.max_error_rate) {
        return fmt::format("error rate {:.4f} > {:.4f} ({} policy errors in {} requests)",
                           candidate.errorRate(), config.max_error_rate, candidate.errors,
                           candidate.requests);
    }
    if (current.requests >= config.min_requests && current.requests > 0) {
        const double increase = candidate.rejectRate() - current.rejectRate();
        if (increase > config.max_reject_rate_increase) {
            return fmt::format(
                "reject rate {:.4f} exceeds current {:.4f} by more than {:.4f} ({} rejects in "
                "{} requests)",
                candidate.rejectRate(), current.rejectRate(), config.max_reject_rate_increase,
                candidate.rejects, candidate.requests);
        }
    }
    return std::nullopt;
}

std::string_view canaryStateName(CanaryStatus::State s) {
    switch (s) {
        case CanaryStatus::State::kNone:
            return "none";
        case CanaryStatus::State::kRunning:
            return "running";
        case CanaryStatus::State::kRolledBack:
            return "rolled_back";
        case CanaryStatus::State::kPromoted:
            return "promoted";
        case CanaryStatus::State::kAborted:
            return "aborted";
    }
    return "none";
}

}  // namespace gatehouse::policy
