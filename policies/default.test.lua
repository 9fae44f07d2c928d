-- default.lua: one test per rule, accept and reject paths.
local t = require("testing")

local NOW = 1700000000 -- 2023-11-14 22:13:20 UTC
local DAY = 86400
local GB = 1000000000

local function plan(fields)
  local f = {
    name = "Home 20M", download_bps = 20000000, upload_bps = 10000000,
    pool_name = "pppoe-pool", simultaneous_use = 1,
    fup = {
      { name = "FUP1", daily_bytes = 10 * GB, download_bps = 4000000, upload_bps = 2000000 },
    },
  }
  for k, v in pairs(fields or {}) do f[k] = v end
  return t.service(f)
end

local function user(fields)
  local f = { username = "alice", service = plan() }
  for k, v in pairs(fields or {}) do f[k] = v end
  return t.subscriber(f)
end

local function request(attrs)
  local a = { ["User-Name"] = "alice", ["Calling-Station-Id"] = "AA:BB:CC:DD:EE:FF",
              auth_method = "mschapv2" }
  for k, v in pairs(attrs or {}) do a[k] = v end
  return t.request(a)
end

local function mikrotik(fields)
  local f = { name = "bng-1", type = "mikrotik" }
  for k, v in pairs(fields or {}) do f[k] = v end
  return t.nas(f)
end

local function run(sub, req, nas)
  t.now(NOW)
  return authorize(req or request(), sub, nas or mikrotik())
end

local function rejected(d, reason, mschap_error)
  t.eq(d.decision, "reject")
  t.eq(d.reason, reason)
  t.eq(d.mschap_error, mschap_error)
end

-- unknown user -------------------------------------------------------------------------------

test("an unknown user is rejected without a Reply-Message", function()
  local d = run(nil)
  rejected(d, "unknown user", 691)
  t.same(d.reply, {})
end)

-- the normal accept --------------------------------------------------------------------------

test("a valid subscriber is accepted with speed, interim interval and pool", function()
  local d = run(user())
  t.eq(d.decision, "accept")
  t.same(d.reply, { ["Mikrotik-Rate-Limit"] = "10M/20M", ["Acct-Interim-Interval"] = 300 })
  t.same(d.ip, { nas_pool = "pppoe-pool" })
  t.eq(d.tier, 0)
  t.eq(d.session_timeout, nil)
  t.eq(d.idle_timeout, nil)
end)

-- disabled -----------------------------------------------------------------------------------

test("a disabled account is rejected with MS-CHAP error 647", function()
  local d = run(user({ enabled = false }))
  rejected(d, "account disabled", 647)
  t.same(d.reply, { ["Reply-Message"] = "Account disabled" })
end)

-- expired ------------------------------------------------------------------------------------

test("not yet expired is accepted, one second before expiry too", function()
  t.eq(run(user({ expires_at = NOW + 1 })).decision, "accept")
end)

test("expired with expired_action reject is rejected with 648, at the exact second", function()
  t.settings({ expired_action = "reject" })
  local d = run(user({ expires_at = NOW }))
  rejected(d, "account expired", 648)
  t.same(d.reply, { ["Reply-Message"] = "Account expired" })
end)

test("an unknown expired_action fails closed", function()
  t.settings({ expired_action = "whatever" })
  rejected(run(user({ expires_at = NOW - 1 })), "account expired", 648)
end)

test("grace: accepted within grace_days after expiry, with a Reply-Message", function()
  t.settings({ expired_action = "grace", grace_days = 3 })
  local d = run(user({ expires_at = NOW - 2 * DAY }))
  t.eq(d.decision, "accept")
  t.eq(d.reply["Reply-Message"], "Account expired on 2023-11-12; grace period until 2023-11-15")
  t.eq(d.reply["Mikrotik-Rate-Limit"], "10M/20M")
end)

test("grace: rejected once grace_days have passed", function()
  t.settings({ expired_action = "grace", grace_days = 3 })
  rejected(run(user({ expires_at = NOW - 3 * DAY })), "account expired", 648)
end)

