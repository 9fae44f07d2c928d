// The instruction budget ends runaway scripts: the request is rejected with file:line, and
// the same host keeps working.
#include "tests/unit/policy/engine_fixture.hpp"

namespace gatehouse::policy::enginetest {
namespace {

TEST(Budget, InfiniteLoopIsEndedAndTheNextCallWorks) {
    auto h = host(R"(
function authorize(req, sub)
  if sub.username == "loop" then
    while true do end
  end
  return accept()
end)",
                  smallBudget(10000));
    ASSERT_TRUE(h);
    auto r = pppoeRequest();
    r->sub.username = "loop";
    Decision d = h->authorize(r->ctx);
    EXPECT_FALSE(d.accept);
    EXPECT_EQ(d.reason, "policy error");
    EXPECT_EQ(d.policy_error, "default.lua:4: instruction budget exceeded (10000)");
    EXPECT_EQ(h->stackDepth(), 0);
    r->sub.username = "alice";
    d = h->authorize(r->ctx);
    EXPECT_TRUE(d.accept) << d.policy_error;
    r->sub.username = "loop";
    EXPECT_EQ(h->authorize(r->ctx).policy_error,
              "default.lua:4: instruction budget exceeded (10000)");
}

TEST(Budget, PolicyPcallCannotSwallowTheOverrun) {
    auto h = host(R"(
function authorize()
  while true do
    pcall(function() while true do end end)
  end
end)",
                  smallBudget(10000));
    ASSERT_TRUE(h);
    auto r = pppoeRequest();
    Decision d = h->authorize(r->ctx);
    EXPECT_NE(d.policy_error.find("instruction budget exceeded (10000)"), std::string::npos)
        << d.policy_error;
    EXPECT_EQ(h->stackDepth(), 0);
}

TEST(Budget, IsReArmedForEveryCall) {
    // ~60% of the budget per call: never exceeded however many calls run.
    auto h = host(R"(
function authorize()
  local n = 0
  for i = 1, 1500 do n = n + i end
  return accept()
end)",
                  smallBudget(10000));
    ASSERT_TRUE(h);
    auto r = pppoeRequest();
    for (int i = 0; i < 20; ++i) {
        Decision d = h->authorize(r->ctx);
        ASSERT_TRUE(d.accept) << i << " " << d.policy_error;
    }
}

TEST(Budget, RecursionWithoutEndIsAnErrorNotACrash) {
    auto h = host(
        "local function f(n) return 1 + f(n + 1) end\n"
        "function authorize() return f(1) end\n",
        smallBudget(10000000));
    ASSERT_TRUE(h);
    auto r = pppoeRequest();
    Decision d = h->authorize(r->ctx);
    EXPECT_FALSE(d.accept);
    EXPECT_NE(d.policy_error.find("default.lua:1: stack overflow"), std::string::npos)
        << d.policy_error;
    EXPECT_EQ(h->stackDepth(), 0);
}

TEST(Budget, AppliesToTheTopLevelOfTheEntryFile) {
    auto h = tryHost({{"default.lua", "function authorize() end\nwhile true do end\n"}},
                     smallBudget(5000));
    ASSERT_FALSE(h.has_value());
    EXPECT_EQ(h.error().describe(), "default.lua:2: instruction budget exceeded (5000)");
}

TEST(Budget, AppliesToFupAndCoa) {
    auto h = host(
        "function authorize() end\nfunction fup() while true do end end\n"
        "function coa_for_tier() repeat until false end\n",
        smallBudget(5000));
    ASSERT_TRUE(h);
    auto r = pppoeRequest();
    auto tier = h->fup(r->sub, Settings{}, 0);
    ASSERT_FALSE(tier.has_value());
    EXPECT_EQ(tier.error().describe(), "default.lua:2: instruction budget exceeded (5000)");
    auto coa = h->coaForTier(r->sub, r->nas, Settings{}, 1, 0);
    ASSERT_FALSE(coa.has_value());
    EXPECT_EQ(coa.error().describe(), "default.lua:3: instruction budget exceeded (5000)");
}

}  // namespace
}  // namespace gatehouse::policy::enginetest
