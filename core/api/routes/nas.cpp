#include "core/api/routes/nas.hpp"

#include <fmt/core.h>

#include <map>
#include <optional>
#include <pqxx/pqxx>
#include <vector>

#include "core/api/audit.hpp"
#include "core/api/permissions.hpp"
#include "core/api/routes/route_support.hpp"
#include "core/jobs/nas_probe.hpp"
#include "core/jobs/nas_target.hpp"
#include "core/radius/dictionary.hpp"
#include "core/store/coa_outbox_repository.hpp"
#include "core/store/nas_repository.hpp"
#include "core/store/open_sessions.hpp"
#include "core/store/validate.hpp"

namespace gatehouse::api {

namespace {

using nlohmann::json;

struct NasState {
    NasDeps deps;

    store::PgPool& db() {
        if (deps.db == nullptr)
            throw unavailable("the API is not configured with a database", 5);
        return *deps.db;
    }
};

json optionalTime(const pqxx::field& f) {
    return f.is_null() ? json(nullptr) : json(store::formatTime(f.as<int64_t>()));
}
json optionalText(const pqxx::field& f) {
    return f.is_null() ? json(nullptr) : json(f.as<std::string>());
}

// One query for the rows the caller may see, with the health columns the poller writes
// (migration 006) and the open sessions. store::listNas has no health columns, no scope and no
// transaction form (the audit needs the row inside the change's transaction), hence this.
// Open sessions are counted as store/open_sessions.hpp finds them: by the NAS the packets came
// from, else by the NAS-IP-Address the NAS reported.
constexpr const char* kNasColumns =
    "SELECT n.id, n.name, host(n.ip), n.type, n.coa_port, n.enabled, n.secret <> '',"
    " n.require_message_authenticator, n.description, n.api_username,"
    " n.api_username <> '' AND n.api_password_enc IS NOT NULL, n.api_port, n.api_ssl_port,"
    " n.api_use_ssl, n.is_online, extract(epoch FROM n.last_seen)::bigint, n.version,"
    " n.identity, n.uptime, n.board_name, extract(epoch FROM n.last_check_at)::bigint,"
    " n.last_check_error,"
    " (SELECT count(*) FROM radacct a WHERE a.acctstoptime IS NULL"
    "   AND (a.nas_id = n.id OR (a.nas_id IS NULL AND a.nasipaddress = n.ip)))"
    " FROM nas_devices n";

json nasJson(const pqxx::row& r) {
    return {{"id", r[0].as<int64_t>()},
            {"name", r[1].as<std::string>()},
            {"ip", r[2].as<std::string>()},
            {"type", r[3].as<std::string>()},
            {"coa_port", r[4].as<int>()},
            {"enabled", r[5].as<bool>()},
            {"has_secret", r[6].as<bool>()},
            {"require_message_authenticator", r[7].as<bool>()},
            {"description", r[8].as<std::string>()},
            {"api_username", r[9].as<std::string>()},
            {"has_api_password", r[10].as<bool>()},
            {"api_port", r[11].as<int>()},
            {"api_ssl_port", r[12].as<int>()},
            {"api_tls", r[13].as<bool>()},
            {"is_online", r[14].as<bool>()},
            {"last_seen", optionalTime(r[15])},
            {"version", optionalText(r[16])},
            {"identity", optionalText(r[17])},
            {"uptime", optionalText(r[18])},
            {"board_name", optionalText(r[19])},
            {"last_check_at", optionalTime(r[20])},
            {"last_check_error", optionalText(r[21])},
            {"active_sessions", r[22].as<int64_t>()}};
}

/// The row by id, already known visible (ensureNasVisible) or 404.
json loadNas(pqxx::transaction_base& txn, int64_t id) {
    auto r = txn.exec(std::string(kNasColumns) + " WHERE n.id = " + std::to_string(id));
    if (r.empty())
        throw ApiError::notFound("NAS not found");
    return nasJson(r[0]);
}

json coaJson(const store::CoaNasHealth& h) {
    auto time = [](const std::optional<int64_t>& t) {
        return t ? json(store::formatTime(*t)) : json(nullptr);
    };
    return {{"pending", h.pending},
            {"acked", h.acked},
            {"naked", h.naked},
            {"failed", h.failed},
            {"expired", h.expired},
            {"acked_via_api", h.acked_via_api},
            {"verified", h.verified},
            {"unverified", h.unverified},
            {"last_ack_at", time(h.last_ack_at)},
            {"last_failure_at", time(h.last_failure_at)},
            {"last_failure", h.last_failure}};
}

json zeroCoa() {
    return coaJson(store::CoaNasHealth{});
}

/// For the audit row: what was written, the secrets included so that the row shows they were
/// set (recordAudit masks their values).
json withGivenSecrets(json row, const json& body) {
    for (const char* secret : {"secret", "api_password"})
        if (body.contains(secret))
            row[secret] = body[secret];
    return row;
}

HttpResponse listNasRoute(NasState& s, const HttpRequest& req) {
    const Caller caller = authenticateOrUnavailable(s.deps.auth, req);
    caller.require("nas.view");
    const PageRequest page = pageRequest(req);
    auto lease = s.db().acquire();
    // The last 24 hours of CoA per NAS (docs/coa.md); every NAS has an entry.
    std::map<int64_t, json> coa;
    for (const auto& h : valueOrThrow(store::coaHealthByNas(*lease)))
        coa.emplace(h.nas_id, coaJson(h));
    pqxx::read_transaction txn(*lease);
    const std::string scope = nasScopeSql(caller, "n");
    const int64_t total =
        txn.exec("SELECT count(*) FROM nas_devices n WHERE " + scope)[0][0].as<int64_t>();
    auto rows =
        txn.exec(std::string(kNasColumns) + " WHERE " + scope + " ORDER BY n.name LIMIT " +
                 std::to_string(page.per_page) + " OFFSET " + std::to_string(page.offset()));
    json items = json::array();
    for (const auto& r : rows) {
        json item = nasJson(r);
        auto it = coa.find(item["id"].get<int64_t>());
        item["coa"] = it == coa.end() ? zeroCoa() : it->second;  // created after the counts
        items.push_back(std::move(item));
    }
    return HttpResponse::json(200, pageJson(std::move(items), total, page));
}

HttpResponse getNasRoute(NasState& s, const HttpRequest& req) {
    const Caller caller = authenticateOrUnavailable(s.deps.auth, req);
    caller.require("nas.view");
    const int64_t id = pathId(req, "NAS");
    auto lease = s.db().acquire();
    json item;
    {
        pqxx::read_transaction txn(*lease);
        ensureNasVisible(txn, caller, id);
        item = loadNas(txn, id);
    }
    item["coa"] = zeroCoa();
    for (const auto& h : valueOrThrow(store::coaHealthByNas(*lease)))
        if (h.nas_id == id)
            item["coa"] = coaJson(h);
    return HttpResponse::json(200, item);
}

HttpResponse createNasRoute(NasState& s, const HttpRequest& req) {
    const Caller caller = authenticateOrUnavailable(s.deps.auth, req);
    caller.require("nas.create");
    const json body = req.jsonBody();
    onlyFields(body, {"name", "ip", "secret", "type", "coa_port", "description", "enabled",
                      "require_message_authenticator", "api_username", "api_password", "api_port",
                      "api_ssl_port", "api_tls"});
    store::NasInput in;
    in.name = textField(body, "name").value_or("");
    in.ip = textField(body, "ip").value_or("");
    in.secret = textField(body, "secret").value_or("");
    in.type = textField(body, "type").value_or("mikrotik");
    in.coa_port = textField(body, "coa_port").value_or("");
    in.description = textField(body, "description").value_or("");
    in.enabled = boolField(body, "enabled").value_or(true);
    in.require_message_authenticator =
        boolField(body, "require_message_authenticator").value_or(true);
    in.api_username = textField(body, "api_username").value_or("");
    in.api_password = textField(body, "api_password").value_or("");
    in.api_port = textField(body, "api_port").value_or("");
    in.api_ssl_port = textField(body, "api_ssl_port").value_or("");
    in.api_tls = boolField(body, "api_tls").value_or(false);
    // An API password given as "" is a mistake, not "no API": say so rather than drop it.
    if (body.contains("api_password") && in.api_password.empty())
        throw ApiError::invalid("api_password", "api_password: must not be empty");

    auto lease = s.db().acquire();
    pqxx::work txn(*lease);
    const int64_t id = valueOrThrow(store::addNas(txn, in, s.deps.box.get()));
    // A reseller's own NAS is in its scope from the start, or it could not see what it made.
    if (caller.reseller_id)
        txn.exec("INSERT INTO reseller_nas (reseller_id, nas_id) VALUES (" +
                 std::to_string(*caller.reseller_id) + ", " + std::to_string(id) + ")");
    json row = loadNas(txn, id);
    recordAudit(txn, caller, "create", "nas", std::to_string(id), nullptr,
                withGivenSecrets(row, body));
    txn.commit();
    row["coa"] = zeroCoa();
    return HttpResponse::json(201, row);
}

HttpResponse updateNasRoute(NasState& s, const HttpRequest& req) {
    const Caller caller = authenticateOrUnavailable(s.deps.auth, req);
    caller.require("nas.edit");
    const int64_t id = pathId(req, "NAS");
    const json body = req.jsonBody();
    // What store::updateNas (`gatehouse nas set`) can change. Sessions, pools and reseller_nas
    // refer to the row id, so name, address and type can change too; the snapshot loader
    // follows the row by id (NOTIFY), so RADIUS answers on the new address at once.
    if (body.contains("require_message_authenticator"))
        throw ApiError::invalid("require_message_authenticator",
                                "require_message_authenticator cannot be changed");
    onlyFields(body, {"name", "ip", "type", "secret", "coa_port", "description", "enabled",
                      "api_username", "api_password", "api_port", "api_ssl_port", "api_tls"});
    store::NasPatch patch;
    patch.name = textField(body, "name");
    patch.ip = textField(body, "ip");
    patch.type = textField(body, "type");
    patch.secret = textField(body, "secret");
    patch.coa_port = textField(body, "coa_port");
    patch.description = textField(body, "description");
    if (auto on = boolField(body, "enabled"))
        patch.enabled = *on ? "yes" : "no";
    patch.api_username = textField(body, "api_username");
    patch.api_password = textField(body, "api_password");
    patch.api_port = textField(body, "api_port");
    patch.api_ssl_port = textField(body, "api_ssl_port");
    if (auto on = boolField(body, "api_tls"))
        patch.api_tls = *on ? "yes" : "no";

    auto lease = s.db().acquire();
    pqxx::work txn(*lease);
    ensureNasVisible(txn, caller, id);
    const json before = loadNas(txn, id);
    // By address: unique, and never mistaken for another NAS's name.
    valueOrThrow(store::updateNas(txn, s.deps.box.get(), before["ip"].get<std::string>(), patch));
    json after = loadNas(txn, id);
    recordAudit(txn, caller, "update", "nas", std::to_string(id), before,
                withGivenSecrets(after, body));
    txn.commit();
    return HttpResponse::json(200, after);
}

HttpResponse deleteNasRoute(NasState& s, const HttpRequest& req) {
    const Caller caller = authenticateOrUnavailable(s.deps.auth, req);
    caller.require("nas.delete");
    const int64_t id = pathId(req, "NAS");
    auto lease = s.db().acquire();
    pqxx::work txn(*lease);
    ensureNasVisible(txn, caller, id);
    // Locked, so a concurrent edit cannot slip between the check and the delete.
    txn.exec("SELECT 1 FROM nas_devices WHERE id = " + std::to_string(id) + " FOR UPDATE");
    const json before = loadNas(txn, id);
    store::OpenSessionFilter filter;
    filter.nas_name = before["name"].get<std::string>();
    const auto open = store::findOpenSessions(txn, filter);
    if (!open.empty()) {
        // Its sessions' accounting would lose its NAS and no CoA could reach them.
        std::string names;
        for (size_t i = 0; i < open.size() && i < 5; ++i)
            names += (i ? ", " : "") + open[i].username;
        if (open.size() > 5)
            names += ", ...";
        throw ApiError(
            409, "conflict", "",
            fmt::format("NAS {} has {} open session{} ({}); disconnect them first", filter.nas_name,
                        open.size(), open.size() == 1 ? "" : "s", names));
    }
    valueOrThrow(store::deleteNas(txn, before["ip"].get<std::string>()));
    recordAudit(txn, caller, "delete", "nas", std::to_string(id), before, nullptr);
    txn.commit();
    return HttpResponse::noContent();
}

json checkJson(std::string_view check, const jobs::ProbeResult& r) {
    const char* status = r.status == jobs::ProbeResult::kOk     ? "ok"
                         : r.status == jobs::ProbeResult::kFail ? "fail"
                                                                : "skipped";
    return {{"check", check},
            {"status", status},
            {"elapsed_ms", r.elapsed.count()},
            {"detail", r.detail}};
}

HttpResponse testNasRoute(NasState& s, const HttpRequest& req) {
    const Caller caller = authenticateOrUnavailable(s.deps.auth, req);
    caller.require("nas.edit");
    const int64_t id = pathId(req, "NAS");
    std::optional<jobs::NasTarget> nas;
    {
        auto lease = s.db().acquire();
        pqxx::read_transaction txn(*lease);
        ensureNasVisible(txn, caller, id);
        const std::string ip = loadNas(txn, id)["ip"].get<std::string>();
        txn.commit();
        nas = jobs::loadNasTarget(*lease, ip);
    }  // the connection goes back before the probes wait on the network
    if (!nas)
        throw ApiError::notFound("NAS not found");

    const NasTestSettings& t = s.deps.test;
    const auto& dict = radius::Dictionary::builtin();
    json checks = json::array();
    bool ok = true;
    auto add = [&](std::string_view check, const jobs::ProbeResult& r) {
        ok = ok && r.status != jobs::ProbeResult::kFail;
        checks.push_back(checkJson(check, r));
    };

    jobs::RadiusProbeOptions radius;
    radius.server_host = t.radius_host;
    radius.server_port = t.radius_port;
    radius.timeout_ms = t.timeout_ms;
    radius.attempts = t.attempts;
    add("radius", jobs::probeRadius(*nas, radius, dict));

    std::string key_error;
    if (nas->hasApi()) {
        if (!s.deps.box)
            key_error = "no key to open the API password with (key_file)";
        else
            jobs::openApiPassword(*s.deps.box, *nas, key_error);
    }
    if (!key_error.empty()) {
        jobs::ProbeResult r;
        r.detail = key_error;
        add("api", r);
    } else {
        jobs::ApiCheckOptions api;
        api.timeout_ms = t.api_timeout_ms;
        api.tls.allow_anonymous_dh = t.allow_anonymous_dh;
        add("api", jobs::probeApi(*nas, api));
    }

    jobs::CoaProbeOptions coa;
    coa.timeout_ms = t.timeout_ms;
    coa.attempts = t.attempts;
    add("coa", jobs::probeCoa(*nas, coa, dict));
    return HttpResponse::json(
        200, {{"id", id}, {"name", nas->name}, {"ip", nas->ip}, {"ok", ok}, {"checks", checks}});
}

}  // namespace

void addNasRoutes(Router& router, NasDeps deps, const AuthDeps& auth_deps) {
    auto s = std::make_shared<NasState>();
    s->deps = std::move(deps);
    if (s->deps.db == nullptr)
        s->deps.db = auth_deps.db;
    if (!s->deps.auth)
        s->deps.auth = makeAuthenticator(auth_deps);  // null without a database or Redis
    auto bind = [s](HttpResponse (*fn)(NasState&, const HttpRequest&)) {
        return [s, fn](const HttpRequest& req) { return fn(*s, req); };
    };
    router.add("GET", "/api/v1/nas", "List NAS devices with health (nas.view)", bind(listNasRoute));
    router.add("POST", "/api/v1/nas", "Add a NAS (nas.create)", bind(createNasRoute));
    router.add("POST", "/api/v1/nas/{id}/test", "Test RADIUS, RouterOS API and CoA (nas.edit)",
               bind(testNasRoute));
    router.add("GET", "/api/v1/nas/{id}", "One NAS with health (nas.view)", bind(getNasRoute));
    router.add("PATCH", "/api/v1/nas/{id}", "Change a NAS (nas.edit)", bind(updateNasRoute));
    router.add("DELETE", "/api/v1/nas/{id}", "Delete a NAS without open sessions (nas.delete)",
               bind(deleteNasRoute));
}

}  // namespace gatehouse::api
