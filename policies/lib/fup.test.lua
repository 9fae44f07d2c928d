-- lib/fup.lua: tier selection and the speeds of a tier.
local t = require("testing")
local fup = require("lib.fup")

local GB = 1000000000

local function plan(fields)
  local f = {
    name = "Home 20M", download_bps = 20000000, upload_bps = 10000000, filter_id = "Normal",
    burst_download_bps = 30000000, burst_upload_bps = 15000000, burst_time = 8, priority = 4,
    fup = {
      { name = "FUP1", daily_bytes = 10 * GB, monthly_bytes = 200 * GB,
        download_bps = 10000000, upload_bps = 5000000, filter_id = "FUP1" },
      { name = "FUP2", daily_bytes = 20 * GB, monthly_bytes = 300 * GB,
        download_bps = 4000000, upload_bps = 2000000, filter_id = "FUP2" },
      { name = "FUP3", daily_bytes = 0, monthly_bytes = 500 * GB,
        download_bps = 1000000, upload_bps = 512000 },
    },
  }
  for k, v in pairs(fields or {}) do f[k] = v end
  return t.service(f)
end

local function usage(daily_down, daily_up, monthly_down, monthly_up)
  return t.subscriber({ usage = {
    daily_download = daily_down or 0, daily_upload = daily_up or 0,
    monthly_download = monthly_down or 0, monthly_upload = monthly_up or 0,
  } }).usage
end

test("no usage is the normal tier", function()
  t.eq(fup.tier_for(plan(), usage()), 0)
end)

test("a service without tiers is always tier 0", function()
  t.eq(fup.tier_for(t.service({ download_bps = 1 }), usage(100 * GB, 0, 900 * GB, 0)), 0)
end)

test("no service is tier 0", function()
  t.eq(fup.tier_for(nil, usage(100 * GB)), 0)
end)

test("a daily threshold is reached at exactly its value, not one byte before", function()
  t.eq(fup.tier_for(plan(), usage(10 * GB - 1)), 0)
  t.eq(fup.tier_for(plan(), usage(10 * GB)), 1)
end)

test("a monthly threshold alone moves the tier", function()
  t.eq(fup.tier_for(plan(), usage(0, 0, 200 * GB)), 1)
  t.eq(fup.tier_for(plan(), usage(0, 0, 300 * GB)), 2)
end)

test("the highest tier reached wins even when a lower one is not reached", function()
  -- FUP3 has no daily threshold and FUP1/FUP2's daily ones were reset this morning
  t.eq(fup.tier_for(plan(), usage(0, 0, 500 * GB)), 3)
  -- daily past FUP2, monthly past FUP1 only
  t.eq(fup.tier_for(plan(), usage(20 * GB, 0, 200 * GB)), 2)
end)

test("fup_counts total adds both directions", function()
  t.eq(fup.tier_for(plan(), usage(6 * GB, 4 * GB)), 1)
  t.eq(fup.tier_for(plan(), usage(6 * GB, 4 * GB - 1)), 0)
end)

test("fup_counts download ignores upload, upload ignores download", function()
  t.eq(fup.tier_for(plan({ fup_counts = "download" }), usage(6 * GB, 9 * GB)), 0)
  t.eq(fup.tier_for(plan({ fup_counts = "download" }), usage(10 * GB, 0)), 1)
  t.eq(fup.tier_for(plan({ fup_counts = "upload" }), usage(50 * GB, 9 * GB)), 0)
  t.eq(fup.tier_for(plan({ fup_counts = "upload" }), usage(0, 10 * GB)), 1)
end)

test("used sums the directions when the usage has no totals", function()
  t.eq(fup.used({ daily_download = 3, daily_upload = 4 }, "daily", "total"), 7)
  t.eq(fup.used({ monthly_download = 3, monthly_upload = 4 }, "monthly", "upload"), 4)
  t.eq(fup.used(nil, "daily", "total"), 0)
end)

test("tier 0 speeds are the service's, with burst and priority", function()
  t.same(fup.speeds(plan(), 0), {
    tier = 0, name = "Home 20M", download_bps = 20000000, upload_bps = 10000000,
    filter_id = "Normal", burst_download_bps = 30000000, burst_upload_bps = 15000000,
    burst_threshold_download_bps = 0, burst_threshold_upload_bps = 0, burst_time = 8,
    priority = 4,
  })
end)

test("a FUP tier's speeds have no burst but keep the priority", function()
  t.same(fup.speeds(plan(), 2), {
    tier = 2, name = "FUP2", download_bps = 4000000, upload_bps = 2000000, filter_id = "FUP2",
    burst_download_bps = 0, burst_upload_bps = 0, burst_threshold_download_bps = 0,
    burst_threshold_upload_bps = 0, burst_time = 0, priority = 4,
  })
end)

test("a tier past the end of the list gives the last tier", function()
  t.eq(fup.speeds(plan(), 7).tier, 3)
  t.eq(fup.speeds(plan(), 7).download_bps, 1000000)
end)

test("profile is the filter_id, else the tier's name", function()
  t.eq(fup.profile(fup.speeds(plan(), 1)), "FUP1")
  t.eq(fup.profile(fup.speeds(plan(), 3)), "FUP3")
  t.eq(fup.profile(fup.speeds(plan({ filter_id = "" }), 0)), "Home 20M")
end)
