-- Gatehouse default policy: the decisions an ISP RADIUS server makes for every subscriber.
--
-- C++ has already checked the password (PAP / CHAP / MS-CHAP) before authorize() runs; this
-- file decides everything else. Edit it freely: `gatehouse policy test policies/` runs every
-- *.test.lua beside it, and a reload only goes live if they pass.
--
-- Reject reasons are short, stable strings: the panel groups the log by them. Keep them
-- stable when you change a rule, and add new ones rather than reword old ones.
--
--   reason                   rule                                              MS-CHAP error
--   "unknown user"           no such subscriber                                691
--   "account disabled"       sub.enabled is false                              647
--   "account expired"        past sub.expires_at, settings.expired_action      648
--   "mac mismatch"           sub.mac set and Calling-Station-Id differs        691
--   "realm not allowed"      nas.realms set and the user's realm not in it     649
--   "simultaneous use limit" service.simultaneous_use sessions already open    691
--   "no service"             no service (plan) assigned                        649
--
-- Settings (panel: Settings -> RADIUS) read here:
--   interim_interval             Acct-Interim-Interval in every Access-Accept (0: not sent)
--   hard_cut                     end the session at expiry (Session-Timeout)
--   expired_action               "reject" | "grace" | "walled_garden"
--   grace_days                   with "grace": days after expiry still accepted
--   walled_garden_pool           with "walled_garden": the NAS pool for expired users
--   walled_garden_address_list   with "walled_garden": MikroTik address list, and the name
--                                of the walled-garden profile/service on other BNGs
--   walled_garden_bps            (optional extra setting) walled-garden speed, bits/s
local fuplib = require("lib.fup")
local ip = require("lib.ip")
local rate = require("lib.rate")
local util = require("lib.util")
local vendors = require("vendors.init")

local DAY = 86400

-- Walled-garden speed when settings.walled_garden_bps is not set: enough for a payment page.
local WALLED_GARDEN_BPS = 256000

-- Attributes C++ adds itself from accept()'s opts (ip, session_timeout, idle_timeout).
-- A policy or an operator row must not add them to the reply as well, or the NAS would get
-- two. Operator rows with these names are read into the opts instead (see operator_rows).
local FROM_OPTS = {
  ["Framed-IP-Address"] = true,
  ["Framed-Pool"] = true,
  ["Session-Timeout"] = true,
  ["Idle-Timeout"] = true,
}

local function refuse(reason, mschap_error, message)
  local opts = { mschap_error = mschap_error }
  if message then opts.reply = { ["Reply-Message"] = message } end
  return reject(reason, opts)
end

-- Expiry. Returns "active", "grace" (expired, inside the grace days) or "walled_garden"
-- (expired, to be let into the walled garden), or nil when the subscriber must be rejected.
-- Also returns the moment the current state ends (expiry, or the end of the grace days),
-- which a hard cut turns into Session-Timeout.
local function expiry_state(sub, t)
  local expires = sub.expires_at
  if expires == nil or t < expires then return "active", expires end
  local action = settings.expired_action
  if action == "grace" then
    local grace_end = expires + (settings.grace_days or 0) * DAY
    if t < grace_end then return "grace", grace_end end
    return nil
  end
  if action == "walled_garden" then return "walled_garden", nil end
  return nil -- "reject", and any value we do not know: fail closed
end

-- MAC binding: a subscriber with sub.mac set may only log in from that device. Both sides are
-- normalised, so "aa-bb-cc-dd-ee-ff" in the panel matches "AA:BB:CC:DD:EE:FF" from the NAS.
-- A request without Calling-Station-Id does not match a bound MAC.
local function mac_ok(req, sub)
  local bound = sub.mac
  if util.blank(bound) then return true end
  local sent = req.mac
  if util.blank(sent) then return false end
  -- The usual case costs no string work: the NAS sends the MAC in the form the panel stores
  -- (the engine already normalises req.mac), and equal strings normalise equally.
  if sent == bound then return true end
  return util.normalize_mac(sent) == util.normalize_mac(bound)
