#include "core/policy/verify.hpp"

#include "bindings/state.hpp"

#include <lua.hpp>

#include <charconv>
#include <memory>

namespace gatehouse::policy {

namespace {

struct LuaCloser {
    void operator()(lua_State* L) const { lua_close(L); }
};

}  // namespace

PolicyError parseLuaError(std::string_view text, std::string_view fallback_file) {
    // Chunks are named "@<file>", so Lua prefixes messages with "<file>:<line>: ".
    const size_t colon = text.find(':');
    if (colon != std::string_view::npos && colon > 0) {
        const size_t digits = colon + 1;
        size_t end = digits;
        while (end < text.size() && text[end] >= '0' && text[end] <= '9')
            ++end;
        if (end > digits && end < text.size() && text[end] == ':') {
            int line = 0;
            std::from_chars(text.data() + digits, text.data() + end, line);
            std::string_view message = text.substr(end + 1);
            if (message.starts_with(' '))
                message.remove_prefix(1);
            return PolicyError{std::string(text.substr(0, colon)), line, std::string(message)};
        }
    }
    return PolicyError{std::string(fallback_file), 0, std::string(text)};
}

Expected<void, PolicyError> compileEveryFile(const PolicyBundle& bundle) {
    std::unique_ptr<lua_State, LuaCloser> L(luaL_newstate());
    if (!L)
        return unexpected(PolicyError{"", 0, "out of memory creating a Lua state"});
    for (const PolicyFile& f : bundle.files()) {
        const std::string chunk = "@" + f.name;
        if (luaL_loadbuffer(L.get(), f.source.data(), f.source.size(), chunk.c_str()) != 0) {
            const char* msg = lua_tostring(L.get(), -1);
            PolicyError e = parseLuaError(msg ? msg : "unknown compile error", f.name);
            lua_pop(L.get(), 1);
            return unexpected(std::move(e));
        }
        lua_pop(L.get(), 1);  // the compiled chunk: never run here
    }
    return {};
}

std::optional<PolicyError> VerifyReport::firstFailure() const {
    if (error)
        return error;
    for (const auto& c : tests.cases) {
        if (!c.passed) {
            PolicyError e = parseLuaError(c.failure, c.file);
            e.message = "test \"" + c.name + "\" failed: " + e.message;
            return e;
        }
    }
    return std::nullopt;
}

VerifyReport verifyBundle(std::shared_ptr<const PolicyBundle> bundle,
                          const radius::Dictionary& dict, bool run_tests) {
    VerifyReport report;
    if (auto compiled = compileEveryFile(*bundle); !compiled) {
        report.error = std::move(compiled.error());
        return report;
    }
    auto host = PolicyHost::create(std::move(bundle), dict);
    if (!host) {
        report.error = std::move(host.error());
        return report;
    }
    if (run_tests) {
        // The tests exercise warning paths on purpose ("no vendor module for NAS type ..."):
        // in a reload those lines would read as problems of the live policy, so they go nowhere.
        // `gatehouse policy test` runs the tests on its own host and still shows them.
        struct Discard : bindings::LogSink {
            void write(bindings::LogLevel, std::string_view, std::string_view) override {}
        } discard;
        (*host)->setLogSink(&discard);
        report.tests = (*host)->runTests();
        (*host)->setLogSink(nullptr);
    }
    return report;
}

}  // namespace gatehouse::policy
