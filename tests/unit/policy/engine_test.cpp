// The PolicyHost life cycle: compiling a bundle, calling each entry point, and what a policy
// failure costs (one request, with file:line), never the worker.
#include "tests/unit/policy/engine_fixture.hpp"

namespace gatehouse::policy::enginetest {
namespace {

TEST(PolicyHost, CreateReportsSyntaxErrorWithFileAndLine) {
    auto h = tryHost({{"default.lua", "function authorize(req)\n  return x x\nend\n"}});
    ASSERT_FALSE(h.has_value());
    EXPECT_EQ(h.error().file, "default.lua");
    EXPECT_EQ(h.error().line, 2);
    EXPECT_NE(h.error().message.find("near 'x'"), std::string::npos) << h.error().describe();
}

TEST(PolicyHost, CreateReportsTopLevelErrorInRequiredModule) {
    auto h = tryHost({{"default.lua",
                       "local m = require('vendors.broken')\n"
                       "function authorize() return reject('x') end\n"},
                      {"vendors/broken.lua", "local t = {}\n\nerror('vendor table broken')\n"}});
    ASSERT_FALSE(h.has_value());
    EXPECT_EQ(h.error().describe(), "vendors/broken.lua:3: vendor table broken");
}

TEST(PolicyHost, CreateFailsWithoutAuthorize) {
    auto h = tryHost({{"default.lua", "function accounting() end\n"}});
    ASSERT_FALSE(h.has_value());
    EXPECT_EQ(h.error().describe(), "default.lua: defines no authorize() function (found nil)");
}

TEST(PolicyHost, CreateFailsWhenEntryFileMissing) {
    auto h = tryHost({{"lib/x.lua", "return {}"}});
    ASSERT_FALSE(h.has_value());
    EXPECT_EQ(h.error().describe(), "default.lua: entry file missing");
}

TEST(PolicyHost, RefusesBytecodeEntryFile) {
    auto h = tryHost({{"default.lua", std::string("\x1bLJ\x02\x00", 5)}});
    ASSERT_FALSE(h.has_value());
    EXPECT_EQ(h.error().describe(), "default.lua:1: precompiled bytecode is refused");
}

TEST(PolicyHost, AuthorizeAcceptsWithReply) {
    auto h = host(R"(
function authorize(req, sub, nas)
  return accept({ ["Mikrotik-Rate-Limit"] = "5M/20M", ["Session-Timeout"] = 3600 })
end)");
    ASSERT_TRUE(h);
    auto r = pppoeRequest();
    Decision d = h->authorize(r->ctx);
    EXPECT_TRUE(d.accept);
    EXPECT_EQ(d.policy_error, "");
    ASSERT_EQ(d.reply.size(), 2u);
    EXPECT_EQ(d.reply[0].def->name, "Session-Timeout");
    EXPECT_EQ(d.reply[0].value, (Bytes{0, 0, 0x0e, 0x10}));
    EXPECT_EQ(d.reply[1].def->name, "Mikrotik-Rate-Limit");
    EXPECT_EQ(asChars(d.reply[1].value), "5M/20M");
    EXPECT_EQ(h->stackDepth(), 0);
}

TEST(PolicyHost, AuthorizeRejectsWithReason) {
    auto h = host("function authorize(req, sub) return reject('account disabled') end");
    ASSERT_TRUE(h);
    auto r = pppoeRequest();
    Decision d = h->authorize(r->ctx);
    EXPECT_FALSE(d.accept);
    EXPECT_EQ(d.reason, "account disabled");
    EXPECT_EQ(d.policy_error, "");
}

TEST(PolicyHost, LuaErrorRejectsWithFileAndLine) {
    auto h = host("function authorize(req)\n  local x = nil\n  return x.y\nend\n");
    ASSERT_TRUE(h);
    CaptureSink sink;
    h->setLogSink(&sink);
    auto r = pppoeRequest();
    Decision d = h->authorize(r->ctx);
    EXPECT_FALSE(d.accept);
    EXPECT_EQ(d.reason, "policy error");
    EXPECT_EQ(d.policy_error, "default.lua:3: attempt to index local 'x' (a nil value)");
    ASSERT_EQ(sink.lines.size(), 1u);
    EXPECT_EQ(sink.lines[0],
              "warn default.lua:3 policy.error entry=authorize attempt to index "
              "local 'x' (a nil value)");
    EXPECT_EQ(h->stackDepth(), 0);
    // The worker lives on: the next request works the same way.
    EXPECT_EQ(h->authorize(r->ctx).policy_error, d.policy_error);
}

TEST(PolicyHost, ErrorWithoutPositionGetsTheInnermostPolicyLine) {
    auto h = host("function authorize(req)\n\n  error({ code = 1 })\nend\n");
    ASSERT_TRUE(h);
    auto r = pppoeRequest();
    EXPECT_EQ(h->authorize(r->ctx).policy_error, "default.lua:3: (error object is a table value)");
    auto h2 = host("function authorize(req)\n  error('plain', 0)\nend\n");
    ASSERT_TRUE(h2);
    EXPECT_EQ(h2->authorize(r->ctx).policy_error, "default.lua:2: plain");
}

TEST(PolicyHost, ReturningSomethingElseIsAPolicyError) {
    auto h = host("\nfunction authorize(req)\n  return 'yes'\nend\n");
    ASSERT_TRUE(h);
    auto r = pppoeRequest();
    Decision d = h->authorize(r->ctx);
    EXPECT_FALSE(d.accept);
    EXPECT_EQ(d.policy_error,
              "default.lua:2: authorize() must return accept(...) or reject(...), got string");
    auto h2 = host("function authorize(req)\n  accept()\nend\n");
    ASSERT_TRUE(h2);
    EXPECT_EQ(h2->authorize(r->ctx).policy_error,
              "default.lua:1: authorize() must return accept(...) or reject(...), got nil");
}

TEST(PolicyHost, AccountingRecordsTagsOrDiscards) {
    auto h = host(R"(
function authorize() return reject('x') end
function accounting(req, sub, nas)
  if req["Acct-Status-Type"] == "Stop" and (req["Acct-Session-Time"] or 0) > 10 * 365 * 86400 then
    return discard("session time nonsense")
  end
  return record({ "status:" .. req["Acct-Status-Type"] })
end)");
    ASSERT_TRUE(h);
    Request start({{"User-Name", "bob"}, {"Acct-Status-Type", "Start"}},
                  radius::Code::kAccountingRequest, "none");
    AccountingDecision a = h->accounting(start.ctx);
    EXPECT_TRUE(a.record);
    EXPECT_EQ(a.tags, std::vector<std::string>{"status:Start"});
    EXPECT_EQ(a.policy_error, "");
    Request stop(
        {{"User-Name", "bob"}, {"Acct-Status-Type", "Stop"}, {"Acct-Session-Time", "4000000000"}},
        radius::Code::kAccountingRequest, "none");
    a = h->accounting(stop.ctx);
    EXPECT_FALSE(a.record);
    EXPECT_EQ(a.reason, "session time nonsense");
    EXPECT_EQ(h->stackDepth(), 0);
}

TEST(PolicyHost, AcceptInAccountingRaises) {
    auto h = host(
        "function authorize() return reject('x') end\n"
        "function accounting(req)\n  local d = accept()\n  return d\nend\n");
    ASSERT_TRUE(h);
    Request r({{"User-Name", "bob"}, {"Acct-Status-Type", "Start"}},
              radius::Code::kAccountingRequest, "none");
    AccountingDecision a = h->accounting(r.ctx);
    EXPECT_TRUE(a.record);  // a failing policy never loses accounting data
    EXPECT_EQ(a.policy_error, "default.lua:3: accept() is not allowed in accounting()");
}

TEST(PolicyHost, RecordInAuthorizeRaises) {
    auto h = host("function authorize()\n  return record({})\nend\n");
    ASSERT_TRUE(h);
    auto r = pppoeRequest();
    // `return record(...)` is a tail call: Lua keeps no frame of authorize() to name the line,
    // so the message names the line where authorize() starts.
    EXPECT_EQ(h->authorize(r->ctx).policy_error,
              "default.lua:1: record() is not allowed in authorize()");
    auto h2 = host("function authorize()\n  local d = record({})\n  return d\nend\n");
    ASSERT_TRUE(h2);
    EXPECT_EQ(h2->authorize(r->ctx).policy_error,
              "default.lua:2: record() is not allowed in authorize()");
}

TEST(PolicyHost, DecisionFunctionsAtTopLevelRaise) {
    auto h = tryHost({{"default.lua", "\nlocal d = reject('x')\nfunction authorize() end\n"}});
    ASSERT_FALSE(h.has_value());
    EXPECT_EQ(h.error().describe(), "default.lua:2: reject() is not allowed in the top level()");
}

TEST(PolicyHost, AccountingDefaultsToRecordWithoutAccountingFunction) {
    auto h = host("function authorize() return reject('x') end");
    ASSERT_TRUE(h);
    Request r({{"User-Name", "bob"}}, radius::Code::kAccountingRequest, "none");
    AccountingDecision a = h->accounting(r.ctx);
    EXPECT_TRUE(a.record);
    EXPECT_EQ(a.policy_error, "");
}

TEST(PolicyHost, FupReturnsTierFromUsage) {
    auto h = host(R"(
function authorize() return reject('x') end
function fup(sub, usage)
  local tier = 0
  for i, t in ipairs(sub.service.fup) do
    if t.daily_bytes > 0 and usage.daily_total >= t.daily_bytes then tier = i end
  end
  return tier
end)");
    ASSERT_TRUE(h);
    auto r = pppoeRequest();
    Settings s;
    EXPECT_EQ(h->fup(r->sub, s, 0).value(), 0);
    r->sub.usage.daily_download = 60000000000ull;
    EXPECT_EQ(h->fup(r->sub, s, 0).value(), 1);
    r->sub.usage.daily_download = 90000000000ull;
    EXPECT_EQ(h->fup(r->sub, s, 0).value(), 2);
    EXPECT_EQ(h->stackDepth(), 0);
}

TEST(PolicyHost, FupTierOutOfRangeIsAPolicyError) {
    auto h = host("function authorize() return reject('x') end\nfunction fup() return 7 end\n");
    ASSERT_TRUE(h);
    auto r = pppoeRequest();
    auto tier = h->fup(r->sub, Settings{}, 0);
    ASSERT_FALSE(tier.has_value());
    EXPECT_EQ(tier.error().describe(),
              "default.lua:2: fup() must return a tier 0..2, got number 7");
}

TEST(PolicyHost, CoaForTierConvertsAttributes) {
    auto h = host(R"(
function authorize() return reject('x') end
function coa_for_tier(sub, nas, tier)
  local t = sub.service.fup[tier]
  return { ["Mikrotik-Rate-Limit"] = string.format("%dk/%dk", t.upload_bps / 1000, t.download_bps / 1000) }
end)");
    ASSERT_TRUE(h);
    auto r = pppoeRequest();
    auto attrs = h->coaForTier(r->sub, r->nas, Settings{}, 1, 0);
    ASSERT_TRUE(attrs.has_value()) << attrs.error().describe();
    ASSERT_EQ(attrs->size(), 1u);
    EXPECT_EQ((*attrs)[0].def->name, "Mikrotik-Rate-Limit");
    EXPECT_EQ(asChars((*attrs)[0].value), "2000k/10000k");
}

TEST(PolicyHost, CoaForTierUnknownAttributeNamesIt) {
    auto h = host(
        "function authorize() return reject('x') end\n"
        "function coa_for_tier() return { ['Mikrotik-Rate-Limt'] = '1M/1M' } end\n");
    ASSERT_TRUE(h);
    auto r = pppoeRequest();
    auto attrs = h->coaForTier(r->sub, r->nas, Settings{}, 1, 0);
    ASSERT_FALSE(attrs.has_value());
    EXPECT_EQ(attrs.error().describe(),
              "default.lua:2: coa_for_tier: unknown attribute 'Mikrotik-Rate-Limt'");
    EXPECT_EQ(h->stackDepth(), 0);
}

TEST(PolicyHost, RequireLoadsModulesOnceFromTheBundle) {
    auto h = host(R"(
local v = require("vendors.mikrotik")
local again = require("vendors.mikrotik")
function authorize(req, sub)
  assert(v == again)
  return accept(v.rate_limit(sub.service))
end)",
                  {}, {{"vendors/mikrotik.lua", R"(
local M = {}
function M.rate_limit(svc)
  return { ["Mikrotik-Rate-Limit"] = string.format("%dk/%dk", svc.upload_bps / 1000, svc.download_bps / 1000) }
end
return M
)"}});
    ASSERT_TRUE(h);
    auto r = pppoeRequest();
    Decision d = h->authorize(r->ctx);
    ASSERT_EQ(d.reply.size(), 1u) << d.policy_error;
    EXPECT_EQ(asChars(d.reply[0].value), "5000k/20000k");
}

TEST(PolicyHost, ErrorInsideModuleNamesTheModuleLine) {
    auto h = host("local m = require('lib.util')\nfunction authorize() return m.boom() end\n", {},
                  {{"lib/util.lua",
                    "local M = {}\nfunction M.boom()\n  error('util failed')\nend\n"
                    "return M\n"}});
    ASSERT_TRUE(h);
    auto r = pppoeRequest();
    EXPECT_EQ(h->authorize(r->ctx).policy_error, "lib/util.lua:3: util failed");
}

TEST(PolicyHost, RequireLoopIsReported) {
    auto h = tryHost({{"default.lua", "require('lib.a')\nfunction authorize() end\n"},
                      {"lib/a.lua", "local b = require('lib.b')\nreturn b\n"},
                      {"lib/b.lua", "local a = require('lib.a')\nreturn a\n"}});
    ASSERT_FALSE(h.has_value());
    EXPECT_EQ(h.error().describe(),
              "lib/b.lua:1: require: module 'lib.a' requires itself (a loop)");
}

TEST(PolicyHost, CallsDoNotLeakStackOnAnyPath) {
    auto h = host(R"(
function authorize(req, sub)
  if sub.username == "err" then error("x") end
  if sub.username == "bad" then return 1, 2, 3 end
  return accept()
end
function accounting() return nil end
function fup() return "x" end
function coa_for_tier() return { ["No-Such"] = 1 } end)");
    ASSERT_TRUE(h);
    auto r = pppoeRequest();
    for (const char* name : {"err", "bad", "ok"}) {
        r->sub.username = name;
        h->authorize(r->ctx);
        EXPECT_EQ(h->stackDepth(), 0) << name;
    }
    h->accounting(r->ctx);
    EXPECT_FALSE(h->fup(r->sub, Settings{}, 0).has_value());
    EXPECT_FALSE(h->coaForTier(r->sub, r->nas, Settings{}, 1, 0).has_value());
    EXPECT_EQ(h->stackDepth(), 0);
}

}  // namespace
}  // namespace gatehouse::policy::enginetest
