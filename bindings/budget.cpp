#include "bindings/budget.hpp"

#include <algorithm>

namespace gatehouse::bindings {
namespace {

// The budget of the running call, for the message (the hook has no upvalues; only this thread
// touches its VMs, and the value is rewritten by every armBudget).
thread_local uint64_t t_budget = 0;

void onBudget(lua_State* L, lua_Debug* ar) {
    lua_sethook(L, onBudget, LUA_MASKCOUNT, 1);
    if (lua_getinfo(L, "Sl", ar) != 0 && ar->currentline > 0) {
        lua_pushfstring(L, "%s:%d: instruction budget exceeded (%f)", ar->short_src,
                        ar->currentline, static_cast<double>(t_budget));
    } else {
        lua_pushfstring(L, "instruction budget exceeded (%f)", static_cast<double>(t_budget));
    }
    lua_error(L);
}

}  // namespace

void armBudget(lua_State* L, uint64_t instructions) {
    t_budget = instructions;
    int count = static_cast<int>(std::clamp<uint64_t>(instructions, 1, 0x7fffffff));
    lua_sethook(L, onBudget, LUA_MASKCOUNT, count);
}

void disarmBudget(lua_State* L) {
    lua_sethook(L, nullptr, 0, 0);
}

}  // namespace gatehouse::bindings
