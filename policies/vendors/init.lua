-- Picks the vendor module for a NAS: nas.type "mikrotik" -> vendors/mikrotik.lua.
-- A new vendor is one new file, vendors/<type>.lua, returning a table with
--   reply(service, speeds)        Access-Accept attributes for a tier's speeds
--   coa(sub, service, speeds)     CoA-Request attributes that move a live session to them
--                                 (C++ adds the session identification: User-Name,
--                                 Acct-Session-Id, Framed-IP-Address, NAS-IP-Address)
--   walled_garden(settings, speeds)  Access-Accept attributes for an expired subscriber
-- where `speeds` is lib/fup.lua speeds(). No list to edit: the file's name is the type.
-- reply() must depend on its two arguments only (no settings, no now()): default.lua caches
-- its result per service version and tier.
--
-- A type without a file falls back to generic.lua with one warning per type (per VM), so a
-- NAS whose type was mistyped still gets Filter-Id/WISPr rather than a reject. A vendor file
-- that exists but fails to load is NOT hidden behind generic: that error goes up (it rejects
-- the request with file:line in the log, and the reload self-test catches it first).
local vendors = {}

local cache = {}
-- The same, by nas.type exactly as the NAS row spells it: the common lookup then needs no
-- lower-casing. Filled from `cache`, so both always give the same module.
local by_type = {}
local REQUIRED = { "reply", "coa", "walled_garden" }

local function load_vendor(name)
  local ok, mod = pcall(require, "vendors." .. name)
  if ok then
    for _, fn in ipairs(REQUIRED) do
      if type(mod) ~= "table" or type(mod[fn]) ~= "function" then
        error("vendors/" .. name .. ".lua must return a table with " .. fn .. "()", 0)
      end
    end
    return mod
  end
  local msg = tostring(mod)
  if msg:find("not found", 1, true) then return nil end
  error(msg, 0)
end

-- The module for `nas` (a table). Type names are lower-cased; only [a-z0-9_] names are
-- looked up, and "init" is this file, never a vendor.
function vendors.for_nas(nas)
  local type_name = nas and nas.type or ""
  local mod = by_type[type_name]
  if mod then return mod end
  local name = tostring(type_name):lower()
  mod = cache[name]
  if mod then
    by_type[type_name] = mod
    return mod
  end
  if name ~= "" and name ~= "init" and name:match("^[a-z0-9_]+$") then
    mod = load_vendor(name)
  end
  if mod == nil then
    local which = (nas and nas.name and nas.name ~= "") and (" (NAS " .. nas.name .. ")") or ""
    log.warn("no vendor module for NAS type '" .. name .. "'" .. which
      .. "; using vendors/generic.lua")
    mod = load_vendor("generic")
  end
  cache[name] = mod
  by_type[type_name] = mod
  return mod
end

return vendors
