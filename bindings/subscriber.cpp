#include "bindings/subscriber.hpp"

#include <algorithm>
#include <memory>

#include "bindings/object.hpp"

namespace gatehouse::bindings {
namespace {

using policy::FupTier;
using policy::Nas;
using policy::Service;
using policy::Settings;
using policy::Subscriber;
using policy::Usage;

// Each object is a small userdata whose __index is a C function: building it costs one
// allocation, and a field is converted only when read. (Building the fields into a per-object
// table instead made the shipped policy ~9% slower overall under callgrind: most fields are never
// read.)

void pushU64(lua_State* L, uint64_t v) {
    lua_pushnumber(L, static_cast<lua_Number>(v));
}

int noField(lua_State* L, const char* what) {
    if (lua_type(L, 2) == LUA_TSTRING) {
        return luaL_error(L, "%s has no field '%s'", what, lua_tostring(L, 2));
    }
    return luaL_error(L, "%s has no field of type %s", what, luaL_typename(L, 2));
}

/// Pushes the VM's shared empty list. It is read-only, but rawset() bypasses that: a list a
/// policy filled that way is replaced, so no call sees another call's items.
void pushEmptyList(lua_State* L, VmState& st) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, st.empty_list);
    lua_pushnil(L);
    if (lua_next(L, -2) == 0) {
        return;
    }
    lua_pop(L, 3);
    lua_newtable(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, st.mt_readonly);
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_rawseti(L, LUA_REGISTRYINDEX, st.empty_list);
}

/// A list (read-only metatable: adding an index raises) of the values pushed by `each`: a fresh
/// table, or the shared empty one (most subscribers have no extra rows, most NAS no realms).
template <class Range, class Fn>
void pushList(lua_State* L, VmState& st, const Range& range, Fn each) {
    if (range.empty()) {
        pushEmptyList(L, st);
        return;
    }
    lua_createtable(L, static_cast<int>(range.size()), 0);
    int i = 0;
    for (const auto& item : range) {
        each(item);
        lua_rawseti(L, -2, ++i);
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, st.mt_readonly);
    lua_setmetatable(L, -2);
}

// --- sub ---------------------------------------------------------------------------------
enum SubField : int {
    kSubId = 1,
    kUsername,
    kEnabled,
    kExpiresAt,
    kSubMac,
    kStaticIp,
    kLastIp,
    kReseller,
    kOpenSessions,
    kCurrentTier,
    kSubUsage,
    kExtra,
    kSubService
};

int subIndex(lua_State* L) {
    VmState* vm = nullptr;
    const Subscriber& s = BaseObject<Subscriber>::self(L, vm, "subscriber");
    VmState& st = *vm;
    const policy::LiveCounters* live = st.live_subject == &s ? st.live : nullptr;
    switch (fieldIndex(L, st.field_names[kFieldsSubscriber], 2)) {
        case kSubId:
            lua_pushnumber(L, static_cast<lua_Number>(s.id));
            return 1;
        case kUsername:
            pushString(L, s.username);
            return 1;
        case kEnabled:
            lua_pushboolean(L, s.enabled);
            return 1;
        case kExpiresAt:
            if (s.expires_at) {
                lua_pushnumber(L, static_cast<lua_Number>(*s.expires_at));
            } else {
                lua_pushnil(L);
            }
            return 1;
        case kSubMac:
            pushString(L, s.mac);
            return 1;
        case kStaticIp:
            pushString(L, s.static_ip);
            return 1;
        case kLastIp:
            pushString(L, s.last_ip);
            return 1;
        case kReseller:
            lua_pushnumber(L, static_cast<lua_Number>(s.reseller_id));
            return 1;
        case kOpenSessions:
            lua_pushnumber(L, live ? live->open_sessions : s.open_sessions);
            return 1;
        case kCurrentTier:
            lua_pushinteger(L, live ? live->current_tier : s.current_tier);
            return 1;
        case kSubUsage:
            pushUsage(L, st, live ? &live->usage : &s.usage);
            return 1;
        case kExtra:
            if (pushCached(L, st, &s.extra)) {
                return 1;
            }
            pushList(L, st, s.extra, [&](const policy::ExtraAttribute& a) {
                lua_createtable(L, 0, 2);
                pushString(L, a.name);
                lua_setfield(L, -2, "name");
                pushString(L, a.value);
                lua_setfield(L, -2, "value");
            });
            storeCached(L, st, &s.extra);
            return 1;
        case kSubService:
            pushService(L, st, s.service);
            return 1;
        default:
            return noField(L, "subscriber");
    }
}

