#include "bindings/reply.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "bindings/object.hpp"
#include "bindings/request.hpp"
#include "core/radius/types.hpp"
#include "core/radius/value.hpp"

namespace gatehouse::bindings {
namespace {

using radius::AttrDef;
using radius::DataType;

/// A whole number in [lo, hi] at `idx`, or a Lua error naming `what` (and `attr`, if given:
/// "accept: Session-Timeout"; the name is only formatted for the error, never per call).
double checkWhole(lua_State* L, int idx, double lo, double hi, const char* what,
                  const char* attr = nullptr) {
    const char* sep = attr != nullptr ? ": " : "";
    attr = attr != nullptr ? attr : "";
    if (lua_type(L, idx) != LUA_TNUMBER) {
        luaL_error(L, "%s%s%s must be a number, got %s", what, sep, attr, luaL_typename(L, idx));
    }
    double v = lua_tonumber(L, idx);
    if (v != std::floor(v) || v < lo || v > hi) {
        luaL_error(L, "%s%s%s must be a whole number in %.0f..%.0f, got %s", what, sep, attr, lo,
                   hi, lua_tostring(L, idx));
    }
    return v;
}

bool isIntegerType(DataType t) {
    return t == DataType::kInteger || t == DataType::kSigned || t == DataType::kInteger64 ||
           t == DataType::kDate || t == DataType::kByte || t == DataType::kShort;
}

Bytes encodeNumber(lua_State* L, int idx, const AttrDef& def, const char* what) {
    Bytes out;
    const char* name = def.name.c_str();
    switch (def.type) {
        case DataType::kByte:
            out.push_back(static_cast<uint8_t>(checkWhole(L, idx, 0, 255, what, name)));
            break;
        case DataType::kShort:
            out.resize(2);
            storeBe16(out.data(), static_cast<uint16_t>(checkWhole(L, idx, 0, 65535, what, name)));
            break;
        case DataType::kSigned:
            out.resize(4);
            storeBe32(out.data(), static_cast<uint32_t>(static_cast<int32_t>(checkWhole(
                                      L, idx, -2147483648.0, 2147483647.0, what, name))));
            break;
        case DataType::kInteger64:
            out.resize(8);
            storeBe64(out.data(),
                      static_cast<uint64_t>(checkWhole(L, idx, 0, 9007199254740992.0, what, name)));
            break;
        default:  // integer, date
            out.resize(4);
            storeBe32(out.data(),
                      static_cast<uint32_t>(checkWhole(L, idx, 0, 4294967295.0, what, name)));
            break;
    }
    return out;
}

void convertValue(lua_State* L, int idx, const AttrDef& def, uint8_t tag, const char* what,
                  std::vector<policy::ReplyAttribute>& out) {
    const radius::Dictionary& dict = *vmState(L).dict;
    Bytes wire;
    int type = lua_type(L, idx);
    if (type == LUA_TNUMBER && isIntegerType(def.type)) {
        wire = encodeNumber(L, idx, def, what);
    } else if (type == LUA_TSTRING || type == LUA_TNUMBER) {
        lua_pushvalue(L, idx);  // lua_tolstring converts numbers in place: work on a copy
        size_t len = 0;
        const char* text = lua_tolstring(L, -1, &len);
        auto parsed = radius::parseValue(dict, def, std::string_view(text, len));
        lua_pop(L, 1);
        if (!parsed) {
            luaL_error(L, "%s: %s", what, parsed.error().message.c_str());
        }
        wire = std::move(*parsed);
    } else {
        luaL_error(L, "%s: %s: a value must be a string or a number, got %s", what,
                   def.name.c_str(), luaL_typename(L, idx));
    }
    out.push_back(policy::ReplyAttribute{&def, std::move(wire), tag});
}

bool allowedInReject(const AttrDef& def) {
    // RFC 2865 4.3 / 5.44: an Access-Reject carries Reply-Message (and Proxy-State, added by
    // C++); RFC 5176 adds Error-Cause. Vendor attributes (MS-CHAP-Error) are allowed.
    return def.vendor != 0 ||
           (def.parent == nullptr &&
            (def.number == radius::attr::kReplyMessage || def.number == radius::attr::kErrorCause));
}

std::string checkString(lua_State* L, int idx, const char* what) {
    if (lua_type(L, idx) != LUA_TSTRING) {
        luaL_error(L, "%s must be a string, got %s", what, luaL_typename(L, idx));
    }
    size_t len = 0;
    const char* s = lua_tolstring(L, idx, &len);
    return std::string(s, len);
}

void checkAddress(lua_State* L, const std::string& text, const char* what) {
    in_addr a{};
    if (inet_pton(AF_INET, text.c_str(), &a) != 1) {
        luaL_error(L, "%s: '%s' is not an IPv4 address", what, text.c_str());
    }
}

/// ip.on_static_conflict = { attempts = 1..20, subnet = "a.b.c.d/p" (optional) }.
policy::StaticConflictPlan parseConflictPlan(lua_State* L, int idx) {
    luaL_checktype(L, idx, LUA_TTABLE);
    policy::StaticConflictPlan plan;
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        std::string key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?";
        if (key == "attempts") {
            const lua_Number n = lua_type(L, -1) == LUA_TNUMBER ? lua_tonumber(L, -1) : -1;
            if (n < 1 || n > 20 || n != static_cast<int>(n))
                luaL_error(L, "accept: ip.on_conflict.attempts must be an integer 1..20");
            plan.attempts = static_cast<int>(n);
        } else if (key == "subnet") {
            plan.subnet = checkString(L, -1, "accept: ip.on_conflict.subnet");
            const size_t slash = plan.subnet.find('/');
            in_addr a{};
            int prefix = -1;
            if (slash != std::string::npos) {
                const std::string bits = plan.subnet.substr(slash + 1);
                if (!bits.empty() && bits.size() <= 2 &&
                    bits.find_first_not_of("0123456789") == std::string::npos)
                    prefix = std::stoi(bits);
            }
            if (slash == std::string::npos || prefix < 8 || prefix > 32 ||
                inet_pton(AF_INET, plan.subnet.substr(0, slash).c_str(), &a) != 1)
                luaL_error(L, "accept: ip.on_conflict.subnet: '%s' is not an IPv4 prefix /8../32",
                           plan.subnet.c_str());
        } else {
            luaL_error(L, "accept: unknown ip.on_conflict option '%s' (attempts, subnet)",
                       key.c_str());
        }
        lua_pop(L, 1);
    }
    return plan;
}

/// opts.ip = { static = [, on_conflict = ] } | { nas_pool = } | { pool = [, address = ] }.
policy::IpRule parseIp(lua_State* L, int idx) {
    luaL_checktype(L, idx, LUA_TTABLE);
    policy::IpRule rule;
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        std::string key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?";
        if (key == "static") {
            rule.address = checkString(L, -1, "accept: ip.static");
            checkAddress(L, rule.address, "accept: ip.static");
            rule.kind = policy::IpRule::kStatic;
        } else if (key == "nas_pool") {
            rule.pool = checkString(L, -1, "accept: ip.nas_pool");
            rule.kind = policy::IpRule::kNasPool;
        } else if (key == "pool") {
            rule.pool = checkString(L, -1, "accept: ip.pool");
        } else if (key == "address") {
            rule.address = checkString(L, -1, "accept: ip.address");
            checkAddress(L, rule.address, "accept: ip.address");
        } else if (key == "on_conflict") {
            rule.on_conflict = parseConflictPlan(L, lua_gettop(L));
        } else {
            luaL_error(L,
                       "accept: unknown ip option '%s' (static, on_conflict, nas_pool, pool, "
                       "address)",
                       key.c_str());
        }
        lua_pop(L, 1);
    }
    if (rule.kind == policy::IpRule::kNone) {
        if (rule.pool.empty()) {
            luaL_error(L, "accept: ip needs one of static, nas_pool, pool");
        }
        rule.kind = rule.address.empty() ? policy::IpRule::kManagedPool : policy::IpRule::kClaim;
    } else if ((rule.kind == policy::IpRule::kStatic && !rule.pool.empty()) ||
               (rule.kind == policy::IpRule::kNasPool && !rule.address.empty())) {
        luaL_error(L, "accept: ip takes one of static, nas_pool, pool");
    }
    if (rule.on_conflict && rule.kind != policy::IpRule::kStatic) {
        luaL_error(L, "accept: ip.on_conflict goes with ip.static only");
    }
    return rule;
}

