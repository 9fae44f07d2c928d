#include "bindings/testing.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "bindings/lua_vm.hpp"
#include "bindings/object.hpp"
#include "bindings/reply.hpp"
#include "bindings/request.hpp"
#include "bindings/subscriber.hpp"
#include "core/crypto/md5.hpp"
#include "core/radius/value.hpp"
#include "core/radius/writer.hpp"

namespace gatehouse::bindings {
namespace {

using policy::FupTier;
using policy::Nas;
using policy::Service;
using policy::Settings;
using policy::Subscriber;

TestArena& arena(lua_State* L) {
    VmState& st = vmState(L);
    if (st.arena == nullptr) {
        luaL_error(L, "the testing module works only while tests run");
    }
    return *st.arena;
}

// --- reading option tables ---------------------------------------------------------------

std::string fieldString(lua_State* L, int idx, const char* what, const char* key) {
    if (lua_type(L, idx) != LUA_TSTRING && lua_type(L, idx) != LUA_TNUMBER) {
        luaL_error(L, "%s: %s must be a string, got %s", what, key, luaL_typename(L, idx));
    }
    lua_pushvalue(L, idx);
    size_t len = 0;
    const char* s = lua_tolstring(L, -1, &len);
    std::string out(s, len);
    lua_pop(L, 1);
    return out;
}

double fieldNumber(lua_State* L, int idx, const char* what, const char* key, double lo, double hi) {
    if (lua_type(L, idx) != LUA_TNUMBER) {
        luaL_error(L, "%s: %s must be a number, got %s", what, key, luaL_typename(L, idx));
    }
    double v = lua_tonumber(L, idx);
    if (v != std::floor(v) || v < lo || v > hi) {
        luaL_error(L, "%s: %s out of range: %s", what, key, lua_tostring(L, idx));
    }
    return v;
}

uint64_t fieldU64(lua_State* L, int idx, const char* what, const char* key) {
    return static_cast<uint64_t>(fieldNumber(L, idx, what, key, 0, 1.8e19));
}

uint32_t fieldU32(lua_State* L, int idx, const char* what, const char* key) {
    return static_cast<uint32_t>(fieldNumber(L, idx, what, key, 0, 4294967295.0));
}

int64_t fieldI64(lua_State* L, int idx, const char* what, const char* key) {
    return static_cast<int64_t>(fieldNumber(L, idx, what, key, -9.2e18, 9.2e18));
}

bool fieldBool(lua_State* L, int idx, const char* what, const char* key) {
    if (lua_type(L, idx) != LUA_TBOOLEAN) {
        luaL_error(L, "%s: %s must be a boolean, got %s", what, key, luaL_typename(L, idx));
    }
    return lua_toboolean(L, idx) != 0;
}

/// Calls set(key, value_index) for every field of the table at `table`; set returns false for
/// a name it does not know, which raises (a typo in a test must not pass silently).
template <class Set>
void eachField(lua_State* L, int table, const char* what, Set set) {
    luaL_checktype(L, table, LUA_TTABLE);
    lua_pushnil(L);
    while (lua_next(L, table) != 0) {
        if (lua_type(L, -2) != LUA_TSTRING) {
            luaL_error(L, "%s: field names must be strings", what);
        }
        std::string key = lua_tostring(L, -2);
        if (!set(key, lua_gettop(L))) {
            luaL_error(L, "%s: unknown field '%s'", what, key.c_str());
        }
        lua_pop(L, 1);
    }
}

template <class Fn>
void eachItem(lua_State* L, int table, const char* what, Fn fn) {
    if (!lua_istable(L, table)) {
        luaL_error(L, "%s must be a list, got %s", what, luaL_typename(L, table));
    }
    size_t n = lua_objlen(L, table);
    for (size_t i = 1; i <= n; ++i) {
        lua_rawgeti(L, table, static_cast<int>(i));
        fn(lua_gettop(L));
        lua_pop(L, 1);
    }
}

std::shared_ptr<const Service> buildService(lua_State* L, int idx) {
    auto svc = std::make_shared<Service>();
    const char* w = "t.service";
    eachField(L, idx, w, [&](const std::string& k, int v) {
        const char* key = k.c_str();
        if (k == "id")
            svc->id = fieldI64(L, v, w, key);
        else if (k == "name")
            svc->name = fieldString(L, v, w, key);
        else if (k == "download_bps")
            svc->download_bps = fieldU64(L, v, w, key);
        else if (k == "upload_bps")
            svc->upload_bps = fieldU64(L, v, w, key);
        else if (k == "burst_download_bps")
            svc->burst_download_bps = fieldU64(L, v, w, key);
        else if (k == "burst_upload_bps")
            svc->burst_upload_bps = fieldU64(L, v, w, key);
        else if (k == "burst_threshold_download_bps")
            svc->burst_threshold_download_bps = fieldU64(L, v, w, key);
        else if (k == "burst_threshold_upload_bps")
            svc->burst_threshold_upload_bps = fieldU64(L, v, w, key);
        else if (k == "burst_time")
            svc->burst_time_s = fieldU32(L, v, w, key);
        else if (k == "priority")
            svc->priority = fieldU32(L, v, w, key);
        else if (k == "pool_name")
            svc->pool_name = fieldString(L, v, w, key);
        else if (k == "managed_pool")
            svc->managed_pool = fieldString(L, v, w, key);
        else if (k == "idle_timeout")
            svc->idle_timeout = fieldU32(L, v, w, key);
        else if (k == "session_timeout")
            svc->session_timeout = fieldU32(L, v, w, key);
        else if (k == "simultaneous_use")
            svc->simultaneous_use = fieldU32(L, v, w, key);
        else if (k == "filter_id")
            svc->filter_id = fieldString(L, v, w, key);
        else if (k == "address_list")
            svc->address_list = fieldString(L, v, w, key);
        else if (k == "fup_counts")
            svc->fup_counts = fieldString(L, v, w, key);
        else if (k == "fup") {
            eachItem(L, v, "t.service: fup", [&](int item) {
                FupTier tier;
                const char* tw = "t.service: fup tier";
                eachField(L, item, tw, [&](const std::string& tk, int tv) {
                    const char* tkey = tk.c_str();
                    if (tk == "name")
                        tier.name = fieldString(L, tv, tw, tkey);
                    else if (tk == "daily_bytes")
                        tier.daily_bytes = fieldU64(L, tv, tw, tkey);
                    else if (tk == "monthly_bytes")
                        tier.monthly_bytes = fieldU64(L, tv, tw, tkey);
                    else if (tk == "download_bps")
                        tier.download_bps = fieldU64(L, tv, tw, tkey);
                    else if (tk == "upload_bps")
                        tier.upload_bps = fieldU64(L, tv, tw, tkey);
                    else if (tk == "filter_id")
                        tier.filter_id = fieldString(L, tv, tw, tkey);
                    else
                        return false;
                    return true;
                });
                svc->fup.push_back(std::move(tier));
            });
        } else {
            return false;
        }
        return true;
    });
    return svc;
}

/// A service given to t.subscriber: an object from t.service (or sub.service), or a table.
std::shared_ptr<const Service> serviceArgument(lua_State* L, int idx) {
    if (lua_istable(L, idx)) {
        return buildService(L, idx);
    }
    const Service* svc = toService(L, idx);
    if (svc == nullptr) {
        luaL_error(L, "t.subscriber: service must be a t.service() or a table, got %s",
                   luaL_typename(L, idx));
    }
    auto& services = arena(L).services;
    auto it = services.find(svc);
    return it != services.end() ? it->second : std::make_shared<const Service>(*svc);
}

int tService(lua_State* L) {
    VmState& st = vmState(L);
    TestArena& a = arena(L);
    auto svc = lua_isnoneornil(L, 1) ? std::make_shared<const Service>() : buildService(L, 1);
    a.services.emplace(svc.get(), svc);
    pushService(L, st, svc);
    return 1;
}

int tSubscriber(lua_State* L) {
    VmState& st = vmState(L);
    TestArena& a = arena(L);
    Subscriber sub;
    const char* w = "t.subscriber";
    if (!lua_isnoneornil(L, 1)) {
        eachField(L, 1, w, [&](const std::string& k, int v) {
            const char* key = k.c_str();
            if (k == "id")
                sub.id = fieldI64(L, v, w, key);
            else if (k == "username")
                sub.username = fieldString(L, v, w, key);
            else if (k == "enabled")
                sub.enabled = fieldBool(L, v, w, key);
            else if (k == "expires_at")
                sub.expires_at = fieldI64(L, v, w, key);
            else if (k == "mac")
                sub.mac = fieldString(L, v, w, key);
            else if (k == "static_ip")
                sub.static_ip = fieldString(L, v, w, key);
            else if (k == "last_ip")
                sub.last_ip = fieldString(L, v, w, key);
            else if (k == "reseller_id")
                sub.reseller_id = fieldI64(L, v, w, key);
            else if (k == "open_sessions")
                sub.open_sessions = fieldU32(L, v, w, key);
            else if (k == "current_tier")
                sub.current_tier = static_cast<int>(fieldNumber(L, v, w, key, 0, 255));
            else if (k == "service")
                sub.service = serviceArgument(L, v);
            else if (k == "usage") {
                const char* uw = "t.subscriber: usage";
                eachField(L, v, uw, [&](const std::string& uk, int uv) {
                    const char* ukey = uk.c_str();
                    if (uk == "daily_upload")
                        sub.usage.daily_upload = fieldU64(L, uv, uw, ukey);
                    else if (uk == "daily_download")
                        sub.usage.daily_download = fieldU64(L, uv, uw, ukey);
                    else if (uk == "monthly_upload")
                        sub.usage.monthly_upload = fieldU64(L, uv, uw, ukey);
                    else if (uk == "monthly_download")
                        sub.usage.monthly_download = fieldU64(L, uv, uw, ukey);
                    else
                        return false;
                    return true;
                });
            } else if (k == "extra") {
                eachItem(L, v, "t.subscriber: extra", [&](int item) {
                    policy::ExtraAttribute attr;
                    const char* ew = "t.subscriber: extra";
                    eachField(L, item, ew, [&](const std::string& ek, int ev) {
                        if (ek == "name")
                            attr.name = fieldString(L, ev, ew, "name");
                        else if (ek == "value")
                            attr.value = fieldString(L, ev, ew, "value");
                        else
                            return false;
                        return true;
                    });
                    sub.extra.push_back(std::move(attr));
                });
            } else {
                return false;
            }
            return true;
        });
    }
    if (sub.service) {
        a.services.emplace(sub.service.get(), sub.service);
    }
    a.subscribers.push_back(std::move(sub));
    pushSubscriber(L, st, &a.subscribers.back());
    return 1;
}

int tNas(lua_State* L) {
    VmState& st = vmState(L);
    TestArena& a = arena(L);
    Nas nas;
    const char* w = "t.nas";
    if (!lua_isnoneornil(L, 1)) {
        eachField(L, 1, w, [&](const std::string& k, int v) {
            const char* key = k.c_str();
            if (k == "id")
                nas.id = fieldI64(L, v, w, key);
            else if (k == "name")
                nas.name = fieldString(L, v, w, key);
            else if (k == "ip")
                nas.ip = fieldString(L, v, w, key);
            else if (k == "type")
                nas.type = fieldString(L, v, w, key);
            else if (k == "coa_port")
                nas.coa_port = static_cast<uint16_t>(fieldNumber(L, v, w, key, 0, 65535));
            else if (k == "realms") {
                eachItem(L, v, "t.nas: realms",
                         [&](int item) { nas.realms.push_back(fieldString(L, item, w, key)); });
            } else {
                return false;
            }
            return true;
        });
    }
    a.nases.push_back(std::move(nas));
    pushNas(L, st, &a.nases.back());
    return 1;
}

int tSettings(lua_State* L) {
    VmState& st = vmState(L);
    TestArena& a = arena(L);
    Settings s;
    const char* w = "t.settings";
    if (!lua_isnoneornil(L, 1)) {
        eachField(L, 1, w, [&](const std::string& k, int v) {
            const char* key = k.c_str();
            if (k == "interim_interval")
                s.interim_interval = fieldU32(L, v, w, key);
            else if (k == "hard_cut")
                s.hard_cut = fieldBool(L, v, w, key);
            else if (k == "expired_action")
                s.expired_action = fieldString(L, v, w, key);
            else if (k == "grace_days")
                s.grace_days = fieldU32(L, v, w, key);
            else if (k == "walled_garden_pool")
                s.walled_garden_pool = fieldString(L, v, w, key);
            else if (k == "walled_garden_address_list")
                s.walled_garden_address_list = fieldString(L, v, w, key);
            else if (k == "timezone")
                s.timezone = fieldString(L, v, w, key);
            else
                s.extra[k] = fieldString(L, v, w, key);  // the operator's own settings
            return true;
        });
    }
    a.settings.push_back(std::move(s));
    st.settings = &a.settings.back();
    return 0;
}

int tNow(lua_State* L) {
    vmState(L).now = static_cast<int64_t>(fieldNumber(L, 1, "t.now", "the time", -9.2e18, 9.2e18));
    return 0;
}

radius::Code requestCode(lua_State* L, const std::string& name) {
    for (int c = 1; c < 256; ++c) {
        if (radius::isKnownCode(static_cast<uint8_t>(c)) &&
            radius::codeName(static_cast<radius::Code>(c)) == name &&
            radius::isRequest(static_cast<radius::Code>(c))) {
            return static_cast<radius::Code>(c);
        }
    }
    luaL_error(L, "t.request: code '%s' is not a request code", name.c_str());
    return radius::Code::kAccessRequest;
}

int tRequest(lua_State* L) {
    VmState& st = vmState(L);
    TestArena& a = arena(L);
    luaL_checktype(L, 1, LUA_TTABLE);
    auto req = std::make_unique<TestArena::Request>();
    radius::Code code = radius::Code::kAccessRequest;
    req->auth_method = "none";
    struct Item {
        std::string key;
        const radius::AttrDef* def;
        uint8_t tag;
        Bytes wire;
    };
    std::vector<Item> items;
    lua_pushnil(L);
    while (lua_next(L, 1) != 0) {
        int key = lua_gettop(L) - 1;
        std::string name = lua_type(L, key) == LUA_TSTRING ? lua_tostring(L, key) : "";
        if (name == "code") {
            code = requestCode(L, fieldString(L, key + 1, "t.request", "code"));
        } else if (name == "auth_method") {
            req->auth_method = fieldString(L, key + 1, "t.request", "auth_method");
            const auto& m = req->auth_method;
            if (m != "pap" && m != "chap" && m != "mschapv1" && m != "mschapv2" && m != "none") {
                luaL_error(L, "t.request: auth_method must be pap|chap|mschapv1|mschapv2|none");
            }
        } else {
            uint8_t tag = 0;
            const radius::AttrDef& def = checkReplyKey(L, key, "t.request", tag);
            auto add = [&](int v) {
                std::string text = fieldString(L, v, "t.request", def.name.c_str());
                auto wire = radius::parseValue(*st.dict, def, text);
                if (!wire) {
                    luaL_error(L, "t.request: %s", wire.error().message.c_str());
                }
                items.push_back(Item{name, &def, tag, std::move(*wire)});
            };
            if (lua_istable(L, key + 1)) {
                eachItem(L, key + 1, "t.request: a list of values", add);
            } else {
                add(key + 1);
            }
        }
        lua_pop(L, 1);
    }
    // Sorted by name (a list keeps its order) so the same table always gives the same bytes.
    std::stable_sort(items.begin(), items.end(),
                     [](const Item& x, const Item& y) { return x.key < y.key; });
    static const crypto::SharedSecret kSecret("testing123");
    uint8_t authenticator[radius::kAuthenticatorLength];
    std::fill(std::begin(authenticator), std::end(authenticator), uint8_t{0x5a});
    radius::PacketWriter writer(req->buffer, st.dict);
    writer.begin(code, 1, authenticator);
    for (const Item& item : items) {
        if (!writer.add(*item.def, item.wire, kSecret, authenticator, item.tag)) {
            break;
        }
    }
    auto wire = writer.finishRequest(kSecret);
    if (!wire) {
        luaL_error(L, "t.request: %s", radius::describe(wire.error()).c_str());
    }
    auto packet = radius::decodePacket(*wire, *st.dict);
    if (!packet) {
        luaL_error(L, "t.request: %s", radius::describe(packet.error()).c_str());
    }
    req->packet = std::move(*packet);
    req->ctx.request = &req->packet;
    req->ctx.dict = st.dict;
    req->ctx.auth_method = req->auth_method;
    req->ctx.settings = st.settings;
    req->ctx.now = st.now;
    a.requests.push_back(std::move(req));
    pushRequest(L, st, &a.requests.back()->ctx);
    return 1;
}

// --- assertions ----------------------------------------------------------------------------

void renderInto(lua_State* L, int idx, std::string& out, int indent, int depth);

void renderString(std::string_view s, std::string& out) {
    out.push_back('"');
    for (char c : s) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\r':
                out += "\\r";
                break;
            default:
                if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned char>(c));
                    out += buf;
                } else {
                    out.push_back(c);
                }
        }
    }
    out.push_back('"');
}