// --- service -----------------------------------------------------------------------------
enum ServiceField : int {
    kSvcId = 1,
    kSvcName,
    kDown,
    kUp,
    kBurstDown,
    kBurstUp,
    kBurstThDown,
    kBurstThUp,
    kBurstTime,
    kPriority,
    kPoolName,
    kManagedPool,
    kIdle,
    kSession,
    kSimUse,
    kFilterId,
    kAddressList,
    kFupCounts,
    kFup,
    kIdentity
};

int serviceIndex(lua_State* L) {
    VmState* vm = nullptr;
    const Service& s = BaseObject<Service>::self(L, vm, "service");
    VmState& st = *vm;
    switch (fieldIndex(L, st.field_names[kFieldsService], 2)) {
        case kSvcId:
            lua_pushnumber(L, static_cast<lua_Number>(s.id));
            return 1;
        case kSvcName:
            pushString(L, s.name);
            return 1;
        case kDown:
            pushU64(L, s.download_bps);
            return 1;
        case kUp:
            pushU64(L, s.upload_bps);
            return 1;
        case kBurstDown:
            pushU64(L, s.burst_download_bps);
            return 1;
        case kBurstUp:
            pushU64(L, s.burst_upload_bps);
            return 1;
        case kBurstThDown:
            pushU64(L, s.burst_threshold_download_bps);
            return 1;
        case kBurstThUp:
            pushU64(L, s.burst_threshold_upload_bps);
            return 1;
        case kBurstTime:
            lua_pushnumber(L, s.burst_time_s);
            return 1;
        case kPriority:
            lua_pushnumber(L, s.priority);
            return 1;
        case kPoolName:
            pushString(L, s.pool_name);
            return 1;
        case kManagedPool:
            pushString(L, s.managed_pool);
            return 1;
        case kIdle:
            lua_pushnumber(L, s.idle_timeout);
            return 1;
        case kSession:
            lua_pushnumber(L, s.session_timeout);
            return 1;
        case kSimUse:
            lua_pushnumber(L, s.simultaneous_use);
            return 1;
        case kFilterId:
            pushString(L, s.filter_id);
            return 1;
        case kAddressList:
            pushString(L, s.address_list);
            return 1;
        case kFupCounts:
            pushString(L, s.fup_counts);
            return 1;
        case kFup:
            if (pushCached(L, st, &s.fup)) {
                return 1;
            }
            pushList(L, st, s.fup, [&](const FupTier& t) {
                BaseObject<FupTier>::push(L, st, st.mt_tier, &t, "fup tier");
            });
            storeCached(L, st, &s.fup);
            return 1;
        case kIdentity: {
            // Registered when the object was pushed (pushService), which this call did.
            auto it = st.service_ids.find(&s);
            if (it == st.service_ids.end()) {
                return luaL_error(L, "service: no identity (internal error)");
            }
            lua_pushnumber(L, it->second.id);
            return 1;
        }
        default:
            return noField(L, "service");
    }
}

enum TierField : int { kTierName = 1, kDaily, kMonthly, kTierDown, kTierUp, kTierFilter };

int tierIndex(lua_State* L) {
    VmState* vm = nullptr;
    const FupTier& t = BaseObject<FupTier>::self(L, vm, "fup tier");
    const VmState& st = *vm;
    switch (fieldIndex(L, st.field_names[kFieldsTier], 2)) {
        case kTierName:
            pushString(L, t.name);
            return 1;
        case kDaily:
            pushU64(L, t.daily_bytes);
            return 1;
        case kMonthly:
            pushU64(L, t.monthly_bytes);
            return 1;
        case kTierDown:
            pushU64(L, t.download_bps);
            return 1;
        case kTierUp:
            pushU64(L, t.upload_bps);
            return 1;
        case kTierFilter:
            pushString(L, t.filter_id);
            return 1;
        default:
            return noField(L, "fup tier");
    }
}

enum UsageField : int { kDUp = 1, kDDown, kDTotal, kMUp, kMDown, kMTotal };

int usageIndex(lua_State* L) {
    VmState* vm = nullptr;
    const Usage& u = BaseObject<Usage>::self(L, vm, "usage");
    const VmState& st = *vm;
    switch (fieldIndex(L, st.field_names[kFieldsUsage], 2)) {
        case kDUp:
            pushU64(L, u.daily_upload);
            return 1;
        case kDDown:
            pushU64(L, u.daily_download);
            return 1;
        case kDTotal:
            pushU64(L, u.daily_upload + u.daily_download);
            return 1;
        case kMUp:
            pushU64(L, u.monthly_upload);
            return 1;
        case kMDown:
            pushU64(L, u.monthly_download);
            return 1;
        case kMTotal:
            pushU64(L, u.monthly_upload + u.monthly_download);
            return 1;
        default:
            return noField(L, "usage");
    }
}

