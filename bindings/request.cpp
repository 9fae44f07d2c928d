#include "bindings/request.hpp"

#include <cctype>
#include <string>

#include "bindings/object.hpp"
#include "core/radius/types.hpp"
#include "core/radius/value.hpp"

namespace gatehouse::bindings {
namespace {

using radius::AttrDef;
using radius::AttrRef;
using radius::DataType;
using RequestObject = BaseObject<policy::RequestContext>;

constexpr const char* kWhat = "request";

enum Field : int { kNoField, kCode, kAuthMethod, kUser, kRealm, kUserOnly, kMac, kGet, kAll, kHas };

const policy::RequestContext& checkReq(lua_State* L) {
    return RequestObject::check(L, 1, vmState(L).mt_request, kWhat);
}

std::string_view firstText(const policy::RequestContext& ctx, uint8_t type) {
    const AttrRef* ref = ctx.request->find(0, type);
    return ref == nullptr ? std::string_view{} : ctx.request->text(*ref);
}

int pushFirst(lua_State* L, const policy::RequestContext& ctx, const AttrDef& def) {
    for (const AttrRef& ref : ctx.request->attributes()) {
        if (isAttribute(ref, def)) {
            pushAttributeValue(L, *vmState(L).dict, def, *ctx.request, ref);
            return 1;
        }
    }
    lua_pushnil(L);
    return 1;
}

int reqGet(lua_State* L) {
    const auto& ctx = checkReq(L);
    return pushFirst(L, ctx, checkAttribute(L, 2, "req:get"));
}

int reqAll(lua_State* L) {
    const auto& ctx = checkReq(L);
    const AttrDef& def = checkAttribute(L, 2, "req:all");
    lua_newtable(L);
    int n = 0;
    for (const AttrRef& ref : ctx.request->attributes()) {
        if (isAttribute(ref, def)) {
            pushAttributeValue(L, *vmState(L).dict, def, *ctx.request, ref);
            lua_rawseti(L, -2, ++n);
        }
    }
    return 1;
}

int reqHas(lua_State* L) {
    const auto& ctx = checkReq(L);
    const AttrDef& def = checkAttribute(L, 2, "req:has");
    for (const AttrRef& ref : ctx.request->attributes()) {
        if (isAttribute(ref, def)) {
            lua_pushboolean(L, 1);
            return 1;
        }
    }
    lua_pushboolean(L, 0);
    return 1;
}

// Upvalues: 1 VmState, 2 field table, 3 get, 4 all, 5 has.
int reqIndex(lua_State* L) {
    VmState* vm = nullptr;
    const auto& ctx = RequestObject::self(L, vm, kWhat);
    const VmState& st = *vm;
    if (lua_type(L, 2) != LUA_TSTRING) {
        return luaL_error(L, "request: attribute name must be a string, got %s",
                          luaL_typename(L, 2));
    }
    const int field = fieldIndex(L, st.field_names[kFieldsRequest], 2);
    switch (field) {
        case kCode: {
            std::string_view name = radius::codeName(ctx.request->code());
            lua_pushlstring(L, name.data(), name.size());
            return 1;
        }
        case kAuthMethod:
            lua_pushlstring(L, ctx.auth_method.data(), ctx.auth_method.size());
            return 1;
        case kUser: {
            std::string_view user = firstText(ctx, radius::attr::kUserName);
            lua_pushlstring(L, user.data(), user.size());
            return 1;
        }
        case kRealm:
        case kUserOnly: {
            std::string_view user = firstText(ctx, radius::attr::kUserName);
            size_t at = user.rfind('@');
            std::string_view part = field == kRealm
                                        ? (at == std::string_view::npos ? "" : user.substr(at + 1))
                                        : user.substr(0, at);
            lua_pushlstring(L, part.data(), part.size());
            return 1;
        }
        case kMac: {
            std::string_view sent = firstText(ctx, radius::attr::kCallingStationId);
            char mac[kMacText];
            if (normaliseMacInto(sent, mac)) {
                lua_pushlstring(L, mac, kMacText);
            } else {
                lua_pushlstring(L, sent.data(), sent.size());
            }
            return 1;
        }
        case kGet:
            lua_pushvalue(L, lua_upvalueindex(3));
            return 1;
        case kAll:
            lua_pushvalue(L, lua_upvalueindex(4));
            return 1;
        case kHas:
            lua_pushvalue(L, lua_upvalueindex(5));
            return 1;
        default:
            return pushFirst(L, ctx, checkAttribute(L, 2, "request"));
    }
}

int reqToString(lua_State* L) {
    lua_pushliteral(L, "request");
    return 1;
}

int hexValue(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

}  // namespace

bool normaliseMacInto(std::string_view text, char (&out)[kMacText]) {
    size_t n = 0;  // hex digits so far
    for (char c : text) {
        if (c == ':' || c == '-' || c == '.') {
            continue;
        }
        if (hexValue(c) < 0 || n == 12) {
            return false;
        }
        // Digit n goes to position n / 2 * 3 + n % 2: "AA:BB:..".
        out[n / 2 * 3 + n % 2] = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        ++n;
    }
    if (n != 12) {
        return false;
    }
    for (size_t colon = 2; colon < kMacText; colon += 3) {
        out[colon] = ':';
    }
    return true;
}

std::string normaliseMac(std::string_view text) {
    char mac[kMacText];
    return normaliseMacInto(text, mac) ? std::string(mac, kMacText) : std::string(text);
}

bool isAttribute(const AttrRef& ref, const AttrDef& def) {
    if (ref.def == &def) {
        return true;
    }
    if (ref.flags & AttrRef::kOpaqueVsa) {
        return false;
    }
    if (def.parent == nullptr) {
        return ref.vendor == def.vendor && ref.type == def.number && ref.ext == 0;
    }
    // RFC 6929 extended attributes: the parent is 241..246 at the top level.
    const AttrDef& parent = *def.parent;
    return parent.parent == nullptr && parent.vendor == 0 && def.vendor == 0 &&
           (parent.type == DataType::kExtended || parent.type == DataType::kLongExtended) &&
           ref.vendor == 0 && ref.type == parent.number && ref.ext == def.number;
}

const AttrDef& checkAttribute(lua_State* L, int idx, const char* what) {
    VmState& st = vmState(L);
    if (lua_type(L, idx) != LUA_TSTRING) {
        luaL_error(L, "%s: attribute name must be a string, got %s", what, luaL_typename(L, idx));
    }
    size_t len = 0;
    const char* name = lua_tolstring(L, idx, &len);
    auto known = st.attr_by_name.find(name);
    if (known != st.attr_by_name.end()) {
        return *known->second;
    }
    const AttrDef* def = st.dict->byName(std::string_view(name, len));
    if (def == nullptr) {
        luaL_error(L, "%s: unknown attribute '%s'", what, name);
    }
    // name_cache[name] = def keeps the string (and so the pointer used as the key) alive.
    lua_rawgeti(L, LUA_REGISTRYINDEX, st.name_cache);
    lua_pushvalue(L, idx);
    lua_pushlightuserdata(L, const_cast<AttrDef*>(def));
    lua_rawset(L, -3);
    lua_pop(L, 1);
    st.attr_by_name.emplace(name, def);
    return *def;
}

void pushAttributeValue(lua_State* L, const radius::Dictionary& dict, const AttrDef& def,
                        const radius::Packet& packet, const AttrRef& ref) {
    ByteSpan v = packet.value(ref);
    if ((ref.flags & AttrRef::kWrongSize) == 0) {
        uint64_t n = 0;
        switch (def.type) {
            case DataType::kString:
            case DataType::kOctets: {
                std::string_view text = asChars(v);
                // RFC 2868 3: a tag octet (0x01..0x1f) before tagged strings is not the value.
                if (def.has_tag && !text.empty() && static_cast<uint8_t>(text[0]) <= 0x1f) {
                    text.remove_prefix(1);
                }
                lua_pushlstring(L, text.data(), text.size());
                return;
            }
            case DataType::kByte:
                n = v[0];
                break;
            case DataType::kShort:
                n = loadBe16(v.data());
                break;
            case DataType::kInteger:
            case DataType::kDate:
                n = loadBe32(v.data());
                if (def.has_tag) {
                    n &= 0x00ffffff;  // RFC 2868 3: the tag is the high octet
                }
                break;
            case DataType::kSigned:
                lua_pushnumber(L, static_cast<int32_t>(loadBe32(v.data())));
                return;
            case DataType::kInteger64:
                lua_pushnumber(L, static_cast<lua_Number>(loadBe64(v.data())));
                return;
            default: {
                std::string text = radius::formatValue(dict, def, v);
                pushString(L, text);
                return;
            }
        }
        std::string_view name = dict.valueName(def, n);
        if (!name.empty()) {
            lua_pushlstring(L, name.data(), name.size());
        } else {
            lua_pushnumber(L, static_cast<lua_Number>(n));
        }
        return;
    }
    std::string text = radius::formatValue(dict, def, v);
    pushString(L, text);
}

void registerRequest(lua_State* L, VmState& st) {
    lua_createtable(L, 0, 4);
    pushFieldTable(
        L, st, kFieldsRequest,
        {"code", "auth_method", "user", "realm", "user_only", "mac", "get", "all", "has"});
    pushFunction(L, st, thunk<reqGet>);
    pushFunction(L, st, thunk<reqAll>);
    pushFunction(L, st, thunk<reqHas>);
    pushFunction(L, st, thunk<reqIndex>, 4);
    lua_setfield(L, -2, "__index");
    pushFunction(L, st, readOnlyError);
    lua_setfield(L, -2, "__newindex");
    lua_pushcfunction(L, reqToString);
    lua_setfield(L, -2, "__tostring");
    lua_pushliteral(L, "request");
    lua_setfield(L, -2, "__metatable");
    st.mt_request = luaL_ref(L, LUA_REGISTRYINDEX);
}

void pushRequest(lua_State* L, VmState& st, const policy::RequestContext* ctx) {
    RequestObject::push(L, st, st.mt_request, ctx, kWhat);
}

}  // namespace gatehouse::bindings