test("grace with hard_cut ends the session at the end of the grace days", function()
  t.settings({ expired_action = "grace", grace_days = 3, hard_cut = true })
  local d = run(user({ expires_at = NOW - 2 * DAY }))
  t.eq(d.session_timeout, DAY)
end)

test("walled garden: accepted into the walled-garden pool, list and speed", function()
  t.settings({ expired_action = "walled_garden", walled_garden_pool = "expired-pool",
               walled_garden_address_list = "unpaid" })
  local d = run(user({ expires_at = NOW - 10 * DAY, static_ip = "10.0.0.5" }))
  t.eq(d.decision, "accept")
  t.same(d.ip, { nas_pool = "expired-pool" })
  t.same(d.reply, {
    ["Mikrotik-Rate-Limit"] = "256k/256k",
    ["Mikrotik-Address-List"] = "unpaid",
    ["Reply-Message"] = "Account expired",
    ["Acct-Interim-Interval"] = 300,
  })
  t.eq(d.tier, 0)
end)

test("walled garden without a pool keeps the subscriber's own IP rule", function()
  t.settings({ expired_action = "walled_garden", walled_garden_pool = "" })
  local d = run(user({ expires_at = NOW - 1, static_ip = "10.0.0.5" }))
  t.eq(d.decision, "accept")
  t.same(d.ip, { static = "10.0.0.5", on_conflict = { attempts = 3, subnet = "10.0.0.0/24" } })
end)

test("walled garden also takes an expired subscriber without a service", function()
  t.settings({ expired_action = "walled_garden", walled_garden_pool = "expired-pool" })
  local d = run(t.subscriber({ username = "alice", expires_at = NOW - 1 }))
  t.eq(d.decision, "accept")
  t.same(d.ip, { nas_pool = "expired-pool" })
end)

test("walled garden still enforces the MAC binding", function()
  t.settings({ expired_action = "walled_garden", walled_garden_pool = "expired-pool" })
  local d = run(user({ expires_at = NOW - 1, mac = "11:22:33:44:55:66" }))
  rejected(d, "mac mismatch", 691)
end)

-- MAC binding --------------------------------------------------------------------------------

test("MAC binding: the bound MAC is accepted whatever its notation", function()
  local d = run(user({ mac = "aa-bb-cc-dd-ee-ff" }),
                request({ ["Calling-Station-Id"] = "AA:BB:CC:DD:EE:FF" }))
  t.eq(d.decision, "accept")
  d = run(user({ mac = "AA:BB:CC:DD:EE:FF" }),
          request({ ["Calling-Station-Id"] = "aa-bb-cc-dd-ee-ff" }))
  t.eq(d.decision, "accept")
  d = run(user({ mac = "aabb.ccdd.eeff" }), request())
  t.eq(d.decision, "accept")
end)

test("MAC binding: another device is rejected", function()
  rejected(run(user({ mac = "AA:BB:CC:DD:EE:00" })), "mac mismatch", 691)
end)

test("MAC binding: a request without Calling-Station-Id is rejected", function()
  local req = t.request({ ["User-Name"] = "alice", auth_method = "pap" })
  rejected(run(user({ mac = "AA:BB:CC:DD:EE:FF" }), req), "mac mismatch", 691)
end)

test("no MAC bound: any device is accepted", function()
  t.eq(run(user({ mac = "" }), request({ ["Calling-Station-Id"] = "01:02:03:04:05:06" })).decision,
       "accept")
end)

-- realms -------------------------------------------------------------------------------------

test("realm: a NAS without realms takes every user", function()
  t.eq(run(user(), request({ ["User-Name"] = "alice@other.net" })).decision, "accept")
end)

test("realm: a listed realm is accepted, whatever its case and '@'", function()
  local nas = mikrotik({ realms = { "@ISP-A.net", "isp-b.net" } })
  t.eq(run(user(), request({ ["User-Name"] = "alice@isp-a.NET" }), nas).decision, "accept")
  t.eq(run(user(), request({ ["User-Name"] = "alice@isp-b.net" }), nas).decision, "accept")
end)

test("realm: an unlisted realm is rejected with 649", function()
  local nas = mikrotik({ realms = { "isp-a.net" } })
  rejected(run(user(), request({ ["User-Name"] = "alice@isp-b.net" }), nas),
           "realm not allowed", 649)
end)