// --- nas -----------------------------------------------------------------------------------
enum NasField : int { kNasId = 1, kNasName, kNasIp, kNasType, kRealms, kCoaPort };

int nasIndex(lua_State* L) {
    VmState* vm = nullptr;
    const Nas& n = BaseObject<Nas>::self(L, vm, "nas");
    VmState& st = *vm;
    switch (fieldIndex(L, st.field_names[kFieldsNas], 2)) {
        case kNasId:
            lua_pushnumber(L, static_cast<lua_Number>(n.id));
            return 1;
        case kNasName:
            pushString(L, n.name);
            return 1;
        case kNasIp:
            pushString(L, n.ip);
            return 1;
        case kNasType:
            pushString(L, n.type);
            return 1;
        case kRealms:
            if (pushCached(L, st, &n.realms)) {
                return 1;
            }
            pushList(L, st, n.realms, [&](const std::string& r) { pushString(L, r); });
            storeCached(L, st, &n.realms);
            return 1;
        case kCoaPort:
            lua_pushinteger(L, n.coa_port);
            return 1;
        default:
            return noField(L, "nas");
    }
}

// --- settings ------------------------------------------------------------------------------
enum SettingsField : int {
    kInterim = 1,
    kHardCut,
    kExpiredAction,
    kGraceDays,
    kWgPool,
    kWgList,
    kTimezone
};

int settingsIndex(lua_State* L) {
    const VmState& st = *static_cast<ObjectBox*>(lua_touserdata(L, 1))->st;
    const Settings& s = st.settings != nullptr ? *st.settings : st.default_settings;
    switch (fieldIndex(L, st.field_names[kFieldsSettings], 2)) {
        case kInterim:
            lua_pushnumber(L, s.interim_interval);
            return 1;
        case kHardCut:
            lua_pushboolean(L, s.hard_cut);
            return 1;
        case kExpiredAction:
            pushString(L, s.expired_action);
            return 1;
        case kGraceDays:
            lua_pushnumber(L, s.grace_days);
            return 1;
        case kWgPool:
            pushString(L, s.walled_garden_pool);
            return 1;
        case kWgList:
            pushString(L, s.walled_garden_address_list);
            return 1;
        case kTimezone:
            pushString(L, s.timezone);
            return 1;
        default: {
            if (lua_type(L, 2) != LUA_TSTRING) {
                lua_pushnil(L);
                return 1;
            }
            auto it = s.extra.find(lua_tostring(L, 2));
            if (it == s.extra.end()) {
                lua_pushnil(L);  // an extra setting the operator did not set
            } else {
                pushString(L, it->second);
            }
            return 1;
        }
    }
}

int nameOf(lua_State* L) {
    lua_pushvalue(L, lua_upvalueindex(1));
    return 1;
}

/// A metatable {__index = fn with the field table, __newindex = error, __tostring, __metatable}.
int makeMetatable(lua_State* L, VmState& st, const char* name, FieldSet set, lua_CFunction index,
                  std::initializer_list<const char*> fields) {
    lua_createtable(L, 0, 4);
    pushFieldTable(L, st, set, fields);
    pushFunction(L, st, index, 1);
    lua_setfield(L, -2, "__index");
    pushFunction(L, st, readOnlyError);
    lua_setfield(L, -2, "__newindex");
    lua_pushstring(L, name);
    lua_pushcclosure(L, nameOf, 1);
    lua_setfield(L, -2, "__tostring");
    lua_pushstring(L, name);
    lua_setfield(L, -2, "__metatable");
    return luaL_ref(L, LUA_REGISTRYINDEX);
}

template <class T>
const T* toObject(lua_State* L, int idx, int metatable_ref, const char* what) {
    if (lua_type(L, idx) != LUA_TUSERDATA || !lua_getmetatable(L, idx)) {
        return nullptr;
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, metatable_ref);
    bool ours = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    return ours ? &BaseObject<T>::check(L, idx, metatable_ref, what) : nullptr;
}

}  // namespace