end

-- Allowed realms: a NAS shared by several resellers may list the realms it serves
-- ("example.com", "@example.com"; case does not matter). An empty list allows every user,
-- a non-empty one refuses users without a realm.
local function realm_ok(req, nas)
  if nas == nil then return true end
  local realms = nas.realms
  if realms == nil or realms[1] == nil then return true end -- an empty list
  local realm = util.normalize_realm(req.realm)
  if realm == "" then return false end
  for _, allowed in util.each(realms) do
    if util.normalize_realm(allowed) == realm then return true end
  end
  return false
end

-- Simultaneous use: service.simultaneous_use sessions at most (0: unlimited). A session whose
-- Accounting-Stop was lost counts until the stale-session job closes it.
local function sessions_ok(sub, facts)
  if facts == nil then return true end
  local limit = facts.simultaneous_use or 0
  return limit <= 0 or (sub.open_sessions or 0) < limit
end

-- Operator rows (sub.extra, the panel's per-subscriber RADIUS attributes): added to the
-- reply; a name the policy already set is replaced by the operator's rows (several rows of
-- one name become several attributes). Rows named in FROM_OPTS are not copied: IP rows are
-- read by lib/ip.lua, Session-Timeout/Idle-Timeout rows replace the service's values.
-- A Mikrotik-Rate-Limit row that fails the grammar is dropped with a warning (the router
-- would ignore it and leave the subscriber unshaped).
-- False (with a warning) for an operator Mikrotik-Rate-Limit row the router could not parse.
local function row_ok(sub, name, value)
  if name ~= "Mikrotik-Rate-Limit" then return true end
  local ok, err = rate.check(value)
  if ok then return true end
  log.warn("subscriber " .. tostring(sub.username) .. ": operator row Mikrotik-Rate-Limit '"
    .. tostring(value) .. "' ignored: " .. err)
  return false
end

local function operator_rows(sub, reply, opts)
  local rows = sub.extra
  if rows == nil or rows[1] == nil then return end -- most subscribers have none
  local seen = {}
  for _, row in util.each(rows) do
    local name, value = row.name, row.value
    if name == "Session-Timeout" or name == "Idle-Timeout" then
      local n = tonumber(value)
      if n and n >= 1 then
        opts[name == "Session-Timeout" and "session_timeout" or "idle_timeout"] = math.floor(n)
      end
    elseif not FROM_OPTS[name] and row_ok(sub, name, value) then
      if not seen[name] then          -- the first row replaces the policy's value
        seen[name] = true
        reply[name] = value
      elseif type(reply[name]) == "table" then
        table.insert(reply[name], value)
      else
        reply[name] = { reply[name], value }
      end
    end
  end
end

-- Session-Timeout: the service's limit, and with settings.hard_cut the seconds left until
-- `cut_at` (expiry, or the end of the grace days), whichever is shorter.
local function session_timeout(service_limit, cut_at, t)
  local limit = util.positive(service_limit)
  if settings.hard_cut and cut_at then
    local left = cut_at - t
    if left < 1 then left = 1 end
    if limit == nil or left < limit then limit = left end
  end
  return limit
end

-- What authorize() needs from a service on every login, read once per service version into a
-- plain table (util.service_cache: an edited service has a new identity, so this is never
-- stale). Each read of a service field goes through the engine; a plain table read does not.
-- The pool fields make it a valid `service` argument for ip.rule(). `replies` caches the
-- vendor replies (vendor_reply below).
local service_facts = util.service_cache(function(service)
  return {
    simultaneous_use = service.simultaneous_use,
    idle_timeout = service.idle_timeout,
    session_timeout = service.session_timeout,
    managed_pool = service.managed_pool,
    pool_name = service.pool_name,
    replies = {},
  }
end)

