#include "core/api/routes/audit.hpp"

#include <fmt/core.h>

#include <memory>
#include <pqxx/pqxx>
#include <string>

#include "core/api/permissions.hpp"
#include "core/api/routes/route_support.hpp"
#include "core/api/routes/subscriber_support.hpp"
#include "core/api/routes/time_bounds.hpp"

namespace gatehouse::api {

namespace {

using nlohmann::json;

struct AuditState {
    store::PgPool* db = nullptr;
    std::shared_ptr<Authenticator> auth;
};

json jsonOrNull(const pqxx::field& f) {
    return f.is_null() ? json() : json::parse(f.c_str());
}

HttpResponse listAuditRoute(AuditState& s, const HttpRequest& req) {
    const Caller caller = authenticateOrUnavailable(s.auth, req);
    caller.require("admins.view");
    const PageRequest page = pageRequest(req);

    auto lease = s.db->acquire();
    pqxx::read_transaction txn(*lease);
    std::string where = " WHERE TRUE";
    if (caller.reseller_id)
        where += fmt::format(" AND EXISTS (SELECT 1 FROM admins a WHERE a.id = l.admin_id AND {})",
                             adminScopeSql(caller, "a"));
    // Exact matches on the columns the panel filters by; the index on (resource, resource_id)
    // serves "everything that happened to subscriber 42".
    for (const char* column : {"resource", "resource_id", "action"}) {
        const std::string value = req.queryOr(column);
        if (!value.empty())
            where += fmt::format(" AND l.{} = {}", column, txn.quote(value));
    }
    if (const std::string admin = req.queryOr("admin"); !admin.empty())
        where += " AND lower(l.admin_username) = lower(" + txn.quote(admin) + ")";
    where += timeRangeSql(txn, req, "l.at");
    const int64_t total = txn.exec1("SELECT count(*) FROM audit_log l" + where)[0].as<int64_t>();
    json items = json::array();
    for (const auto& row : txn.exec(
             "SELECT l.id, to_char(l.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
             " l.admin_id, l.admin_username, l.action, l.resource, l.resource_id, l.before,"
             " l.after, host(l.peer_ip) FROM audit_log l" +
             where + " ORDER BY l.at DESC, l.id DESC LIMIT " + std::to_string(page.per_page) +
             " OFFSET " + std::to_string(page.offset()))) {
        items.push_back({{"id", row[0].as<int64_t>()},
                         {"at", row[1].c_str()},
                         {"admin_id", row[2].is_null() ? json() : json(row[2].as<int64_t>())},
                         {"admin_username", row[3].c_str()},
                         {"action", row[4].c_str()},
                         {"resource", row[5].c_str()},
                         {"resource_id", row[6].c_str()},
                         {"before", jsonOrNull(row[7])},
                         {"after", jsonOrNull(row[8])},
                         {"peer_ip", row[9].is_null() ? json() : json(row[9].c_str())}});
    }
    txn.commit();
    return HttpResponse::json(200, pageJson(std::move(items), total, page));
}

}  // namespace

void addAuditRoutes(Router& router, const AuthDeps& auth) {
    auto s = std::make_shared<AuditState>();
    s->db = auth.db;
    s->auth = makeAuthenticator(auth);
    router.add("GET", "/api/v1/audit", "The audit log, newest first (admins.view)",
               [s](const HttpRequest& req) { return listAuditRoute(*s, req); });
}

}  // namespace gatehouse::api