/// The keys each kind of decision table carries; every call sets all of them (nil when absent)
/// so a reused table never shows a field of an earlier decision.
constexpr std::initializer_list<Key> kDecisionKeys[4] = {
    {kKeyReply, kKeyTier, kKeyIp, kKeySessionTimeout, kKeyIdleTimeout},  // accept
    {kKeyReason, kKeyReply, kKeyMschapError},                            // reject
    {kKeyTags},                                                          // record
    {kKeyReason},                                                        // discard
};

/// Pushes the table accept/reject/record/discard return, remembered as the call's decision:
/// a fresh one in tests (they keep and compare several), else the VM's reused one.
void pushDecisionTable(lua_State* L, VmState& st, Key decision) {
    const int kind = decision - kValueAccept;
    if (st.entry == Entry::kTest) {
        lua_createtable(L, 0, 6);
        pushKey(L, st, decision);
        setKey(L, st, kKeyDecision);
    } else {
        lua_rawgeti(L, LUA_REGISTRYINDEX, st.decision_tables[kind]);
    }
    st.decision_table = lua_topointer(L, -1);
}

/// decision[k] = opts[k] for the opts table at `from` (a raw read: opts is the policy's table).
void copyField(lua_State* L, const VmState& st, int from, Key k) {
    pushKey(L, st, k);
    lua_rawget(L, from);
    setKey(L, st, k);
}