void registerModelObjects(lua_State* L, VmState& st) {
    st.mt_subscriber = makeMetatable(
        L, st, "subscriber", kFieldsSubscriber, thunk<subIndex>,
        {"id", "username", "enabled", "expires_at", "mac", "static_ip", "last_ip", "reseller_id",
         "open_sessions", "current_tier", "usage", "extra", "service"});
    st.mt_service = makeMetatable(L, st, "service", kFieldsService, thunk<serviceIndex>,
                                  {"id",
                                   "name",
                                   "download_bps",
                                   "upload_bps",
                                   "burst_download_bps",
                                   "burst_upload_bps",
                                   "burst_threshold_download_bps",
                                   "burst_threshold_upload_bps",
                                   "burst_time",
                                   "priority",
                                   "pool_name",
                                   "managed_pool",
                                   "idle_timeout",
                                   "session_timeout",
                                   "simultaneous_use",
                                   "filter_id",
                                   "address_list",
                                   "fup_counts",
                                   "fup",
                                   "identity"});
    st.mt_tier = makeMetatable(
        L, st, "fup tier", kFieldsTier, thunk<tierIndex>,
        {"name", "daily_bytes", "monthly_bytes", "download_bps", "upload_bps", "filter_id"});
    st.mt_usage = makeMetatable(L, st, "usage", kFieldsUsage, thunk<usageIndex>,
                                {"daily_upload", "daily_download", "daily_total", "monthly_upload",
                                 "monthly_download", "monthly_total"});
    st.mt_nas = makeMetatable(L, st, "nas", kFieldsNas, thunk<nasIndex>,
                              {"id", "name", "ip", "type", "realms", "coa_port"});
    st.mt_settings =
        makeMetatable(L, st, "settings", kFieldsSettings, thunk<settingsIndex>,
                      {"interim_interval", "hard_cut", "expired_action", "grace_days",
                       "walled_garden_pool", "walled_garden_address_list", "timezone"});
    lua_createtable(L, 0, 2);
    pushFunction(L, st, readOnlyError);
    lua_setfield(L, -2, "__newindex");
    st.mt_readonly = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_newtable(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, st.mt_readonly);
    lua_setmetatable(L, -2);
    st.empty_list = luaL_ref(L, LUA_REGISTRYINDEX);

    // The global `settings`: never dies, always shows the settings of the running call.
    auto* box = static_cast<ObjectBox*>(lua_newuserdata(L, sizeof(ObjectBox)));
    *box = ObjectBox{nullptr, 0, "settings", &st};
    lua_rawgeti(L, LUA_REGISTRYINDEX, st.mt_settings);
    lua_setmetatable(L, -2);
    lua_setglobal(L, "settings");
}

void pushSubscriber(lua_State* L, VmState& st, const Subscriber* sub) {
    if (sub == nullptr) {
        lua_pushnil(L);
    } else {
        BaseObject<Subscriber>::push(L, st, st.mt_subscriber, sub, "subscriber");
    }
}

namespace {

/// Gives `service` its identity: the one it has if this is the object that got it (still
/// alive), else a new number. Dead entries are swept once the map has doubled.
void registerService(VmState& st, const std::shared_ptr<const Service>& service) {
    auto [it, inserted] = st.service_ids.try_emplace(service.get());
    if (!inserted && !it->second.service.expired()) {
        return;  // alive, so no other object can have this address
    }
    it->second = VmState::ServiceIdentity{service, st.next_service_id++};
    if (st.service_ids.size() > 2 * std::max<size_t>(st.service_ids_swept, 64)) {
        std::erase_if(st.service_ids, [](const auto& e) { return e.second.service.expired(); });
        st.service_ids_swept = st.service_ids.size();
    }
}

}  // namespace

void pushService(lua_State* L, VmState& st, const std::shared_ptr<const Service>& service) {
    if (service == nullptr) {
        lua_pushnil(L);
    } else if (!pushCached(L, st, service.get())) {
        registerService(st, service);
        BaseObject<Service>::push(L, st, st.mt_service, service.get(), "service");
        storeCached(L, st, service.get());
    }
}

void pushUsage(lua_State* L, VmState& st, const Usage* usage) {
    if (!pushCached(L, st, usage)) {
        BaseObject<Usage>::push(L, st, st.mt_usage, usage, "usage");
        storeCached(L, st, usage);
    }
}

void pushNas(lua_State* L, VmState& st, const Nas* nas) {
    if (nas == nullptr) {
        lua_pushnil(L);
    } else {
        BaseObject<Nas>::push(L, st, st.mt_nas, nas, "nas");
    }
}

const Subscriber* toSubscriber(lua_State* L, int idx) {
    return toObject<Subscriber>(L, idx, vmState(L).mt_subscriber, "subscriber");
}
const Service* toService(lua_State* L, int idx) {
    return toObject<Service>(L, idx, vmState(L).mt_service, "service");
}
const Nas* toNas(lua_State* L, int idx) {
    return toObject<Nas>(L, idx, vmState(L).mt_nas, "nas");
}

}  // namespace gatehouse::bindings
