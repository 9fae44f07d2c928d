#pragma once
// A policy VM: one lua_State, its sandbox and the policy API, owned by one thread.
#include <lua.hpp>

#include <memory>
#include <string>
#include <string_view>

#include "bindings/state.hpp"

namespace gatehouse::bindings {

struct VmOptions {
    bool jit = false;  // JIT on: faster, but the count hook misses compiled loops
    bool allow_ffi = false;
    bool allow_debug = false;
    size_t max_memory = 0;  // bytes a VM may hold while policy code runs; 0: no cap
};

class LuaVm {
  public:
    /// A fresh state: JIT off unless options.jit, only the whitelisted libraries open, the
    /// sandbox and the policy API installed. Throws std::bad_alloc when Lua cannot allocate.
    LuaVm(const VmOptions& options, const radius::Dictionary& dict);
    ~LuaVm();
    LuaVm(const LuaVm&) = delete;
    LuaVm& operator=(const LuaVm&) = delete;

    lua_State* state() const { return L_; }
    VmState& vmState() { return *st_; }

  private:
    lua_State* L_ = nullptr;
    std::unique_ptr<VmState> st_;
};

/// Compiles `source` as text (bytecode refused) with the chunk name "@<file>", so errors read
/// "vendors/mikrotik.lua:12: ...". Returns 0 with the function pushed, or a Lua status with
/// the message pushed.
int loadChunk(lua_State* L, std::string_view source, std::string_view file);

/// Runs the function below `nargs` arguments on the stack under the message handler and the
/// instruction budget. Returns the lua_pcall status; the error message (a string "file:line:
/// message") or the results are on the stack. The caller restores the stack.
int protectedCall(lua_State* L, VmState& st, int nargs, int nresults);

}  // namespace gatehouse::bindings