void renderNumber(double v, std::string& out) {
    char buf[64];
    if (v == std::floor(v) && std::fabs(v) < 1e15) {
        std::snprintf(buf, sizeof buf, "%.0f", v);
    } else {
        std::snprintf(buf, sizeof buf, "%.14g", v);
    }
    out += buf;
}

bool isIdentifier(std::string_view s) {
    if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) {
        return false;
    }
    return std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    });
}

void renderTable(lua_State* L, int idx, std::string& out, int indent, int depth) {
    if (depth > 16) {
        out += "{...}";
        return;
    }
    size_t n = lua_objlen(L, idx);
    struct Entry {
        int kind;  // 0 number, 1 string, 2 other
        double number;
        std::string key;    // how the key prints
        std::string value;  // how the value prints
    };
    std::vector<Entry> entries;
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        int k = lua_gettop(L) - 1;
        Entry e{2, 0, {}, {}};
        if (lua_type(L, k) == LUA_TNUMBER) {
            e.number = lua_tonumber(L, k);
            if (e.number >= 1 && e.number <= static_cast<double>(n) &&
                e.number == std::floor(e.number)) {
                lua_pop(L, 1);
                continue;  // the list part, printed in order below
            }
            e.kind = 0;
            e.key = "[";
            renderNumber(e.number, e.key);
            e.key += "]";
        } else if (lua_type(L, k) == LUA_TSTRING) {
            e.kind = 1;
            std::string name = lua_tostring(L, k);
            if (isIdentifier(name)) {
                e.key = name;
            } else {
                e.key = "[";
                renderString(name, e.key);
                e.key += "]";
            }
        } else {
            e.key = std::string("[") + luaL_typename(L, k) + "]";
        }
        renderInto(L, lua_gettop(L), e.value, indent + 1, depth + 1);
        entries.push_back(std::move(e));
        lua_pop(L, 1);
    }
    std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
        if (a.kind != b.kind)
            return a.kind < b.kind;
        if (a.kind == 0)
            return a.number < b.number;
        return a.key < b.key;
    });
    if (n == 0 && entries.empty()) {
        out += "{}";
        return;
    }
    std::string pad(static_cast<size_t>(indent + 1) * 2, ' ');
    out += "{\n";
    for (size_t i = 1; i <= n; ++i) {
        lua_rawgeti(L, idx, static_cast<int>(i));
        out += pad;
        renderInto(L, lua_gettop(L), out, indent + 1, depth + 1);
        out += ",\n";
        lua_pop(L, 1);
    }
    for (const Entry& e : entries) {
        out += pad + e.key + " = " + e.value + ",\n";
    }
    out += std::string(static_cast<size_t>(indent) * 2, ' ') + "}";
}

