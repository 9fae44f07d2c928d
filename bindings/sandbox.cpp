#include "bindings/sandbox.hpp"

#include <cctype>
#include <cstring>
#include <string>

#include "bindings/object.hpp"

namespace gatehouse::bindings {
namespace {

// The base functions a policy may use (docs/policy-api.md). Everything else of the base
// library goes: load*, dofile, getfenv/setfenv, collectgarbage, gcinfo, newproxy, print,
// module, coroutine.
constexpr const char* kBaseWhitelist[] = {
    "assert",   "error",    "ipairs", "next",   "pairs",        "pcall",
    "rawequal", "rawget",   "rawset", "select", "setmetatable", "getmetatable",
    "tonumber", "tostring", "type",   "unpack", "xpcall",       "_G",
    "_VERSION", "string",   "table",  "math",   "os",
};

void openLibrary(lua_State* L, lua_CFunction open, const char* name) {
    lua_pushcfunction(L, open);
    lua_pushstring(L, name);
    lua_call(L, 1, 0);
    // What luaopen_* returns differs (luaopen_jit returns a string); the registry's _LOADED
    // always holds the module.
    lua_getfield(L, LUA_REGISTRYINDEX, "_LOADED");
    lua_getfield(L, -1, name);
    lua_setglobal(L, name);
    lua_pop(L, 1);
}

bool whitelisted(std::string_view name, const VmOptions& options) {
    for (const char* allowed : kBaseWhitelist) {
        if (name == allowed) {
            return true;
        }
    }
    return (options.allow_debug && name == "debug") || (options.allow_ffi && name == "ffi") ||
           (options.jit && name == "jit");
}

const char kLoading[] = "loading";  // address used as the "being loaded" marker

int luaRequire(lua_State* L) {
    VmState& st = vmState(L);
    size_t len = 0;
    const char* name = luaL_checklstring(L, 1, &len);
    std::string_view module(name, len);
    if (!validModuleName(module)) {
        return luaL_error(L, "require: bad module name '%s' (dotted names of policy files only)",
                          name);
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, st.loaded);
    int loaded = lua_gettop(L);
    lua_getfield(L, loaded, name);
    if (lua_touserdata(L, -1) == kLoading) {
        return luaL_error(L, "require: module '%s' requires itself (a loop)", name);
    }
    if (!lua_isnil(L, -1)) {
        return 1;
    }
    lua_pop(L, 1);
    std::string file(module);
    for (char& c : file) {
        if (c == '.') {
            c = '/';
        }
    }
    file += ".lua";
    const std::string* source = st.find_source ? st.find_source(file) : nullptr;
    if (source == nullptr) {
        if (module == "testing") {
            return luaL_error(L, "require: module 'testing' exists only in policy tests");
        }
        return luaL_error(L, "require: module '%s' not found (no %s in the policy directory)", name,
                          file.c_str());
    }
    lua_pushlightuserdata(L, const_cast<char*>(kLoading));
    lua_setfield(L, loaded, name);
    if (loadChunk(L, *source, file) != 0) {
        lua_pushnil(L);
        lua_setfield(L, loaded, name);
        return lua_error(L);  // the message already says file:line
    }
    lua_pushstring(L, name);
    lua_call(L, 1, 1);  // errors propagate with the module's file:line
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushboolean(L, 1);
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, loaded, name);
    return 1;
}

/// True when `msg` starts with "something:digits: ".
bool hasLocation(std::string_view msg) {
    size_t colon = msg.find(':');
    while (colon != std::string_view::npos && colon > 0) {
        size_t i = colon + 1;
        size_t digits = 0;
        while (i < msg.size() && std::isdigit(static_cast<unsigned char>(msg[i]))) {
            ++i;
            ++digits;
        }
        if (digits > 0 && i < msg.size() && msg[i] == ':') {
            return true;
        }
        if (msg.substr(0, colon).find(' ') != std::string_view::npos) {
            return false;
        }
        colon = msg.find(':', colon + 1);
    }
    return false;
}

}  // namespace

