-- lib/util.lua: list walking and normalisation.
local t = require("testing")
local util = require("lib.util")

test("normalize_mac brings every common MAC form to AA:BB:CC:DD:EE:FF", function()
  t.eq(util.normalize_mac("aa-bb-cc-dd-ee-ff"), "AA:BB:CC:DD:EE:FF")
  t.eq(util.normalize_mac("AA:BB:CC:DD:EE:FF"), "AA:BB:CC:DD:EE:FF")
  t.eq(util.normalize_mac("aabb.ccdd.eeff"), "AA:BB:CC:DD:EE:FF")
  t.eq(util.normalize_mac("aabbccddeeff"), "AA:BB:CC:DD:EE:FF")
  t.eq(util.normalize_mac(" aa:bb:cc:dd:ee:ff "), "AA:BB:CC:DD:EE:FF")
end)

test("normalize_mac leaves a non-MAC station id as sent, upper-cased", function()
  t.eq(util.normalize_mac("+96170123456"), "+96170123456")
  t.eq(util.normalize_mac("aa:bb:cc:dd:ee"), "AA:BB:CC:DD:EE")
  t.eq(util.normalize_mac(nil), "")
end)

test("normalize_realm drops '@' and case", function()
  t.eq(util.normalize_realm("@Example.COM"), "example.com")
  t.eq(util.normalize_realm(" isp.net "), "isp.net")
end)

test("each and count walk a list until the first nil", function()
  local seen = {}
  for i, v in util.each({ "a", "b" }) do seen[#seen + 1] = i .. v end
  t.same(seen, { "1a", "2b" })
  t.eq(util.count({ 1, 2, 3 }), 3)
  t.eq(util.count({}), 0)
  t.eq(util.count(nil), 0)
end)

test("positive is nil for 0 and non-numbers", function()
  t.eq(util.positive(5), 5)
  t.eq(util.positive(0), nil)
  t.eq(util.positive("5"), nil)
end)

test("setting reads an extra setting, with a default when unset", function()
  t.eq(util.setting("no_such_setting_here", "dflt"), "dflt")
  t.eq(util.setting("expired_action", "x"), "reject")
end)

test("date is the UTC day", function()
  t.eq(util.date(1700000000), "2023-11-14")
end)

test("service_cache computes once per service identity, every time without one", function()
  local calls = 0
  local cached = util.service_cache(function(service)
    calls = calls + 1
    return service.download_bps
  end)
  local a = t.service({ download_bps = 1 })
  t.eq(cached(a), 1)
  t.eq(cached(a), 1)
  t.eq(calls, 1)
  t.eq(cached(t.service({ download_bps = 2 })), 2) -- a new version: a new identity
  t.eq(calls, 2)
  t.eq(cached({ download_bps = 3 }), 3) -- a plain table has no identity: never cached
  t.eq(cached({ download_bps = 3 }), 3)
  t.eq(calls, 4)
end)
