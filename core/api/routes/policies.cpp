#include "core/api/routes/policies.hpp"

#include <fmt/core.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>
#include <sstream>
#include <vector>

#include "bindings/state.hpp"
#include "core/api/audit.hpp"
#include "core/api/permissions.hpp"
#include "core/api/routes/resellers.hpp"
#include "core/api/routes/route_support.hpp"
#include "core/policy/decision_text.hpp"
#include "core/policy/host.hpp"
#include "core/policy/request_json.hpp"
#include "core/policy/verify.hpp"
#include "core/radius/dictionary.hpp"
#include "core/store/snapshot_loader.hpp"
#include "core/store/validate.hpp"

namespace gatehouse::api {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

int64_t unixNow() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

void LivePolicies::attach(policy::PolicyStore* store, const store::SnapshotHolder* snapshots) {
    std::lock_guard lock(mu_);
    store_ = store;
    snapshots_ = snapshots;
}

void LivePolicies::detach() {
    std::lock_guard lock(mu_);
    store_ = nullptr;
    snapshots_ = nullptr;
}

void LivePolicies::rememberLocked(const policy::ReloadReport& report) {
    last_ = report;
    last_at_ = unixNow();
    if (report.ok && !report.unchanged)
        loaded_at_ = last_at_;
}

void LivePolicies::remember(const policy::ReloadReport& report) {
    std::lock_guard lock(mu_);
    rememberLocked(report);
}

std::optional<policy::ReloadReport> LivePolicies::reload(std::string_view trigger) {
    std::lock_guard lock(mu_);
    if (store_ == nullptr)
        return std::nullopt;
    policy::ReloadReport report = store_->reload(trigger);
    rememberLocked(report);
    return report;
}

std::optional<LivePolicies::Status> LivePolicies::status() const {
    std::lock_guard lock(mu_);
    if (store_ == nullptr)
        return std::nullopt;
    Status s;
    const auto snap = store_->snapshot();
    s.generation = snap.generation;
    if (snap.current)
        s.fingerprint = snap.current->fingerprint();
    s.loaded_at = loaded_at_;
    s.last = last_;
    s.last_at = last_at_;
    return s;
}

std::shared_ptr<const store::Snapshot> LivePolicies::snapshot() const {
    std::lock_guard lock(mu_);
    return snapshots_ == nullptr ? nullptr : snapshots_->current();
}

namespace {

struct PolicyState {
    PolicyDeps deps;