/// The value at `idx` if it is a table, else the shared read-only {}.
void pushTableOrEmpty(lua_State* L, const VmState& st, int idx) {
    if (lua_istable(L, idx)) {
        lua_pushvalue(L, idx);
    } else {
        lua_rawgeti(L, LUA_REGISTRYINDEX, st.empty_table);
    }
}

int luaAccept(lua_State* L) {
    checkEntry(L, "accept", {Entry::kAuthorize});
    VmState& st = vmState(L);
    if (st.decision == nullptr) {
        return luaL_error(L, "accept() is not allowed here");
    }
    policy::Decision d;
    d.accept = true;
    d.reply.reserve(8);  // one allocation for a typical reply instead of one per doubling
    if (!lua_isnoneornil(L, 1)) {
        luaL_checktype(L, 1, LUA_TTABLE);
        convertReply(L, 1, "accept", false, d.reply);
    }
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        lua_pushnil(L);
        while (lua_next(L, 2) != 0) {
            // Interned strings: comparing pointers compares the option names.
            const char* key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?";
            if (key == st.key_names[kKeyIp]) {
                d.ip = parseIp(L, lua_gettop(L));
            } else if (key == st.key_names[kKeySessionTimeout]) {
                d.session_timeout = static_cast<uint32_t>(
                    checkWhole(L, -1, 0, 4294967295.0, "accept: session_timeout"));
            } else if (key == st.key_names[kKeyIdleTimeout]) {
                d.idle_timeout = static_cast<uint32_t>(
                    checkWhole(L, -1, 0, 4294967295.0, "accept: idle_timeout"));
            } else if (key == st.key_names[kKeyTier]) {
                d.tier = static_cast<int>(checkWhole(L, -1, 0, 255, "accept: tier"));
            } else {
                luaL_error(L,
                           "accept: unknown option '%s' (ip, session_timeout, idle_timeout, tier)",
                           key);
            }
            lua_pop(L, 1);
        }
    }
    *st.decision = std::move(d);
    pushDecisionTable(L, st, kValueAccept);
    pushTableOrEmpty(L, st, 1);
    setKey(L, st, kKeyReply);
    lua_pushinteger(L, st.decision->tier);
    setKey(L, st, kKeyTier);
    for (Key k : {kKeyIp, kKeySessionTimeout, kKeyIdleTimeout}) {
        if (lua_istable(L, 2)) {
            copyField(L, st, 2, k);
        } else {
            lua_pushnil(L);
            setKey(L, st, k);
        }
    }
    return 1;
}

