#include "core/policy/host.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <new>

#include "bindings/lua_vm.hpp"
#include "bindings/object.hpp"
#include "bindings/reply.hpp"
#include "bindings/request.hpp"
#include "bindings/subscriber.hpp"
#include "bindings/testing.hpp"

namespace gatehouse::policy {
namespace {

using bindings::Entry;

/// "vendors/mikrotik.lua:12: attempt to ..." -> {file, 12, message}; anything else whole.
PolicyError parseError(std::string_view msg) {
    for (size_t colon = msg.find(':'); colon != std::string_view::npos && colon > 0;
         colon = msg.find(':', colon + 1)) {
        if (msg.substr(0, colon).find(' ') != std::string_view::npos) {
            break;
        }
        size_t i = colon + 1;
        int line = 0;
        while (i < msg.size() && std::isdigit(static_cast<unsigned char>(msg[i])) &&
               line < 100000000) {
            line = line * 10 + (msg[i++] - '0');
        }
        if (i > colon + 1 && i < msg.size() && msg[i] == ':') {
            std::string_view rest = msg.substr(i + 1);
            if (!rest.empty() && rest[0] == ' ') {
                rest.remove_prefix(1);
            }
            return PolicyError{std::string(msg.substr(0, colon)), line, std::string(rest)};
        }
    }
    return PolicyError{"", 0, std::string(msg)};
}

/// An error raised by a C function that policy code tail-called (`return accept(...)`) has no
/// Lua frame left to name: Lua drops the caller's frame in a tail call. Name the entry point's
/// definition instead so the message still says where to look.
std::string located(std::string msg, const std::string& where) {
    return parseError(msg).file.empty() ? where + ": " + msg : msg;
}

std::string messageAt(lua_State* L, int idx) {
    size_t len = 0;
    const char* s = lua_tolstring(L, idx, &len);
    return s == nullptr ? std::string("(no error message)") : std::string(s, len);
}

/// Converts the reply table at 1 into the vector at 2 (lightuserdata), under lua_pcall.
int convertReturnedReply(lua_State* L) {
    auto* out = static_cast<std::vector<ReplyAttribute>*>(lua_touserdata(L, 2));
    bindings::convertReply(L, 1, "coa_for_tier", false, *out);
    return 0;
}

}  // namespace

size_t TestReport::passed() const {
    return static_cast<size_t>(
        std::count_if(cases.begin(), cases.end(), [](const Case& c) { return c.passed; }));
}

size_t TestReport::failed() const {
    return cases.size() - passed();
}

struct PolicyHost::Impl {
    struct EntryPoint {
        int ref = LUA_NOREF;
        std::string where;  // "default.lua:3": where the function is defined
    };

    std::shared_ptr<const PolicyBundle> bundle;
    const radius::Dictionary* dict = nullptr;
    std::unique_ptr<bindings::LuaVm> vm;
    bindings::StderrLogSink stderr_log;
    bindings::LogSink* log = &stderr_log;
    EntryPoint authorize, accounting, fup, coa;

    lua_State* L() const { return vm->state(); }
    bindings::VmState& st() { return vm->vmState(); }

    /// Starts a call: the entry point, its settings and time; returns the stack base.
    int begin(Entry entry, const Settings* settings, int64_t now) {
        bindings::VmState& s = st();
        s.entry = entry;
        s.settings = settings != nullptr ? settings : &s.default_settings;
        s.now = now;
        s.decision_table = nullptr;
        return lua_gettop(L());
    }

    /// Ends a call: every object handed out dies, the stack is as it was.
    void end(int base) {
        bindings::VmState& s = st();
        bindings::endCall(L(), s);
        s.entry = Entry::kNone;
        s.decision = nullptr;
        s.accounting = nullptr;
        s.decision_table = nullptr;
        s.live_subject = nullptr;
        s.live = nullptr;
        s.settings = &s.default_settings;
        lua_settop(L(), base);
    }

    void logFailure(const char* entry, const std::string& error) {
        PolicyError e = parseError(error);
        std::string where =
            e.file.empty() ? std::string("policy") : e.file + ":" + std::to_string(e.line);
        log->write(bindings::LogLevel::kWarn, where,
                   std::string("policy.error entry=") + entry + " " + e.message);
    }

    /// Error text for a value of the wrong kind returned by an entry point.
    std::string badReturn(const EntryPoint& ep, const char* what) {
        return ep.where + ": " + what + ", got " + luaL_typename(L(), -1);
    }

