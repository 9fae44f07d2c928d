-- MikroTik rates: formatting bits/s the way RouterOS reads them, and checking a whole
-- Mikrotik-Rate-Limit string against its grammar (shared/reference/vendors.md):
--
--   rx-rate[/tx-rate] [rx-burst-rate[/tx-burst-rate] [rx-burst-threshold[/tx-burst-threshold]
--     [rx-burst-time[/tx-burst-time] [priority] [rx-rate-min[/tx-rate-min]]]]]
--
-- rx is what the router receives from the client (client UPLOAD), tx is client DOWNLOAD.
-- A router silently ignores a Mikrotik-Rate-Limit it cannot parse and leaves the subscriber
-- unshaped, so the policy refuses to emit one that fails rate.check().
local rate = {}

-- 20000000 -> "20M", 1200000 -> "1200k", 1500 -> "1500", 0 -> "0" (0 = unlimited on RouterOS).
-- Whole megabits use M, whole kilobits k, anything else plain bits/s. No "G": it is not in
-- MikroTik's RADIUS documentation, so 1 Gbit/s is "1000M".
function rate.format(bps)
  assert(type(bps) == "number" and bps >= 0, "rate.format: bits/s must be a number >= 0")
  bps = math.floor(bps)
  if bps == 0 then return "0" end
  if bps % 1000000 == 0 then return string.format("%dM", bps / 1000000) end
  if bps % 1000 == 0 then return string.format("%dk", bps / 1000) end
  return string.format("%d", bps)
end

-- "20M" -> 20000000, "1200k" -> 1200000, "64000" -> 64000; nil for anything else
-- (lower-case "m", "G", decimals, signs and spaces are refused: RouterOS docs use k and M).
function rate.parse(s)
  local digits, suffix = tostring(s):match("^(%d+)([kM]?)$")
  if not digits then return nil end
  local n = tonumber(digits)
  if suffix == "k" then return n * 1000 end
  if suffix == "M" then return n * 1000000 end
  return n
end

-- "a/b" or "a" (b defaults to a), each part checked by `parse_one`; nil, err on failure.
local function pair(field, s, parse_one)
  local a, b = s:match("^([^/]+)/([^/]+)$")
  if not a then
    if s:find("/", 1, true) then return nil, field .. ": malformed pair '" .. s .. "'" end
    a, b = s, s
  end
  local x, y = parse_one(a), parse_one(b)
  if x == nil or y == nil then return nil, field .. ": bad value '" .. s .. "'" end
  return { x, y }
end

local function seconds(s)
  if s:match("^%d+$") then return tonumber(s) end
  return nil
end

-- Checks a Mikrotik-Rate-Limit string. Returns a table of the parsed fields, or nil and a
-- reason ("burst-time: bad value '1x'"). Fields: rate, burst, threshold, time, min ({rx, tx}
-- each) and priority; absent ones are nil.
function rate.check(s)
  if type(s) ~= "string" then return nil, "not a string" end
  if s:find("^%s") or s:find("%s$") or s:find("%s%s") or s:find("[\t\r\n]") then
    return nil, "fields must be separated by single spaces"
  end
  local fields = {}
  for f in s:gmatch("%S+") do fields[#fields + 1] = f end
  if #fields == 0 then return nil, "empty" end
  if #fields > 6 then return nil, "too many fields (" .. #fields .. ")" end
  local out = {}
  local err
  out.rate, err = pair("rate", fields[1], rate.parse)
  if not out.rate then return nil, err end
  if fields[2] then
    out.burst, err = pair("burst-rate", fields[2], rate.parse)
    if not out.burst then return nil, err end
  end
  if fields[3] then
    out.threshold, err = pair("burst-threshold", fields[3], rate.parse)
    if not out.threshold then return nil, err end
  end
  if fields[4] then
    out.time, err = pair("burst-time", fields[4], seconds)
    if not out.time then return nil, err end
  end
  if fields[5] then
    local p = fields[5]:match("^[1-8]$")
    if not p then return nil, "priority: must be 1..8, got '" .. fields[5] .. "'" end
    out.priority = tonumber(p)
  end
  if fields[6] then
    out.min, err = pair("rate-min", fields[6], rate.parse)
    if not out.min then return nil, err end
    -- limit-at may not exceed max-limit (0 = unlimited, so anything fits under it)
    for i = 1, 2 do
      if out.rate[i] > 0 and out.min[i] > out.rate[i] then
        return nil, "rate-min: exceeds the rate"
      end
    end
  end
  return out
end

-- The Mikrotik-Rate-Limit for a tier's speeds (lib/fup.lua speeds()):
--   "up/down"                                             plain
--   "up/down bup/bdown thup/thdown t/t [prio]"            with a burst
--   "up/down 0/0 0/0 0/0 prio"                            priority only
-- Burst fields are positional, so once a burst is given all four groups are written:
-- a missing threshold is the rate (RouterOS's own default), a missing burst time is 1 s.
-- Raises an error if the result does not pass rate.check(): better a logged policy error
-- than a subscriber silently left unshaped.
function rate.mikrotik(speeds)
  local up, down = speeds.upload_bps or 0, speeds.download_bps or 0
  local s = rate.format(up) .. "/" .. rate.format(down)
  local bup, bdown = speeds.burst_upload_bps or 0, speeds.burst_download_bps or 0
  local prio = speeds.priority or 0
  if bup > 0 or bdown > 0 then
    local thup = speeds.burst_threshold_upload_bps or 0
    local thdown = speeds.burst_threshold_download_bps or 0
    if thup == 0 then thup = up end
    if thdown == 0 then thdown = down end
    local t = speeds.burst_time or 0
    if t == 0 then t = 1 end
    s = s .. " " .. rate.format(bup) .. "/" .. rate.format(bdown)
      .. " " .. rate.format(thup) .. "/" .. rate.format(thdown)
      .. " " .. string.format("%d/%d", t, t)
    if prio > 0 then s = s .. " " .. string.format("%d", prio) end
  elseif prio > 0 then
    s = s .. " 0/0 0/0 0/0 " .. string.format("%d", prio)
  end
  local ok, err = rate.check(s)
  if not ok then
    error("refusing to send invalid Mikrotik-Rate-Limit '" .. s .. "': " .. err, 2)
  end
  return s
end

return rate