test("realm: a user without a realm is rejected on a NAS with realms", function()
  local nas = mikrotik({ realms = { "isp-a.net" } })
  rejected(run(user(), request({ ["User-Name"] = "alice" }), nas), "realm not allowed", 649)
end)

-- simultaneous use ---------------------------------------------------------------------------

test("simultaneous use: below the limit is accepted", function()
  local svc = plan({ simultaneous_use = 2 })
  t.eq(run(user({ service = svc, open_sessions = 1 })).decision, "accept")
end)

test("simultaneous use: at the limit is rejected", function()
  local svc = plan({ simultaneous_use = 2 })
  local d = run(user({ service = svc, open_sessions = 2 }))
  rejected(d, "simultaneous use limit", 691)
  t.same(d.reply, { ["Reply-Message"] = "Already logged in" })
  rejected(run(user({ open_sessions = 1 })), "simultaneous use limit", 691)
end)

test("simultaneous use: 0 means unlimited", function()
  local svc = plan({ simultaneous_use = 0 })
  t.eq(run(user({ service = svc, open_sessions = 50 })).decision, "accept")
end)

-- no service ---------------------------------------------------------------------------------

test("a subscriber without a service is rejected", function()
  rejected(run(t.subscriber({ username = "alice" })), "no service", 649)
end)

-- IP rule ------------------------------------------------------------------------------------

test("IP: a static IP is sent as the static rule, not Framed-Pool", function()
  local d = run(user({ static_ip = "10.0.0.5" }))
  t.same(d.ip, { static = "10.0.0.5", on_conflict = { attempts = 3, subnet = "10.0.0.0/24" } })
  t.eq(d.reply["Framed-IP-Address"], nil)
  t.eq(d.reply["Framed-Pool"], nil)
end)

test("IP: a managed pool makes Gatehouse claim the address", function()
  local d = run(user({ service = plan({ managed_pool = "managed-1" }), last_ip = "10.1.0.7" }))
  t.same(d.ip, { pool = "managed-1" })
end)

test("IP: the service's pool_name is the NAS pool", function()
  t.same(run(user()).ip, { nas_pool = "pppoe-pool" })
end)

test("IP: no static and no pool says nothing", function()
  t.eq(run(user({ service = plan({ pool_name = "" }) })).ip, nil)
end)

-- timers -------------------------------------------------------------------------------------

test("Acct-Interim-Interval comes from settings.interim_interval, 0 leaves it out", function()
  t.settings({ interim_interval = 30 })
  t.eq(run(user()).reply["Acct-Interim-Interval"], 30)
  t.settings({ interim_interval = 0 })
  t.eq(run(user()).reply["Acct-Interim-Interval"], nil)
end)

test("Idle-Timeout comes from service.idle_timeout", function()
  t.eq(run(user({ service = plan({ idle_timeout = 600 }) })).idle_timeout, 600)
end)

test("Session-Timeout: the service's session_timeout without hard cut", function()
  local d = run(user({ service = plan({ session_timeout = 86400 }), expires_at = NOW + 3600 }))
  t.eq(d.session_timeout, 86400)
end)

test("Session-Timeout: hard cut ends the session at expiry, to the second", function()
  t.settings({ hard_cut = true })
  t.eq(run(user({ expires_at = NOW + 12345 })).session_timeout, 12345)
end)

test("Session-Timeout: hard cut takes the shorter of expiry and the service's limit", function()
  t.settings({ hard_cut = true })
  local svc = plan({ session_timeout = 3600 })
  t.eq(run(user({ service = svc, expires_at = NOW + 7200 })).session_timeout, 3600)
  t.eq(run(user({ service = svc, expires_at = NOW + 1800 })).session_timeout, 1800)
end)

test("Session-Timeout: hard cut without an expiry date sends none", function()
  t.settings({ hard_cut = true })
  t.eq(run(user()).session_timeout, nil)
end)

-- FUP ----------------------------------------------------------------------------------------

