// Replay: what a candidate policy would change, per subscriber and in totals.
#include <gtest/gtest.h>

#include <sstream>

#include "core/policy/host.hpp"
#include "core/policy/replay.hpp"
#include "tests/unit/policy/policy_fixture.hpp"

namespace gatehouse::policy {
namespace {

const radius::Dictionary& dict() {
    return radius::Dictionary::builtin();
}

std::unique_ptr<PolicyHost> hostOf(const std::string& source) {
    auto host = PolicyHost::create(
        PolicyBundle::fromFiles({PolicyFile{"default.lua", source}}, EngineConfig{}), dict());
    EXPECT_TRUE(host) << host.error().describe();
    return host ? std::move(*host) : nullptr;
}

// Current: everyone accepted at 10M with a NAS pool. Candidate: "bob" rejected, "carol" gets a
// new rate, an extra Class and a static address at tier 1; accounting tags change for "dave".
const char* kCurrent = R"(
function authorize(req, sub, nas)
  return accept({ ["Mikrotik-Rate-Limit"] = "10M/10M", ["Class"] = "a" },
                { ip = { nas_pool = "pppoe" }, session_timeout = 3600 })
end
function accounting(req, sub, nas) return record({ "std" }) end
)";
const char* kCandidate = R"(
function authorize(req, sub, nas)
  if req.user == "bob" then return reject("no service") end
  if req.user == "carol" then
    return accept({ ["Mikrotik-Rate-Limit"] = "20M/20M", ["Class"] = { "a", "b" } },
                  { ip = { static = "10.0.0.9" }, session_timeout = 3600, tier = 1 })
  end
  return accept({ ["Mikrotik-Rate-Limit"] = "10M/10M", ["Class"] = "a" },
                { ip = { nas_pool = "pppoe" }, session_timeout = 3600 })
end
function accounting(req, sub, nas)
  if req.user == "dave" then return record({ "std", "new" }) end
  return record({ "std" })
end
)";

TEST(Replay, ReportsOnlyChangesPerSubscriberAndTotals) {
    auto current = hostOf(kCurrent);
    auto candidate = hostOf(kCandidate);
    ASSERT_TRUE(current && candidate);
    std::istringstream lines(
        "# recorded on bng-1\n"
        "{\"id\":\"r1\",\"now\":1,\"request\":{\"User-Name\":\"alice\"}}\n"
        "{\"now\":1,\"request\":{\"User-Name\":\"bob\"}}\n"
        "\n"
        "{\"now\":1,\"request\":{\"User-Name\":\"carol\"}}\n"
        "{\"now\":1,\"request\":{\"User-Name\":\"alice\"}}\n"
        "{\"now\":1,\"code\":\"Accounting-Request\",\"request\":{\"User-Name\":\"dave\","
        "\"Acct-Status-Type\":\"Start\"}}\n"
        "{\"now\":1,\"request\":{\"User-Nme\":\"x\"}}\n");
    Replayer replayer(*current, *candidate, dict());
    replayer.addLines(lines);
    const ReplayResult& r = replayer.result();

    EXPECT_EQ(r.totals.requests, 5u);
    EXPECT_EQ(r.totals.changed, 3u);
    EXPECT_EQ(r.totals.accept_to_reject, 1u);
    EXPECT_EQ(r.totals.reject_to_accept, 0u);
    EXPECT_EQ(r.totals.new_policy_errors, 0u);
    EXPECT_EQ(r.totals.attribute_changes, 4u);  // bob: 2 gone; carol: rate, Class
    EXPECT_EQ(r.totals.ip_changes, 2u);
    EXPECT_EQ(r.totals.tier_changes, 1u);
    EXPECT_EQ(r.totals.bad_lines, 1u);
    ASSERT_EQ(r.errors.size(), 1u);
    EXPECT_EQ(r.errors[0], "line 8: request.User-Nme: unknown attribute (not in the dictionary)");
    EXPECT_EQ(r.requests_per_user.at("alice"), 2u);

    ASSERT_EQ(r.diffs.size(), 3u);
    EXPECT_EQ(r.diffs[0].user, "bob");
    EXPECT_EQ(r.diffs[0].line, 3u);
    EXPECT_EQ(r.diffs[1].user, "carol");
    EXPECT_EQ(r.diffs[1].changes,
              (std::vector<std::string>{"- Class = 0x61", "+ Class = 0x61", "+ Class = 0x62",
                                        "~ Mikrotik-Rate-Limit: \"10M/10M\" -> \"20M/20M\"",
                                        "ip: nas_pool pppoe -> static 10.0.0.9", "tier: 0 -> 1"}));
    EXPECT_EQ(r.diffs[2].user, "dave");
    EXPECT_EQ(r.diffs[2].changes, (std::vector<std::string>{"tags: std -> std,new"}));

    const std::string text = replayText(r);
    EXPECT_NE(text.find("bob (1 of 1 requests changed)\n"
                        "  line 3: accept -> reject\n"
                        "    decision: accept -> reject (\"no service\")\n"
                        "    - Class = 0x61\n"
                        "    - Mikrotik-Rate-Limit = \"10M/10M\"\n"
                        "    ip: nas_pool pppoe -> none\n"
                        "    session_timeout: 3600 -> none\n"),
              std::string::npos)
        << text;
    EXPECT_EQ(text.find("alice"), std::string::npos) << text;  // unchanged: not listed
    EXPECT_NE(text.find("skipped line 8: request.User-Nme"), std::string::npos) << text;
    EXPECT_NE(text.find("totals: requests 5, changed 3, accept->reject 1, reject->accept 0, new "
                        "policy errors 0, attribute changes 4, ip changes 2, tier changes 1, bad "
                        "lines 1\n"),
              std::string::npos)
        << text;
}

TEST(Replay, CountsNewPolicyErrorsAndRejectToAccept) {
    auto current = hostOf("function authorize(req, sub, nas) return reject(\"closed\") end\n");
    auto candidate = hostOf(
        "function authorize(req, sub, nas)\n"
        "  if req.user == \"x\" then error(\"oops\") end\n"
        "  return accept()\n"
        "end\n");
    Replayer replayer(*current, *candidate, dict());
    auto x = testing::requestFor("x");
    auto y = testing::requestFor("y");
    replayer.add(*x, 1);
    replayer.add(*y, 2, "second");
    const ReplayResult& r = replayer.result();
    EXPECT_EQ(r.totals.changed, 2u);
    EXPECT_EQ(r.totals.new_policy_errors, 1u);
    EXPECT_EQ(r.totals.reject_to_accept, 1u);
    EXPECT_EQ(r.totals.accept_to_reject, 0u);
    ASSERT_EQ(r.diffs.size(), 2u);
    EXPECT_EQ(r.diffs[0].after.kind, "policy_error");
    EXPECT_NE(r.diffs[0].after.reason.find("default.lua:2:"), std::string::npos)
        << r.diffs[0].after.reason;
    EXPECT_EQ(r.diffs[1].label, "second");
}

TEST(Replay, SameOutcomeIsNoChange) {
    Outcome a;
    a.kind = "accept";
    a.reply = {{"Class", "0x61"}, {"Filter-Id", "\"x\""}};
    Outcome b = a;
    b.reply = {{"Filter-Id", "\"x\""}, {"Class", "0x61"}};  // another order of names: same
    EXPECT_TRUE(compareOutcomes(a, b).changes.empty());
}

}  // namespace
}  // namespace gatehouse::policy
