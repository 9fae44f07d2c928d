-- lib/rate.lua: MikroTik rate formatting and the Mikrotik-Rate-Limit grammar (vendors.md).
local t = require("testing")
local rate = require("lib.rate")

test("format uses M for whole megabits, k for whole kilobits, else bits/s", function()
  t.eq(rate.format(20000000), "20M")
  t.eq(rate.format(1200000), "1200k")
  t.eq(rate.format(2000000), "2M")
  t.eq(rate.format(64000), "64k")
  t.eq(rate.format(1500), "1500")
  t.eq(rate.format(0), "0")
end)

test("format never writes G: 1 and 10 Gbit/s are 1000M and 10000M", function()
  t.eq(rate.format(1000000000), "1000M")
  t.eq(rate.format(10000000000), "10000M")
end)

test("parse reads k and M and plain bits/s, refuses other units", function()
  t.eq(rate.parse("20M"), 20000000)
  t.eq(rate.parse("1200k"), 1200000)
  t.eq(rate.parse("64000"), 64000)
  t.eq(rate.parse("20m"), nil)
  t.eq(rate.parse("1G"), nil)
  t.eq(rate.parse("1.5M"), nil)
  t.eq(rate.parse("-1k"), nil)
  t.eq(rate.parse(""), nil)
end)

test("check accepts every example of MikroTik's documentation", function()
  t.ok(rate.check("128k"))
  t.ok(rate.check("64k/128M"))
  t.ok(rate.check("64k 256k"))
  t.ok(rate.check("64k/64k 256k/256k 128k/128k 10/10"))
  t.ok(rate.check("1M/2M 2M/4M 768k/1536k 16/16 8 512k/1M"))
end)

test("check parses the fields, a missing tx value being the rx value", function()
  local r = rate.check("1M/2M 2M/4M 768k/1536k 16/16 8 512k/1M")
  t.same(r, {
    rate = { 1000000, 2000000 }, burst = { 2000000, 4000000 },
    threshold = { 768000, 1536000 }, time = { 16, 16 }, priority = 8,
    min = { 512000, 1000000 },
  })
  t.same(rate.check("64k 256k"), { rate = { 64000, 64000 }, burst = { 256000, 256000 } })
end)

test("check refuses typos the router would silently ignore", function()
  local cases = {
    [""] = "empty",
    ["10M/20M/30M"] = "rate: malformed pair '10M/20M/30M'",
    ["10M/"] = "rate: malformed pair '10M/'",
    ["10 M/20M"] = "burst-rate: bad value 'M/20M'",
    ["10m/20m"] = "rate: bad value '10m/20m'",
    ["10M/20M  2M/4M"] = "fields must be separated by single spaces",
    [" 10M/20M"] = "fields must be separated by single spaces",
    ["10M/20M 2M/4M 1M/1M 10s/10s"] = "burst-time: bad value '10s/10s'",
    ["10M/20M 0/0 0/0 0/0 9"] = "priority: must be 1..8, got '9'",
    ["10M/20M 0/0 0/0 0/0 0"] = "priority: must be 1..8, got '0'",
    ["1M/2M 2M/4M 768k/1536k 16/16 8 512k/3M"] = "rate-min: exceeds the rate",
    ["1M 1M 1M 1 1 1M 1M"] = "too many fields (7)",
  }
  for s, want in pairs(cases) do
    local ok, err = rate.check(s)
    t.eq(ok, nil)
    t.eq(err, want)
  end
end)

test("mikrotik renders a plain rate as upload/download", function()
  t.eq(rate.mikrotik({ upload_bps = 10000000, download_bps = 20000000 }), "10M/20M")
  t.eq(rate.mikrotik({ upload_bps = 1200000, download_bps = 2000000 }), "1200k/2M")
end)

test("mikrotik writes all four burst groups, defaulting threshold to the rate and time to 1",
  function()
    t.eq(rate.mikrotik({ upload_bps = 5000000, download_bps = 10000000,
      burst_upload_bps = 10000000, burst_download_bps = 20000000 }),
      "5M/10M 10M/20M 5M/10M 1/1")
    t.eq(rate.mikrotik({ upload_bps = 5000000, download_bps = 10000000,
      burst_upload_bps = 10000000, burst_download_bps = 20000000,
      burst_threshold_upload_bps = 4000000, burst_threshold_download_bps = 8000000,
      burst_time = 16, priority = 5 }),
      "5M/10M 10M/20M 4M/8M 16/16 5")
  end)

test("mikrotik gives a priority without burst as zero burst groups", function()
  t.eq(rate.mikrotik({ upload_bps = 1000000, download_bps = 2000000, priority = 8 }),
    "1M/2M 0/0 0/0 0/0 8")
end)

test("mikrotik refuses to build an invalid string", function()
  local ok, err = pcall(rate.mikrotik, { upload_bps = 1000000, download_bps = 2000000,
    priority = 9 })
  t.eq(ok, false)
  t.ok(tostring(err):find("refusing to send invalid Mikrotik-Rate-Limit '1M/2M 0/0 0/0 0/0 9'",
    1, true), err)
end)
