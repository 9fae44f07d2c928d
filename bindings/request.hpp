#pragma once
// `req`: the request a policy reads, by dictionary name, valid only during its call.
#include <lua.hpp>

#include "bindings/state.hpp"
#include "core/policy/context.hpp"
#include "core/radius/packet.hpp"

namespace gatehouse::bindings {

/// Creates the request metatable (once per VM).
void registerRequest(lua_State* L, VmState& st);
/// Pushes a request object for `ctx`, alive until the current call ends.
void pushRequest(lua_State* L, VmState& st, const policy::RequestContext* ctx);

/// The dictionary definition named by the string at `idx`, cached per VM; raises
/// "unknown attribute 'Foo'" (a typo must not silently read nil). `what` prefixes the error.
const radius::AttrDef& checkAttribute(lua_State* L, int idx, const char* what);

/// True when the decoded occurrence `ref` is an occurrence of `def` (aliases included).
bool isAttribute(const radius::AttrRef& ref, const radius::AttrDef& def);

/// Pushes one value the way the policy API documents: strings and octets as Lua strings,
/// numbers (or their VALUE name), addresses and the rest as text.
void pushAttributeValue(lua_State* L, const radius::Dictionary& dict, const radius::AttrDef& def,
                        const radius::Packet& packet, const radius::AttrRef& ref);

/// "aa-bb-cc-dd-ee-ff", "aabb.ccdd.eeff", ... -> "AA:BB:CC:DD:EE:FF"; anything else as is.
std::string normaliseMac(std::string_view text);

/// The same without allocating (req.mac runs on every request): writes the 17 characters of
/// "AA:BB:CC:DD:EE:FF" to `out` and returns true, or returns false when `text` is no MAC.
constexpr size_t kMacText = 17;
bool normaliseMacInto(std::string_view text, char (&out)[kMacText]);

}  // namespace gatehouse::bindings