test("FUP: the tier reached is applied at login and reported in the decision", function()
  local d = run(user({ usage = { daily_download = 10 * GB } }))
  t.eq(d.tier, 1)
  t.eq(d.reply["Mikrotik-Rate-Limit"], "2M/4M")
end)

test("fup() counts the service's fup_counts", function()
  local sub = user({ service = plan({ fup_counts = "upload" }),
                     usage = { daily_download = 50 * GB, daily_upload = GB } })
  t.eq(fup(sub, sub.usage), 0)
  sub = user({ usage = { daily_download = 5 * GB, daily_upload = 5 * GB } })
  t.eq(fup(sub, sub.usage), 1)
end)

test("coa_for_tier renders the tier in the NAS's vendor form", function()
  local sub = user()
  t.same(coa_for_tier(sub, mikrotik(), 1), { ["Mikrotik-Rate-Limit"] = "2M/4M" })
  t.same(coa_for_tier(sub, t.nas({ type = "generic" }), 1),
         { ["WISPr-Bandwidth-Max-Down"] = 4000000, ["WISPr-Bandwidth-Max-Up"] = 2000000 })
end)

test("coa_for_tier without a service changes nothing", function()
  t.same(coa_for_tier(t.subscriber({ username = "alice" }), mikrotik(), 1), {})
end)

test("a NAS type without a module is served by the generic module", function()
  local d = run(user(), request(), t.nas({ type = "nokia" }))
  t.same(d.reply, { ["WISPr-Bandwidth-Max-Down"] = 20000000,
                    ["WISPr-Bandwidth-Max-Up"] = 10000000, ["Acct-Interim-Interval"] = 300 })
end)

-- operator rows ------------------------------------------------------------------------------

test("operator rows are added; a name the policy set is replaced", function()
  local d = run(user({ extra = {
    { name = "Mikrotik-Rate-Limit", value = "50M/50M" },
    { name = "Framed-Route", value = "192.168.50.0/24 0.0.0.0 1" },
    { name = "Framed-Route", value = "192.168.51.0/24 0.0.0.0 1" },
  } }))
  t.same(d.reply, {
    ["Mikrotik-Rate-Limit"] = "50M/50M",
    ["Framed-Route"] = { "192.168.50.0/24 0.0.0.0 1", "192.168.51.0/24 0.0.0.0 1" },
    ["Acct-Interim-Interval"] = 300,
  })
end)

test("operator rows for IP and timers go to the opts, not the reply", function()
  local d = run(user({ extra = {
    { name = "Framed-IP-Address", value = "10.7.0.9" },
    { name = "Session-Timeout", value = "7200" },
    { name = "Idle-Timeout", value = "900" },
  } }))
  t.same(d.ip, { static = "10.7.0.9", on_conflict = { attempts = 3, subnet = "10.7.0.0/24" } })
  t.eq(d.session_timeout, 7200)
  t.eq(d.idle_timeout, 900)
  t.eq(d.reply["Framed-IP-Address"], nil)
  t.eq(d.reply["Session-Timeout"], nil)
end)

test("an operator Mikrotik-Rate-Limit row with a typo is dropped, the plan's rate stays", function()
  local d = run(user({ extra = { { name = "Mikrotik-Rate-Limit", value = "10m/20m" } } }))
  t.eq(d.reply["Mikrotik-Rate-Limit"], "10M/20M")
end)

-- per-service caches ------------------------------------------------------------------------

test("the cached reply follows an edit of the service at once", function()
  local sub = user()
  t.eq(run(sub).reply["Mikrotik-Rate-Limit"], "10M/20M")
  t.eq(run(sub).reply["Mikrotik-Rate-Limit"], "10M/20M") -- from the cache
  local edited = user({ service = plan({ download_bps = 50000000 }) })
  t.eq(run(edited).reply["Mikrotik-Rate-Limit"], "10M/50M")
  t.eq(run(edited).reply["Mikrotik-Rate-Limit"], "10M/50M")
end)

test("a caller changing one decision's reply does not change the next one", function()
  local sub = user()
  local d = run(sub)
  d.reply["Mikrotik-Rate-Limit"] = "1k/1k"
  d.reply["Reply-Message"] = "changed"
  local again = run(sub)
  t.same(again.reply, { ["Mikrotik-Rate-Limit"] = "10M/20M", ["Acct-Interim-Interval"] = 300 })
end)

