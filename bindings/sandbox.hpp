#pragma once
// The sandbox: which globals a policy gets, and a require() that only reaches the policy files.
#include <lua.hpp>

#include "bindings/lua_vm.hpp"
#include "bindings/state.hpp"

namespace gatehouse::bindings {

/// Opens the whitelisted libraries and trims the globals: string (without string.dump, removed
/// from the real table that string methods reach through the string metatable), table, math,
/// os.time/date/clock/difftime and the safe base functions; debug, ffi and jit only when the
/// options open them. Installs require(), which maps "lib.fup" to lib/fup.lua through
/// VmState::find_source and nothing else.
void installSandbox(lua_State* L, VmState& st, const VmOptions& options);

/// The lua_pcall message handler: makes every error a string that starts with the file:line of
/// the innermost policy code when the message does not carry one.
int errorHandler(lua_State* L);

/// True when the module name is segments of [A-Za-z0-9_] joined by dots.
bool validModuleName(std::string_view name);

}  // namespace gatehouse::bindings
