// The `testing` module and PolicyHost::runTests: tests of a bundle run in its VM, each with a
// fresh budget and arena; a failure names the file:line of the failing assertion.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/unit/policy/engine_fixture.hpp"

namespace gatehouse::policy::enginetest {
namespace {

const char* kPolicy = R"(
function authorize(req, sub, nas)
  if not sub then return reject("unknown user") end
  if not sub.enabled then return reject("account disabled", { mschap_error = 647 }) end
  if sub.expires_at and sub.expires_at < now() then return reject("expired") end
  local svc = sub.service
  local reply = {
    ["Mikrotik-Rate-Limit"] = string.format("%dk/%dk", svc.upload_bps / 1000, svc.download_bps / 1000),
    ["Acct-Interim-Interval"] = settings.interim_interval,
  }
  if req["Service-Type"] == "Framed-User" then reply["Framed-Protocol"] = "PPP" end
  return accept(reply, { ip = { nas_pool = svc.pool_name } })
end
function accounting(req) return record({ req["Acct-Status-Type"] }) end
)";

TestReport runTests(const std::string& tests, EngineConfig config = {},
                    std::string dir = "<memory>") {
    auto bundle = PolicyBundle::fromFiles({{"default.lua", kPolicy}, {"default.test.lua", tests}},
                                          config, std::move(dir));
    auto h = PolicyHost::create(bundle, dict());
    if (!h) {
        ADD_FAILURE() << h.error().describe();
        return {};
    }
    TestReport report = (*h)->runTests();
    EXPECT_EQ((*h)->stackDepth(), 0);
    return report;
}

std::string summary(const TestReport& r) {
    std::string out;
    for (const auto& c : r.cases) {
        out += c.name + ": " + (c.passed ? "ok" : c.failure) + "\n";
    }
    return out;
}

TEST(TestingModule, RegisteredAndReturnedTestsRun) {
    TestReport r = runTests(R"(
local t = require("testing")
test("disabled account is rejected", function()
  local req = t.request{ ["User-Name"] = "alice", auth_method = "pap" }
  local sub = t.subscriber{ username = "alice", enabled = false, service = t.service{} }
  local d = authorize(req, sub, t.nas{ type = "mikrotik" })
  t.eq(d.decision, "reject")
  t.eq(d.reason, "account disabled")
  t.eq(d.mschap_error, 647)
end)
return {
  ["b: accept carries the rate"] = function()
    local req = t.request{ ["User-Name"] = "alice", ["Service-Type"] = "Framed-User" }
    local svc = t.service{ download_bps = 20000000, upload_bps = 5000000, pool_name = "pppoe" }
    local d = authorize(req, t.subscriber{ service = svc }, t.nas{})
    t.eq(d.decision, "accept")
    t.same(d.reply, { ["Mikrotik-Rate-Limit"] = "5000k/20000k", ["Acct-Interim-Interval"] = 300,
                      ["Framed-Protocol"] = "PPP" })
    t.same(d.ip, { nas_pool = "pppoe" })
    t.eq(d.tier, 0)
  end,
  ["a: unknown user"] = function()
    t.eq(authorize(t.request{ ["User-Name"] = "x" }, nil, t.nas{}).reason, "unknown user")
  end,
}
)");
    EXPECT_EQ(summary(r),
              "disabled account is rejected: ok\n"
              "a: unknown user: ok\n"
              "b: accept carries the rate: ok\n");
    EXPECT_EQ(r.passed(), 3u);
    EXPECT_EQ(r.failed(), 0u);
    ASSERT_EQ(r.cases.size(), 3u);
    EXPECT_EQ(r.cases[0].file, "default.test.lua");
}

TEST(TestingModule, FailuresNameTheAssertionLineAndStayInTheirTest) {
    TestReport r = runTests(R"(local t = require("testing")
test("eq fails", function()
  t.eq("accept", "reject")
end)
test("ok fails", function()
  t.ok(nil)
end)
test("same fails", function()
  t.same({ a = 1 }, { a = 2 })
end)
test("error fails", function()
  local x = nil
  return x.field
end)
test("loop fails", function()
  while true do end
end)
test("still runs", function()
  t.ok(true)
end)
)",
                            smallBudget(20000));
    ASSERT_EQ(r.cases.size(), 6u) << summary(r);
    EXPECT_EQ(r.cases[0].failure, "default.test.lua:3: expected \"reject\", got \"accept\"");
    EXPECT_EQ(r.cases[1].failure, "default.test.lua:6: expected a true value, got nil");
    EXPECT_EQ(r.cases[2].failure,
              "default.test.lua:9: values differ\nexpected: {\n  a = 2,\n}\ngot: {\n  a = 1,\n}");
    EXPECT_EQ(r.cases[3].failure, "default.test.lua:13: attempt to index local 'x' (a nil value)");
    EXPECT_EQ(r.cases[4].failure, "default.test.lua:16: instruction budget exceeded (20000)");
    EXPECT_TRUE(r.cases[5].passed);
    EXPECT_EQ(r.passed(), 1u);
    EXPECT_EQ(r.failed(), 5u);
}