bool validModuleName(std::string_view name) {
    if (name.empty() || name.size() > 200) {
        return false;
    }
    bool segment_start = true;
    for (char c : name) {
        if (c == '.') {
            if (segment_start) {
                return false;
            }
            segment_start = true;
        } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') {
            segment_start = false;
        } else {
            return false;
        }
    }
    return !segment_start;
}

int errorHandler(lua_State* L) {
    if (!lua_isstring(L, 1)) {
        lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
        lua_replace(L, 1);
    }
    size_t len = 0;
    const char* msg = lua_tolstring(L, 1, &len);
    if (hasLocation(std::string_view(msg, len))) {
        lua_settop(L, 1);
        return 1;
    }
    // error("text", 0), error({}), errors raised in C: name the innermost policy line.
    lua_Debug ar;
    for (int level = 1; lua_getstack(L, level, &ar) != 0; ++level) {
        if (lua_getinfo(L, "Sl", &ar) != 0 && ar.currentline > 0) {
            lua_pushfstring(L, "%s:%d: %s", ar.short_src, ar.currentline, msg);
            return 1;
        }
    }
    lua_settop(L, 1);
    return 1;
}

void installSandbox(lua_State* L, VmState& st, const VmOptions& options) {
    lua_pushcfunction(L, luaopen_base);
    lua_call(L, 0, 0);
    openLibrary(L, luaopen_table, LUA_TABLIBNAME);
    openLibrary(L, luaopen_string, LUA_STRLIBNAME);
    openLibrary(L, luaopen_math, LUA_MATHLIBNAME);
    openLibrary(L, luaopen_os, LUA_OSLIBNAME);
    if (options.allow_debug) {
        openLibrary(L, luaopen_debug, LUA_DBLIBNAME);
    }
    if (options.allow_ffi) {
        openLibrary(L, luaopen_ffi, LUA_FFILIBNAME);
    }
    if (options.jit) {
        openLibrary(L, luaopen_jit, LUA_JITLIBNAME);
    }

    // Drop every global not on the whitelist (collect first: no table changes under lua_next).
    std::vector<std::string> drop;
    lua_pushnil(L);
    while (lua_next(L, LUA_GLOBALSINDEX) != 0) {
        lua_pop(L, 1);
        if (lua_type(L, -1) == LUA_TSTRING && !whitelisted(lua_tostring(L, -1), options)) {
            drop.emplace_back(lua_tostring(L, -1));
        }
    }
    for (const std::string& name : drop) {
        lua_pushnil(L);
        lua_setglobal(L, name.c_str());
    }

    // string.dump goes from the real table: ("").dump reaches it through the string metatable.
    lua_getglobal(L, LUA_STRLIBNAME);
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    lua_pop(L, 1);

    // Every string shares one metatable: a policy replacing its __index would change string
    // methods for every module and every later request. getmetatable("") returns false.
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 2);

    // os: only the clock and calendar functions (no execute, exit, getenv, remove, rename,
    // tmpname, setlocale).
    lua_getglobal(L, LUA_OSLIBNAME);
    lua_createtable(L, 0, 4);
    for (const char* name : {"time", "date", "clock", "difftime"}) {
        lua_getfield(L, -2, name);
        lua_setfield(L, -2, name);
    }
    lua_setglobal(L, LUA_OSLIBNAME);
    lua_pop(L, 1);

    lua_newtable(L);
    st.loaded = luaL_ref(L, LUA_REGISTRYINDEX);
    pushFunction(L, st, thunk<luaRequire>);
    lua_setglobal(L, "require");
    lua_pushcfunction(L, errorHandler);
    st.error_handler = luaL_ref(L, LUA_REGISTRYINDEX);
}

}  // namespace gatehouse::bindings