void renderInto(lua_State* L, int idx, std::string& out, int indent, int depth) {
    switch (lua_type(L, idx)) {
        case LUA_TNIL:
            out += "nil";
            break;
        case LUA_TBOOLEAN:
            out += lua_toboolean(L, idx) ? "true" : "false";
            break;
        case LUA_TNUMBER:
            renderNumber(lua_tonumber(L, idx), out);
            break;
        case LUA_TSTRING: {
            size_t len = 0;
            const char* s = lua_tolstring(L, idx, &len);
            renderString(std::string_view(s, len), out);
            break;
        }
        case LUA_TTABLE:
            renderTable(L, idx, out, indent, depth);
            break;
        default:
            if (luaL_callmeta(L, idx, "__tostring") && lua_isstring(L, -1)) {
                out += "<" + std::string(lua_tostring(L, -1)) + ">";
                lua_pop(L, 1);
            } else {
                out += std::string("<") + luaL_typename(L, idx) + ">";
            }
    }
}

std::string shortText(lua_State* L, int idx) {
    std::string s = renderValue(L, idx);
    return s;
}

int tEq(lua_State* L) {
    luaL_checkany(L, 2);
    if (!lua_rawequal(L, 1, 2)) {
        std::string got = shortText(L, 1);
        std::string expected = shortText(L, 2);
        return luaL_error(L, "expected %s, got %s", expected.c_str(), got.c_str());
    }
    return 0;
}

