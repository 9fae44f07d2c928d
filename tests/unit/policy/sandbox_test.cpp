// Every hole of the sandbox stays closed: no io, no process control, no loading of code or
// bytecode, no string.dump through any path, require() only reaches the policy files.
#include "tests/unit/policy/engine_fixture.hpp"

namespace gatehouse::policy::enginetest {
namespace {

/// Evaluates `expr` inside authorize() and returns what it gave as text (through reject's
/// reason) or the policy error.
std::string probe(const std::string& expr, EngineConfig config = smallBudget()) {
    auto h = host("function authorize(req)\n  local v = " + expr +
                      "\n  local r = reject(tostring(v))\n  return r\nend\n",
                  config);
    if (!h) {
        return "(no host)";
    }
    auto r = pppoeRequest();
    Decision d = h->authorize(r->ctx);
    return d.policy_error.empty() ? d.reason : d.policy_error;
}

class ClosedGlobal : public ::testing::TestWithParam<const char*> {};

TEST_P(ClosedGlobal, IsNil) {
    EXPECT_EQ(probe(GetParam()), "nil") << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Sandbox, ClosedGlobal,
                         ::testing::Values("io", "os.execute", "os.exit", "os.getenv", "os.remove",
                                           "os.rename", "os.tmpname", "os.setlocale", "load",
                                           "loadstring", "loadfile", "dofile", "debug", "ffi",
                                           "jit", "collectgarbage", "gcinfo", "getfenv", "setfenv",
                                           "newproxy", "module", "package", "print", "coroutine",
                                           "string.dump", "(\"x\").dump",
                                           "(getmetatable('') or {}).__index", "_G.io", "_G.load",
                                           "rawget(_G, 'loadstring')"));

class OpenGlobal : public ::testing::TestWithParam<const char*> {};

TEST_P(OpenGlobal, IsAFunction) {
    EXPECT_EQ(probe(std::string("type(") + GetParam() + ")"), "function");
}

INSTANTIATE_TEST_SUITE_P(Sandbox, OpenGlobal,
                         ::testing::Values("os.time", "os.date", "os.clock", "string.format",
                                           "table.concat", "math.floor", "pairs", "ipairs", "pcall",
                                           "xpcall", "unpack", "setmetatable", "getmetatable",
                                           "rawset", "tonumber", "select", "require", "now",
                                           "log.info", "log.warn", "accept"));

TEST(Sandbox, StringMethodsStillWork) {
    EXPECT_EQ(probe("('a-b'):upper() .. ('%d'):format(7)"), "A-B7");
}

TEST(Sandbox, RequireOfStandardModulesFails) {
    EXPECT_EQ(probe("require('os')"),
              "default.lua:2: require: module 'os' not found (no os.lua in the policy directory)");
    EXPECT_EQ(probe("require('io')"),
              "default.lua:2: require: module 'io' not found (no io.lua in the policy directory)");
    EXPECT_EQ(probe("require('ffi')"),
              "default.lua:2: require: module 'ffi' not found (no ffi.lua in the policy "
              "directory)");
}

TEST(Sandbox, RequireRefusesPathsOutsideTheDirectory) {
    EXPECT_EQ(probe("require('../x')"),
              "default.lua:2: require: bad module name '../x' (dotted names of policy files only)");
    EXPECT_EQ(probe("require('/etc/passwd')"),
              "default.lua:2: require: bad module name '/etc/passwd' (dotted names of policy "
              "files only)");
    EXPECT_EQ(probe("require('a..b')"),
              "default.lua:2: require: bad module name 'a..b' (dotted names of policy files only)");
}

TEST(Sandbox, RequireCannotLoadTestFiles) {
    auto h =
        tryHost({{"default.lua", "local t = require('default.test')\nfunction authorize() end"},
                 {"default.test.lua", "return {}"}});
    ASSERT_FALSE(h.has_value());
    EXPECT_EQ(h.error().describe(),
              "default.lua:1: require: module 'default.test' not found (no default/test.lua in "
              "the policy directory)");
}

TEST(Sandbox, RequireOfTestingOutsideTestsFails) {
    EXPECT_EQ(probe("require('testing')"),
              "default.lua:2: require: module 'testing' exists only in policy tests");
}

TEST(Sandbox, RequireRefusesBytecodeModule) {
    auto h = tryHost({{"default.lua", "local m = require('lib.evil')\nfunction authorize() end"},
                      {"lib/evil.lua", std::string("\x1bLJ\x02\x00\x00", 6)}});
    ASSERT_FALSE(h.has_value());
    EXPECT_EQ(h.error().describe(), "lib/evil.lua:1: precompiled bytecode is refused");
}

TEST(Sandbox, StringDumpCannotBeRestoredThroughTheMetatable) {
    // Strings reach `string` through their metatable, so a trimmed copy of `string` would not
    // be enough: dump is removed from the real table, and the metatable itself is hidden.
    EXPECT_EQ(probe("(function() return getmetatable('') == false end)()"), "true");
    EXPECT_EQ(probe("(function() local f = function() end; return ('').dump end)()"), "nil");
}

TEST(Sandbox, GlobalsOfOneCallAreVisibleToTheNextOnlyInTheSameVm) {
    // Globals are per VM (per worker); nothing leaks between hosts.
    auto h1 = host(
        "counter = 0\nfunction authorize() counter = counter + 1; local r = "
        "reject(tostring(counter)); return r end");
    auto h2 = host("function authorize() local r = reject(tostring(counter)); return r end");
    ASSERT_TRUE(h1 && h2);
    auto r = pppoeRequest();
    h1->authorize(r->ctx);
    EXPECT_EQ(h1->authorize(r->ctx).reason, "2");
    EXPECT_EQ(h2->authorize(r->ctx).reason, "nil");
}

TEST(Sandbox, ConfigFlagsOpenDebugFfiAndJit) {
    EngineConfig c = smallBudget();
    c.allow_debug = true;
    EXPECT_EQ(probe("type(debug)", c), "table");
    EXPECT_EQ(probe("type(ffi)", c), "nil");
    c.allow_ffi = true;
    EXPECT_EQ(probe("type(ffi)", c), "table");
    EXPECT_EQ(probe("type(jit)", c), "nil");
    c.jit = true;
    EXPECT_EQ(probe("type(jit)", c), "table");
    EXPECT_EQ(probe("jit.status()", c), "true");
}

// JIT off by default has no direct probe (opening the jit library turns the JIT on again);
// Budget.InfiniteLoopIsEndedAndTheNextCallWorks shows it: a compiled loop would never end.

}  // namespace
}  // namespace gatehouse::policy::enginetest
