-- vendors/generic.lua: the exact attributes it emits, pinned by golden files (vendors/golden/).
-- The standard cases (accept, FUP, CoA, walled garden) come from lib/vendor_suite.lua;
-- below are the cases that are this vendor's own.
local t = require("testing")
local generic = require("vendors.generic")
local fup = require("lib.fup")
local suite = require("lib.vendor_suite")

suite.run("generic")

test("generic: no filter_id, no Filter-Id; 0 bits/s is left out", function()
  local svc = t.service({ download_bps = 8000000, upload_bps = 0 })
  t.same(generic.reply(svc, fup.speeds(svc, 0)), { ["WISPr-Bandwidth-Max-Down"] = 8000000 })
end)
