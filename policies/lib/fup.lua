-- Fair-usage policy (FUP): which tier a subscriber is in, and the speeds of a tier.
--
-- A service has a normal speed (tier 0) and an ordered list of FUP tiers (service.fup:
-- FUP1, FUP2, FUP3 ...), each with a daily and a monthly threshold in bytes (0: that
-- threshold is not used) and its own speeds and BNG profile (filter_id).
-- service.fup_counts says which traffic counts against the thresholds:
--   "download" | "upload" | "total" (the default; anything else is treated as "total").
local util = require("lib.util")

local fup = {}

-- The counter names of each period, spelled out so that no string is built per call.
local COUNTERS = {
  daily = { download = "daily_download", upload = "daily_upload", total = "daily_total" },
  monthly = { download = "monthly_download", upload = "monthly_upload",
              total = "monthly_total" },
}

-- The usage counter that counts for `period` ("daily"|"monthly") under `counts`.
-- usage may lack the *_total fields: they are then the sum of the two directions.
function fup.used(usage, period, counts)
  if usage == nil then return 0 end
  local names = COUNTERS[period] or { download = period .. "_download",
    upload = period .. "_upload", total = period .. "_total" }
  if counts == "download" then return usage[names.download] or 0 end
  if counts == "upload" then return usage[names.upload] or 0 end
  local total = usage[names.total]
  if total == nil then total = (usage[names.download] or 0) + (usage[names.upload] or 0) end
  return total
end

-- True when a tier's daily or monthly threshold is reached (>=). A threshold of 0 is off.
function fup.reached(tier, daily, monthly)
  local d, m = tier.daily_bytes or 0, tier.monthly_bytes or 0
  return (d > 0 and daily >= d) or (m > 0 and monthly >= m)
end

-- What tier_for needs from a service, read once per service version (util.service_cache):
-- which traffic counts, and each tier's two thresholds as plain numbers.
local thresholds = util.service_cache(function(service)
  local out = { counts = service.fup_counts or "total" }
  for i, tier in util.each(service.fup) do
    out[i] = { daily_bytes = tier.daily_bytes or 0, monthly_bytes = tier.monthly_bytes or 0 }
  end
  return out
end)

-- The tier for this usage: 0 (normal) or n for service.fup[n]. Tiers are walked in order and
-- the HIGHEST one reached wins, so a subscriber past FUP2's monthly threshold is in FUP2
-- even if FUP1's daily threshold was reset this morning.
function fup.tier_for(service, usage)
  if service == nil then return 0 end
  local tiers = thresholds(service)
  if tiers[1] == nil then return 0 end -- no tiers: no need to read the usage
  local daily = fup.used(usage, "daily", tiers.counts)
  local monthly = fup.used(usage, "monthly", tiers.counts)
  local found = 0
  local i = 1
  while tiers[i] ~= nil do
    if fup.reached(tiers[i], daily, monthly) then found = i end
    i = i + 1
  end
  return found
end

-- The speeds of tier `n` of `service` as one plain table, which the vendor modules render:
--   { tier = n, name = "FUP1", download_bps, upload_bps, filter_id,
--     burst_download_bps, burst_upload_bps, burst_threshold_download_bps,
--     burst_threshold_upload_bps, burst_time, priority }
-- Tier 0 is the service's own speed with its burst and priority. FUP tiers have no burst
-- (a throttled subscriber should not burst back to full speed) but keep the priority.
-- An n past the end of service.fup (the tiers changed under a live session) gives the last
-- tier: throttling too hard for one session beats silently un-throttling.
function fup.speeds(service, n)
  n = n or 0
  local s = {
    tier = 0,
    name = service.name or "",
    download_bps = service.download_bps or 0,
    upload_bps = service.upload_bps or 0,
    filter_id = service.filter_id or "",
    burst_download_bps = service.burst_download_bps or 0,
    burst_upload_bps = service.burst_upload_bps or 0,
    burst_threshold_download_bps = service.burst_threshold_download_bps or 0,
    burst_threshold_upload_bps = service.burst_threshold_upload_bps or 0,
    burst_time = service.burst_time or 0,
    priority = service.priority or 0,
  }
  if n <= 0 then return s end
  local count = util.count(service.fup)
  if count == 0 then return s end
  if n > count then n = count end
  local tier = service.fup[n]
  return {
    tier = n,
    name = tier.name or ("FUP" .. n),
    download_bps = tier.download_bps or 0,
    upload_bps = tier.upload_bps or 0,
    filter_id = tier.filter_id or "",
    burst_download_bps = 0,
    burst_upload_bps = 0,
    burst_threshold_download_bps = 0,
    burst_threshold_upload_bps = 0,
    burst_time = 0,
    priority = s.priority,
  }
end

-- The name of the BNG-side profile for these speeds (Cisco service, Juniper service,
-- Huawei QoS profile): the tier's filter_id, else its name ("FUP1", or the service's name
-- for tier 0). Configure the BNG with exactly these names.
function fup.profile(speeds)
  if not util.blank(speeds.filter_id) then return speeds.filter_id end
  return speeds.name
end

return fup
