#pragma once
// How the reload machinery reports what it did: a line per event through a tiny sink (stderr
// until the server's logger exists), counters the server's /metrics exports, and nothing else.
// Event IDs are stable (docs/policy-tooling.md lists them).
#include <atomic>
#include <cstdint>
#include <string_view>

namespace gatehouse::policy {

class PolicyEventSink {
  public:
    virtual ~PolicyEventSink() = default;
    /// `id` is a stable event ID ("policy.reload.ok"); `line` the whole line, id first.
    virtual void event(std::string_view id, std::string_view line) = 0;
};

/// The default sink: one line on stderr per event (reloads are rare: no rate limit).
class StderrEventSink : public PolicyEventSink {
  public:
    void event(std::string_view id, std::string_view line) override;
};

/// Counters for /metrics. Names as exported:
///   policy_reloads_total{result="ok"|"refused"}, policy_generation,
///   policy_canary_started_total, policy_canary_rollbacks_total, policy_canary_promotions_total,
///   policy_worker_build_failures_total.
struct PolicyMetrics {
    std::atomic<uint64_t> reloads_ok{0};
    std::atomic<uint64_t> reloads_refused{0};
    std::atomic<uint64_t> generation{0};
    std::atomic<uint64_t> canary_started{0};
    std::atomic<uint64_t> canary_rollbacks{0};
    std::atomic<uint64_t> canary_promotions{0};
    /// A worker failed to build a VM for a bundle that passed its tests in the reloader (it
    /// keeps serving the previous one).
    std::atomic<uint64_t> worker_build_failures{0};
};

}  // namespace gatehouse::policy
