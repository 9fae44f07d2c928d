-- vendors/huawei.lua: the exact attributes it emits, pinned by golden files (vendors/golden/).
-- The standard cases (accept, FUP, CoA, walled garden) come from lib/vendor_suite.lua;
-- below are the cases that are this vendor's own.
local t = require("testing")
local huawei = require("vendors.huawei")
local fup = require("lib.fup")
local suite = require("lib.vendor_suite")

suite.run("huawei")

local plan = suite.plan
local GB = suite.GB
local function login(...) return suite.login("huawei", ...) end

test("huawei: without a filter_id the rates go in bit/s, peaks only above the average", function()
  local svc = plan({ filter_id = "", burst_upload_bps = 0 })
  t.same(huawei.reply(svc, fup.speeds(svc, 0)), {
    ["Huawei-Input-Average-Rate"] = 10000000,
    ["Huawei-Output-Average-Rate"] = 20000000,
    ["Huawei-Output-Peak-Rate"] = 30000000,
  })
end)

test("huawei: Access-Accept with rates when no tier has a profile", function()
  local svc = plan({ filter_id = "", fup = {
    { name = "FUP1", daily_bytes = GB, download_bps = 4000000, upload_bps = 2000000 } } })
  local req, sub, nas = login(svc)
  t.golden("huawei_accept_rates_normal", authorize(req, sub, nas).reply)
  local req2, sub2, nas2 = login(svc, { daily_download = GB })
  t.golden("huawei_accept_rates_fup1", authorize(req2, sub2, nas2).reply)
  t.golden("huawei_coa_rates_fup1", coa_for_tier(sub2, nas2, 1))
end)