int tOk(lua_State* L) {
    if (!lua_toboolean(L, 1)) {
        if (lua_isstring(L, 2)) {
            return luaL_error(L, "%s", lua_tostring(L, 2));
        }
        std::string got = shortText(L, 1);
        return luaL_error(L, "expected a true value, got %s", got.c_str());
    }
    return 0;
}

int tSame(lua_State* L) {
    luaL_checkany(L, 2);
    std::string got = renderValue(L, 1);
    std::string expected = renderValue(L, 2);
    if (got != expected) {
        return luaL_error(L, "values differ\nexpected: %s\ngot: %s", expected.c_str(), got.c_str());
    }
    return 0;
}

bool validGoldenName(std::string_view name) {
    return !name.empty() && name.size() < 100 && name.find("..") == std::string_view::npos &&
           std::all_of(name.begin(), name.end(), [](char c) {
               return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ||
                      c == '.';
           });
}

int tGolden(lua_State* L) {
    TestArena& a = arena(L);
    std::string name = luaL_checkstring(L, 1);
    luaL_checkany(L, 2);
    if (!validGoldenName(name)) {
        return luaL_error(L, "t.golden: bad name '%s' (letters, digits, - _ . only)", name.c_str());
    }
    std::string text = renderValue(L, 2) + "\n";
    std::filesystem::path rel =
        std::filesystem::path(a.current_file).parent_path() / "golden" / (name + ".txt");
    std::filesystem::path path = std::filesystem::path(a.directory) / rel;
    std::string error;
    if (a.update_golden) {
        std::error_code ec;
        std::filesystem::create_directories(path.parent_path(), ec);
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out << text;
        if (!out) {
            error = "t.golden: cannot write " + rel.string();
        }
    } else {
        std::ifstream in(path, std::ios::binary);
        if (!in) {
            error = "t.golden: " + rel.string() +
                    " is missing (run with GATEHOUSE_UPDATE_GOLDEN=1 to write it)";
        } else {
            std::stringstream buf;
            buf << in.rdbuf();
            if (buf.str() != text) {
                error = "t.golden: " + rel.string() + " differs\nexpected:\n" + buf.str() +
                        "got:\n" + text;
            }
        }
    }
    if (!error.empty()) {
        return luaL_error(L, "%s", error.c_str());
    }
    return 0;
}

