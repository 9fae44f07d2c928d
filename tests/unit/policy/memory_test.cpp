// The memory cap: a policy that allocates past it fails that one call, the VM lives on, and
// the string metatable (shared by every string of the VM) cannot be changed by a policy.
#include "tests/unit/policy/engine_fixture.hpp"

namespace gatehouse::policy::enginetest {
namespace {

EngineConfig smallMemory() {
    EngineConfig c;
    c.max_memory_bytes = 8u << 20;
    c.max_instructions = 100000000;  // the cap, not the budget, must end it
    return c;
}

TEST(Memory, AllocatingPastTheCapFailsThatCallOnly) {
    auto h = host(R"(
local keep = {}
function authorize(req, sub)
  if sub.username == "hog" then
    for i = 1, 100000 do keep[i] = string.rep("x", 4096) .. i end
  end
  keep = {}
  return accept()
end)",
                  smallMemory());
    ASSERT_TRUE(h);
    auto r = pppoeRequest();
    r->sub.username = "hog";
    Decision d = h->authorize(r->ctx);
    EXPECT_FALSE(d.accept);
    EXPECT_EQ(d.reason, "policy error");
    EXPECT_NE(d.policy_error.find("memory limit exceeded (8192 KiB)"), std::string::npos)
        << d.policy_error;
    EXPECT_EQ(h->stackDepth(), 0);
    r->sub.username = "alice";
    d = h->authorize(r->ctx);
    EXPECT_TRUE(d.accept) << d.policy_error;
}

TEST(Memory, OneHugeStringIsRefused) {
    auto h = host(R"(
function authorize()
  local s = string.rep("x", 64 * 1024 * 1024)
  return accept({ ["Reply-Message"] = s:sub(1, 10) })
end)",
                  smallMemory());
    ASSERT_TRUE(h);
    auto r = pppoeRequest();
    Decision d = h->authorize(r->ctx);
    EXPECT_NE(d.policy_error.find("memory limit exceeded"), std::string::npos) << d.policy_error;
}

TEST(Memory, NormalPoliciesRunUnderTheDefaultCap) {
    auto h = host(R"(
function authorize()
  local t = {}
  for i = 1, 1000 do t[i] = tostring(i) end
  return accept({ ["Reply-Message"] = t[1000] })
end)");
    ASSERT_TRUE(h);
    auto r = pppoeRequest();
    for (int i = 0; i < 50; ++i) {
        Decision d = h->authorize(r->ctx);
        ASSERT_TRUE(d.accept) << d.policy_error;
    }
}

TEST(Sandbox, StringMetatableIsHiddenFromPolicies) {
    auto h = host(R"(
function authorize()
  local mt = getmetatable("")
  if mt ~= false then
    return reject("string metatable reachable")
  end
  return accept({ ["Reply-Message"] = ("abc"):upper() })
end)");
    ASSERT_TRUE(h);
    auto r = pppoeRequest();
    Decision d = h->authorize(r->ctx);
    EXPECT_TRUE(d.accept) << d.reason << d.policy_error;
    ASSERT_EQ(d.reply.size(), 1u);
    EXPECT_EQ(asChars(d.reply[0].value), "ABC");
}

}  // namespace
}  // namespace gatehouse::policy::enginetest