TEST(TestingModule, FileThatDoesNotLoadIsOneFailure) {
    TestReport r = runTests("local t = require('testing')\nthis is not lua\n");
    ASSERT_EQ(r.cases.size(), 1u);
    EXPECT_EQ(r.cases[0].name, "(loading the file)");
    EXPECT_EQ(r.cases[0].failure.substr(0, 19), "default.test.lua:2:");
}

TEST(TestingModule, RequestsAreRealPackets) {
    TestReport r = runTests(R"(local t = require("testing")
test("values", function()
  local req = t.request{ ["User-Name"] = "bob@corp", ["NAS-Port"] = 7, ["Class"] = { "a", "b" },
                         ["Calling-Station-Id"] = "aa-bb-cc-dd-ee-ff", ["NAS-IP-Address"] = "10.0.0.1",
                         ["Acct-Status-Type"] = "Start", code = "Accounting-Request" }
  t.eq(req.code, "Accounting-Request")
  t.eq(req.auth_method, "none")
  t.eq(req["NAS-Port"], 7)
  t.eq(req["Acct-Status-Type"], "Start")
  t.eq(req["NAS-IP-Address"], "10.0.0.1")
  t.same(req:all("Class"), { "a", "b" })
  t.eq(req.mac, "AA:BB:CC:DD:EE:FF")
  t.eq(req.realm, "corp")
  t.same(accounting(req, nil, nil), { decision = "record", tags = { "Start" } })
end)
test("bad attribute", function()
  t.request{ ["User-Nam"] = "x" }
end)
test("bad value", function()
  t.request{ ["NAS-IP-Address"] = "10.0.0" }
end)
)");
    ASSERT_EQ(r.cases.size(), 3u);
    EXPECT_TRUE(r.cases[0].passed) << r.cases[0].failure;
    EXPECT_EQ(r.cases[1].failure, "default.test.lua:17: t.request: unknown attribute 'User-Nam'");
    EXPECT_EQ(r.cases[2].failure,
              "default.test.lua:20: t.request: NAS-IP-Address: bad IPv4 '10.0.0'");
}

TEST(TestingModule, ModelObjectsUseCppDefaultsAndRejectUnknownFields) {
    TestReport r = runTests(R"(local t = require("testing")
test("defaults", function()
  local sub = t.subscriber{}
  t.eq(sub.enabled, true)
  t.eq(sub.service, nil)
  t.eq(sub.usage.daily_total, 0)
  local svc = t.service{ fup = { { name = "FUP1", daily_bytes = 10, download_bps = 1 } } }
  t.eq(svc.simultaneous_use, 1)
  t.eq(svc.fup_counts, "total")
  t.eq(svc.fup[1].name, "FUP1")
  t.eq(t.nas{}.type, "generic")
  t.eq(t.nas{}.coa_port, 3799)
  local s = t.subscriber{ usage = { daily_upload = 5, daily_download = 6 }, extra = { { name = "Filter-Id", value = "x" } } }
  t.eq(s.usage.daily_total, 11)
  t.eq(s.extra[1].value, "x")
end)
test("typo", function()
  t.subscriber{ enabeld = false }
end)
)");
    ASSERT_EQ(r.cases.size(), 2u);
    EXPECT_TRUE(r.cases[0].passed) << r.cases[0].failure;
    EXPECT_EQ(r.cases[1].failure, "default.test.lua:18: t.subscriber: unknown field 'enabeld'");
}

