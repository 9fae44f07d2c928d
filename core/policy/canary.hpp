#pragma once
// A canary: a candidate policy serving a share of requests beside the current one. Workers
// route each request by a stable hash of its User-Name (one subscriber always lands on the same
// side) or by NAS, count outcomes per side with relaxed atomics, and ask after each candidate
// request whether a bound is passed; the store then rolls the candidate back.
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/policy/bundle.hpp"
#include "core/policy/context.hpp"
#include "core/policy/decision.hpp"

namespace gatehouse::policy {

struct CanaryConfig {
    /// Share of subscribers (by User-Name hash) sent to the candidate, 0..100. Ignored when
    /// `nas` is set.
    double percent = 0;
    /// When set: every request from this NAS (matched by name or IP) goes to the candidate.
    std::string nas;
    /// Roll back when candidate policy errors / candidate requests passes this.
    double max_error_rate = 0.01;
    /// Roll back when candidate reject rate - current reject rate passes this.
    double max_reject_rate_increase = 0.05;
    /// Requests a side must have served before its rates are judged (the reject rule needs
    /// both sides to have this many; the error rule only the candidate).
    uint64_t min_requests = 100;
};

struct CanarySideStats {
    uint64_t requests = 0;
    uint64_t accepts = 0;  // authorize accept, accounting record
    uint64_t rejects = 0;  // authorize reject (policy errors not included), accounting discard
    uint64_t errors = 0;   // policy_error set
    double errorRate() const { return requests ? double(errors) / double(requests) : 0.0; }
    double rejectRate() const { return requests ? double(rejects) / double(requests) : 0.0; }
};

class CanarySide {
  public:
    void record(bool accepted, bool policy_error);
    CanarySideStats stats() const;

  private:
    std::atomic<uint64_t> requests_{0};
    std::atomic<uint64_t> accepts_{0};
    std::atomic<uint64_t> rejects_{0};
    std::atomic<uint64_t> errors_{0};
};

/// FNV-1a 64: stable across builds and hosts, unlike std::hash, so a subscriber keeps its side
/// across restarts and on every radius node.
uint64_t stableHash(std::string_view text);

/// Which side serves `ctx` under `config` (true: the candidate). Requests without a User-Name
/// (and no subscriber) stay on the current policy.
bool routesToCandidate(const CanaryConfig& config, const RequestContext& ctx);

/// Why the candidate must be rolled back, or nullopt while it is within its bounds.
std::optional<std::string> canaryVerdict(const CanaryConfig& config, const CanarySideStats& current,
                                         const CanarySideStats& candidate);

/// One running canary, shared by the store and every worker. Immutable but for its counters
/// and the `active` flag, which a rollback clears before the store unpublishes it so workers
/// stop routing to it at their very next request.
struct CanaryState {
    uint64_t id = 0;
    std::shared_ptr<const PolicyBundle> bundle;
    CanaryConfig config;
    CanarySide current;
    CanarySide candidate;
    std::atomic<bool> active{true};
    std::atomic<bool> ending{false};  // first thread to set it reports the rollback
};

/// What the panel shows about the last canary.
struct CanaryStatus {
    enum class State : uint8_t { kNone, kRunning, kRolledBack, kPromoted, kAborted };
    State state = State::kNone;
    uint64_t id = 0;
    std::string fingerprint;
    std::string directory;
    CanaryConfig config;
    CanarySideStats current;
    CanarySideStats candidate;
    std::string reason;  // rollback reason / abort reason
};

std::string_view canaryStateName(CanaryStatus::State s);  // "none", "running", "rolled_back", ...

}  // namespace gatehouse::policy
