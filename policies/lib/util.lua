-- Small helpers the other modules share. Pure functions, no globals.
--
-- Lists handed over by the engine (nas.realms, sub.extra, service.fup) are read-only tables;
-- they may be proxies whose `#` and ipairs() see nothing. So every list here is walked by
-- indexing 1, 2, 3... until nil, which works for plain tables and for proxies alike.
local util = {}

-- for i, v in util.each(list) do ... end  (nil list: no iterations)
function util.each(list)
  local i = 0
  return function()
    if list == nil then return nil end
    i = i + 1
    local v = list[i]
    if v == nil then return nil end
    return i, v
  end
end

-- The number of items of a list (see above for why not `#`).
function util.count(list)
  local n = 0
  for _ in util.each(list) do n = n + 1 end
  return n
end

-- A MAC address in the one form Gatehouse compares: "AA:BB:CC:DD:EE:FF".
-- Accepts "aa-bb-cc-dd-ee-ff", "aabb.ccdd.eeff" (Cisco), "AABBCCDDEEFF", any case.
-- Anything that is not 12 hex digits comes back trimmed and upper-cased, so a
-- non-MAC Calling-Station-Id (a phone number, a circuit id) still compares exactly.
function util.normalize_mac(s)
  if s == nil then return "" end
  s = tostring(s):gsub("^%s+", ""):gsub("%s+$", "")
  local hex = s:gsub("[:%-%.]", ""):upper()
  if #hex == 12 and not hex:find("[^0-9A-F]") then
    return (hex:gsub("(%x%x)", "%1:"):sub(1, 17))
  end
  return s:upper()
end

-- A realm as written by an operator ("@Example.COM", " example.com") or sent by the NAS,
-- in the form we compare: lower case, no leading '@', no spaces. DNS names are case-insensitive.
function util.normalize_realm(s)
  if s == nil then return "" end
  return (tostring(s):gsub("^%s+", ""):gsub("%s+$", ""):gsub("^@", ""):lower())
end

-- True when `s` is nil or "".
function util.blank(s)
  return s == nil or s == ""
end

-- n when it is a number > 0, else nil: the model uses 0 for "not set".
function util.positive(n)
  if type(n) == "number" and n > 0 then return n end
  return nil
end

-- Reads an optional setting without trusting that a missing key reads as nil: the engine's
-- settings table is read-only and may raise on an unknown name. Extra settings are strings.
function util.setting(name, default)
  local ok, value = pcall(function() return settings[name] end)
  if not ok or value == nil or value == "" then return default end
  return value
end

-- A cache for values computed from a service (reply strings, FUP thresholds), so that
-- authorize() does the string work once per service instead of on every login:
--
--   local thresholds = util.service_cache(function(service) return ... end)
--   local v = thresholds(service)   -- compute(service) the first time, then the same value
--
-- It is keyed by service.identity, a number the engine gives each version of a service: an
-- edit in the panel makes a new version with a new identity, so a cached value is never stale
-- (old entries just stop being used). The table is emptied when it holds MAX_CACHED_SERVICES
-- entries, which bounds its memory in a VM that lives through many edits. A service without an
-- identity (a plain table, as some tests pass) is computed every time. `compute` must depend
-- on the service's fields only, and the caller must not modify what it returns.
local MAX_CACHED_SERVICES = 1000

function util.service_cache(compute)
  local cache, size = {}, 0
  return function(service)
    local key = service.identity
    if key == nil then return compute(service) end
    local value = cache[key]
    if value == nil then
      value = compute(service)
      if size >= MAX_CACHED_SERVICES then cache, size = {}, 0 end
      cache[key] = value
      size = size + 1
    end
    return value
  end
end

-- "2026-11-21" for a unix time, in UTC: what a Reply-Message shows the subscriber.
function util.date(unix)
  return os.date("!%Y-%m-%d", unix)
end

return util
