-- vendors/init.lua: the NAS type picks the module; unknown types fall back to generic.
local t = require("testing")
local vendors = require("vendors.init")

test("each shipped type loads its own module", function()
  for _, name in ipairs({ "mikrotik", "generic", "cisco", "juniper", "huawei" }) do
    t.eq(vendors.for_nas(t.nas({ type = name })), require("vendors." .. name))
  end
end)

test("the type is not case-sensitive", function()
  t.eq(vendors.for_nas(t.nas({ type = "MikroTik" })), require("vendors.mikrotik"))
end)

test("an unknown type falls back to generic", function()
  t.eq(vendors.for_nas(t.nas({ type = "nokia" })), require("vendors.generic"))
end)

test("init, empty and path-like types fall back to generic", function()
  t.eq(vendors.for_nas(t.nas({ type = "init" })), require("vendors.generic"))
  t.eq(vendors.for_nas(t.nas({ type = "" })), require("vendors.generic"))
  t.eq(vendors.for_nas(t.nas({ type = "../default" })), require("vendors.generic"))
  t.eq(vendors.for_nas(nil), require("vendors.generic"))
end)
