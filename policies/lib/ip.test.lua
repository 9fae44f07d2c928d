-- lib/ip.lua: the IP rule and the static-IP conflict rule.
local t = require("testing")
local ip = require("lib.ip")

-- Objects made by t.* live for one test only: build them inside each test.
local function svc()
  return t.service({ download_bps = 1, pool_name = "pppoe-pool" })
end
local function managed()
  return t.service({ download_bps = 1, pool_name = "pppoe-pool", managed_pool = "managed-1" })
end

test("static_ip wins over every pool", function()
  local sub = t.subscriber({ static_ip = "10.0.0.5", service = managed() })
  t.same(ip.rule(sub, managed()),
    { static = "10.0.0.5", on_conflict = { attempts = 3, subnet = "10.0.0.0/24" } })
end)

test("an operator Framed-IP-Address row acts as a static IP", function()
  local sub = t.subscriber({ extra = { { name = "Framed-IP-Address", value = "10.9.0.7" } } })
  t.same(ip.rule(sub, managed()),
    { static = "10.9.0.7", on_conflict = { attempts = 3, subnet = "10.9.0.0/24" } })
end)

test("managed_pool makes Gatehouse claim an address", function()
  t.same(ip.rule(t.subscriber({ last_ip = "10.1.0.7" }), managed()), { pool = "managed-1" })
end)

test("pool_name is sent as Framed-Pool", function()
  t.same(ip.rule(t.subscriber({}), svc()), { nas_pool = "pppoe-pool" })
end)

test("an operator Framed-Pool row overrides the service's pool", function()
  local sub = t.subscriber({ extra = { { name = "Framed-Pool", value = "vip-pool" } } })
  t.same(ip.rule(sub, svc()), { nas_pool = "vip-pool" })
end)

test("no static, no pool: no rule", function()
  t.eq(ip.rule(t.subscriber({}), t.service({ download_bps = 1 })), nil)
  t.eq(ip.rule(t.subscriber({}), nil), nil)
end)

test("a static_ip that is not IPv4 is ignored, falling to the pool", function()
  t.same(ip.rule(t.subscriber({ static_ip = "10.0.0.300" }), svc()), { nas_pool = "pppoe-pool" })
end)

test("is_ipv4 takes dotted quads only", function()
  t.eq(ip.is_ipv4("10.0.0.5"), true)
  t.eq(ip.is_ipv4("255.255.255.255"), true)
  t.eq(ip.is_ipv4("256.0.0.1"), false)
  t.eq(ip.is_ipv4("10.0.0"), false)
  t.eq(ip.is_ipv4("010.0.0.1"), false)
  t.eq(ip.is_ipv4("fe80::1"), false)
  t.eq(ip.is_ipv4(nil), false)
end)

test("subnet24 is the address's /24", function()
  t.eq(ip.subnet24("10.1.2.77"), "10.1.2.0/24")
  t.eq(ip.subnet24("nope"), nil)
end)

test("a static address comes with the conflict plan: 3 logins, then its /24", function()
  t.same(ip.on_static_conflict("10.1.2.5"), { attempts = 3, subnet = "10.1.2.0/24" })
end)

test("the number of logins before the fallback can be changed", function()
  t.same(ip.on_static_conflict("10.1.2.5", 1), { attempts = 1, subnet = "10.1.2.0/24" })
end)

test("no conflict plan without an IPv4 address", function()
  t.eq(ip.on_static_conflict(nil), nil)
  t.eq(ip.on_static_conflict("10.1.2"), nil)
end)
