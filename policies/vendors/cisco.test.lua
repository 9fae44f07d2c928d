-- vendors/cisco.lua: the exact attributes it emits, pinned by golden files (vendors/golden/).
-- The standard cases (accept, FUP, CoA, walled garden) come from lib/vendor_suite.lua;
-- below are the cases that are this vendor's own.
local t = require("testing")
local cisco = require("vendors.cisco")
local fup = require("lib.fup")
local suite = require("lib.vendor_suite")

suite.run("cisco")

local plan = suite.plan
local GB = suite.GB

test("cisco: without a filter_id the service is named after the tier", function()
  local svc = plan({ fup = {
    { name = "FUP1", daily_bytes = GB, download_bps = 1, upload_bps = 1 } } })
  t.same(cisco.reply(svc, fup.speeds(svc, 1)), { ["Cisco-Account-Info"] = "AFUP1" })
end)