test("the FUP thresholds follow an edit of the service", function()
  local usage = { daily_download = 11 * GB }
  t.eq(run(user({ usage = usage })).tier, 1)
  local raised = plan({ fup = {
    { name = "FUP1", daily_bytes = 20 * GB, download_bps = 4000000, upload_bps = 2000000 },
  } })
  t.eq(run(user({ usage = usage, service = raised })).tier, 0)
end)

test("a MAC bound in another notation still matches", function()
  local d = run(user({ mac = "aa-bb-cc-dd-ee-ff" }))
  t.eq(d.decision, "accept")
  rejected(run(user({ mac = "aa-bb-cc-dd-ee-00" })), "mac mismatch", 691)
end)

-- accounting ---------------------------------------------------------------------------------

local function acct(attrs, sub)
  local a = { code = "Accounting-Request", ["User-Name"] = "alice",
              ["Acct-Session-Id"] = "81a0000f" }
  for k, v in pairs(attrs) do a[k] = v end
  t.now(NOW)
  return accounting(t.request(a), sub == nil and user() or sub or nil, mikrotik())
end

test("accounting: Start, Interim-Update and Stop are recorded without tags", function()
  for _, status in ipairs({ "Start", "Interim-Update", "Stop" }) do
    local d = acct({ ["Acct-Status-Type"] = status })
    t.eq(d.decision, "record")
    t.same(d.tags, {})
  end
  local d = acct({ ["Acct-Status-Type"] = "Stop", ["Acct-Session-Time"] = 3600,
                   ["Acct-Input-Octets"] = 1000, ["Acct-Output-Octets"] = 5000 })
  t.eq(d.decision, "record")
end)

test("accounting: no Acct-Status-Type is discarded", function()
  local d = acct({})
  t.eq(d.decision, "discard")
  t.eq(d.reason, "no status type")
end)

test("accounting: an absurd session time is discarded", function()
  local d = acct({ ["Acct-Status-Type"] = "Stop", ["Acct-Session-Time"] = 4294967295 })
  t.eq(d.decision, "discard")
  t.eq(d.reason, "absurd session time")
  t.eq(acct({ ["Acct-Status-Type"] = "Stop", ["Acct-Session-Time"] = 366 * DAY }).decision,
       "record")
end)

test("accounting: counters on a Start are discarded, zero counters are not", function()
  local d = acct({ ["Acct-Status-Type"] = "Start", ["Acct-Input-Octets"] = 1234 })
  t.eq(d.decision, "discard")
  t.eq(d.reason, "counters on start")
  t.eq(acct({ ["Acct-Status-Type"] = "Start", ["Acct-Input-Octets"] = 0 }).decision, "record")
end)

test("accounting: a missing Acct-Session-Id is recorded with a tag", function()
  local d = accounting(t.request({ code = "Accounting-Request", ["User-Name"] = "alice",
                                   ["Acct-Status-Type"] = "Interim-Update" }), user(), mikrotik())
  t.eq(d.decision, "record")
  t.same(d.tags, { "no-session-id" })
end)

test("accounting: an unknown user is recorded with a tag", function()
  local d = acct({ ["Acct-Status-Type"] = "Start" }, false)
  t.eq(d.decision, "record")
  t.same(d.tags, { "unknown-user" })
end)

test("accounting: a late packet is tagged", function()
  local d = acct({ ["Acct-Status-Type"] = "Stop", ["Acct-Delay-Time"] = 7200 })
  t.same(d.tags, { "late" })
end)

test("accounting: Accounting-On/Off are recorded as NAS events", function()
  local d = accounting(t.request({ code = "Accounting-Request",
                                   ["Acct-Status-Type"] = "Accounting-On" }), nil, mikrotik())
  t.eq(d.decision, "record")
  t.same(d.tags, { "nas-on" })
  d = accounting(t.request({ code = "Accounting-Request",
                             ["Acct-Status-Type"] = "Accounting-Off" }), nil, mikrotik())
  t.same(d.tags, { "nas-off" })
end)
