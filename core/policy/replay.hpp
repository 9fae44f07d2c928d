#pragma once
// Replay: recorded requests through the current policy and a candidate, and what would change
// (decisions, reply attributes, IP rule, tier, timeouts), per subscriber and in totals. The
// input is JSON lines in the request_json.hpp format; once request logging exists the log
// store feeds the same Replayer.
#include <cstdint>
#include <istream>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/policy/host.hpp"
#include "core/policy/request_json.hpp"
#include "core/radius/dictionary.hpp"

namespace gatehouse::policy {

/// A decision reduced to what replay compares.
struct Outcome {
    std::string kind;    // "accept" | "reject" | "record" | "discard" | "policy_error"
    std::string reason;  // reject/discard reason, or the policy error
    std::vector<std::pair<std::string, std::string>> reply;  // "Name" -> formatted value
    std::string ip = "none";
    std::optional<uint32_t> session_timeout;
    std::optional<uint32_t> idle_timeout;
    int tier = 0;
    std::optional<uint16_t> mschap_error;
    std::vector<std::string> tags;  // accounting
};

Outcome outcomeOf(const radius::Dictionary& dict, const Decision& d);
Outcome outcomeOf(const AccountingDecision& d);

struct RequestDiff {
    size_t line = 0;    // 1-based line of the replay file
    std::string label;  // the request's "id" when it has one
    std::string user;
    Outcome before;
    Outcome after;
    std::vector<std::string> changes;  // "- Name = v", "+ Name = v", "~ Name: a -> b", "ip: ..."
    size_t attribute_changes = 0;
};

struct ReplayTotals {
    uint64_t requests = 0;
    uint64_t changed = 0;
    uint64_t accept_to_reject = 0;
    uint64_t reject_to_accept = 0;
    uint64_t new_policy_errors = 0;  // requests the candidate fails on and the current did not
    uint64_t attribute_changes = 0;
    uint64_t ip_changes = 0;
    uint64_t tier_changes = 0;
    uint64_t bad_lines = 0;  // not parsed: listed in errors
};

struct ReplayResult {
    std::vector<RequestDiff> diffs;  // only the requests that changed, in file order
    std::map<std::string, uint64_t> requests_per_user;
    ReplayTotals totals;
    std::vector<std::string> errors;  // "line 7: request.Foo: unknown attribute"
};

/// Compares two outcomes; empty when nothing changed.
RequestDiff compareOutcomes(const Outcome& before, const Outcome& after);

class Replayer {
  public:
    Replayer(PolicyHost& current, PolicyHost& candidate, const radius::Dictionary& dict)
        : current_(current), candidate_(candidate), dict_(dict) {}
    void add(const JsonRequest& request, size_t line, std::string label = {});
    /// One JSON object per line; blank lines and lines starting with '#' are skipped.
    void addLines(std::istream& in);
    const ReplayResult& result() const { return result_; }

  private:
    PolicyHost& current_;
    PolicyHost& candidate_;
    const radius::Dictionary& dict_;
    ReplayResult result_;
};

/// The report: changes grouped per subscriber, then the totals.
std::string replayText(const ReplayResult& result);

}  // namespace gatehouse::policy
