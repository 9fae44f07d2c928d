-- The tests every vendor module passes, pinned by golden files: a vendor's own test file
-- (vendors/<name>.test.lua) calls suite.run("<name>") and then adds the cases that are its own.
-- The golden files live beside that test file (vendors/golden/<name>_*.txt); after a deliberate
-- change, GATEHOUSE_UPDATE_GOLDEN=1 gatehouse policy test policies/ rewrites them: review the
-- diff like code. Only tests require this module (it needs the engine's `testing`).
local t = require("testing")
local fup = require("lib.fup")

local suite = {}

local GB = 1000000000
suite.GB = GB

-- A service with burst, a pool, an address list and two FUP tiers; `fields` overrides.
function suite.plan(fields)
  local f = {
    name = "Home 20M", download_bps = 20000000, upload_bps = 10000000, filter_id = "Normal",
    burst_download_bps = 30000000, burst_upload_bps = 15000000,
    burst_threshold_download_bps = 16000000, burst_threshold_upload_bps = 8000000,
    burst_time = 8, priority = 4, address_list = "plan-home20", pool_name = "pppoe-pool",
    fup = {
      { name = "FUP1", daily_bytes = 10 * GB, monthly_bytes = 200 * GB,
        download_bps = 10000000, upload_bps = 5000000, filter_id = "FUP1" },
      { name = "FUP2", daily_bytes = 20 * GB, monthly_bytes = 300 * GB,
        download_bps = 4000000, upload_bps = 2000000, filter_id = "FUP2" },
    },
  }
  for k, v in pairs(fields or {}) do f[k] = v end
  return t.service(f)
end

-- A PPPoE login of alice through a NAS of type `vendor`.
function suite.login(vendor, service, usage, current_tier)
  t.now(1700000000)
  t.settings({ interim_interval = 300 })
  local req = t.request({ ["User-Name"] = "alice", ["Calling-Station-Id"] = "AA:BB:CC:DD:EE:01",
    auth_method = "mschapv2" })
  local sub = t.subscriber({ username = "alice", service = service, usage = usage or {},
    current_tier = current_tier or 0 })
  return req, sub, t.nas({ name = "bng-1", type = vendor })
end

-- Registers the six standard cases for vendors/<vendor>.lua.
function suite.run(vendor)
  local module = require("vendors." .. vendor)
  local function login(...) return suite.login(vendor, ...) end
  local plan = suite.plan

  test(vendor .. ": Access-Accept at the normal tier", function()
    local req, sub, nas = login(plan())
    local d = authorize(req, sub, nas)
    t.eq(d.decision, "accept")
    t.eq(d.tier, 0)
    t.golden(vendor .. "_accept_normal", d.reply)
  end)

  test(vendor .. ": Access-Accept at a FUP tier", function()
    local req, sub, nas = login(plan(), { daily_download = 20 * GB })
    local d = authorize(req, sub, nas)
    t.eq(d.decision, "accept")
    t.eq(d.tier, 2)
    t.golden(vendor .. "_accept_fup2", d.reply)
  end)

  test(vendor .. ": CoA moving a live session from normal to FUP1", function()
    local _, sub, nas = login(plan(), {}, 0)
    t.golden(vendor .. "_coa_fup1", coa_for_tier(sub, nas, 1))
  end)

  test(vendor .. ": CoA moving a live session back to normal", function()
    local _, sub, nas = login(plan(), {}, 1)
    t.golden(vendor .. "_coa_normal", coa_for_tier(sub, nas, 0))
  end)

  test(vendor .. ": walled garden for an expired subscriber", function()
    local req, _, nas = login(plan())
    local sub = t.subscriber({ username = "alice", service = plan(), expires_at = 1699990000 })
    t.settings({ expired_action = "walled_garden", walled_garden_pool = "expired-pool",
      walled_garden_address_list = "expired" })
    local d = authorize(req, sub, nas)
    t.eq(d.decision, "accept")
    t.same(d.ip, { nas_pool = "expired-pool" })
    t.golden(vendor .. "_walled_garden", d.reply)
  end)

  test(vendor .. ": the module renders a tier's speeds by itself", function()
    local svc = plan()
    t.golden(vendor .. "_reply_fup1", module.reply(svc, fup.speeds(svc, 1)))
  end)
end

return suite
