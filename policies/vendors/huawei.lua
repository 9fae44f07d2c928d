-- Huawei BRAS (ME60 / NE40E / NetEngine 8000), vendor 2011.
--
-- A tier with a filter_id names a QoS profile configured on the BRAS:
--   Huawei-Qos-Profile-Name (2011/31) = filter_id
-- Otherwise the rates themselves, in bit/s ("Input" is what the BRAS receives = upload):
--   Huawei-Input-Average-Rate (2011/2) = upload
--   Huawei-Output-Average-Rate (2011/5) = download
-- plus, when the service has a burst (tier 0 only, see lib/fup.lua), the peak rates
--   Huawei-Input-Peak-Rate (2011/3) = burst upload
--   Huawei-Output-Peak-Rate (2011/6) = burst download
-- A peak below the average would be refused by the BRAS, so it is only sent when above.
--
-- CoA: the same attributes (coa.md: a new rate pair or a new QoS profile name).
-- Huawei numbers some attributes differently per product line (vendors.md): load the
-- dictionary that matches the box; these names are dictionaries/dictionary.huawei's.
local util = require("lib.util")

local huawei = {}

function huawei.attributes(speeds)
  if not util.blank(speeds.filter_id) then
    return { ["Huawei-Qos-Profile-Name"] = speeds.filter_id }
  end
  local up, down = speeds.upload_bps or 0, speeds.download_bps or 0
  local reply = {
    ["Huawei-Input-Average-Rate"] = up,
    ["Huawei-Output-Average-Rate"] = down,
  }
  local bup, bdown = speeds.burst_upload_bps or 0, speeds.burst_download_bps or 0
  if bup > up then reply["Huawei-Input-Peak-Rate"] = bup end
  if bdown > down then reply["Huawei-Output-Peak-Rate"] = bdown end
  return reply
end

function huawei.reply(_, speeds)
  return huawei.attributes(speeds)
end

function huawei.coa(_, _, speeds)
  return huawei.attributes(speeds)
end

-- Expired subscribers: the walled-garden QoS profile (speeds.filter_id, from
-- settings.walled_garden_address_list).
function huawei.walled_garden(_, speeds)
  return huawei.attributes(speeds)
end

return huawei