    Expected<void, PolicyError> findEntry(const char* name, bool required, EntryPoint& ep) {
        lua_State* l = L();
        lua_getglobal(l, name);
        if (lua_isnil(l, -1) && !required) {
            lua_pop(l, 1);
            return {};
        }
        if (!lua_isfunction(l, -1)) {
            std::string type = luaL_typename(l, -1);
            lua_pop(l, 1);
            return unexpected(PolicyError{
                bundle->config().entry, 0,
                std::string("defines no ") + name + "() function (found " + type + ")"});
        }
        lua_pushvalue(l, -1);
        lua_Debug ar;
        lua_getinfo(l, ">S", &ar);
        ep.where = std::string(ar.short_src) + ":" + std::to_string(ar.linedefined);
        ep.ref = luaL_ref(l, LUA_REGISTRYINDEX);
        return {};
    }
};

PolicyHost::PolicyHost() : impl_(std::make_unique<Impl>()) {}
PolicyHost::~PolicyHost() = default;

Expected<std::unique_ptr<PolicyHost>, PolicyError> PolicyHost::create(
    std::shared_ptr<const PolicyBundle> bundle, const radius::Dictionary& dict) {
    std::unique_ptr<PolicyHost> host(new PolicyHost());
    Impl& impl = *host->impl_;
    const EngineConfig& config = bundle->config();
    impl.bundle = bundle;
    impl.dict = &dict;
    try {
        impl.vm = std::make_unique<bindings::LuaVm>(
            bindings::VmOptions{config.jit, config.allow_ffi, config.allow_debug,
                                config.max_memory_bytes},
            dict);
    } catch (const std::bad_alloc&) {
        return unexpected(PolicyError{"", 0, "cannot create a Lua state"});
    }
    bindings::VmState& st = impl.st();
    st.max_instructions = config.max_instructions;
    st.log = impl.log;
    const PolicyBundle* files = bundle.get();  // the host keeps the bundle alive
    st.find_source = [files](std::string_view name) -> const std::string* {
        const PolicyFile* f = files->file(std::string(name));
        return f == nullptr || f->is_test() ? nullptr : &f->source;
    };

    const PolicyFile* entry = bundle->file(config.entry);
    if (entry == nullptr) {
        return unexpected(PolicyError{config.entry, 0, "entry file missing"});
    }
    lua_State* L = impl.L();
    int base = impl.begin(Entry::kLoad, nullptr, 0);
    int status = bindings::loadChunk(L, entry->source, entry->name);
    if (status == 0) {
        status = bindings::protectedCall(L, st, 0, 0);
    }
    if (status != 0) {
        PolicyError e = parseError(messageAt(L, -1));
        if (e.file.empty()) {
            e.file = entry->name;
        }
        impl.end(base);
        return unexpected(std::move(e));
    }
    impl.end(base);
    for (auto [name, required, ep] :
         {std::tuple{"authorize", true, &impl.authorize},
          std::tuple{"accounting", false, &impl.accounting}, std::tuple{"fup", false, &impl.fup},
          std::tuple{"coa_for_tier", false, &impl.coa}}) {
        if (auto ok = impl.findEntry(name, required, *ep); !ok) {
            return unexpected(ok.error());
        }
    }
    return host;
}

Decision PolicyHost::authorize(const RequestContext& ctx) {
    Impl& impl = *impl_;
    lua_State* L = impl.L();
    bindings::VmState& st = impl.st();
    Decision d;
    std::string error;
    if (ctx.request == nullptr) {
        error = "authorize: no request";
    } else {
        int base = impl.begin(Entry::kAuthorize, ctx.settings, ctx.now);
        st.decision = &d;
        st.live_subject = ctx.live ? ctx.subscriber : nullptr;
        st.live = ctx.live;
        lua_rawgeti(L, LUA_REGISTRYINDEX, impl.authorize.ref);
        bindings::pushRequest(L, st, &ctx);
        bindings::pushSubscriber(L, st, ctx.subscriber);
        bindings::pushNas(L, st, ctx.nas);
        if (bindings::protectedCall(L, st, 3, 1) != 0) {
            error = located(messageAt(L, -1), impl.authorize.where);
        } else if (st.decision_table == nullptr || !lua_istable(L, -1) ||
                   lua_topointer(L, -1) != st.decision_table) {
            error = impl.badReturn(impl.authorize,
                                   "authorize() must return accept(...) or reject(...)");
        }
        impl.end(base);
    }
    if (!error.empty()) {
        d = Decision{};
        d.reason = "policy error";
        d.policy_error = std::move(error);
        impl.logFailure("authorize", d.policy_error);
    }
    return d;
}

AccountingDecision PolicyHost::accounting(const RequestContext& ctx) {
    Impl& impl = *impl_;
    AccountingDecision d;
    if (impl.accounting.ref == LUA_NOREF) {
        return d;  // no accounting(): record everything
    }
    lua_State* L = impl.L();
    bindings::VmState& st = impl.st();
    std::string error;
    if (ctx.request == nullptr) {
        error = "accounting: no request";
    } else {
        int base = impl.begin(Entry::kAccounting, ctx.settings, ctx.now);
        st.accounting = &d;
        st.live_subject = ctx.live ? ctx.subscriber : nullptr;
        st.live = ctx.live;
        lua_rawgeti(L, LUA_REGISTRYINDEX, impl.accounting.ref);
        bindings::pushRequest(L, st, &ctx);
        bindings::pushSubscriber(L, st, ctx.subscriber);
        bindings::pushNas(L, st, ctx.nas);
        if (bindings::protectedCall(L, st, 3, 1) != 0) {
            error = located(messageAt(L, -1), impl.accounting.where);
        } else if (st.decision_table == nullptr || !lua_istable(L, -1) ||
                   lua_topointer(L, -1) != st.decision_table) {
            error = impl.badReturn(impl.accounting,
                                   "accounting() must return record(...) or discard(...)");
        }
        impl.end(base);
    }
    if (!error.empty()) {
        // A failing policy must not lose accounting data: the record is kept, flagged.
        d = AccountingDecision{};
        d.policy_error = std::move(error);
        impl.logFailure("accounting", d.policy_error);
    }
    return d;
}

Expected<int, PolicyError> PolicyHost::fup(const Subscriber& sub, const Settings& settings,
                                           int64_t now) {
    Impl& impl = *impl_;
    if (impl.fup.ref == LUA_NOREF) {
        return 0;
    }
    lua_State* L = impl.L();
    bindings::VmState& st = impl.st();
    int base = impl.begin(Entry::kFup, &settings, now);
    lua_rawgeti(L, LUA_REGISTRYINDEX, impl.fup.ref);
    bindings::pushSubscriber(L, st, &sub);
    bindings::pushUsage(L, st, &sub.usage);
    std::string error;
    int tier = 0;
    if (bindings::protectedCall(L, st, 2, 1) != 0) {
        error = located(messageAt(L, -1), impl.fup.where);
    } else {
        double v = lua_type(L, -1) == LUA_TNUMBER ? lua_tonumber(L, -1) : -1;
        size_t tiers = sub.service ? sub.service->fup.size() : 0;
        if (v < 0 || v != std::floor(v) || v > static_cast<double>(tiers)) {
            error = impl.badReturn(
                impl.fup, ("fup() must return a tier 0.." + std::to_string(tiers)).c_str());
            if (lua_type(L, -1) == LUA_TNUMBER) {
                error += " " + messageAt(L, -1);
            }
        } else {
            tier = static_cast<int>(v);
        }
    }
    impl.end(base);
    if (!error.empty()) {
        impl.logFailure("fup", error);
        return unexpected(parseError(error));
    }
    return tier;
}

Expected<std::vector<ReplyAttribute>, PolicyError> PolicyHost::coaForTier(const Subscriber& sub,
                                                                          const Nas& nas,
                                                                          const Settings& settings,
                                                                          int tier, int64_t now) {
    Impl& impl = *impl_;
    if (impl.coa.ref == LUA_NOREF) {
        return unexpected(
            PolicyError{impl.bundle->config().entry, 0, "defines no coa_for_tier() function"});
    }
    lua_State* L = impl.L();
    bindings::VmState& st = impl.st();
    int base = impl.begin(Entry::kCoaForTier, &settings, now);
    lua_rawgeti(L, LUA_REGISTRYINDEX, impl.coa.ref);
    bindings::pushSubscriber(L, st, &sub);
    bindings::pushNas(L, st, &nas);
    lua_pushinteger(L, tier);
    std::string error;
    std::vector<ReplyAttribute> attrs;
    if (bindings::protectedCall(L, st, 3, 1) != 0) {
        error = located(messageAt(L, -1), impl.coa.where);
    } else if (!lua_istable(L, -1)) {
        error = impl.badReturn(impl.coa, "coa_for_tier() must return a table of attributes");
    } else {
        int table = lua_gettop(L);
        bindings::pushFunction(L, st, bindings::thunk<convertReturnedReply>);
        lua_pushvalue(L, table);
        lua_pushlightuserdata(L, &attrs);
        if (bindings::protectedCall(L, st, 2, 0) != 0) {
            error = impl.coa.where + ": " + messageAt(L, -1);
        }
    }
    impl.end(base);
    if (!error.empty()) {
        impl.logFailure("coa_for_tier", error);
        return unexpected(parseError(error));
    }
    return attrs;
}

TestReport PolicyHost::runTests() {
    Impl& impl = *impl_;
    std::vector<bindings::TestFile> files;
    for (const PolicyFile& f : impl.bundle->files()) {
        if (f.is_test()) {
            files.push_back(bindings::TestFile{f.name, &f.source});
        }
    }
    std::sort(files.begin(), files.end(),
              [](const auto& a, const auto& b) { return a.name < b.name; });
    TestReport report;
    for (auto& r : bindings::runTestFiles(impl.L(), impl.st(), files, impl.bundle->directory())) {
        report.cases.push_back(
            TestReport::Case{std::move(r.file), std::move(r.name), r.passed, std::move(r.failure)});
    }
    return report;
}

void PolicyHost::setLogSink(bindings::LogSink* sink) {
    impl_->log = sink != nullptr ? sink : &impl_->stderr_log;
    impl_->st().log = impl_->log;
}

int PolicyHost::stackDepth() const {
    return lua_gettop(impl_->L());
}

const PolicyBundle& PolicyHost::bundle() const {
    return *impl_->bundle;
}
const std::shared_ptr<const PolicyBundle>& PolicyHost::bundlePtr() const {
    return impl_->bundle;
}

}  // namespace gatehouse::policy