TEST(TestingModule, SettingsAndNowApplyToTheTestOnly) {
    TestReport r = runTests(R"(local t = require("testing")
test("settings", function()
  t.settings{ interim_interval = 60, support = "x" }
  t.now(1000)
  t.eq(settings.interim_interval, 60)
  t.eq(settings.support, "x")
  t.eq(now(), 1000)
  local sub = t.subscriber{ expires_at = 999, service = t.service{} }
  t.eq(authorize(t.request{}, sub, t.nas{}).reason, "expired")
end)
test("back to defaults", function()
  t.eq(settings.interim_interval, 300)
  t.eq(now(), 0)
end)
)");
    EXPECT_EQ(summary(r), "settings: ok\nback to defaults: ok\n");
}

TEST(TestingModule, ObjectsOfOneTestAreDeadInTheNext) {
    TestReport r = runTests(R"(local t = require("testing")
local kept
test("make", function() kept = t.subscriber{ username = "a" } end)
test("use", function() return kept.username end)
)");
    ASSERT_EQ(r.cases.size(), 2u);
    EXPECT_EQ(r.cases[1].failure,
              "default.test.lua:4: subscriber object used after its call ended");
}

TEST(TestingModule, GoldenFilesAreWrittenThenCompared) {
    auto dir = std::filesystem::temp_directory_path() / "gh-engine-golden";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const char* tests = R"(local t = require("testing")
test("golden", function()
  local d = authorize(t.request{ ["User-Name"] = "a" }, t.subscriber{ service = t.service{ download_bps = 1000, upload_bps = 1000 } }, t.nas{})
  t.golden("accept-basic", d)
end)
)";
    TestReport missing = runTests(tests, {}, dir.string());
    ASSERT_EQ(missing.cases.size(), 1u);
    EXPECT_EQ(missing.cases[0].failure,
              "default.test.lua:4: t.golden: golden/accept-basic.txt is missing (run with "
              "GATEHOUSE_UPDATE_GOLDEN=1 to write it)");

    ::setenv("GATEHOUSE_UPDATE_GOLDEN", "1", 1);
    TestReport written = runTests(tests, {}, dir.string());
    ::unsetenv("GATEHOUSE_UPDATE_GOLDEN");
    EXPECT_EQ(written.passed(), 1u);
    std::ifstream in(dir / "golden" / "accept-basic.txt");
    std::stringstream text;
    text << in.rdbuf();
    EXPECT_EQ(text.str(), R"({
  decision = "accept",
  ip = {
    nas_pool = "",
  },
  reply = {
    ["Acct-Interim-Interval"] = 300,
    ["Mikrotik-Rate-Limit"] = "1k/1k",
  },
  tier = 0,
}
)");
    EXPECT_EQ(runTests(tests, {}, dir.string()).passed(), 1u);

    std::ofstream(dir / "golden" / "accept-basic.txt") << "{}\n";
    TestReport differs = runTests(tests, {}, dir.string());
    ASSERT_EQ(differs.cases.size(), 1u);
    EXPECT_EQ(differs.cases[0].failure.substr(0, 65),
              "default.test.lua:4: t.golden: golden/accept-basic.txt differs\nexp");
    std::filesystem::remove_all(dir);
}

TEST(TestingModule, GoldenNamesCannotLeaveTheDirectory) {
    TestReport r = runTests(
        "local t = require('testing')\ntest('x', function() "
        "t.golden('../../etc/x', 1) end)\n");
    ASSERT_EQ(r.cases.size(), 1u);
    EXPECT_EQ(r.cases[0].failure,
              "default.test.lua:2: t.golden: bad name '../../etc/x' (letters, digits, - _ . only)");
}

TEST(TestingModule, DecisionFunctionsWorkInTestsAndAuthorizeStillRestricts) {
    auto h = host(kPolicy);
    ASSERT_TRUE(h);
    ASSERT_EQ(h->runTests().cases.size(), 0u);
    // After tests, a real call still enforces entry points and the testing module is gone.
    auto r = pppoeRequest();
    EXPECT_TRUE(h->authorize(r->ctx).accept);
    EXPECT_EQ(h->stackDepth(), 0);
}

}  // namespace
}  // namespace gatehouse::policy::enginetest
