#include "core/api/routes/subscribers.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <pqxx/pqxx>
#include <set>
#include <string>
#include <vector>

#include "core/api/audit.hpp"
#include "core/api/permissions.hpp"
#include "core/api/routes/subscriber_support.hpp"
#include "core/store/subscriber_repository.hpp"

namespace gatehouse::api {

namespace {

using nlohmann::json;
using namespace routes;

constexpr size_t kMaxBulkIds = 1000;
constexpr size_t kMaxQueryBytes = 253;  // the longest User-Name (RFC 2865 5.1)

struct SubscriberState {
    store::PgPool* db = nullptr;
    std::shared_ptr<Authenticator> auth;
    std::optional<crypto::SecretBox> box;

    Caller authenticate(const HttpRequest& req) {
        if (!auth || db == nullptr)
            throw unavailable("the subscriber routes are not configured (no database or Redis)", 5);
        return auth->authenticate(req);
    }
    const crypto::SecretBox& sealer() {
        if (!box)
            throw unavailable("no key file to encrypt subscriber passwords with", 5);
        return *box;
    }
};

// Every subscriber answer is built from these columns, so the list, one row, and the audit
// log's before/after agree. Never the password: the panel has no use for it, and the audit log
// would only mask it again.
constexpr const char* kColumns =
    "SELECT u.id, u.username, s.name, host(u.static_ip), upper(u.mac::text),"
    " extract(epoch FROM u.expires_at)::bigint, u.enabled, u.current_tier,"
    " extract(epoch FROM u.created_at)::bigint, u.reseller_id,"
    " (SELECT count(*) FROM radacct r WHERE r.acctstoptime IS NULL AND r.subscriber_id = u.id)";
constexpr const char* kFrom = " FROM subscribers u LEFT JOIN services s ON s.id = u.service_id";

json subscriberJson(const pqxx::row& r) {
    auto text = [](const pqxx::field& f) {
        return f.is_null() ? json(nullptr) : json(f.as<std::string>());
    };
    const int64_t open = r[10].as<int64_t>();
    return {{"id", r[0].as<int64_t>()},
            {"username", r[1].as<std::string>()},
            {"service", text(r[2])},
            {"static_ip", text(r[3])},
            {"mac", text(r[4])},
            {"expires_at", isoOrNull(r[5])},
            {"enabled", r[6].as<bool>()},
            {"current_tier", r[7].as<int>()},
            {"created_at", isoOrNull(r[8])},
            {"reseller_id", r[9].is_null() ? json(nullptr) : json(r[9].as<int64_t>())},
            {"online", open > 0},
            {"open_sessions", open}};
}

/// The row as the caller may see it; nullopt when missing or outside the caller's scope.
std::optional<json> findSubscriber(pqxx::transaction_base& txn, const Caller& caller, int64_t id) {
    auto r = txn.exec(std::string(kColumns) + kFrom + " WHERE u.id = " + std::to_string(id) +
                      " AND " + subscriberScopeSql(caller, "u"));
    if (r.empty())
        return std::nullopt;
    return subscriberJson(r[0]);
}

/// As findSubscriber, with the same 404 as ensureSubscriberVisible for both cases.
json visibleSubscriber(pqxx::transaction_base& txn, const Caller& caller, int64_t id) {
    auto row = findSubscriber(txn, caller, id);
    if (!row)
        throw ApiError::notFound("subscriber not found");
    return *row;
}

// The store names the expiry "expires" (the CLI's --expires); the API's field is expires_at.
[[noreturn]] void throwSubscriberError(store::StoreError e) {
    if (e.field == "expires")
        e.field = "expires_at";
    throwStoreError(e);
}

void check(const Expected<void, store::StoreError>& r) {
    if (!r)
        throwSubscriberError(r.error());
}

/// A text member: nullopt when absent; "" for null when `nullable` (the store clears the
/// field); 400 naming it for any other type.
std::optional<std::string> textField(const json& body, const char* name, bool nullable) {
    auto it = body.find(name);
    if (it == body.end())
        return std::nullopt;
    if (it->is_null() && nullable)
        return std::string();
    if (!it->is_string())
        throw ApiError::invalid(
            name, fmt::format("{} must be a string{}", name, nullable ? " or null" : ""));
    return it->get<std::string>();
}

std::optional<std::string> enabledField(const json& body) {
    auto it = body.find("enabled");
    if (it == body.end())
        return std::nullopt;
    if (!it->is_boolean())
        throw ApiError::invalid("enabled", "enabled must be true or false");
    return std::string(it->get<bool>() ? "yes" : "no");
}

/// reseller_id in a body: nullopt when absent; a reseller's admin may only name its own (or
/// leave it out); whole-ISP admins any existing reseller, or null for none.
std::optional<std::optional<int64_t>> resellerField(pqxx::transaction_base& txn,
                                                    const Caller& caller, const json& body) {
    auto it = body.find("reseller_id");
    if (it == body.end())
        return std::nullopt;
    std::optional<int64_t> wanted;
    if (!it->is_null()) {
        if (!it->is_number_integer() || it->get<int64_t>() <= 0)
            throw ApiError::invalid("reseller_id",
                                    "reseller_id must be a positive integer or null");
        wanted = it->get<int64_t>();
    }
    if (caller.reseller_id) {
        if (wanted != caller.reseller_id)
            throw ApiError(403, "forbidden", "reseller_id",
                           "a reseller's admin can only manage its own reseller's subscribers");
        return wanted;
    }
    if (wanted && txn.exec("SELECT 1 FROM resellers WHERE id = " + std::to_string(*wanted)).empty())
        throw ApiError::invalid("reseller_id", "no such reseller");
    return wanted;
}

void setReseller(pqxx::work& txn, int64_t id, const std::optional<int64_t>& reseller) {
    txn.exec("UPDATE subscribers SET reseller_id = " +
             (reseller ? std::to_string(*reseller) : std::string("NULL")) +
             " WHERE id = " + std::to_string(id));
}

std::string orderBy(const std::string& sort) {
    // The id breaks ties, so pages never repeat or skip a row between two requests.
    if (sort == "username")
        return " ORDER BY u.username, u.id";
    if (sort == "-username")
        return " ORDER BY u.username DESC, u.id DESC";
    if (sort == "created_at")
        return " ORDER BY u.created_at, u.id";
    if (sort == "-created_at")
        return " ORDER BY u.created_at DESC, u.id DESC";
    throw ApiError::invalid("sort", "sort must be username or created_at (- for descending)");
}

bool looksLikeIpPrefix(const std::string& q) {
    return std::all_of(q.begin(), q.end(),
                       [](char c) { return (c >= '0' && c <= '9') || c == '.'; });
}

/// The hex digits of a MAC typed in any of its usual forms, or "" when `q` is not one (or too
/// short to mean one: a username like "ab" would otherwise match every MAC holding AB).
std::string macDigits(const std::string& q) {
    std::string hex;
    for (char c : q) {
        if (std::isxdigit(static_cast<unsigned char>(c)))
            hex += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        else if (c != ':' && c != '-' && c != '.')
            return "";
    }
    return hex.size() >= 4 ? hex : "";
}

HttpResponse listRoute(SubscriberState& s, const HttpRequest& req) {
    const Caller caller = s.authenticate(req);
    caller.require("subscribers.view");
    const PageRequest page = pageRequest(req);
    const auto enabled = boolQuery(req, "enabled");
    const auto online = boolQuery(req, "online");
    const std::string order = orderBy(req.queryOr("sort", "username"));
    const std::string q = req.queryOr("q");
    if (q.size() > kMaxQueryBytes)
        throw ApiError::invalid("q", fmt::format("q is longer than {} bytes", kMaxQueryBytes));
    const std::string service = req.queryOr("service");

    auto lease = s.db->acquire();
    pqxx::read_transaction txn(*lease);
    std::string where = " WHERE " + subscriberScopeSql(caller, "u");
    if (!q.empty()) {
        // Username: a case-insensitive substring (a prefix is one); static IP: a prefix
        // ("10.20." lists a subnet's); MAC: its digits, whatever the separators. The LIKEs are
        // on the expressions of migration 011's trigram indexes, which answer them.
        std::string any =
            "lower(u.username) LIKE lower(" + txn.quote("%" + likeEscaped(q) + "%") + ")";
        if (looksLikeIpPrefix(q))
            any += " OR starts_with(host(u.static_ip), " + txn.quote(q) + ")";
        if (auto hex = macDigits(q); !hex.empty())
            any += " OR replace(upper(u.mac::text), ':', '') LIKE " + txn.quote("%" + hex + "%");
        where += " AND (" + any + ")";
    }
    if (!service.empty())
        where += " AND s.name = " + txn.quote(service);
    if (enabled)
        where += *enabled ? " AND u.enabled" : " AND NOT u.enabled";
    if (online)
        where += std::string(*online ? " AND " : " AND NOT ") +
                 "EXISTS (SELECT 1 FROM radacct r WHERE r.acctstoptime IS NULL"
                 " AND r.subscriber_id = u.id)";

    const int64_t total =
        txn.exec1(std::string("SELECT count(*)") + kFrom + where)[0].as<int64_t>();
    json items = json::array();
    // The page's rows are picked first and only they get the columns: PostgreSQL computes the
    // select list (the open-session count per row) for every row an OFFSET skips, which made
    // page 200 of 100,000 cost 10,000 radacct probes (scripts/bench api).
    const std::string page_rows = "(SELECT u.*" + std::string(kFrom) + where + order + " LIMIT " +
                                  std::to_string(page.per_page) + " OFFSET " +
                                  std::to_string(page.offset()) + ")";
    for (const auto& row : txn.exec(std::string(kColumns) + " FROM " + page_rows +
                                    " u LEFT JOIN services s ON s.id = u.service_id" + order))
        items.push_back(subscriberJson(row));
    txn.commit();
    return HttpResponse::json(200, pageJson(std::move(items), total, page));
}

json usageOf(pqxx::transaction_base& txn, int64_t id) {
    const std::string tz = ispTimezone(txn);
    auto r = txn.exec_params(
        "SELECT (SELECT COALESCE(sum(upload), 0) FROM subscriber_usage_daily"
        "         WHERE subscriber_id = $1 AND day = (now() AT TIME ZONE $2)::date),"
        "       (SELECT COALESCE(sum(download), 0) FROM subscriber_usage_daily"
        "         WHERE subscriber_id = $1 AND day = (now() AT TIME ZONE $2)::date),"
        "       (SELECT COALESCE(sum(upload), 0) FROM subscriber_usage_monthly"
        "         WHERE subscriber_id = $1"
        "           AND month = date_trunc('month', now() AT TIME ZONE $2)::date),"
        "       (SELECT COALESCE(sum(download), 0) FROM subscriber_usage_monthly"
        "         WHERE subscriber_id = $1"
        "           AND month = date_trunc('month', now() AT TIME ZONE $2)::date)",
        id, tz);
    auto pair = [](const pqxx::field& up, const pqxx::field& down) {
        const int64_t u = up.as<int64_t>();
        const int64_t d = down.as<int64_t>();
        return json{{"upload", u}, {"download", d}, {"total", u + d}};
    };
    return {{"timezone", tz}, {"today", pair(r[0][0], r[0][1])}, {"month", pair(r[0][2], r[0][3])}};
}

HttpResponse getRoute(SubscriberState& s, const HttpRequest& req) {
    const Caller caller = s.authenticate(req);
    caller.require("subscribers.view");
    const int64_t id = pathId(req, "subscriber");
    auto lease = s.db->acquire();
    pqxx::read_transaction txn(*lease);
    json j = visibleSubscriber(txn, caller, id);
    json sessions = json::array();
    for (const auto& row :
         txn.exec(kSessionSelect + " WHERE r.acctstoptime IS NULL AND r.subscriber_id = " +
                  std::to_string(id) + " ORDER BY r.acctstarttime DESC, r.radacctid DESC"))
        sessions.push_back(sessionJson(row));
    j["sessions"] = std::move(sessions);
    j["usage"] = usageOf(txn, id);
    txn.commit();
    return HttpResponse::json(200, j);
}

HttpResponse createRoute(SubscriberState& s, const HttpRequest& req) {
    const Caller caller = s.authenticate(req);
    caller.require("subscribers.create");
    const json body = req.jsonBody();
    onlyFields(body, {"username", "password", "service", "static_ip", "mac", "expires_at",
                      "enabled", "reseller_id"});
    store::SubscriberInput in;
    // Missing username or password reach validateSubscriber as "", which names the field.
    in.username = textField(body, "username", false).value_or("");
    in.password = textField(body, "password", false).value_or("");
    in.service = textField(body, "service", true).value_or("");
    in.static_ip = textField(body, "static_ip", true).value_or("");
    in.mac = textField(body, "mac", true).value_or("");
    in.expires = textField(body, "expires_at", true).value_or("");
    in.enabled = enabledField(body).value_or("");
    const crypto::SecretBox& box = s.sealer();

    auto lease = s.db->acquire();
    pqxx::work txn(*lease);
    // Created in the caller's reseller unless a whole-ISP admin names one.
    const std::optional<int64_t> reseller =
        resellerField(txn, caller, body).value_or(caller.reseller_id);
    auto added = store::addSubscriber(txn, box, in);
    if (!added)
        throwSubscriberError(added.error());
    const int64_t id = *added;
    if (reseller)
        setReseller(txn, id, reseller);
    json after = visibleSubscriber(txn, Caller{}, id);
    json audited = after;
    audited["password"] = "set";  // masked to "***": the log shows one was set, not which
    recordAudit(txn, caller, "create", "subscriber", std::to_string(id), nullptr, audited);
    txn.commit();
    return HttpResponse::json(201, after);
}

HttpResponse updateRoute(SubscriberState& s, const HttpRequest& req) {
    const Caller caller = s.authenticate(req);
    caller.require("subscribers.edit");
    const int64_t id = pathId(req, "subscriber");
    const json body = req.jsonBody();
    if (body.contains("username"))
        throw ApiError::invalid("username",
                                "the username cannot be changed (the NAS knows the subscriber "
                                "by it); delete and create instead");
    onlyFields(body,
               {"password", "service", "static_ip", "mac", "expires_at", "enabled", "reseller_id"});
    store::SubscriberPatch patch;
    patch.password = textField(body, "password", false);
    patch.service = textField(body, "service", true);
    patch.static_ip = textField(body, "static_ip", true);
    patch.mac = textField(body, "mac", true);
    patch.expires = textField(body, "expires_at", true);
    patch.enabled = enabledField(body);
    const bool store_fields = patch.password || patch.service || patch.static_ip || patch.mac ||
                              patch.expires || patch.enabled;
    const crypto::SecretBox* box = patch.password ? &s.sealer() : nullptr;

    auto lease = s.db->acquire();
    pqxx::work txn(*lease);
    const json before = visibleSubscriber(txn, caller, id);
    const auto reseller = resellerField(txn, caller, body);
    if (!store_fields && !reseller)
        throw ApiError::invalid("body", "nothing to change (give at least one field)");
    if (store_fields)
        check(store::updateSubscriber(txn, box, before["username"].get<std::string>(), patch));
    if (reseller)
        setReseller(txn, id, *reseller);
    json after = visibleSubscriber(txn, Caller{}, id);
    json audited = after;
    if (patch.password)
        audited["password"] = "changed";  // masked to "***"
    recordAudit(txn, caller, "update", "subscriber", std::to_string(id), before, audited);
    txn.commit();
    return HttpResponse::json(200, after);
}

HttpResponse deleteRoute(SubscriberState& s, const HttpRequest& req) {
    const Caller caller = s.authenticate(req);
    caller.require("subscribers.delete");
    const int64_t id = pathId(req, "subscriber");
    auto lease = s.db->acquire();
    pqxx::work txn(*lease);
    const json before = visibleSubscriber(txn, caller, id);
    // Queues a Disconnect-Request for each open session in this transaction (docs/coa.md).
    check(store::deleteSubscriber(txn, before["username"].get<std::string>()));
    recordAudit(txn, caller, "delete", "subscriber", std::to_string(id), before, nullptr);
    txn.commit();
    return HttpResponse::noContent();
}

std::vector<int64_t> bulkIds(const json& body) {
    auto it = body.find("ids");
    if (it == body.end() || !it->is_array() || it->empty())
        throw ApiError::invalid("ids", "ids must be a non-empty array of subscriber ids");
    if (it->size() > kMaxBulkIds)
        throw ApiError::invalid("ids", fmt::format("at most {} ids at once", kMaxBulkIds));
    std::vector<int64_t> ids;
    std::set<int64_t> seen;
    for (const auto& v : *it) {
        if (!v.is_number_integer() || v.get<int64_t>() <= 0)
            throw ApiError::invalid("ids", "every id must be a positive integer");
        if (seen.insert(v.get<int64_t>()).second)
            ids.push_back(v.get<int64_t>());
    }
    return ids;
}

HttpResponse bulkRoute(SubscriberState& s, const HttpRequest& req) {
    const Caller caller = s.authenticate(req);
    caller.require("subscribers.edit");
    const json body = req.jsonBody();
    onlyFields(body, {"action", "ids"});
    const std::string action = textField(body, "action", false).value_or("");
    if (action != "enable" && action != "disable")
        throw ApiError::invalid("action", "action must be enable or disable");
    const std::vector<int64_t> ids = bulkIds(body);
    store::SubscriberPatch patch;
    patch.enabled = action == "enable" ? "yes" : "no";

    // One transaction: the whole batch, its session change jobs (a disable ends live sessions,
    // docs/coa.md) and one audit row per subscriber commit together or not at all. An id out
    // of the caller's scope is "not_found", exactly like one that does not exist.
    auto lease = s.db->acquire();
    pqxx::work txn(*lease);
    json results = json::array();
    int64_t done = 0;
    for (const int64_t id : ids) {
        auto before = findSubscriber(txn, caller, id);
        if (!before) {
            results.push_back({{"id", id}, {"status", "not_found"}});
            continue;
        }
        check(
            store::updateSubscriber(txn, nullptr, (*before)["username"].get<std::string>(), patch));
        json after = visibleSubscriber(txn, Caller{}, id);
        recordAudit(txn, caller, action, "subscriber", std::to_string(id), *before, after);
        results.push_back({{"id", id}, {"status", "done"}});
        ++done;
    }
    txn.commit();
    return HttpResponse::json(200, {{"action", action},
                                    {"results", results},
                                    {"done", done},
                                    {"not_found", static_cast<int64_t>(ids.size()) - done}});
}

}  // namespace

void addSubscriberRoutes(Router& router, SubscriberDeps deps, const AuthDeps& auth) {
    auto s = std::make_shared<SubscriberState>();
    s->db = deps.db != nullptr ? deps.db : auth.db;
    s->auth = deps.auth ? deps.auth : makeAuthenticator(auth);
    s->box = std::move(deps.box);
    auto bind = [s](HttpResponse (*fn)(SubscriberState&, const HttpRequest&)) {
        return [s, fn](const HttpRequest& req) { return fn(*s, req); };
    };
    router.add("GET", "/api/v1/subscribers", "List and search subscribers (subscribers.view)",
               bind(listRoute));
    router.add("POST", "/api/v1/subscribers", "Create a subscriber (subscribers.create)",
               bind(createRoute));
    // Before "/api/v1/subscribers/{id}" (http.hpp: the first match wins).
    router.add("POST", "/api/v1/subscribers/bulk",
               "Enable or disable many subscribers (subscribers.edit)", bind(bulkRoute));
    router.add("GET", "/api/v1/subscribers/{id}",
               "One subscriber with its open sessions and usage (subscribers.view)",
               bind(getRoute));
    router.add("PATCH", "/api/v1/subscribers/{id}", "Change a subscriber (subscribers.edit)",
               bind(updateRoute));
    router.add("DELETE", "/api/v1/subscribers/{id}",
               "Delete a subscriber, disconnecting its sessions (subscribers.delete)",
               bind(deleteRoute));
}

}  // namespace gatehouse::api