/// test(name, fn): registers a test of the file being loaded (upvalue 2: the list).
int luaTest(lua_State* L) {
    luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_createtable(L, 2, 0);
    lua_pushvalue(L, 1);
    lua_rawseti(L, -2, 1);
    lua_pushvalue(L, 2);
    lua_rawseti(L, -2, 2);
    lua_rawseti(L, lua_upvalueindex(2), static_cast<int>(lua_objlen(L, lua_upvalueindex(2))) + 1);
    return 0;
}

void pushTestingModule(lua_State* L, VmState& st) {
    lua_createtable(L, 0, 12);
    const std::pair<const char*, lua_CFunction> functions[] = {
        {"request", thunk<tRequest>},
        {"subscriber", thunk<tSubscriber>},
        {"service", thunk<tService>},
        {"nas", thunk<tNas>},
        {"settings", thunk<tSettings>},
        {"now", thunk<tNow>},
        {"eq", thunk<tEq>},
        {"ok", thunk<tOk>},
        {"same", thunk<tSame>},
        {"golden", thunk<tGolden>},
    };
    for (const auto& [name, fn] : functions) {
        pushFunction(L, st, fn);
        lua_setfield(L, -2, name);
    }
}

std::string messageAt(lua_State* L, int idx) {
    size_t len = 0;
    const char* s = lua_tolstring(L, idx, &len);
    return s == nullptr ? std::string("(no message)") : std::string(s, len);
}

}  // namespace