-- The vendor's reply for a service at a tier, computed once per service version, vendor and
-- tier: formatting and checking a Mikrotik-Rate-Limit on every login was a third of
-- authorize(). Vendor reply() functions depend on (service, speeds) only, which is what makes
-- this safe. Each call gets its own copy, which authorize() then extends.
local function vendor_reply(vendor, service, facts, tier)
  local by_vendor = facts.replies
  local by_tier = by_vendor[vendor]
  if by_tier == nil then
    by_tier = {}
    by_vendor[vendor] = by_tier
  end
  local cached = by_tier[tier]
  if cached == nil then
    cached = vendor.reply(service, fuplib.speeds(service, tier))
    by_tier[tier] = cached
  end
  local reply = {}
  for name, value in pairs(cached) do
    if type(value) == "table" then -- a list of values: copied too, operator rows may extend it
      local list = {}
      for i = 1, #value do list[i] = value[i] end
      value = list
    end
    reply[name] = value
  end
  return reply
end

-- The walled garden: an expired subscriber is accepted at a small speed into the
-- walled-garden pool and address list/profile, where the operator's firewall lets them reach
-- the payment portal only. Paying ends it: the panel disconnects the session, the subscriber
-- redials and gets the normal accept.
local function walled_garden(sub, nas)
  local bps = tonumber(util.setting("walled_garden_bps", nil)) or WALLED_GARDEN_BPS
  local speeds = {
    tier = 0,
    name = "walled-garden",
    filter_id = settings.walled_garden_address_list or "",
    download_bps = bps,
    upload_bps = bps,
  }
  local reply = vendors.for_nas(nas).walled_garden(settings, speeds)
  reply["Reply-Message"] = "Account expired"
  if util.positive(settings.interim_interval) then
    reply["Acct-Interim-Interval"] = settings.interim_interval
  end
  local opts = { tier = 0 }
  if not util.blank(settings.walled_garden_pool) then
    opts.ip = { nas_pool = settings.walled_garden_pool }
  else
    opts.ip = ip.rule(sub, sub.service)
  end
  return accept(reply, opts)
end

function authorize(req, sub, nas)
  if sub == nil then return refuse("unknown user", 691) end
  if not sub.enabled then return refuse("account disabled", 647, "Account disabled") end

  local t = now()
  local state, cut_at = expiry_state(sub, t)
  if state == nil then return refuse("account expired", 648, "Account expired") end

  if not mac_ok(req, sub) then return refuse("mac mismatch", 691) end
  if not realm_ok(req, nas) then return refuse("realm not allowed", 649) end

  local service = sub.service
  local facts = service and service_facts(service)
  if not sessions_ok(sub, facts) then
    return refuse("simultaneous use limit", 691, "Already logged in")
  end

  if state == "walled_garden" then return walled_garden(sub, nas) end
  if service == nil then return refuse("no service", 649) end

  -- The speed: the FUP tier for today's and this month's usage, rendered by the NAS's vendor
  -- module (vendors/<nas.type>.lua).
  local tier = fuplib.tier_for(service, sub.usage) -- what fup() below returns
  local reply = vendor_reply(vendors.for_nas(nas), service, facts, tier)

  local interim = settings.interim_interval
  if util.positive(interim) then
    reply["Acct-Interim-Interval"] = interim
  end
  if state == "grace" then
    reply["Reply-Message"] = "Account expired on " .. util.date(sub.expires_at)
      .. "; grace period until " .. util.date(cut_at)
  end

  local opts = {
    tier = tier,
    ip = ip.rule(sub, facts),
    idle_timeout = util.positive(facts.idle_timeout),
    session_timeout = facts.session_timeout,
  }
  operator_rows(sub, reply, opts)
  opts.session_timeout = session_timeout(opts.session_timeout, cut_at, t)
  return accept(reply, opts)
end

