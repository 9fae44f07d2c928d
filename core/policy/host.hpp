#pragma once
// One PolicyHost per worker thread: it owns one lua_State with the bundle compiled in it and is
// never touched by two threads, so it needs no lock. A policy error or a budget overrun costs
// the one request (a reject with policy_error set), never the worker.
#include <memory>
#include <string>
#include <vector>

#include "core/policy/bundle.hpp"
#include "core/policy/context.hpp"
#include "core/policy/decision.hpp"

namespace gatehouse::bindings {
class LogSink;
}

namespace gatehouse::policy {

/// Result of running a bundle's own *.test.lua files.
struct TestReport {
    struct Case {
        std::string file;
        std::string name;
        bool passed = false;
        std::string failure;  // "file:line: expected ..., got ..."
    };
    std::vector<Case> cases;
    size_t passed() const;
    size_t failed() const;
};

class PolicyHost {
  public:
    /// Builds a VM: sandbox, budget, JIT mode, then loads the bundle's entry file (which
    /// require()s the rest). Fails with file:line when a file does not compile or its top
    /// level errors, or when an entry point is missing.
    static Expected<std::unique_ptr<PolicyHost>, PolicyError> create(
        std::shared_ptr<const PolicyBundle> bundle, const radius::Dictionary& dict);
    ~PolicyHost();
    PolicyHost(const PolicyHost&) = delete;
    PolicyHost& operator=(const PolicyHost&) = delete;

    /// authorize(req, sub, nas): accept/reject, reply attributes, IP rule, timeouts, tier.
    Decision authorize(const RequestContext& ctx);
    /// accounting(req, sub, nas): record or reject as nonsense, tags.
    AccountingDecision accounting(const RequestContext& ctx);
    /// fup(sub, usage): the tier (0 normal, 1..n FUP tiers) for the subscriber's usage now.
    Expected<int, PolicyError> fup(const Subscriber& sub, const Settings& settings, int64_t now);
    /// coa_for_tier(sub, nas, tier): the attributes that move a live session to `tier`.
    Expected<std::vector<ReplyAttribute>, PolicyError> coaForTier(const Subscriber& sub,
                                                                  const Nas& nas,
                                                                  const Settings& settings,
                                                                  int tier, int64_t now);
    /// Runs every *.test.lua of the bundle in this VM.
    TestReport runTests();

    /// Where log.info/log.warn and policy errors go (default: stderr, rate-limited). The sink
    /// must outlive the host; nullptr restores the default.
    void setLogSink(bindings::LogSink* sink);
    /// Lua stack depth between calls: 0 unless a call leaked values (tests check it).
    int stackDepth() const;

    const PolicyBundle& bundle() const;
    const std::shared_ptr<const PolicyBundle>& bundlePtr() const;

  private:
    PolicyHost();
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace gatehouse::policy
