#pragma once
// `sub` (with sub.service, sub.usage, the FUP tiers), `nas` and the global `settings`: read-only
// views of the model (core/policy/model.hpp). Field names are the policy API's; an unknown field
// raises so that a typo does not read nil.
#include <lua.hpp>

#include <memory>

#include "bindings/state.hpp"
#include "core/policy/model.hpp"

namespace gatehouse::bindings {

/// Creates the metatables of sub, service, tier, usage, nas and settings (once per VM) and the
/// global `settings`, which always shows VmState::settings.
void registerModelObjects(lua_State* L, VmState& st);

void pushSubscriber(lua_State* L, VmState& st, const policy::Subscriber* sub);  // nil for null
/// nil for null; registers the service's `identity` (VmState::service_ids).
void pushService(lua_State* L, VmState& st, const std::shared_ptr<const policy::Service>& service);
void pushUsage(lua_State* L, VmState& st, const policy::Usage* usage);
void pushNas(lua_State* L, VmState& st, const policy::Nas* nas);  // nil for null

/// The C++ object behind a sub/service/nas userdata of this call, or nullptr when the value at
/// `idx` is something else (raises when it is one of ours but dead).
const policy::Subscriber* toSubscriber(lua_State* L, int idx);
const policy::Service* toService(lua_State* L, int idx);
const policy::Nas* toNas(lua_State* L, int idx);

}  // namespace gatehouse::bindings
