#pragma once
// The policy every worker should be running, shared by all of them. A reload compiles the new
// bundle and runs its own tests in a fresh VM first; only a bundle that passes is published,
// with the next generation number. Workers compare a single atomic (version()) between two
// requests and take a snapshot under the mutex only when it moved (dnsdist GlobalStateHolder).
// A refused reload leaves the current policy serving and says why, with file:line.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/policy/bundle.hpp"
#include "core/policy/canary.hpp"
#include "core/policy/events.hpp"
#include "core/policy/host.hpp"
#include "core/radius/dictionary.hpp"

namespace gatehouse::policy {

struct ReloadReport {
    bool ok = false;
    bool unchanged = false;  // same fingerprint as the policy serving: nothing published
    std::string trigger;     // "api", "sighup", "file", "canary", "promote", "startup"
    std::string directory;
    uint64_t generation = 0;           // serving after this reload (the new one when ok)
    std::string fingerprint;           // of the bundle tried
    std::optional<PolicyError> error;  // why it was refused: file:line
    size_t tests_passed = 0;
    size_t tests_failed = 0;
    std::vector<TestReport::Case> failed_tests;
    double ms = 0;
    /// One line: "policy.reload.ok generation=3 fingerprint=ab12.. tests=14/14 ms=35 trigger=api"
    /// or "policy.reload.refused file:line: message ...".
    std::string describe() const;
};

struct StoreOptions {
    std::string directory = "policies";
    EngineConfig engine;
    PolicyEventSink* sink = nullptr;  // nullptr: stderr
};

class PolicyStore {
  public:
    /// What a worker needs to (re)build its VMs.
    struct Snapshot {
        uint64_t version = 0;
        uint64_t generation = 0;
        std::shared_ptr<const PolicyBundle> current;  // nullptr until the first good reload
        std::shared_ptr<CanaryState> canary;          // nullptr when no canary runs
    };

    PolicyStore(const radius::Dictionary& dict, StoreOptions options);
    PolicyStore(const PolicyStore&) = delete;
    PolicyStore& operator=(const PolicyStore&) = delete;

    /// Reads the policy directory again and publishes it if it compiles and passes its tests.
    /// Concurrent calls run one after the other. Never throws.
    ReloadReport reload(std::string_view trigger = "api");
    ReloadReport reloadBundle(std::shared_ptr<const PolicyBundle> bundle,
                              std::string_view trigger = "api");

    /// Bumped on every change a worker must act on (publish, canary start or end).
    uint64_t version() const { return version_.load(std::memory_order_acquire); }
    uint64_t generation() const { return metrics_.generation.load(std::memory_order_relaxed); }
    Snapshot snapshot() const;
    std::shared_ptr<const PolicyBundle> current() const;

    /// Verifies the candidate like a reload, then serves it beside the current policy. Refused
    /// when it fails, when no policy serves yet, or when a canary already runs.
    ReloadReport startCanary(const std::string& directory, const CanaryConfig& config);
    ReloadReport startCanaryBundle(std::shared_ptr<const PolicyBundle> bundle,
                                   const CanaryConfig& config);
    /// Makes the canary current through the reload path (verified again, next generation).
    ReloadReport promoteCanary();
    /// Ends canary `id` (0: whichever runs) with `reason`; false when it no longer runs.
    bool rollbackCanary(uint64_t id, std::string_view reason);
    bool abortCanary(std::string_view reason);
    CanaryStatus canaryStatus() const;

    /// Called by workers after each candidate request: rolls back when a bound is passed.
    void checkCanary(const std::shared_ptr<CanaryState>& canary);

    const PolicyMetrics& metrics() const { return metrics_; }
    PolicyMetrics& metrics() { return metrics_; }
    const radius::Dictionary& dictionary() const { return dict_; }
    const StoreOptions& options() const { return options_; }
    PolicyEventSink& sink() { return *sink_; }

  private:
    ReloadReport verify(std::shared_ptr<const PolicyBundle> bundle, std::string_view trigger);
    ReloadReport refuse(ReloadReport report);
    bool endCanary(uint64_t id, CanaryStatus::State state, std::string_view reason);

    const radius::Dictionary& dict_;
    StoreOptions options_;
    StderrEventSink default_sink_;
    PolicyEventSink* sink_;

    std::mutex reload_mu_;         // one reload (compile + tests) at a time
    mutable std::mutex state_mu_;  // guards the fields below; held only to copy or swap them
    std::shared_ptr<const PolicyBundle> current_;
    std::shared_ptr<CanaryState> canary_;
    CanaryStatus last_canary_;  // the canary that ended last (when none runs)
    uint64_t next_canary_id_ = 1;

    std::atomic<uint64_t> version_{0};
    PolicyMetrics metrics_;
};

}  // namespace gatehouse::policy