    store::PgPool& db() {
        if (deps.db == nullptr)
            throw unavailable("the API is not configured with a database", 5);
        return *deps.db;
    }
    std::optional<LivePolicies::Status> liveStatus() const {
        return deps.live ? deps.live->status() : std::nullopt;
    }
};

json errorJson(const std::optional<policy::PolicyError>& e) {
    if (!e)
        return nullptr;
    return {{"file", e->file}, {"line", e->line}, {"message", e->message}};
}

/// 422 "policy_error": the message is "file:line: message", the body carries the parts.
HttpResponse policyErrorResponse(const policy::PolicyError& e, const json& extra = json::object()) {
    ApiError error(422, "policy_error", "", e.describe());
    HttpResponse r = errorResponse(error);
    json body = json::parse(r.body);
    body["error"]["policy_error"] = errorJson(e);
    for (auto it = extra.begin(); it != extra.end(); ++it)
        body["error"][it.key()] = it.value();
    r.body = body.dump();
    return r;
}

// ---- files ---------------------------------------------------------------------------------

json fileJson(const fs::directory_entry& entry, const std::string& name,
              const std::string& entry_file) {
    std::error_code ec;
    const auto size = entry.file_size(ec);
    const auto mtime = entry.last_write_time(ec);
    // file_clock to system_clock (C++20 clock_cast is not in GCC 12): offset by "now".
    const auto sys = std::chrono::time_point_cast<std::chrono::seconds>(
        mtime - fs::file_time_type::clock::now() + std::chrono::system_clock::now());
    return {{"path", name},
            {"size", ec ? 0 : static_cast<int64_t>(size)},
            {"modified_at", store::formatTime(sys.time_since_epoch().count())},
            {"entry", name == entry_file},
            {"test", name.ends_with(".test.lua")}};
}

/// Every *.lua under the directory, as PolicyBundle::loadDirectory reads them (regular files;
/// symlinks are not followed), sorted by path.
std::vector<json> listFiles(const std::string& directory, const std::string& entry_file) {
    std::vector<json> out;
    std::error_code ec;
    const fs::path root(directory);
    for (auto it = fs::recursive_directory_iterator(root, ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (!it->is_regular_file(ec) || it->is_symlink(ec))
            continue;
        const std::string name = it->path().lexically_relative(root).generic_string();
        if (!name.ends_with(".lua"))
            continue;
        out.push_back(fileJson(*it, name, entry_file));
    }
    std::sort(out.begin(), out.end(), [](const json& a, const json& b) {
        return a["path"].get<std::string>() < b["path"].get<std::string>();
    });
    return out;
}

/// ?path=: relative, '/'-separated, no "." or ".." segment, no backslash or NUL, ends in .lua
/// (the checks static_files.cpp makes for the panel). 400 naming "path".
std::string checkedRelativePath(const std::string& path) {
    auto bad = [](const std::string& why) { return ApiError::invalid("path", "path: " + why); };
    if (path.empty())
        throw bad("required (e.g. vendors/mikrotik.lua)");
    if (path.front() == '/')
        throw bad("must be relative to the policy directory");
    if (path.find('\\') != std::string::npos || path.find('\0') != std::string::npos)
        throw bad("backslashes and NUL are not allowed");
    std::stringstream segments(path);
    std::string s;
    while (std::getline(segments, s, '/'))
        if (s.empty() || s == "." || s == "..")
            throw bad("empty, \".\" and \"..\" segments are not allowed");
    if (path.back() == '/' || !path.ends_with(".lua"))
        throw bad("only .lua files can be read");
    return path;
}

HttpResponse listRoute(PolicyState& s, const HttpRequest& req) {
    const Caller caller = authenticateOrUnavailable(s.deps.auth, req);
    caller.require("policies.view");
    json files = json::array();
    for (auto& f : listFiles(s.deps.directory, s.deps.engine.entry))
        files.push_back(std::move(f));
    json loaded = nullptr;
    const auto live = s.liveStatus();
    if (live) {
        json last = nullptr;
        if (live->last) {
            const auto& r = *live->last;
            last = {{"outcome", !r.ok         ? "refused"
                                : r.unchanged ? "unchanged"
                                              : "reloaded"},
                    {"trigger", r.trigger},
                    {"at", store::formatTime(live->last_at)},
                    {"tests_passed", r.tests_passed},
                    {"tests_failed", r.tests_failed},
                    {"ms", r.ms},
                    {"error", errorJson(r.error)}};
        }
        loaded = {{"generation", live->generation},
                  {"version", live->fingerprint},
                  {"loaded_at",
                   live->loaded_at ? json(store::formatTime(*live->loaded_at)) : json(nullptr)},
                  {"last_reload", last}};
    }
    return HttpResponse::json(200, {{"directory", s.deps.directory},
                                    {"entry", s.deps.engine.entry},
                                    {"radius_in_process", live.has_value()},
                                    {"files", files},
                                    {"loaded", loaded}});
}

HttpResponse fileRoute(PolicyState& s, const HttpRequest& req) {
    const Caller caller = authenticateOrUnavailable(s.deps.auth, req);
    caller.require("policies.view");
    const std::string relative = checkedRelativePath(req.queryOr("path"));
    std::error_code ec;
    const fs::path root = fs::canonical(s.deps.directory, ec);
    if (ec)
        throw ApiError::notFound("policy file not found");
    // The syntax checks refused "..": this catches a symlink leading outside the directory.
    const fs::path target = fs::canonical(root / relative, ec);
    const std::string prefix = root.string() + "/";
    if (ec || !target.string().starts_with(prefix) || !fs::is_regular_file(target, ec))
        throw ApiError::notFound("policy file not found");
    std::ifstream in(target, std::ios::binary);
    if (!in)
        throw ApiError::notFound("policy file not found");
    std::stringstream text;
    text << in.rdbuf();
    json out = fileJson(fs::directory_entry(target), relative, s.deps.engine.entry);
    out["text"] = text.str();
    return HttpResponse::json(200, out);
}

// ---- reload --------------------------------------------------------------------------------

void auditReload(PolicyState& s, const Caller& caller, const json& before, const json& after) {
    auto lease = s.db().acquire();
    pqxx::work txn(*lease);
    recordAudit(txn, caller, "reload", "policy", s.deps.directory, before, after);
    txn.commit();
}

HttpResponse reloadRoute(PolicyState& s, const HttpRequest& req) {
    const Caller caller = authenticateOrUnavailable(s.deps.auth, req);
    caller.require("policies.reload");
    (void)s.db();  // no database, no audit row: refuse before reloading anything
    const auto before_status = s.liveStatus();
    if (before_status) {
        const json before = {{"generation", before_status->generation},
                             {"version", before_status->fingerprint}};
        auto report = s.deps.live->reload("api");
        if (report) {
            const char* outcome = !report->ok         ? "refused"
                                  : report->unchanged ? "unchanged"
                                                      : "reloaded";
            const auto now = s.deps.live->status();
            const std::string serving = now ? now->fingerprint : report->fingerprint;
            auditReload(s, caller, before,
                        {{"outcome", outcome},
                         {"generation", report->generation},
                         {"version", report->ok ? serving : report->fingerprint},
                         {"error", errorJson(report->error)}});
            if (!report->ok) {
                json failed = json::array();
                for (const auto& c : report->failed_tests)
                    failed.push_back({{"name", c.name}, {"message", c.failure}});
                return policyErrorResponse(
                    report->error.value_or(policy::PolicyError{"", 0, "reload refused"}),
                    {{"tests_failed", report->tests_failed}, {"failed_tests", failed}});
            }
            return HttpResponse::json(200, {{"outcome", outcome},
                                            {"generation", report->generation},
                                            {"version", serving},
                                            {"tests_passed", report->tests_passed},
                                            {"ms", report->ms}});
        }
        // Detached between the two calls (the server is stopping): check like a lone API.
    }
    // The radius role runs elsewhere: the same gate as `gatehouse policy test`, nothing
    // published; radius nodes pick the files up themselves.
    auto bundle = policy::PolicyBundle::loadDirectory(s.deps.directory, s.deps.engine);
    if (!bundle) {
        auditReload(s, caller, nullptr,
                    {{"outcome", "refused"}, {"error", errorJson(bundle.error())}});
        return policyErrorResponse(bundle.error());
    }
    policy::VerifyReport report = policy::verifyBundle(*bundle, radius::Dictionary::builtin());
    if (auto failure = report.firstFailure(); failure || report.error) {
        const policy::PolicyError e = report.error ? *report.error : *failure;
        json failed = json::array();
        for (const auto& c : report.tests.cases)
            if (!c.passed)
                failed.push_back({{"name", c.name}, {"message", c.failure}});
        auditReload(s, caller, nullptr,
                    {{"outcome", "refused"},
                     {"version", (*bundle)->fingerprint()},
                     {"error", errorJson(e)}});
        return policyErrorResponse(
            e, {{"tests_failed", report.tests.failed()}, {"failed_tests", failed}});
    }
    auditReload(s, caller, nullptr,
                {{"outcome", "checked"}, {"version", (*bundle)->fingerprint()}});
    return HttpResponse::json(
        202, {{"outcome", "checked"},
              {"version", (*bundle)->fingerprint()},
              {"tests_passed", report.tests.passed()},
              {"message", "policy checked; radius nodes reload on file change or SIGHUP"}});
}

// ---- eval ----------------------------------------------------------------------------------

/// What the radius server would know: the live snapshot when the radius role runs here, else
/// one loaded now (the whole table: a dry run is rare, and correctness beats a second copy of
/// the loader's queries).
std::shared_ptr<const store::Snapshot> snapshotFor(PolicyState& s, pqxx::connection& conn) {
    if (s.deps.live)
        if (auto live = s.deps.live->snapshot())
            return live;
    if (!s.deps.box)
        throw unavailable("no key to open subscriber rows with (key_file)", 5);
    return store::loadSnapshot(conn, *s.deps.box);
}

std::optional<std::string> stringMember(const json& body, const char* field) {
    auto it = body.find(field);
    if (it == body.end() || it->is_null())
        return std::nullopt;
    if (!it->is_string() || it->get<std::string>().empty())
        throw ApiError::invalid(field, fmt::format("{} must be a non-empty string", field));
    return it->get<std::string>();
}

/// The `nas` member (a name or an id) as the snapshot holds it; 404 naming "nas" when it does
/// not exist or is outside the caller's scope.
const store::NasEntry* nasNamed(pqxx::connection& conn, const Caller& caller,
                                const store::Snapshot& snap, const std::string& name_or_id) {
    std::string ip;
    {
        pqxx::read_transaction txn(conn);
        auto r = txn.exec(
            "SELECT host(n.ip) FROM nas_devices n WHERE (n.name = " + txn.quote(name_or_id) +
            " OR n.id::text = " + txn.quote(name_or_id) + ") AND " + nasScopeSql(caller, "n") +
            " ORDER BY n.name = " + txn.quote(name_or_id) + " DESC LIMIT 1");
        if (!r.empty())
            ip = r[0][0].as<std::string>();
    }
    auto parsed = store::parseIpv4(ip, "nas");
    const store::NasEntry* entry = parsed ? snap.nasByIp(*parsed) : nullptr;
    if (entry == nullptr)
        throw ApiError(404, "not_found", "nas", "NAS not found");
    return entry;
}

bool nasVisible(pqxx::connection& conn, const Caller& caller, int64_t id) {
    if (!caller.reseller_id)
        return true;
    pqxx::read_transaction txn(conn);
    return !txn.exec(fmt::format("SELECT 1 FROM nas_devices n WHERE n.id = {} AND {}", id,
                                 nasScopeSql(caller, "n")))
                .empty();
}

bool subscriberVisible(const Caller& caller, const policy::Subscriber& sub) {
    return !caller.reseller_id || sub.reseller_id == *caller.reseller_id;
}

json decisionJson(const policy::Decision& d, const std::string& version) {
    const auto& dict = radius::Dictionary::builtin();
    json reply = json::array();
    for (auto [name, value] : policy::replyText(dict, d.reply)) {
        // replyText quotes text as radclient prints it; the panel wants the value itself.
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
            value = value.substr(1, value.size() - 2);
        json attr = {{"name", name}, {"value", value}};
        if (auto colon = name.rfind(':'); colon != std::string::npos) {
            attr["name"] = name.substr(0, colon);
            attr["tag"] = std::stoi(name.substr(colon + 1));
        }
        reply.push_back(std::move(attr));
    }
    static constexpr const char* kKinds[] = {"none", "static", "nas_pool", "managed_pool", "claim"};
    auto optional = [](const std::optional<uint32_t>& v) { return v ? json(*v) : json(nullptr); };
    return {{"accept", d.accept},
            {"decision", d.accept ? "accept" : "reject"},
            {"reason", d.reason},
            {"reply", std::move(reply)},
            {"tier", d.tier},
            {"ip", {{"kind", kKinds[d.ip.kind]}, {"pool", d.ip.pool}, {"address", d.ip.address}}},
            {"session_timeout", optional(d.session_timeout)},
            {"idle_timeout", optional(d.idle_timeout)},
            {"version", version}};
}

HttpResponse evalRoute(PolicyState& s, const HttpRequest& req) {
    const Caller caller = authenticateOrUnavailable(s.deps.auth, req);
    caller.require("policies.eval");
    const json body = req.jsonBody();
    onlyFields(body, {"request", "nas", "subscriber"});
    auto it = body.find("request");
    if (it == body.end() || !it->is_object())
        throw ApiError::invalid("request", "request must be an object of attributes");
    // The whole `policy eval --request` document (it has a "request" member of its own), or
    // just its attributes.
    const bool whole = it->contains("request") && (*it)["request"].is_object();
    const json document = whole ? *it : json{{"request", *it}};
    const auto nas_name = stringMember(body, "nas");
    const auto subscriber_name = stringMember(body, "subscriber");

    const radius::Dictionary& dict = radius::Dictionary::builtin();
    auto request = policy::requestFromJsonText(document.dump(), dict);
    if (!request) {
        // "request.User-Name: unknown attribute": the field is the text before ": ".
        const std::string& text = request.error();
        const auto colon = text.find(": ");
        std::string field = colon == std::string::npos ? "request" : text.substr(0, colon);
        if (whole)
            field = "request." + field;
        throw ApiError::invalid(field, whole ? "request." + text : text);
    }
    policy::JsonRequest& r = **request;

    // Fill in what the document left out from the database, as the server would see it.
    const bool needs_lookup = !document.contains("subscriber") || !document.contains("nas") ||
                              !document.contains("settings") || nas_name || subscriber_name;
    if (needs_lookup) {
        auto lease = s.db().acquire();
        const auto snap = snapshotFor(s, *lease);
        if (subscriber_name) {
            const store::SubscriberEntry* e = snap->subscriber(*subscriber_name);
            if (e == nullptr || !subscriberVisible(caller, *e->subscriber))
                throw ApiError(404, "not_found", "subscriber", "subscriber not found");
            r.subscriber = *e->subscriber;
            r.user = e->subscriber->username;
        } else if (!document.contains("subscriber") && !r.user.empty()) {
            // By User-Name, as the server looks it up; another reseller's is an unknown user.
            const store::SubscriberEntry* e = snap->subscriber(r.user);
            if (e != nullptr && subscriberVisible(caller, *e->subscriber))
                r.subscriber = *e->subscriber;
        }
        if (nas_name) {
            r.nas = nasNamed(*lease, caller, *snap, *nas_name)->nas;
        } else if (!document.contains("nas")) {
            // By NAS-IP-Address (RFC 2865 5.4), when the request carries one the caller sees.
            if (const auto* a = r.packet().find(0, 4); a != nullptr && a->value_length == 4) {
                const auto v = r.packet().value(*a);
                const uint32_t ip = (uint32_t{v[0]} << 24) | (uint32_t{v[1]} << 16) |
                                    (uint32_t{v[2]} << 8) | uint32_t{v[3]};
                if (const auto* e = snap->nasByIp(ip); e && nasVisible(*lease, caller, e->nas.id))
                    r.nas = e->nas;
            }
        }
        if (!document.contains("settings"))
            r.settings = snap->settings();
    }

    auto bundle = policy::PolicyBundle::loadDirectory(s.deps.directory, s.deps.engine);
    if (!bundle)
        return policyErrorResponse(bundle.error());
    if (auto compiled = policy::compileEveryFile(**bundle); !compiled)
        return policyErrorResponse(compiled.error());
    auto host = policy::PolicyHost::create(*bundle, dict);
    if (!host)
        return policyErrorResponse(host.error());
    // The policy's log.info/log.warn lines (and its runtime errors) belong to this answer, not
    // to the server's log, where they would read as the live policy's.
    struct Capture : bindings::LogSink {
        json lines = json::array();
        void write(bindings::LogLevel level, std::string_view where,
                   std::string_view message) override {
            if (lines.size() < 100)
                lines.push_back({{"level", level == bindings::LogLevel::kWarn ? "warn" : "info"},
                                 {"where", where},
                                 {"message", message}});
        }
    } capture;
    (*host)->setLogSink(&capture);
    const policy::RequestContext ctx = r.context(dict);
    const std::string version = (*bundle)->fingerprint();
    if (r.code == radius::Code::kAccountingRequest) {
        const policy::AccountingDecision d = (*host)->accounting(ctx);
        if (!d.policy_error.empty())
            return policyErrorResponse(policy::parseLuaError(d.policy_error, s.deps.engine.entry));
        return HttpResponse::json(200, {{"record", d.record},
                                        {"reason", d.reason},
                                        {"tags", d.tags},
                                        {"version", version},
                                        {"log", capture.lines}});
    }
    const policy::Decision d = (*host)->authorize(ctx);
    if (!d.policy_error.empty())
        return policyErrorResponse(policy::parseLuaError(d.policy_error, s.deps.engine.entry));
    json out = decisionJson(d, version);
    out["log"] = capture.lines;
    return HttpResponse::json(200, out);
}

}  // namespace

void addPolicyRoutes(Router& router, PolicyDeps deps, const AuthDeps& auth_deps) {
    auto s = std::make_shared<PolicyState>();
    s->deps = std::move(deps);
    if (s->deps.db == nullptr)
        s->deps.db = auth_deps.db;
    if (!s->deps.auth)
        s->deps.auth = makeAuthenticator(auth_deps);  // null without a database or Redis
    auto bind = [s](HttpResponse (*fn)(PolicyState&, const HttpRequest&)) {
        return [s, fn](const HttpRequest& req) { return fn(*s, req); };
    };
    router.add("GET", "/api/v1/policies", "The policy files and the loaded policy (policies.view)",
               bind(listRoute));
    router.add("GET", "/api/v1/policies/file", "The text of one policy file (policies.view)",
               bind(fileRoute));
    router.add("POST", "/api/v1/policies/reload", "Reload the policy (policies.reload)",
               bind(reloadRoute));
    router.add("POST", "/api/v1/policies/eval",
               "Evaluate a request against the policy on disk (policies.eval)", bind(evalRoute));
}

void addPolicyAndResellerRoutes(Router& router, const PolicyDeps& deps, const AuthDeps& auth_deps) {
    addPolicyRoutes(router, deps, auth_deps);
    addResellerRoutes(router, auth_deps);
}

}  // namespace gatehouse::api
