#pragma once
// The shape of every object a policy sees (Envoy's lua.h, in our own words): a small userdata
// box pointing at a C++ value the caller owns, one cached metatable per type, the call
// generation that makes a stashed object raise, entry-point checks, and one thunk that turns
// C++ exceptions into Lua errors keeping their message.
#include <lua.hpp>

#include <cstdint>
#include <exception>
#include <initializer_list>
#include <string>
#include <utility>

#include "bindings/state.hpp"

namespace gatehouse::bindings {

/// What a userdata of ours holds: a borrowed pointer and the generation it was made in.
struct ObjectBox {
    const void* ptr = nullptr;
    uint64_t generation = 0;
    const char* type = nullptr;  // "request", "subscriber", ... (static storage)
    VmState* st = nullptr;       // the VM's state: __index gets it without an upvalue lookup
};

/// Calls F; a C++ exception becomes a Lua error with the same message (otherwise Lua only
/// says "C++ exception"). Lua's own errors pass through: LuaJIT raises them as foreign
/// exceptions that `catch (const std::exception&)` does not match.
template <int (*F)(lua_State*)>
int thunk(lua_State* L) {
    std::string error;
    try {
        return F(L);
    } catch (const std::exception& e) {
        error = e.what();
    }
    return luaL_error(L, "%s", error.c_str());  // unwinds; destructors have run
}

/// Pushes a C closure whose upvalue 1 is the VmState (and `extra` more values taken from the
/// stack top, as lua_pushcclosure does).
inline void pushFunction(lua_State* L, VmState& st, lua_CFunction fn, int extra = 0) {
    lua_pushlightuserdata(L, &st);
    if (extra > 0) {
        lua_insert(L, -1 - extra);
    }
    lua_pushcclosure(L, fn, 1 + extra);
}

/// Pushes a table mapping each name to its index (1-based), and records the names' interned
/// strings in st.field_names[set] for fieldIndex(). The table must stay reachable (it is an
/// upvalue of __index): it keeps those strings alive, and so their addresses valid.
inline void pushFieldTable(lua_State* L, VmState& st, FieldSet set,
                           std::initializer_list<const char*> names) {
    lua_createtable(L, 0, static_cast<int>(names.size()));
    int i = 1;
    st.field_names[set].clear();
    for (const char* name : names) {
        lua_pushstring(L, name);
        st.field_names[set].push_back(lua_tostring(L, -1));
        lua_pushinteger(L, i++);
        lua_rawset(L, -3);
    }
}

/// Field index (1-based) of the key at `key_idx` in `names`, or 0. LuaJIT interns every
/// string, so a key equal to a field name is that very string and one pointer comparison per
/// field finds it: two API calls per field read instead of a table lookup's four.
inline int fieldIndex(lua_State* L, const std::vector<const char*>& names, int key_idx) {
    if (lua_type(L, key_idx) != LUA_TSTRING) {
        return 0;
    }
    const char* key = lua_tolstring(L, key_idx, nullptr);
    for (size_t i = 0; i < names.size(); ++i) {
        if (names[i] == key) {
            return static_cast<int>(i) + 1;
        }
    }
    return 0;
}

template <class T>
class BaseObject {
  public:
    /// A fresh userdata for this call: a stashed one stays dead even though the next call
    /// hands out an object of the same type.
    static void push(lua_State* L, const VmState& st, int metatable_ref, const T* value,
                     const char* type) {
        auto* box = static_cast<ObjectBox*>(lua_newuserdata(L, sizeof(ObjectBox)));
        box->ptr = value;
        box->generation = st.generation;
        box->type = type;
        box->st = const_cast<VmState*>(&st);
        lua_rawgeti(L, LUA_REGISTRYINDEX, metatable_ref);
        lua_setmetatable(L, -2);
    }

