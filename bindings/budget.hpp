#pragma once
// The instruction budget: a count hook re-armed for every call. With the JIT off the hook fires
// in every loop; with it on, compiled traces do not count (best-effort).
#include <lua.hpp>

#include <cstdint>

namespace gatehouse::bindings {

/// Arms the hook to fire after `instructions` VM instructions; it then raises
/// "file:line: instruction budget exceeded (N)" and keeps raising on every instruction until the
/// call unwinds, so a policy's own pcall cannot swallow it.
void armBudget(lua_State* L, uint64_t instructions);
void disarmBudget(lua_State* L);

}  // namespace gatehouse::bindings