-- Accounting: every Accounting-Request is recorded unless it is nonsense. Tags are stored
-- with the record so the panel can find odd ones. Discarded requests are logged with the
-- reason and not stored.
--   discard "no status type"        no Acct-Status-Type: cannot tell Start from Stop
--   discard "unknown status type"   a status we do not handle
--   discard "absurd session time"   Acct-Session-Time beyond MAX_SESSION_TIME (a NAS bug
--                                   sending 0xFFFFFFFF or a clock jump)
--   discard "counters on start"     a Start carrying octets/packets/session time (RFC 2866
--                                   5.3, 5.7: those belong to Interim-Update and Stop)
--   tag "no-session-id"             no Acct-Session-Id: kept, but it matches no session
--   tag "unknown-user"              no such subscriber (a session the panel should know of)
--   tag "late"                      Acct-Delay-Time over an hour (replayed from a NAS buffer)
--   tag "nas-on" / "nas-off"        Accounting-On/Off: the NAS rebooted; its sessions end
--   tag "failed"                    Acct-Status-Type Failed
local MAX_SESSION_TIME = 366 * DAY -- a year: no real PPPoE session lasts longer
local LATE_DELAY = 3600

local STATUS = {
  ["Start"] = "start",
  ["Stop"] = "stop",
  ["Interim-Update"] = "interim",
  ["Alive"] = "interim", -- RFC 2866's older name for 3
  ["Accounting-On"] = "nas-on",
  ["Accounting-Off"] = "nas-off",
  ["Failed"] = "failed",
}

local START_COUNTERS = {
  "Acct-Input-Octets", "Acct-Output-Octets", "Acct-Input-Gigawords", "Acct-Output-Gigawords",
  "Acct-Input-Packets", "Acct-Output-Packets", "Acct-Session-Time",
}

function accounting(req, sub, _)
  local status = req["Acct-Status-Type"]
  if status == nil then return discard("no status type") end
  local kind = STATUS[status]
  if kind == nil then return discard("unknown status type") end

  local tags = {}
  if kind == "nas-on" or kind == "nas-off" or kind == "failed" then
    tags[#tags + 1] = kind
  end

  local session_time = req["Acct-Session-Time"]
  if session_time ~= nil and (session_time < 0 or session_time > MAX_SESSION_TIME) then
    return discard("absurd session time")
  end
  if kind == "start" then
    for _, name in ipairs(START_COUNTERS) do
      local v = req[name]
      if v ~= nil and v ~= 0 then return discard("counters on start") end
    end
  end

  -- Accounting-On/Off describe the NAS, not a session: no session id or user expected.
  if kind ~= "nas-on" and kind ~= "nas-off" then
    if util.blank(req["Acct-Session-Id"]) then tags[#tags + 1] = "no-session-id" end
    if sub == nil then tags[#tags + 1] = "unknown-user" end
  end
  local delay = req["Acct-Delay-Time"]
  if delay ~= nil and delay > LATE_DELAY then tags[#tags + 1] = "late" end
  return record(tags)
end

-- FUP: the tier for this usage, 0 (normal) or n = sub.service.fup[n]. lib/fup.lua walks the
-- tiers in order and takes the highest whose daily or monthly threshold is reached, counting
-- service.fup_counts (download | upload | total). Called after accounting updates the
-- counters; a change of tier makes the jobs leader send coa_for_tier() to the NAS.
function fup(sub, usage)
  return fuplib.tier_for(sub.service, usage)
end

-- The attributes that move a live session to `tier`, in the NAS vendor's CoA form
-- (C++ adds the session identification: User-Name, Acct-Session-Id, Framed-IP-Address).
function coa_for_tier(sub, nas, tier)
  local service = sub.service
  if service == nil then
    log.warn("coa_for_tier: subscriber " .. tostring(sub.username) .. " has no service")
    return {}
  end
  return vendors.for_nas(nas).coa(sub, service, fuplib.speeds(service, tier))
end
