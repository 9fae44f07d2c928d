#include "bindings/registry.hpp"

#include <array>

namespace gatehouse::bindings {
namespace {

// Sections, in order, with the text that opens each one.
struct Section {
    std::string_view name;
    std::string_view intro;
};

constexpr std::array kSections = {
    Section{"Entry points",
            "The entry file (`default.lua`) defines these global functions. `authorize` is "
            "required; without `accounting` every request is recorded, without `fup` the tier "
            "is 0, and without `coa_for_tier` no CoA can be built. `sub` is nil for an unknown "
            "user in `authorize` and `accounting`."},
    Section{
        "The request: req",
        "`req` is userdata valid only during its call: a `req` kept in a global or an upvalue "
        "raises \"request object used after its call ended\" when used later. Attributes are "
        "read by dictionary name (case-insensitive). Values: `string` and `octets` give a Lua "
        "string; `integer`, `byte`, `short`, `date`, `signed` and `integer64` give a number, "
        "except that an attribute with VALUE names gives the name when the number has one "
        "(`\"Framed-User\"`, `\"Start\"`); `ipaddr`, `ipv6addr`, prefixes, `ifid`, `ether` "
        "and the rest give text (`\"10.0.0.5\"`, `\"aa:bb:cc:dd:ee:ff\"`); a value of the wrong "
        "size gives its 0x-hex. An unknown attribute name raises an error: a typo must not "
        "silently read nil."},
    Section{"The subscriber: sub",
            "`sub`, `sub.service`, `sub.usage` and the FUP tiers are read-only userdata valid "
            "during their call: assigning raises, reading a field that does not exist raises "
            "(\"subscriber has no field 'usrname'\"), and a kept object raises after its call. "
            "Lists (`sub.extra`, `sub.service.fup`, `nas.realms`) are plain tables, so `#`, "
            "`ipairs` and indexing work; adding to them raises. Within one call the same object "
            "is returned every time (`sub.service == sub.service`)."},
    Section{"The NAS: nas", "`nas` is read-only userdata like `sub`."},
    Section{"Globals",
            "Besides the functions below, a policy has the standard library: `string` (without "
            "`string.dump`), `table`, `math`, `os.time`, `os.date`, `os.clock`, `os.difftime`, "
            "`pairs`, `ipairs`, `next`, `select`, `type`, `tostring`, `tonumber`, `error`, "
            "`assert`, `pcall`, `xpcall`, `unpack`, `setmetatable`, `getmetatable`, `rawget`, "
            "`rawset`, `rawequal`, `_G`, `_VERSION`. There is no `io`, `print`, `os.execute`, "
            "`os.exit`, `os.getenv`, `os.remove`, `load`, `loadstring`, `loadfile`, `dofile`, "
            "`getfenv`, `setfenv`, `module`, `package`, `coroutine`, `newproxy`, `gcinfo`, "
            "`collectgarbage`, `debug`, `ffi` or `jit`; the engine's configuration may open "
            "`debug` (`allow_debug`), `ffi` (`allow_ffi`) and `jit` (`jit`). `string.dump` is "
            "removed from the real `string` table, so `(\"\").dump` is nil too."},
    Section{"Decisions",
            "`authorize` must return the value of `accept` or `reject`, `accounting` the value of "
            "`record` or `discard`; returning anything else (nil, a string, a table of your own) "
            "is a policy error. The value is a table that tests inspect: `decision` "
            "(\"accept\", \"reject\", \"record\", \"discard\"), `reason`, `reply` (the table "
            "given, `{}` when none), `ip`, `session_timeout`, `idle_timeout`, `tier`, "
            "`mschap_error`, `tags`. The reply is converted when `accept` runs: every name is "
            "checked against the dictionary, strings go through the dictionary type's parser "
            "(`\"10.0.0.5\"`, `\"Framed-User\"`, `\"0x01ab\"`, quoted strings), numbers are "
            "taken as integers for integer types (and as text for the others), a list gives "
            "several attributes of that name in order, and tagged attributes are named "
            "`\"Name:tag\"`. Lua tables have no order, so the attributes are sent ordered by "
            "vendor and number (the order of one name's list is kept, which is all RFC 2865 "
            "asks). An unknown name, a bad value or an unknown option raises an error naming it "
            "at the line of the `accept` call. `accept`/`reject` may be called only in "
            "`authorize`, `record`/`discard` only in `accounting`: elsewhere they raise "
            "\"accept() is not allowed in accounting()\"."},
    Section{"Modules",
            "A policy directory holds `default.lua` (the entry file), `lib/*.lua`, "
            "`vendors/*.lua`, and beside each module its tests `<name>.test.lua`. A module "
            "returns a table (Knot style) and is loaded once per VM."},
    Section{"Errors, budget and the JIT",
            "A policy error (a Lua error, an overrun of the instruction budget, a bad reply) "
            "costs that one request: `authorize` rejects it with reason \"policy error\" and "
            "`policy_error` = \"file:line: message\", `accounting` keeps the record and flags "
            "it, `fup` and `coa_for_tier` report the error to their caller. Every error is "
            "logged (rate-limited) with the policy file:line; the worker lives on and the next "
            "request runs normally. Each call gets a budget of `max_instructions` Lua VM "
            "instructions (default 1000000), counted by a hook re-armed for every call; past it "
            "the call fails with \"file:line: instruction budget exceeded (N)\", and a `pcall` in "
            "the policy cannot swallow that error. Policy VMs run with the JIT off, because the "
            "count hook does not fire inside JIT-compiled loops; the `jit` option turns it on, "
            "and the budget is then best-effort. Each VM may also hold at most "
            "`max_memory_bytes` (default 64 MiB) while policy code runs; an allocation past it "
            "fails the call with \"memory limit exceeded (N KiB)\" and the VM lives on. "
            "Lua drops the caller's frame in a tail call, so "
            "an error raised inside `return accept(...)` names the line where the calling "
            "function starts; write `local d = accept(...) return d` to get the exact line."},
    Section{"Tests",
            "A test file `<name>.test.lua` returns a table of test functions and/or calls "
            "`test(name, fn)`; tests run in the policy's own VM (so `authorize` & co. are "
            "callable) by `gatehouse policy test DIR` and before every reload. Registered tests "
            "run in order, then returned ones sorted by name. Each test runs with a fresh "
            "budget and its own objects; an error or a failed assertion fails that test only, "
            "with the file:line of the failing call. `t.*` functions exist only while tests "
            "run."},
};

constexpr std::array kApi = {
    // --- Entry points --------------------------------------------------------------------
    ApiItem{"Entry points", "authorize(req, sub, nas)", "-",
            "Called for every Access-Request whose credentials C++ has checked (PAP, CHAP, "
            "MS-CHAP). Returns `accept(reply, opts)` or `reject(reason, opts)`.",
            "function authorize(req, sub, nas)\n"
            "  if not sub then return reject(\"unknown user\", { mschap_error = 691 }) end\n"
            "  if not sub.enabled then return reject(\"account disabled\") end\n"
            "  return accept({ [\"Mikrotik-Rate-Limit\"] = \"5M/20M\" }, { ip = { nas_pool = "
            "\"pppoe-pool\" } })\n"
            "end"},
    ApiItem{"Entry points", "accounting(req, sub, nas)", "-",
            "Called for every Accounting-Request. Returns `record(tags)` or `discard(reason)` "
            "for nonsense.",
            "function accounting(req, sub, nas)\n"
            "  if req[\"Acct-Status-Type\"] == nil then return discard(\"no status type\") end\n"
            "  return record({ sub and \"known\" or \"unknown-user\" })\n"
            "end"},
    ApiItem{"Entry points", "fup(sub, usage)", "-",
            "Called after accounting updated the usage counters. Returns the FUP tier: 0 for "
            "normal speed, n for `sub.service.fup[n]` (at most `#sub.service.fup`).",
            "function fup(sub, usage)\n"
            "  local tier = 0\n"
            "  for i, t in ipairs(sub.service.fup) do\n"
            "    if t.daily_bytes > 0 and usage.daily_total >= t.daily_bytes then tier = i end\n"
            "  end\n"
            "  return tier\n"
            "end"},
    ApiItem{"Entry points", "coa_for_tier(sub, nas, tier)", "-",
            "Returns the attributes (a reply table, as for `accept`) that move a live session "
            "to `tier` on this NAS's vendor; C++ sends them in a CoA-Request.",
            "function coa_for_tier(sub, nas, tier)\n"
            "  local t = sub.service.fup[tier]\n"
            "  return { [\"Mikrotik-Rate-Limit\"] = string.format(\"%dk/%dk\", t.upload_bps / "
            "1000, t.download_bps / 1000) }\n"
            "end"},
    // --- req -------------------------------------------------------------------------------
    ApiItem{"The request: req", "req[\"Attr-Name\"]", "authorize, accounting",
            "The first value of the attribute, converted by type (above), or nil when absent.",
            "if req[\"Service-Type\"] == \"Framed-User\" then ... end\n"
            "local ip = req[\"NAS-IP-Address\"]          -- \"10.255.0.1\"\n"
            "local port = req[\"NAS-Port\"]              -- 15728653"},
    ApiItem{"The request: req", "req:get(name)", "authorize, accounting",
            "The same as `req[name]`.", "local sid = req:get(\"Acct-Session-Id\")"},
    ApiItem{"The request: req", "req:all(name)", "authorize, accounting",
            "A list of every value of the attribute, in packet order (`{}` when absent).",
            "for _, class in ipairs(req:all(\"Class\")) do log.info(\"class\", class) end"},
    ApiItem{"The request: req", "req:has(name)", "authorize, accounting",
            "True when the attribute is present.",
            "if not req:has(\"Calling-Station-Id\") then return reject(\"no caller id\") end"},
    ApiItem{"The request: req", "req.code", "authorize, accounting",
            "The packet code: \"Access-Request\" or \"Accounting-Request\".",
            "if req.code == \"Accounting-Request\" then ... end"},
    ApiItem{"The request: req", "req.auth_method", "authorize, accounting",
            "How C++ checked the credentials: \"pap\", \"chap\", \"mschapv1\", \"mschapv2\" or "
            "\"none\".",
            "if req.auth_method == \"pap\" then log.warn(\"cleartext login\", req.user) end"},
    ApiItem{"The request: req", "req.user", "authorize, accounting",
            "User-Name (\"\" when absent).", "local name = req.user   -- \"alice@isp.example\""},
    ApiItem{"The request: req", "req.realm", "authorize, accounting",
            "The part of User-Name after the last '@', \"\" when there is none.",
            "if req.realm == \"corp\" then ... end"},
    ApiItem{"The request: req", "req.user_only", "authorize, accounting",
            "The part of User-Name before the last '@' (all of it when there is none).",
            "local login = req.user_only   -- \"alice\""},
    ApiItem{"The request: req", "req.mac", "authorize, accounting",
            "Calling-Station-Id normalised to \"AA:BB:CC:DD:EE:FF\" when it is a MAC in any "
            "usual notation (\"aa-bb-..\", \"aabb.ccdd.eeff\", \"AABBCCDDEEFF\"), else as sent.",
            "if sub.mac ~= \"\" and req.mac ~= sub.mac then return reject(\"mac mismatch\") end"},
    // --- sub ---------------------------------------------------------------------------------
    ApiItem{"The subscriber: sub", "sub.id, sub.username", "all",
            "The subscriber's id and login name.", "log.info(\"login\", sub.id, sub.username)"},
    ApiItem{"The subscriber: sub", "sub.enabled", "all", "Boolean: false when disabled.",
            "if not sub.enabled then return reject(\"account disabled\") end"},
    ApiItem{"The subscriber: sub", "sub.expires_at", "all",
            "Expiry in unix seconds (UTC), or nil for never.",
            "if sub.expires_at and sub.expires_at < now() then return reject(\"expired\") end"},
    ApiItem{"The subscriber: sub", "sub.mac", "all",
            "The bound MAC, \"AA:BB:CC:DD:EE:FF\", or \"\" for none.",
            "local bound = sub.mac ~= \"\""},
    ApiItem{"The subscriber: sub", "sub.static_ip, sub.last_ip", "all",
            "The static address (\"\" for none) and the address it had last (sticky pools).",
            "if sub.static_ip ~= \"\" then opts.ip = { static = sub.static_ip } end"},
    ApiItem{"The subscriber: sub", "sub.reseller_id, sub.open_sessions, sub.current_tier", "all",
            "The owning reseller (0: none), the sessions open now, the FUP tier in force now.",
            "if sub.open_sessions >= sub.service.simultaneous_use then return reject(\"in "
            "use\") end"},
    ApiItem{"The subscriber: sub", "sub.usage", "all",
            "Usage counters in bytes: `daily_upload`, `daily_download`, `daily_total`, "
            "`monthly_upload`, `monthly_download`, `monthly_total`.",
            "local used = sub.usage.monthly_total"},
    ApiItem{"The subscriber: sub", "sub.extra", "all",
            "The operator's per-subscriber reply rows: a list of `{ name =, value = }` (value "
            "as text).",
            "for _, row in ipairs(sub.extra) do reply[row.name] = row.value end"},
    ApiItem{"The subscriber: sub", "sub.service", "all",
            "The service (plan), or nil when none is assigned. Fields: `id`, `name`, "
            "`download_bps`, `upload_bps`, `burst_download_bps`, `burst_upload_bps`, "
            "`burst_threshold_download_bps`, `burst_threshold_upload_bps`, `burst_time` "
            "(seconds), `priority` (1..8, 0 unset), `pool_name` (NAS pool, \"\" none), "
            "`managed_pool` (Gatehouse pool, \"\" none), `idle_timeout`, `session_timeout` "
            "(seconds, 0 none), `simultaneous_use` (0 unlimited), `filter_id`, `address_list`, "
            "`fup_counts` (\"download\" | \"upload\" | \"total\"), `fup` (list of tiers), "
            "`identity`: a number naming this version of the service in this VM. A service "
            "never changes under a number: an operator's edit gives the service a new one, so a "
            "policy may cache what it computes from a service in a module table keyed by "
            "`identity` (the numbers are not stable across reloads or workers).",
            "local svc = sub.service\n"
            "if not svc then return reject(\"no service\") end\n"
            "local rate = string.format(\"%dk/%dk\", svc.upload_bps / 1000, svc.download_bps / "
            "1000)"},
    ApiItem{"The subscriber: sub", "sub.service.fup[n]", "all",
            "FUP tier n: `name`, `daily_bytes`, `monthly_bytes` (thresholds, 0 none), "
            "`download_bps`, `upload_bps`, `filter_id`.",
            "local t = sub.service.fup[1]   -- t.name == \"FUP1\""},
    // --- nas ---------------------------------------------------------------------------------
    ApiItem{"The NAS: nas", "nas.id, nas.name, nas.ip", "all", "The NAS row: id, name and address.",
            "log.info(\"from\", nas.name, nas.ip)"},
    ApiItem{"The NAS: nas", "nas.type", "all",
            "The vendor module to use: \"mikrotik\", \"cisco\", \"juniper\", \"huawei\", "
            "\"generic\", ...",
            "local vendor = require(\"vendors.\" .. nas.type)"},
    ApiItem{"The NAS: nas", "nas.realms", "all",
            "The realms this NAS accepts (a list; empty: any).",
            "for _, r in ipairs(nas.realms) do if r == req.realm then ok = true end end"},
    ApiItem{"The NAS: nas", "nas.coa_port", "all", "The NAS's CoA/Disconnect port (3799).",
            "local port = nas.coa_port"},
    // --- globals -----------------------------------------------------------------------------
    ApiItem{"Globals", "settings", "all",
            "The ISP's settings, read-only: `interim_interval`, `hard_cut` (boolean), "
            "`expired_action` (\"reject\" | \"walled_garden\" | \"grace\"), `grace_days`, "
            "`walled_garden_pool`, `walled_garden_address_list`, `timezone`, and every other "
            "setting by name as a string (nil when not set).",
            "reply[\"Acct-Interim-Interval\"] = settings.interim_interval"},
    ApiItem{"Globals", "now()", "all",
            "The request's time in unix seconds, fixed by the caller (tests and replays "
            "repeat exactly).",
            "local expired = sub.expires_at ~= nil and sub.expires_at <= now()"},
    ApiItem{"Globals", "log.info(...), log.warn(...)", "all",
            "Writes the arguments, joined by spaces, to the server log with the policy "
            "file:line. Rate-limited.",
            "log.warn(\"unknown NAS type\", nas.type)"},
    ApiItem{"Globals", "require(name)", "all",
            "Loads a module of the policy directory once: `require(\"lib.fup\")` is "
            "`lib/fup.lua`, `require(\"vendors.mikrotik\")` is `vendors/mikrotik.lua`. Names are "
            "letters, digits and `_` joined by dots; nothing outside the directory, no "
            "`*.test.lua`, no standard or C module, no precompiled bytecode. A module that "
            "requires itself (directly or not) raises an error.",
            "local fup = require(\"lib.fup\")"},
    // --- decisions ---------------------------------------------------------------------------
    ApiItem{"Decisions", "accept(reply, opts)", "authorize",
            "Accepts. `reply`: `{ [\"Attr-Name\"] = value | { values }, ... }` or nil. "
            "`opts` (all optional): `ip = { static = \"10.0.0.5\" }` (Framed-IP-Address), "
            "with `on_conflict = { attempts = 3, subnet = \"10.0.0.0/24\" }` when C++ is to "
            "check that no other subscriber's session holds it (rejecting logins 1..attempts-1 "
            "in a row that find it taken, then claiming a free pool address of `subnet`), "
            "`{ nas_pool = \"pppoe-pool\" }` (Framed-Pool: the NAS allocates), "
            "`{ pool = \"managed-1\" }` (Gatehouse claims a free address, the last one first), "
            "`{ pool = \"managed-1\", address = \"10.1.0.7\" }` (claims exactly that one); "
            "`session_timeout`, `idle_timeout` (seconds; C++ adds the attributes); `tier` (the "
            "FUP tier this accept applied).",
            "local d = accept({ [\"Mikrotik-Rate-Limit\"] = \"2M/4M\", [\"Reply-Message\"] = { "
            "\"hi\", \"there\" } },\n"
            "                 { ip = { pool = \"managed-1\" }, session_timeout = 3600, tier = 1 "
            "})\n"
            "return d"},
    ApiItem{"Decisions", "reject(reason, opts)", "authorize",
            "Rejects. `reason`: short stable text, logged with the request and shown in the "
            "panel. `opts`: `reply` (only Reply-Message, Error-Cause and vendor attributes: what "
            "an Access-Reject may carry), `mschap_error` (MS-CHAP-Error code for MS-CHAP logins: "
            "646 restricted hours, 647 disabled, 648 expired, 649 no dial-in, 691 failure).",
            "return reject(\"account expired\", { mschap_error = 648,\n"
            "  reply = { [\"Reply-Message\"] = \"Account expired\" } })"},
    ApiItem{"Decisions", "record(tags)", "accounting",
            "Records the Accounting-Request; `tags` (a list of strings, optional) are stored "
            "with it.",
            "return record({ \"late\" })"},
    ApiItem{"Decisions", "discard(reason)", "accounting",
            "Rejects the Accounting-Request as nonsense: logged with `reason`, not stored.",
            "return discard(\"absurd session time\")"},
    // --- tests -------------------------------------------------------------------------------
    ApiItem{"Tests", "test(name, fn)", "tests", "Registers a test of the file being loaded.",
            "test(\"disabled account is rejected\", function() ... end)"},
    ApiItem{"Tests", "require(\"testing\")", "tests",
            "The testing module `t` (below); `require(\"testing\")` outside tests raises.",
            "local t = require(\"testing\")"},
    ApiItem{"Tests", "t.request(attrs)", "tests",
            "A real request object, encoded and decoded by the codec, from `{ [\"Attr-Name\"] = "
            "value | { values }, code = \"Access-Request\" | \"Accounting-Request\", "
            "auth_method = \"pap\" }` (defaults: Access-Request, \"none\"). Unknown names and bad "
            "values raise.",
            "local req = t.request{ [\"User-Name\"] = \"alice\", [\"Calling-Station-Id\"] = "
            "\"AA:BB:CC:DD:EE:01\",\n"
            "                       auth_method = \"pap\" }"},
    ApiItem{"Tests", "t.subscriber(fields), t.service(fields), t.nas(fields)", "tests",
            "Real objects; fields not given keep the C++ defaults (enabled, simultaneous_use = 1, "
            "fup_counts = \"total\", type = \"generic\", coa_port = 3799). `service` is a "
            "`t.service` or a table; `usage` a table of the four counters; `extra` and `fup` "
            "lists of tables. An unknown field raises.",
            "local sub = t.subscriber{ username = \"alice\", enabled = false,\n"
            "  service = t.service{ download_bps = 20000000, upload_bps = 5000000,\n"
            "    fup = { { name = \"FUP1\", daily_bytes = 50e9, download_bps = 10e6, upload_bps "
            "= 2e6 } } } }"},
    ApiItem{"Tests", "t.settings(fields), t.now(unix)", "tests",
            "Replace `settings` (unknown names become extra settings) and fix `now()` for the "
            "rest of the test.",
            "t.settings{ expired_action = \"grace\", grace_days = 3 }\n"
            "t.now(1700000000)"},
    ApiItem{"Tests", "t.eq(actual, expected), t.ok(value, message)", "tests",
            "Fail the test unless the values are equal (raw equality) / the value is true. The "
            "failure reads \"file:line: expected \\\"reject\\\", got \\\"accept\\\"\".",
            "local d = authorize(req, sub, t.nas{ type = \"mikrotik\" })\n"
            "t.eq(d.decision, \"reject\")\n"
            "t.ok(d.reason ~= nil)"},
    ApiItem{"Tests", "t.same(actual, expected)", "tests",
            "Deep comparison through the canonical rendering (sorted keys).",
            "t.same(d.reply, { [\"Mikrotik-Rate-Limit\"] = \"5000k/20000k\" })"},
    ApiItem{"Tests", "t.golden(name, value)", "tests",
            "Compares the canonical rendering of `value` with `golden/<name>.txt` beside the "
            "test file; with GATEHOUSE_UPDATE_GOLDEN=1 in the environment the file is written "
            "instead. Names are letters, digits, `-`, `_`, `.`.",
            "t.golden(\"mikrotik-accept\", authorize(req, sub, nas))"},
};

void appendText(std::string& out, std::string_view text) {
    out.append(text);
}

}  // namespace

std::span<const ApiItem> policyApi() {
    return kApi;
}

std::string generatePolicyApiDoc() {
    std::string out;
    appendText(
        out,
        "# Policy API reference\n\n"
        "<!-- Generated from bindings/registry.cpp by the engine's unit tests: edit that file "
        "and run\n     GATEHOUSE_UPDATE_DOCS=1 build/tests/gh_unit_policy "
        "--gtest_filter='PolicyApiDoc.*' -->\n\n"
        "Gatehouse asks a Lua policy what to do with every request: the policy reads the "
        "request, the subscriber with its service and usage, the NAS and the ISP's "
        "settings, and returns a decision. C++ has already decoded the packet and checked "
        "the credentials; whatever needs I/O (claiming an address, writing rows) C++ does "
        "after the policy returns. Each worker thread runs its own LuaJIT VM; policies "
        "reload without a restart once their tests pass.\n\n"
        "Contents:\n\n");
    for (const Section& s : kSections) {
        std::string anchor;
        for (char c : s.name) {
            if (c == ' ') {
                anchor.push_back('-');
            } else if (c != ':' && c != ',') {
                anchor.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
            }
        }
        out += "- [" + std::string(s.name) + "](#" + anchor + ")\n";
    }
    for (const Section& s : kSections) {
        out += "\n## " + std::string(s.name) + "\n\n";
        out += std::string(s.intro) + "\n";
        for (const ApiItem& item : kApi) {
            if (item.section != s.name) {
                continue;
            }
            out += "\n### `" + std::string(item.name) + "`\n\n";
            if (item.entry_points != "-") {
                out += "*Where:* " + std::string(item.entry_points) + "\n\n";
            }
            out += std::string(item.description) + "\n\n";
            out += "```lua\n" + std::string(item.example) + "\n```\n";
        }
    }
    return out;
}

}  // namespace gatehouse::bindings