int luaReject(lua_State* L) {
    checkEntry(L, "reject", {Entry::kAuthorize});
    VmState& st = vmState(L);
    if (st.decision == nullptr) {
        return luaL_error(L, "reject() is not allowed here");
    }
    policy::Decision d;
    d.accept = false;
    d.reason = checkString(L, 1, "reject: the reason");
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        lua_pushnil(L);
        while (lua_next(L, 2) != 0) {
            std::string key = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "?";
            if (key == "reply") {
                luaL_checktype(L, -1, LUA_TTABLE);
                convertReply(L, lua_gettop(L), "reject", true, d.reply);
            } else if (key == "mschap_error") {
                d.mschap_error =
                    static_cast<uint16_t>(checkWhole(L, -1, 0, 65535, "reject: mschap_error"));
            } else {
                luaL_error(L, "reject: unknown option '%s' (reply, mschap_error)", key.c_str());
            }
            lua_pop(L, 1);
        }
    }
    *st.decision = std::move(d);
    pushDecisionTable(L, st, kValueReject);
    lua_pushvalue(L, 1);
    setKey(L, st, kKeyReason);
    bool has_reply = false;
    lua_pushnil(L);
    setKey(L, st, kKeyMschapError);
    if (lua_istable(L, 2)) {
        copyField(L, st, 2, kKeyMschapError);
        pushKey(L, st, kKeyReply);
        lua_rawget(L, 2);
        has_reply = lua_istable(L, -1);
        if (has_reply) {
            setKey(L, st, kKeyReply);
        } else {
            lua_pop(L, 1);
        }
    }
    if (!has_reply) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, st.empty_table);
        setKey(L, st, kKeyReply);
    }
    return 1;
}

int luaRecord(lua_State* L) {
    checkEntry(L, "record", {Entry::kAccounting});
    VmState& st = vmState(L);
    if (st.accounting == nullptr) {
        return luaL_error(L, "record() is not allowed here");
    }
    policy::AccountingDecision d;
    d.record = true;
    if (!lua_isnoneornil(L, 1)) {
        luaL_checktype(L, 1, LUA_TTABLE);
        size_t n = lua_objlen(L, 1);
        for (size_t i = 1; i <= n; ++i) {
            lua_rawgeti(L, 1, static_cast<int>(i));
            d.tags.push_back(checkString(L, -1, "record: a tag"));
            lua_pop(L, 1);
        }
    }
    *st.accounting = std::move(d);
    pushDecisionTable(L, st, kValueRecord);
    pushTableOrEmpty(L, st, 1);
    setKey(L, st, kKeyTags);
    return 1;
}

int luaDiscard(lua_State* L) {
    checkEntry(L, "discard", {Entry::kAccounting});
    VmState& st = vmState(L);
    if (st.accounting == nullptr) {
        return luaL_error(L, "discard() is not allowed here");
    }
    policy::AccountingDecision d;
    d.record = false;
    d.reason = checkString(L, 1, "discard: the reason");
    *st.accounting = std::move(d);
    pushDecisionTable(L, st, kValueDiscard);
    lua_pushvalue(L, 1);
    setKey(L, st, kKeyReason);
    return 1;
}

}  // namespace

/// The definition and tag named by the key at `idx` ("Name" or "Name:3").
const AttrDef& checkReplyKey(lua_State* L, int idx, const char* what, uint8_t& tag) {
    tag = 0;
    if (lua_type(L, idx) != LUA_TSTRING) {
        luaL_error(L, "%s: reply keys must be attribute names, got %s", what,
                   luaL_typename(L, idx));
    }
    size_t len = 0;
    const char* key = lua_tolstring(L, idx, &len);
    std::string_view name(key, len);
    size_t colon = name.rfind(':');
    if (colon == std::string_view::npos) {
        return checkAttribute(L, idx, what);
    }
    std::string base(name.substr(0, colon));
    std::string_view tag_text = name.substr(colon + 1);
    const AttrDef* def = vmState(L).dict->byName(base);
    if (def == nullptr) {
        luaL_error(L, "%s: unknown attribute '%s'", what, base.c_str());
    }
    int n = 0;
    for (char c : tag_text) {
        n = (c >= '0' && c <= '9' && n < 100) ? n * 10 + (c - '0') : 1000;
    }
    if (!def->has_tag || tag_text.empty() || n < 1 || n > 0x1f) {
        luaL_error(L, "%s: '%s': %s", what, key,
                   def->has_tag ? "the tag must be 1..31" : "this attribute takes no tag");
    }
    tag = static_cast<uint8_t>(n);
    return *def;
}

