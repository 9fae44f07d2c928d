-- vendors/juniper.lua: the exact attributes it emits, pinned by golden files (vendors/golden/).
-- The standard cases (accept, FUP, CoA, walled garden) come from lib/vendor_suite.lua;
-- below are the cases that are this vendor's own.
local t = require("testing")
local juniper = require("vendors.juniper")
local fup = require("lib.fup")
local suite = require("lib.vendor_suite")

suite.run("juniper")

local plan = suite.plan
local GB = suite.GB

test("juniper: a tier change within the same service updates its parameters", function()
  local svc = plan({ filter_id = "internet", fup = {
    { name = "FUP1", daily_bytes = GB, download_bps = 2000000, upload_bps = 1000000,
      filter_id = "internet" } } })
  local sub = t.subscriber({ service = svc, current_tier = 0 })
  t.same(juniper.coa(sub, svc, fup.speeds(svc, 1)),
    { ["ERX-Update-Service:1"] = "internet(2000000,1000000)" })
end)