    /// The object at `idx` after checking its type (metatable) and that its call is running.
    static const T& check(lua_State* L, int idx, int metatable_ref, const char* what) {
        auto* box = static_cast<ObjectBox*>(lua_touserdata(L, idx));
        bool ok = false;
        if (box != nullptr && lua_getmetatable(L, idx)) {
            lua_rawgeti(L, LUA_REGISTRYINDEX, metatable_ref);
            ok = lua_rawequal(L, -1, -2);
            lua_pop(L, 2);
        }
        if (!ok) {
            luaL_error(L, "%s object expected, got %s", what, luaL_typename(L, idx));
        }
        return alive(L, box, what);
    }

    /// For metamethods, where Lua guarantees the type.
    static const T& self(lua_State* L, const char* what) {
        return alive(L, vmState(L), static_cast<ObjectBox*>(lua_touserdata(L, 1)), what);
    }
    /// The same, setting `st` to the VM's state (one API call fewer than vmState()).
    static const T& self(lua_State* L, VmState*& st, const char* what) {
        auto* box = static_cast<ObjectBox*>(lua_touserdata(L, 1));
        st = box->st;
        return alive(L, *st, box, what);
    }

  private:
    static const T& alive(lua_State* L, const ObjectBox* box, const char* what) {
        return alive(L, vmState(L), box, what);
    }
    static const T& alive(lua_State* L, const VmState& st, const ObjectBox* box, const char* what) {
        if (box->generation != st.generation || box->ptr == nullptr) {
            luaL_error(L, "%s object used after its call ended", what);
        }
        return *static_cast<const T*>(box->ptr);
    }
};

/// Raises "<fn>() is not allowed in <entry>()" unless the running entry point is one of
/// `allowed` (tests may call everything).
inline void checkEntry(lua_State* L, const char* fn, std::initializer_list<Entry> allowed) {
    Entry now = vmState(L).entry;
    if (now == Entry::kTest) {
        return;
    }
    for (Entry e : allowed) {
        if (e == now) {
            return;
        }
    }
    luaL_error(L, "%s() is not allowed in %s()", fn, entryName(now));
}

// The per-call cache: the keys live in C++ (call_cache_keys, a handful per call, searched
// linearly), the values in the Lua table call_cache at the key's position. A miss costs no Lua
// API call, and ending a call just forgets the keys: the next call overwrites the slots.

/// Pushes what this call cached for `key` and returns true, or pushes nothing and returns false.
inline bool pushCached(lua_State* L, VmState& st, const void* key) {
    const auto& keys = st.call_cache_keys;
    for (size_t i = 0; i < keys.size(); ++i) {
        if (keys[i] == key) {
            lua_rawgeti(L, LUA_REGISTRYINDEX, st.call_cache);
            lua_rawgeti(L, -1, static_cast<int>(i) + 1);
            lua_remove(L, -2);
            return true;
        }
    }
    return false;
}

/// Caches the value on the stack top for `key` until the call ends (the value stays pushed).
inline void storeCached(lua_State* L, VmState& st, const void* key) {
    st.call_cache_keys.push_back(key);
    lua_rawgeti(L, LUA_REGISTRYINDEX, st.call_cache);
    lua_pushvalue(L, -2);
    lua_rawseti(L, -2, static_cast<int>(st.call_cache_keys.size()));
    lua_pop(L, 1);
}

/// Ends a call (or a test): every object handed out is dead from now on, the cache is empty
/// (its slots keep the dead objects until the next call overwrites them; nothing reads them).
inline void endCall(lua_State*, VmState& st) {
    ++st.generation;
    st.call_cache_keys.clear();
}

inline void pushKey(lua_State* L, const VmState& st, Key k) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, st.keys[k]);
}

/// t[k] = v for the table t at -2 and the value v at -1 (pops v), with an interned key.
inline void setKey(lua_State* L, const VmState& st, Key k) {
    pushKey(L, st, k);
    lua_insert(L, -2);
    lua_rawset(L, -3);
}

/// __newindex of every read-only object.
int readOnlyError(lua_State* L);

/// Pushes a C++ string.
inline void pushString(lua_State* L, const std::string& s) {
    lua_pushlstring(L, s.data(), s.size());
}

}  // namespace gatehouse::bindings