void convertReply(lua_State* L, int idx, const char* what, bool reject_only,
                  std::vector<policy::ReplyAttribute>& out) {
    size_t first = out.size();
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        int key = lua_gettop(L) - 1;
        int value = key + 1;
        uint8_t tag = 0;
        const AttrDef& def = checkReplyKey(L, key, what, tag);
        if (def.internal() || def.type == DataType::kVsa || def.type == DataType::kTlv ||
            def.type == DataType::kExtended || def.type == DataType::kLongExtended ||
            def.type == DataType::kEvs) {
            luaL_error(L, "%s: %s cannot be sent in a reply", what, def.name.c_str());
        }
        if (reject_only && !allowedInReject(def)) {
            luaL_error(L, "%s: %s is not allowed in an Access-Reject", what, def.name.c_str());
        }
        if (lua_istable(L, value)) {
            size_t n = lua_objlen(L, value);
            for (size_t i = 1; i <= n; ++i) {
                lua_rawgeti(L, value, static_cast<int>(i));
                convertValue(L, lua_gettop(L), def, tag, what, out);
                lua_pop(L, 1);
            }
        } else {
            convertValue(L, value, def, tag, what, out);
        }
        lua_pop(L, 1);
    }
    // Lua tables have no order: sort so that replies (and golden files) are stable. RFC 2865 5
    // only requires the order of attributes of the same type, which a list keeps.
    auto before = [](const policy::ReplyAttribute& a, const policy::ReplyAttribute& b) {
        if (a.def->vendor != b.def->vendor) {
            return a.def->vendor < b.def->vendor;
        }
        uint32_t na = a.def->parent ? a.def->parent->number : a.def->number;
        uint32_t nb = b.def->parent ? b.def->parent->number : b.def->number;
        if (na != nb) {
            return na < nb;
        }
        if (a.def->oid != b.def->oid) {
            return a.def->oid < b.def->oid;
        }
        return a.tag < b.tag;
    };
    auto begin = out.begin() + static_cast<std::ptrdiff_t>(first);
    if (!std::is_sorted(begin, out.end(), before)) {
        std::stable_sort(begin, out.end(), before);  // allocates: only when needed
    }
}

void registerDecisions(lua_State* L, VmState& st) {
    const char* const names[kKeyCount] = {
        "decision",     "reason", "reply",  "ip",     "session_timeout", "idle_timeout", "tier",
        "mschap_error", "tags",   "accept", "reject", "record",          "discard"};
    for (int k = 0; k < kKeyCount; ++k) {
        lua_pushstring(L, names[k]);
        st.key_names[k] = lua_tostring(L, -1);
        st.keys[k] = luaL_ref(L, LUA_REGISTRYINDEX);
    }
    lua_newtable(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, st.mt_readonly);
    lua_setmetatable(L, -2);
    st.empty_table = luaL_ref(L, LUA_REGISTRYINDEX);
    for (int kind = 0; kind < 4; ++kind) {
        lua_createtable(L, 0, 6);
        pushKey(L, st, static_cast<Key>(kValueAccept + kind));
        setKey(L, st, kKeyDecision);
        for (Key k : kDecisionKeys[kind]) {
            lua_pushboolean(L, 0);  // creates the slot; every call overwrites it
            setKey(L, st, k);
        }
        st.decision_tables[kind] = luaL_ref(L, LUA_REGISTRYINDEX);
    }
    pushFunction(L, st, thunk<luaAccept>);
    lua_setglobal(L, "accept");
    pushFunction(L, st, thunk<luaReject>);
    lua_setglobal(L, "reject");
    pushFunction(L, st, thunk<luaRecord>);
    lua_setglobal(L, "record");
    pushFunction(L, st, thunk<luaDiscard>);
    lua_setglobal(L, "discard");
}

}  // namespace gatehouse::bindings
