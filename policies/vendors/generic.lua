-- Any RFC-compliant BNG, and the fallback for a NAS type without a module of its own.
--
-- Filter-Id (11) names a profile/filter configured on the BNG: the tier's filter_id
-- (service.filter_id at tier 0, the FUP tier's own filter_id above). Configure the BNG with
-- profiles named exactly like the panel's Filter-Id fields (Normal / FUP1 / FUP2 / FUP3).
-- No filter_id: no Filter-Id (sending an unknown filter makes some BNGs refuse the session).
--
-- Speed in bits/s: WISPr-Bandwidth-Max-Up (14122/7) = upload, WISPr-Bandwidth-Max-Down
-- (14122/8) = download. (RFC 2865 has no bandwidth attribute; "Framed-Bandwidth" is not
-- a standard name and is in no shipped dictionary. WISPr is what hotspot-style BNGs,
-- MikroTik included, understand.) A direction with 0 bits/s is left out: 0 means unlimited
-- in our model but "no traffic" to some BNGs.
--
-- CoA: the same attributes, which RFC 5176 BNGs apply to the live session.
local util = require("lib.util")

local generic = {}

function generic.attributes(speeds)
  local reply = {}
  if not util.blank(speeds.filter_id) then reply["Filter-Id"] = speeds.filter_id end
  if (speeds.upload_bps or 0) > 0 then reply["WISPr-Bandwidth-Max-Up"] = speeds.upload_bps end
  if (speeds.download_bps or 0) > 0 then
    reply["WISPr-Bandwidth-Max-Down"] = speeds.download_bps
  end
  return reply
end

function generic.reply(_, speeds)
  return generic.attributes(speeds)
end

function generic.coa(_, _, speeds)
  return generic.attributes(speeds)
end

-- Expired subscribers: Filter-Id = the walled-garden profile (speeds.filter_id, which
-- default.lua sets from settings.walled_garden_address_list) and the small speed.
function generic.walled_garden(_, speeds)
  return generic.attributes(speeds)
end

return generic
