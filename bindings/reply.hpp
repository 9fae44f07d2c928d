#pragma once
// What a policy returns: accept/reject (authorize), record/discard (accounting), and the reply
// table conversion shared with coa_for_tier. The table is converted once, when accept() runs,
// so a bad attribute is reported at the file:line of that accept() call.
#include <lua.hpp>

#include <vector>

#include "bindings/state.hpp"
#include "core/policy/decision.hpp"

namespace gatehouse::bindings {

/// Registers the globals accept, reject, record and discard.
void registerDecisions(lua_State* L, VmState& st);

/// Converts the reply table at `idx` ({ ["Name"] = value | {values}, ["Name:tag"] = ... }):
/// every name checked against the dictionary, strings through radius::parseValue, numbers as
/// integers for integer types. Attributes come out ordered by vendor and number, the values of
/// one name in the order given. Raises a Lua error naming the attribute, prefixed by `what`.
/// `reject_only`: only what an Access-Reject may carry (Reply-Message, Error-Cause, VSAs).
/// The definition and tag named by the key at `idx` ("Name" or "Name:3"); raises when the name
/// is unknown or the tag is not 1..31 on a has_tag attribute.
const radius::AttrDef& checkReplyKey(lua_State* L, int idx, const char* what, uint8_t& tag);

void convertReply(lua_State* L, int idx, const char* what, bool reject_only,
                  std::vector<policy::ReplyAttribute>& out);

}  // namespace gatehouse::bindings