void TestArena::clear() {
    requests.clear();
    subscribers.clear();
    services.clear();
    nases.clear();
    settings.clear();
}

std::string renderValue(lua_State* L, int idx) {
    std::string out;
    renderInto(L, idx < 0 ? lua_gettop(L) + idx + 1 : idx, out, 0, 0);
    return out;
}

std::vector<TestCaseResult> runTestFiles(lua_State* L, VmState& st,
                                         const std::vector<TestFile>& files,
                                         const std::string& directory) {
    std::vector<TestCaseResult> results;
    const int base = lua_gettop(L);
    TestArena arena;
    arena.directory = directory;
    const char* update = std::getenv("GATEHOUSE_UPDATE_GOLDEN");
    arena.update_golden = update != nullptr && std::string_view(update) == "1";
    policy::Decision scratch_decision;
    policy::AccountingDecision scratch_accounting;
    st.arena = &arena;

    // require("testing") finds the module in the cache.
    lua_rawgeti(L, LUA_REGISTRYINDEX, st.loaded);
    pushTestingModule(L, st);
    lua_setfield(L, -2, "testing");
    lua_pop(L, 1);

    auto reset = [&] {
        arena.clear();
        st.settings = &st.default_settings;
        st.now = 0;
        st.entry = Entry::kTest;
        st.decision = &scratch_decision;
        st.accounting = &scratch_accounting;
    };

    for (const TestFile& file : files) {
        arena.current_file = file.name;
        reset();
        lua_newtable(L);  // the tests test() registers
        int list = lua_gettop(L);
        lua_pushvalue(L, list);
        pushFunction(L, st, luaTest, 1);
        lua_setglobal(L, "test");
        int status = loadChunk(L, *file.source, file.name);
        if (status == 0) {
            status = protectedCall(L, st, 0, 1);
        }
        endCall(L, st);
        if (status != 0) {
            results.push_back({file.name, "(loading the file)", false, messageAt(L, -1)});
            lua_settop(L, base);
            continue;
        }
        // A returned table adds its functions, sorted by name.
        if (lua_istable(L, -1)) {
            int returned = lua_gettop(L);
            std::vector<std::string> names;
            lua_pushnil(L);
            while (lua_next(L, returned) != 0) {
                if (lua_type(L, -2) == LUA_TSTRING && lua_isfunction(L, -1)) {
                    names.emplace_back(lua_tostring(L, -2));
                }
                lua_pop(L, 1);
            }
            std::sort(names.begin(), names.end());
            for (const std::string& name : names) {
                lua_createtable(L, 2, 0);
                lua_pushstring(L, name.c_str());
                lua_rawseti(L, -2, 1);
                lua_getfield(L, returned, name.c_str());
                lua_rawseti(L, -2, 2);
                lua_rawseti(L, list, static_cast<int>(lua_objlen(L, list)) + 1);
            }
        }
        size_t count = lua_objlen(L, list);
        for (size_t i = 1; i <= count; ++i) {
            reset();
            lua_rawgeti(L, list, static_cast<int>(i));
            lua_rawgeti(L, -1, 1);
            TestCaseResult result{file.name, messageAt(L, -1), false, {}};
            lua_pop(L, 1);
            lua_rawgeti(L, -1, 2);
            status = protectedCall(L, st, 0, 0);
            endCall(L, st);  // objects made by the test die with it
            if (status == 0) {
                result.passed = true;
            } else {
                result.failure = messageAt(L, -1);
            }
            results.push_back(std::move(result));
            lua_settop(L, list);
        }
        lua_settop(L, base);
    }
    lua_pushnil(L);
    lua_setglobal(L, "test");
    arena.clear();
    st.arena = nullptr;
    st.entry = Entry::kNone;
    st.decision = nullptr;
    st.accounting = nullptr;
    st.settings = &st.default_settings;
    lua_settop(L, base);
    return results;
}

}  // namespace gatehouse::bindings
