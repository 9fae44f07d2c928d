-- Juniper MX (Junos subscriber management), with the Unisphere/ERX attributes (vendor 4874)
-- Junos uses for subscribers.
--
-- Model: a parameterised dynamic-profile service per tier, named like the panel's Filter-Id
-- (lib/fup.lua profile(): the tier's filter_id, else its name), taking two parameters:
-- download then upload, in bits/s. E.g. "Normal(20000000,10000000)". One profile can then
-- serve every plan; the speed travels in the attribute.
--
-- Access-Accept: ERX-Service-Activate (4874/65, tagged) = "name(down,up)" with tag 1 (the
-- service instance).
-- CoA (coa.md): from a session's current tier (sub.current_tier) to the new one:
--   same service name, new speeds -> ERX-Update-Service:1 (4874/180) = "name(down,up)"
--   another service               -> ERX-Service-Deactivate (4874/66) = old name, and
--                                    ERX-Service-Activate:1 = "new(down,up)"
-- Junos listens for CoA on UDP 3799.
local fup = require("lib.fup")

local juniper = {}

function juniper.service(speeds)
  return string.format("%s(%d,%d)", fup.profile(speeds), speeds.download_bps or 0,
    speeds.upload_bps or 0)
end

function juniper.reply(_, speeds)
  return { ["ERX-Service-Activate:1"] = juniper.service(speeds) }
end

function juniper.coa(sub, service, speeds)
  local old = fup.profile(fup.speeds(service, sub and sub.current_tier or 0))
  if old == fup.profile(speeds) then
    return { ["ERX-Update-Service:1"] = juniper.service(speeds) }
  end
  return {
    ["ERX-Service-Deactivate"] = old,
    ["ERX-Service-Activate:1"] = juniper.service(speeds),
  }
end

-- Expired subscribers: the walled-garden service (speeds.filter_id, from
-- settings.walled_garden_address_list) with the walled garden's small speed.
function juniper.walled_garden(_, speeds)
  return juniper.reply(nil, speeds)
end

return juniper
