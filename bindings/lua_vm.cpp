#include "bindings/lua_vm.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <tuple>

#include <luajit.h>

#include <ctime>
#include <iostream>
#include <new>
#include <string>

#include "bindings/budget.hpp"
#include "bindings/object.hpp"
#include "bindings/reply.hpp"
#include "bindings/request.hpp"
#include "bindings/sandbox.hpp"
#include "bindings/subscriber.hpp"

namespace gatehouse::bindings {
namespace {

/// log.info(...) / log.warn(...): the arguments joined by spaces, with the caller's file:line.
template <LogLevel kLevel>
int luaLog(lua_State* L) {
    VmState& st = vmState(L);
    int n = lua_gettop(L);
    std::string message;
    for (int i = 1; i <= n; ++i) {
        if (i > 1) {
            message.push_back(' ');
        }
        if (lua_type(L, i) == LUA_TSTRING || lua_type(L, i) == LUA_TNUMBER) {
            size_t len = 0;
            const char* s = lua_tolstring(L, i, &len);  // numbers convert in a copy below
            message.append(s, len);
        } else if (lua_isnil(L, i)) {
            message += "nil";
        } else if (lua_isboolean(L, i)) {
            message += lua_toboolean(L, i) ? "true" : "false";
        } else {
            message += luaL_typename(L, i);
        }
    }
    std::string where = "?";
    lua_Debug ar;
    if (lua_getstack(L, 1, &ar) != 0 && lua_getinfo(L, "Sl", &ar) != 0) {
        where = std::string(ar.short_src) + ":" + std::to_string(ar.currentline);
    }
    if (st.log != nullptr) {
        st.log->write(kLevel, where, message);
    }
    return 0;
}

int luaNow(lua_State* L) {
    lua_pushnumber(L, static_cast<lua_Number>(vmState(L).now));
    return 1;
}

void installPolicyApi(lua_State* L, VmState& st) {
    lua_newtable(L);
    st.name_cache = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_newtable(L);
    st.call_cache = luaL_ref(L, LUA_REGISTRYINDEX);
    registerRequest(L, st);
    registerModelObjects(L, st);
    registerDecisions(L, st);
    lua_createtable(L, 0, 2);
    pushFunction(L, st, thunk<luaLog<LogLevel::kInfo>>);
    lua_setfield(L, -2, "info");
    pushFunction(L, st, thunk<luaLog<LogLevel::kWarn>>);
    lua_setfield(L, -2, "warn");
    lua_setglobal(L, "log");
    pushFunction(L, st, luaNow);
    lua_setglobal(L, "now");
}

}  // namespace

VmState& vmState(lua_State* L) {
    return *static_cast<VmState*>(lua_touserdata(L, lua_upvalueindex(1)));
}

const char* entryName(Entry e) {
    switch (e) {
        case Entry::kNone:
            return "no call";
        case Entry::kLoad:
            return "the top level";
        case Entry::kAuthorize:
            return "authorize";
        case Entry::kAccounting:
            return "accounting";
        case Entry::kFup:
            return "fup";
        case Entry::kCoaForTier:
            return "coa_for_tier";
        case Entry::kTest:
            return "a test";
    }
    return "?";
}

int readOnlyError(lua_State* L) {
    if (lua_type(L, 2) == LUA_TSTRING) {
        return luaL_error(L, "attempt to set '%s' of a read-only %s", lua_tostring(L, 2),
                          luaL_typename(L, 1));
    }
    return luaL_error(L, "attempt to modify a read-only %s", luaL_typename(L, 1));
}

void StderrLogSink::write(LogLevel level, std::string_view where, std::string_view message) {
    int64_t second = static_cast<int64_t>(std::time(nullptr));
    if (second != window_) {
        if (dropped_in_window_ > 0) {
            std::cerr << "policy.log.dropped lines=" << dropped_in_window_ << '\n';
        }
        window_ = second;
        in_window_ = 0;
        dropped_in_window_ = 0;
    }
    if (++in_window_ > kBurst) {
        ++dropped_;
        ++dropped_in_window_;
        return;
    }
    std::cerr << (level == LogLevel::kWarn ? "policy.warn " : "policy.info ") << where << ": "
              << message << '\n';
}

namespace {

// Small blocks (the tables, strings and closures each call makes, which the GC frees in
// bursts) come from per-VM free lists by 16-octet size class: a VM is only ever used by one
// thread, so no lock, and a free + alloc pair is a few instructions instead of a trip through
// glibc's arenas (which showed up at ~5% of a server's CPU). Larger blocks go to the system.
constexpr size_t kGranule = 16;
constexpr size_t kPooledMax = kGranule * std::tuple_size_v<decltype(MemoryLimit::free_blocks)>;

size_t sizeClass(size_t n) {
    return (n + kGranule - 1) / kGranule - 1;
}  // n in 1..kPooledMax

void* takeBlock(MemoryLimit& m, size_t n) {
    if (n > kPooledMax) {
        return std::malloc(n);
    }
    void*& head = m.free_blocks[sizeClass(n)];
    if (head == nullptr) {
        return std::malloc((sizeClass(n) + 1) * kGranule);
    }
    void* p = head;
    head = *static_cast<void**>(p);
    return p;
}

void giveBlock(MemoryLimit& m, void* p, size_t n) {
    if (n > kPooledMax) {
        std::free(p);
        return;
    }
    void*& head = m.free_blocks[sizeClass(n)];
    *static_cast<void**>(p) = head;
    head = p;
}

// The VM's allocator, with a byte count, so that a policy building a huge string or table
// fails that one call ("memory limit exceeded") instead of taking the server's memory. Lua 5.1
// contract: ptr == nullptr means osize is 0; otherwise osize is the block's size; nsize == 0
// frees.
void* limitedAlloc(void* ud, void* ptr, size_t osize, size_t nsize) {
    auto* m = static_cast<MemoryLimit*>(ud);
    const size_t old = ptr == nullptr ? 0 : osize;
    if (nsize == 0) {
        if (ptr != nullptr) {
            m->used -= old;
            giveBlock(*m, ptr, old);
        }
        return nullptr;
    }
    if (m->enforce && m->limit != 0 && nsize > old &&
        nsize - old > m->limit - std::min(m->limit, m->used)) {
        return nullptr;
    }
    void* p = nullptr;
    if (ptr != nullptr && old <= kPooledMax && nsize <= kPooledMax &&
        sizeClass(old) == sizeClass(nsize)) {
        p = ptr;  // same class: the block already has room
    } else if (ptr != nullptr && old > kPooledMax && nsize > kPooledMax) {
        p = std::realloc(ptr, nsize);
    } else {
        p = takeBlock(*m, nsize);
        if (p != nullptr && ptr != nullptr) {
            std::memcpy(p, ptr, std::min(old, nsize));
            giveBlock(*m, ptr, old);
        }
    }
    if (p != nullptr) {
        m->used = m->used - old + nsize;
    }
    return p;
}

}  // namespace

LuaVm::LuaVm(const VmOptions& options, const radius::Dictionary& dict)
    : st_(std::make_unique<VmState>()) {
    st_->memory.limit = options.max_memory;
    L_ = lua_newstate(limitedAlloc, &st_->memory);
    if (L_ == nullptr) {
        throw std::bad_alloc();
    }
    st_->dict = &dict;
    st_->settings = &st_->default_settings;
    installSandbox(L_, *st_, options);
    installPolicyApi(L_, *st_);
    // The count hook only fires in interpreted code: with the JIT on a compiled loop would
    // run past the budget (measured on Debian's LuaJIT). Set last: opening the jit library
    // switches the JIT on again.
    luaJIT_setmode(L_, 0, LUAJIT_MODE_ENGINE | (options.jit ? LUAJIT_MODE_ON : LUAJIT_MODE_OFF));
}

LuaVm::~LuaVm() {
    if (L_ != nullptr) {
        lua_close(L_);
    }
    for (void* head : st_->memory.free_blocks) {
        while (head != nullptr) {
            void* next = *static_cast<void**>(head);
            std::free(head);
            head = next;
        }
    }
}

int loadChunk(lua_State* L, std::string_view source, std::string_view file) {
    std::string chunk_name = "@" + std::string(file);
    // LuaJIT bytecode starts with ESC ("\27LJ"); it bypasses the verifier, so only text loads.
    if (!source.empty() && source[0] == '\x1b') {
        lua_pushfstring(L, "%s:1: precompiled bytecode is refused", chunk_name.c_str() + 1);
        return LUA_ERRSYNTAX;
    }
    return luaL_loadbufferx(L, source.data(), source.size(), chunk_name.c_str(), "t");
}

int protectedCall(lua_State* L, VmState& st, int nargs, int nresults) {
    int fn = lua_gettop(L) - nargs;
    lua_rawgeti(L, LUA_REGISTRYINDEX, st.error_handler);
    lua_insert(L, fn);
    // The hook stays armed between calls (no Lua runs then): re-arming an armed hook only
    // resets its count, while switching it off and on rebuilds LuaJIT's dispatch table, which
    // cost ~600 instructions per call (callgrind).
    armBudget(L, st.max_instructions);
    st.memory.enforce = true;
    int status = lua_pcall(L, nargs, nresults, fn);
    st.memory.enforce = false;
    if (status == LUA_ERRMEM && st.memory.limit != 0) {
        // Lua only says "not enough memory"; name the cap. Safe to allocate: not enforced now.
        lua_pop(L, 1);
        lua_gc(L, LUA_GCCOLLECT, 0);
        lua_pushfstring(L, "memory limit exceeded (%d KiB)",
                        static_cast<int>(st.memory.limit / 1024));
    }
    lua_remove(L, fn);
    return status;
}

}  // namespace gatehouse::bindings
