-- How a subscriber gets an IPv4 address. The policy only decides the rule; C++ carries it out
-- after authorize() returns (it claims pool addresses asynchronously, never on the worker).
--
-- The rules, first match wins:
--   1. sub.static_ip                          -> { static = "10.0.0.5",    Framed-IP-Address;
--                                                  on_conflict = ... }     C++ checks nobody else
--                                                                          uses it first
--                                                                          (ip.on_static_conflict)
--   2. an operator row Framed-IP-Address      -> { static = ... }          (radreply, ProxPanel)
--   3. service.managed_pool                   -> { pool = "managed-1" }    Gatehouse claims a free
--                                                address; the subscriber's last address first
--                                                (sticky), so reconnects keep their IP
--   4. an operator row Framed-Pool, else
--      service.pool_name                      -> { nas_pool = "pppoe" }    Framed-Pool: the NAS
--                                                allocates from its own pool
--   5. nothing                                -> nil: the NAS decides
-- A static_ip that is not a dotted-quad IPv4 address is skipped with a warning rather than
-- sent: the reply would fail the dictionary check and reject the subscriber outright.
local util = require("lib.util")

local ip = {}

-- True for a dotted-quad IPv4 address "a.b.c.d" with each part 0..255, no leading zeros.
function ip.is_ipv4(s)
  if type(s) ~= "string" then return false end
  local a, b, c, d = s:match("^(%d+)%.(%d+)%.(%d+)%.(%d+)$")
  if not a then return false end
  for _, part in ipairs({ a, b, c, d }) do
    if tonumber(part) > 255 or (#part > 1 and part:sub(1, 1) == "0") then return false end
  end
  return true
end

-- "10.1.2.77" -> "10.1.2.0/24"; nil when not an IPv4 address.
function ip.subnet24(addr)
  if not ip.is_ipv4(addr) then return nil end
  return addr:match("^(%d+%.%d+%.%d+)%.") .. ".0/24"
end

-- The value of the first row of `rows` (a list of { name =, value = }) named `name`, or nil.
-- Walked by index, like util.each, without creating an iterator per call.
local function row_value(rows, name)
  if rows == nil then return nil end
  local i = 1
  local row = rows[1]
  while row ~= nil do
    if row.name == name then return row.value end
    i = i + 1
    row = rows[i]
  end
  return nil
end

-- The value of the first operator row (sub.extra) named `name`, or nil.
function ip.extra(sub, name)
  return row_value(sub.extra, name)
end

-- What C++ does when a subscriber's static address is already in use by another subscriber's
-- session (two operators typed the same address, or a pool handed it out before it became
-- someone's static IP). The ProxPanel rule: try the static address on a few logins in a row
-- (the other session may be a stale one about to be closed), then give this subscriber a free
-- address of Gatehouse's pools in the same /24, so both stay online, and log it for the
-- operator (gatehouse.ipam.static_conflict; table ip_static_conflicts, docs/ipam.md).
--
-- The plan rides along with the static rule and C++ (IPAM) carries it out after authorize()
-- returns, in one PostgreSQL transaction (a policy cannot do I/O):
--   { attempts = 3, subnet = "10.1.2.0/24" }
--     attempts  the login that falls back: logins 1 .. attempts-1 in a row that find the
--               address taken are rejected ("static ip conflict"); 1 falls back at once
--     subnet    where the fallback address comes from; nil: keep rejecting instead
ip.STATIC_CONFLICT_ATTEMPTS = 3

function ip.on_static_conflict(addr, attempts)
  if not ip.is_ipv4(addr) then return nil end
  return { attempts = attempts or ip.STATIC_CONFLICT_ATTEMPTS, subnet = ip.subnet24(addr) }
end

local function static_rule(addr)
  return { static = addr, on_conflict = ip.on_static_conflict(addr) }
end

-- The IP rule for `sub` under `service` (may be nil), as accept()'s opts.ip, or nil.
function ip.rule(sub, service)
  if not util.blank(sub.static_ip) then
    if ip.is_ipv4(sub.static_ip) then return static_rule(sub.static_ip) end
    log.warn("subscriber " .. tostring(sub.username) .. ": static_ip '" .. sub.static_ip
      .. "' is not an IPv4 address; ignored")
  end
  local rows = sub.extra -- read once: each read of sub.extra goes through the engine
  local row_ip = row_value(rows, "Framed-IP-Address")
  if ip.is_ipv4(row_ip) then return static_rule(row_ip) end
  if service == nil then return nil end
  if not util.blank(service.managed_pool) then return { pool = service.managed_pool } end
  local row_pool = row_value(rows, "Framed-Pool")
  if not util.blank(row_pool) then return { nas_pool = row_pool } end
  if not util.blank(service.pool_name) then return { nas_pool = service.pool_name } end
  return nil
end

return ip
