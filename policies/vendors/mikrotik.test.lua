-- vendors/mikrotik.lua: the exact attributes it emits, pinned by golden files (vendors/golden/).
-- The standard cases (accept, FUP, CoA, walled garden) come from lib/vendor_suite.lua;
-- below are the cases that are this vendor's own.
local t = require("testing")
local mikrotik = require("vendors.mikrotik")
local fup = require("lib.fup")
local suite = require("lib.vendor_suite")

suite.run("mikrotik")

local plan = suite.plan

test("mikrotik: rate limit is upload/download as seen from the router", function()
  local svc = t.service({ download_bps = 20000000, upload_bps = 10000000 })
  t.same(mikrotik.reply(svc, fup.speeds(svc, 0)), { ["Mikrotik-Rate-Limit"] = "10M/20M" })
end)

test("mikrotik: a CoA carries only the rate, never the address list", function()
  local svc = plan()
  t.same(mikrotik.coa(nil, svc, fup.speeds(svc, 2)),
    { ["Mikrotik-Rate-Limit"] = "2M/4M 0/0 0/0 0/0 4" })
end)

test("mikrotik: an invalid rate is refused, not sent", function()
  local svc = t.service({ download_bps = 20000000, upload_bps = 10000000, priority = 12 })
  local ok, err = pcall(mikrotik.reply, svc, fup.speeds(svc, 0))
  t.eq(ok, false)
  t.ok(tostring(err):find("refusing to send invalid Mikrotik-Rate-Limit", 1, true), err)
end)
