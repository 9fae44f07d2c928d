#include "core/api/routes/resellers.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <memory>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "core/api/audit.hpp"
#include "core/api/permissions.hpp"
#include "core/api/routes/route_support.hpp"
#include "core/store/pg_pool.hpp"
#include "core/store/validate.hpp"

namespace gatehouse::api {

namespace {

using nlohmann::json;

struct ResellerState {
    store::PgPool* db_ = nullptr;
    std::shared_ptr<Authenticator> auth;

    store::PgPool& db() {
        if (db_ == nullptr)
            throw unavailable("the API is not configured with a database", 5);
        return *db_;
    }
};

// A reseller admin sees its own row: the same condition shape as permissions.hpp's helpers.
std::string resellerScopeSql(const Caller& caller, std::string_view alias) {
    if (!caller.reseller_id)
        return "TRUE";
    return fmt::format("{}.id = {}", alias, *caller.reseller_id);
}

// Resellers are the ISP's to define: a reseller admin holding resellers.edit (a custom role)
// still may not create, rename or re-scope resellers, its own included.
void requireIspWide(const Caller& caller) {
    if (caller.reseller_id)
        throw ApiError(403, "forbidden", "",
                       "resellers are changed by the ISP's own admins, not a reseller's");
}

constexpr const char* kResellerColumns =
    "SELECT r.id, r.name, r.parent_id, extract(epoch FROM r.created_at)::bigint,"
    " COALESCE((SELECT string_agg(nas_id::text, ',' ORDER BY nas_id) FROM reseller_nas"
    "   WHERE reseller_id = r.id), ''),"
    " (SELECT count(*) FROM subscribers s WHERE s.reseller_id = r.id),"
    " (SELECT count(*) FROM admins a WHERE a.reseller_id = r.id)"
    " FROM resellers r";

json resellerJson(const pqxx::row& r) {
    json nas_ids = json::array();
    const std::string list = r[4].as<std::string>();
    for (size_t start = 0; start < list.size();) {
        size_t comma = list.find(',', start);
        if (comma == std::string::npos)
            comma = list.size();
        nas_ids.push_back(std::stoll(list.substr(start, comma - start)));
        start = comma + 1;
    }
    return {{"id", r[0].as<int64_t>()},
            {"name", r[1].as<std::string>()},
            {"parent_id", r[2].is_null() ? json(nullptr) : json(r[2].as<int64_t>())},
            {"created_at", store::formatTime(r[3].as<int64_t>())},
            {"nas_ids", std::move(nas_ids)},
            {"subscriber_count", r[5].as<int64_t>()},
            {"admin_count", r[6].as<int64_t>()}};
}

/// The row when it exists and is in the caller's scope; 404 with one message otherwise, so a
/// reseller learns nothing from guessing ids.
json loadReseller(pqxx::transaction_base& txn, const Caller& caller, int64_t id) {
    auto r = txn.exec(std::string(kResellerColumns) + " WHERE r.id = " + std::to_string(id) +
                      " AND " + resellerScopeSql(caller, "r"));
    if (r.empty())
        throw ApiError::notFound("reseller not found");
    return resellerJson(r[0]);
}

std::string nameField(const json& body) {
    auto it = body.find("name");
    if (it == body.end() || !it->is_string() || it->get<std::string>().empty())
        throw ApiError::invalid("name", "name: must be a non-empty string");
    const auto name = std::optional<std::string>(it->get<std::string>());
    if (name->size() > 200)
        throw ApiError::invalid("name", "name: longer than 200 characters");
    return *name;
}

/// parent_id: null or an existing reseller; `self` (an update) must not become its own
/// ancestor, or the tree would loop.
std::optional<int64_t> parentField(pqxx::transaction_base& txn, const json& body,
                                   std::optional<int64_t> self) {
    const json& v = body.at("parent_id");
    if (v.is_null())
        return std::nullopt;
    if (!v.is_number_integer() || v.get<int64_t>() <= 0)
        throw ApiError::invalid("parent_id", "parent_id must be a reseller id or null");
    const int64_t parent = v.get<int64_t>();
    if (txn.exec("SELECT 1 FROM resellers WHERE id = " + std::to_string(parent)).empty())
        throw ApiError::invalid("parent_id", fmt::format("parent_id: no reseller {}", parent));
    if (self) {
        // The parent's ancestors, itself included: `self` among them is a cycle.
        auto loop = txn.exec(fmt::format(
            "WITH RECURSIVE up(id, parent_id) AS ("
            " SELECT id, parent_id FROM resellers WHERE id = {}"
            " UNION SELECT r.id, r.parent_id FROM resellers r JOIN up ON r.id = up.parent_id)"
            " SELECT 1 FROM up WHERE id = {}",
            parent, *self));
        if (!loop.empty())
            throw ApiError::invalid("parent_id",
                                    "parent_id: a reseller cannot be under itself or one of its "
                                    "own resellers");
    }
    return parent;
}

/// nas_ids: an array of existing NAS ids (duplicates folded), sorted.
std::vector<int64_t> nasIdsField(pqxx::transaction_base& txn, const json& body) {
    auto it = body.find("nas_ids");
    if (it == body.end() || !it->is_array())
        throw ApiError::invalid("nas_ids", "nas_ids must be an array of NAS ids");
    std::vector<int64_t> ids;
    for (const auto& v : *it) {
        if (!v.is_number_integer() || v.get<int64_t>() <= 0)
            throw ApiError::invalid("nas_ids", "nas_ids must be an array of NAS ids");
        ids.push_back(v.get<int64_t>());
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    for (int64_t id : ids)
        if (txn.exec("SELECT 1 FROM nas_devices WHERE id = " + std::to_string(id)).empty())
            throw ApiError::invalid("nas_ids", fmt::format("nas_ids: no NAS {}", id));
    return ids;
}

void replaceNas(pqxx::work& txn, int64_t reseller, const std::vector<int64_t>& nas_ids) {
    txn.exec("DELETE FROM reseller_nas WHERE reseller_id = " + std::to_string(reseller));
    for (int64_t nas : nas_ids)
        txn.exec(fmt::format("INSERT INTO reseller_nas (reseller_id, nas_id) VALUES ({}, {})",
                             reseller, nas));
}

// resellers.name is UNIQUE: a taken name is a conflict with another row, named as the field.
template <class F>
void writeName(const std::string& name, F&& write) {
    try {
        write();
    } catch (const pqxx::unique_violation&) {
        throw ApiError(409, "conflict", "name", fmt::format("name: {} is taken", name));
    }
}

HttpResponse listRoute(ResellerState& s, const HttpRequest& req) {
    const Caller caller = authenticateOrUnavailable(s.auth, req);
    caller.require("resellers.view");
    const PageRequest page = pageRequest(req);
    auto lease = s.db().acquire();
    pqxx::read_transaction txn(*lease);
    std::string where = " WHERE " + resellerScopeSql(caller, "r");
    if (const std::string q = req.queryOr("q"); !q.empty())
        where += " AND strpos(lower(r.name), lower(" + txn.quote(q) + ")) > 0";
    const int64_t total = txn.exec("SELECT count(*) FROM resellers r" + where)[0][0].as<int64_t>();
    json items = json::array();
    for (const auto& row :
         txn.exec(std::string(kResellerColumns) + where + " ORDER BY r.name LIMIT " +
                  std::to_string(page.per_page) + " OFFSET " + std::to_string(page.offset())))
        items.push_back(resellerJson(row));
    return HttpResponse::json(200, pageJson(std::move(items), total, page));
}

HttpResponse getRoute(ResellerState& s, const HttpRequest& req) {
    const Caller caller = authenticateOrUnavailable(s.auth, req);
    caller.require("resellers.view");
    const int64_t id = pathId(req, "reseller");
    auto lease = s.db().acquire();
    pqxx::read_transaction txn(*lease);
    return HttpResponse::json(200, loadReseller(txn, caller, id));
}

HttpResponse createRoute(ResellerState& s, const HttpRequest& req) {
    const Caller caller = authenticateOrUnavailable(s.auth, req);
    caller.require("resellers.edit");
    requireIspWide(caller);
    const json body = req.jsonBody();
    onlyFields(body, {"name", "parent_id", "nas_ids"});
    const std::string name = nameField(body);
    auto lease = s.db().acquire();
    pqxx::work txn(*lease);
    const std::optional<int64_t> parent =
        body.contains("parent_id") ? parentField(txn, body, std::nullopt) : std::nullopt;
    const std::vector<int64_t> nas_ids =
        body.contains("nas_ids") ? nasIdsField(txn, body) : std::vector<int64_t>{};
    int64_t id = 0;
    writeName(name, [&] {
        id = txn.exec("INSERT INTO resellers (name, parent_id) VALUES (" + txn.quote(name) + ", " +
                      (parent ? std::to_string(*parent) : std::string("NULL")) +
                      ") RETURNING id")[0][0]
                 .as<int64_t>();
    });
    replaceNas(txn, id, nas_ids);
    json row = loadReseller(txn, caller, id);
    recordAudit(txn, caller, "create", "reseller", std::to_string(id), nullptr, row);
    txn.commit();
    return HttpResponse::json(201, row);
}

HttpResponse updateRoute(ResellerState& s, const HttpRequest& req) {
    const Caller caller = authenticateOrUnavailable(s.auth, req);
    caller.require("resellers.edit");
    const int64_t id = pathId(req, "reseller");
    const json body = req.jsonBody();
    auto lease = s.db().acquire();
    pqxx::work txn(*lease);
    const json before = loadReseller(txn, caller, id);  // 404 before 403: scope first
    requireIspWide(caller);
    onlyFields(body, {"name", "parent_id"});
    std::vector<std::string> sets;
    std::string name;
    if (body.contains("name")) {
        name = nameField(body);
        sets.push_back("name = " + txn.quote(name));
    }
    if (body.contains("parent_id")) {
        const auto parent = parentField(txn, body, id);
        sets.push_back("parent_id = " + (parent ? std::to_string(*parent) : std::string("NULL")));
    }
    if (sets.empty())
        throw ApiError::invalid("", "nothing to change (give name or parent_id)");
    std::string sql = "UPDATE resellers SET ";
    for (size_t i = 0; i < sets.size(); ++i)
        sql += (i ? ", " : "") + sets[i];
    writeName(name, [&] { txn.exec(sql + " WHERE id = " + std::to_string(id)); });
    json after = loadReseller(txn, caller, id);
    recordAudit(txn, caller, "update", "reseller", std::to_string(id), before, after);
    txn.commit();
    return HttpResponse::json(200, after);
}

std::string counted(int64_t n, const char* what) {
    return fmt::format("{} {}{}", n, what, n == 1 ? "" : "s");
}

HttpResponse deleteRoute(ResellerState& s, const HttpRequest& req) {
    const Caller caller = authenticateOrUnavailable(s.auth, req);
    caller.require("resellers.edit");
    const int64_t id = pathId(req, "reseller");
    auto lease = s.db().acquire();
    pqxx::work txn(*lease);
    // Locked, so a subscriber or admin added meanwhile waits for this delete (and then fails
    // on the foreign key) rather than slipping between the count and the delete.
    txn.exec("SELECT 1 FROM resellers WHERE id = " + std::to_string(id) + " FOR UPDATE");
    const json before = loadReseller(txn, caller, id);
    requireIspWide(caller);
    const int64_t subscribers = before["subscriber_count"].get<int64_t>();
    const int64_t admins = before["admin_count"].get<int64_t>();
    const int64_t children =
        txn.exec("SELECT count(*) FROM resellers WHERE parent_id = " + std::to_string(id))[0][0]
            .as<int64_t>();
    if (subscribers + admins + children > 0) {
        std::vector<std::string> parts;
        if (subscribers)
            parts.push_back(counted(subscribers, "subscriber"));
        if (admins)
            parts.push_back(counted(admins, "admin"));
        if (children)
            parts.push_back(counted(children, "child reseller"));
        std::string list;
        for (size_t i = 0; i < parts.size(); ++i)
            list += (i == 0 ? "" : i + 1 == parts.size() ? " and " : ", ") + parts[i];
        throw ApiError(409, "conflict", "",
                       fmt::format("reseller {} has {}; move or delete them first",
                                   before["name"].get<std::string>(), list));
    }
    try {
        txn.exec("DELETE FROM resellers WHERE id = " + std::to_string(id));
    } catch (const pqxx::sql_error& e) {
        throwStoreError(store::fromException(e));
    }
    recordAudit(txn, caller, "delete", "reseller", std::to_string(id), before, nullptr);
    txn.commit();
    return HttpResponse::noContent();
}

HttpResponse replaceNasRoute(ResellerState& s, const HttpRequest& req) {
    const Caller caller = authenticateOrUnavailable(s.auth, req);
    caller.require("resellers.edit");
    const int64_t id = pathId(req, "reseller");
    const json body = req.jsonBody();
    auto lease = s.db().acquire();
    pqxx::work txn(*lease);
    txn.exec("SELECT 1 FROM resellers WHERE id = " + std::to_string(id) + " FOR UPDATE");
    const json before = loadReseller(txn, caller, id);
    requireIspWide(caller);
    onlyFields(body, {"nas_ids"});
    replaceNas(txn, id, nasIdsField(txn, body));
    json after = loadReseller(txn, caller, id);
    recordAudit(txn, caller, "update_nas", "reseller", std::to_string(id),
                {{"nas_ids", before["nas_ids"]}}, {{"nas_ids", after["nas_ids"]}});
    txn.commit();
    return HttpResponse::json(200, after);
}

}  // namespace

void addResellerRoutes(Router& router, const AuthDeps& auth_deps) {
    auto s = std::make_shared<ResellerState>();
    s->db_ = auth_deps.db;
    s->auth = makeAuthenticator(auth_deps);  // null without a database or Redis
    auto bind = [s](HttpResponse (*fn)(ResellerState&, const HttpRequest&)) {
        return [s, fn](const HttpRequest& req) { return fn(*s, req); };
    };
    router.add("GET", "/api/v1/resellers", "List resellers (resellers.view)", bind(listRoute));
    router.add("POST", "/api/v1/resellers", "Create a reseller (resellers.edit)",
               bind(createRoute));
    router.add("PUT", "/api/v1/resellers/{id}/nas",
               "Replace the NAS rows assigned to a reseller (resellers.edit)",
               bind(replaceNasRoute));
    router.add("GET", "/api/v1/resellers/{id}", "One reseller (resellers.view)", bind(getRoute));
    router.add("PATCH", "/api/v1/resellers/{id}", "Rename or re-parent a reseller (resellers.edit)",
               bind(updateRoute));
    router.add("DELETE", "/api/v1/resellers/{id}",
               "Delete a reseller nobody belongs to (resellers.edit)", bind(deleteRoute));
}

}  // namespace gatehouse::api
