-- luacheck configuration for the shipped policies (scripts/test runs `luacheck -q policies/`).
-- Policies run in Gatehouse's sandbox: LuaJIT (Lua 5.1) with the globals of
-- docs/policy-api.md. Anything else global is a typo.
std = "lua51"
max_line_length = 100

-- What the engine provides.
read_globals = {
  "accept", "reject", "record", "discard", "now", "log", "settings",
}

-- The entry points default.lua defines.
globals = {
  "authorize", "accounting", "fup", "coa_for_tier",
}

-- Tests also get test("name", fn) and call the entry points.
files["**/*.test.lua"] = {
  read_globals = { "test" },
}

-- The shared vendor test cases register tests too.
files["**/vendor_suite.lua"] = {
  read_globals = { "test" },
}
