-- MikroTik RouterOS (PPPoE / hotspot BNG).
--
-- Speed: Mikrotik-Rate-Limit (14988/8) "rx/tx ..." seen FROM THE ROUTER: rx is what it
-- receives from the client = client UPLOAD, tx = client DOWNLOAD; "10M/20M" is 10 Mbit/s up,
-- 20 Mbit/s down. RouterOS turns it into the session's dynamic simple queue. The service's
-- burst and priority are added at tier 0 (lib/rate.lua mikrotik() has the layout); an invalid
-- string is never sent (the router would silently leave the subscriber unshaped).
--
-- Address list: Mikrotik-Address-List (14988/19) = service.address_list; the router puts the
-- session's IP into that firewall address list (per-plan firewall/NAT/CDN rules).
--
-- CoA: RouterOS changes Mikrotik-Rate-Limit of a live session in place (the queue
-- <pppoe-USER> is updated). It does not document changing the address list by CoA, so a CoA
-- carries only the rate; moving a session between lists takes a Disconnect (coa.md).
local rate = require("lib.rate")
local util = require("lib.util")

local mikrotik = {}

function mikrotik.reply(service, speeds)
  local reply = { ["Mikrotik-Rate-Limit"] = rate.mikrotik(speeds) }
  if service and not util.blank(service.address_list) then
    reply["Mikrotik-Address-List"] = service.address_list
  end
  return reply
end

function mikrotik.coa(_, _, speeds)
  return { ["Mikrotik-Rate-Limit"] = rate.mikrotik(speeds) }
end

-- Expired subscribers: the router puts them in settings.walled_garden_address_list (default
-- "expired"), where the operator's firewall lets them reach only the payment portal, at the
-- walled garden's small speed.
function mikrotik.walled_garden(s, speeds)
  local reply = { ["Mikrotik-Rate-Limit"] = rate.mikrotik(speeds) }
  if not util.blank(s.walled_garden_address_list) then
    reply["Mikrotik-Address-List"] = s.walled_garden_address_list
  end
  return reply
end

return mikrotik
