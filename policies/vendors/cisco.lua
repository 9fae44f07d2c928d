-- Cisco IOS XE BNG (ISG / ASR1000, session-aware networking).
--
-- Model: one BNG service per tier. The operator configures on the BNG a service (service
-- template / ISG service policy holding both directions' QoS) per Filter-Id value of the
-- panel: Normal, FUP1, FUP2, FUP3 ... (lib/fup.lua profile(): the tier's filter_id, else its
-- name). Gatehouse only names the service to turn on.
--
-- Access-Accept: Cisco-Account-Info (9/250) = "A<service>", the ISG auto-service form: the
-- service is activated with the session.
-- CoA: Cisco-AVPair (9/1) "subscriber:command=activate-service",
--   "subscriber:service-name=<service>", "subscriber:activation-mode=replace-all"
-- (coa.md): replace-all swaps the old tier's service for the new one in one CoA; without it
-- both tiers' QoS would stay stacked on the session.
--
-- Why services and not Cisco-AVPair "ip:sub-qos-policy-in=/-out=" (per-session policy-maps):
-- the same name then serves the Access-Accept and the CoA, the seeds' "policies named to match
-- your services' Filter-Id" maps one-to-one, and a CoA-activated service never fights a
-- per-session policy applied at login. If your release wants the policy-map form instead,
-- return { ["Cisco-AVPair"] = { "ip:sub-qos-policy-in=" .. name .. "-in",
-- "ip:sub-qos-policy-out=" .. name .. "-out" } } from cisco.reply() below.
local fup = require("lib.fup")

local cisco = {}

-- The CoA form: "replace-all" or "" (add the service next to the ones already active).
cisco.ACTIVATION_MODE = "replace-all"

function cisco.reply(_, speeds)
  return { ["Cisco-Account-Info"] = "A" .. fup.profile(speeds) }
end

function cisco.coa(_, _, speeds)
  local pairs_ = {
    "subscriber:command=activate-service",
    "subscriber:service-name=" .. fup.profile(speeds),
  }
  if cisco.ACTIVATION_MODE ~= "" then
    pairs_[#pairs_ + 1] = "subscriber:activation-mode=" .. cisco.ACTIVATION_MODE
  end
  return { ["Cisco-AVPair"] = pairs_ }
end

-- Expired subscribers: the walled-garden service (speeds.filter_id, from
-- settings.walled_garden_address_list; typically an ISG L4-redirect service).
function cisco.walled_garden(_, speeds)
  return cisco.reply(nil, speeds)
end

return cisco
