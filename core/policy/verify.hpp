#pragma once
// The gate every policy passes before it serves: each file compiles, a fresh VM loads the
// entry file, and the bundle's own *.test.lua pass in that VM. Used by reload, canary start,
// promote, and `gatehouse policy check/test`. The VM is thrown away afterwards: tests may
// change its globals (t.settings, t.now), so workers build their own.
#include <memory>
#include <optional>

#include "core/policy/bundle.hpp"
#include "core/policy/host.hpp"
#include "core/radius/dictionary.hpp"
#include "core/util/expected.hpp"

namespace gatehouse::policy {

/// Syntax of every *.lua of the bundle (tests included), compiled but not run, so an error in
/// a module the entry file does not require is caught too. The first error, as file:line.
Expected<void, PolicyError> compileEveryFile(const PolicyBundle& bundle);

/// "vendors/x.lua:12: message" (a Lua error with an @chunkname) -> {file, line, message};
/// anything else -> {fallback_file, 0, text}.
PolicyError parseLuaError(std::string_view text, std::string_view fallback_file);

struct VerifyReport {
    std::optional<PolicyError> error;  // compile or load failure
    TestReport tests;                  // empty when the tests were not run (or error is set)
    bool ok() const { return !error && tests.failed() == 0; }
    /// The first failing test as a PolicyError (file:line parsed from its failure).
    std::optional<PolicyError> firstFailure() const;
};

VerifyReport verifyBundle(std::shared_ptr<const PolicyBundle> bundle,
                          const radius::Dictionary& dict, bool run_tests = true);

}  // namespace gatehouse::policy
