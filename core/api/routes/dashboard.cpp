#include "core/api/routes/dashboard.hpp"

#include <fmt/core.h>

#include <pqxx/pqxx>
#include <string>

#include "core/api/permissions.hpp"
#include "core/api/routes/subscriber_support.hpp"
#include "core/store/pg_pool.hpp"

namespace gatehouse::api {

namespace {

using nlohmann::json;

struct DashboardState {
    store::PgPool* db = nullptr;
    std::shared_ptr<Authenticator> auth;

    Caller authenticate(const HttpRequest& req) {
        if (!auth || db == nullptr)
            throw unavailable("the dashboard is not configured (no database or Redis)", 5);
        return auth->authenticate(req);
    }
};

// radius_logs rows of the caller's subscribers (a reseller's); "TRUE" for the whole ISP.
std::string logScopeSql(const Caller& caller) {
    if (!caller.reseller_id)
        return "TRUE";
    return "l.username IN (SELECT s.username FROM subscribers s WHERE " +
           subscriberScopeSql(caller, "s") + ")";
}

std::string iso(const pqxx::field& f) {
    return routes::isoOrNull(f).get<std::string>();
}

HttpResponse dashboardRoute(DashboardState& s, const HttpRequest& req) {
    const Caller caller = s.authenticate(req);
    caller.require("dashboard.view");
    auto lease = s.db->acquire();
    // One snapshot for every figure, so they add up with each other.
    pqxx::transaction<pqxx::isolation_level::repeatable_read, pqxx::read_only> txn(*lease);
    json out;
    out["generated_at"] = iso(txn.exec1("SELECT extract(epoch FROM now())::bigint")[0]);

    // Open sessions by NAS, matched as store::findOpenSessions does (the NAS the packets came
    // from, else the one registered at the reported NAS-IP-Address). Reads only open rows
    // (the partial indexes of migration 002), whatever the history's size.
    json by_nas = json::array();
    int64_t online = 0;
    for (const auto& r :
         txn.exec("SELECT n.id, COALESCE(n.name, host(r.nasipaddress)), count(*) FROM radacct r"
                  " LEFT JOIN nas_devices n ON (r.nas_id IS NOT NULL AND n.id = r.nas_id)"
                  "  OR (r.nas_id IS NULL AND n.ip = r.nasipaddress)"
                  " WHERE r.acctstoptime IS NULL AND " +
                  routes::sessionScopeSql(caller, "r") + " GROUP BY 1, 2 ORDER BY 3 DESC, 2")) {
        const int64_t n = r[2].as<int64_t>();
        online += n;
        by_nas.push_back({{"nas_id", r[0].is_null() ? json(nullptr) : json(r[0].as<int64_t>())},
                          {"name", r[1].as<std::string>()},
                          {"online", n}});
    }
    out["online_now"] = online;
    out["online_by_nas"] = by_nas;

    // Accepts and rejects per minute for the last hour, zeros included, oldest first: one range
    // scan of radius_logs_at over 60 minutes of accepts, rejects and accounting rows.
    const std::string log_scope = logScopeSql(caller);
    json per_minute = json::array();
    int64_t accepts_5m = 0;
    int64_t rejects_5m = 0;
    for (const auto& r :
         txn.exec("WITH bounds AS (SELECT date_trunc('minute', now()) AS last),"
                  " m AS (SELECT date_trunc('minute', l.at) AS minute,"
                  "   count(*) FILTER (WHERE l.event = 'accept') AS accepts,"
                  "   count(*) FILTER (WHERE l.event = 'reject') AS rejects,"
                  "   count(*) FILTER (WHERE l.event = 'accept' AND l.at >= now() - interval '5"
                  " minutes') AS accepts_5m,"
                  "   count(*) FILTER (WHERE l.event = 'reject' AND l.at >= now() - interval '5"
                  " minutes') AS rejects_5m"
                  "   FROM radius_logs l, bounds"
                  "   WHERE l.at >= bounds.last - interval '59 minutes'"
                  "   AND l.event IN ('accept', 'reject') AND " +
                  log_scope +
                  "   GROUP BY 1)"
                  " SELECT extract(epoch FROM g)::bigint, COALESCE(m.accepts, 0),"
                  "  COALESCE(m.rejects, 0), COALESCE(m.accepts_5m, 0), COALESCE(m.rejects_5m, 0)"
                  " FROM bounds, generate_series(bounds.last - interval '59 minutes', bounds.last,"
                  "  interval '1 minute') g LEFT JOIN m ON m.minute = g ORDER BY g")) {
        per_minute.push_back(
            {{"at", iso(r[0])}, {"accepts", r[1].as<int64_t>()}, {"rejects", r[2].as<int64_t>()}});
        accepts_5m += r[3].as<int64_t>();
        rejects_5m += r[4].as<int64_t>();
    }
    out["auth"] = {
        {"accepts_5m", accepts_5m}, {"rejects_5m", rejects_5m}, {"per_minute", per_minute}};

    // A day of rejects: the range scan of radius_logs_at covers every event of 24 hours, the
    // dearest figure here (docs/api.md).
    json reasons = json::array();
    for (const auto& r :
         txn.exec("SELECT l.reason, count(*) FROM radius_logs l"
                  " WHERE l.at >= now() - interval '24 hours' AND l.event = 'reject' AND " +
                  log_scope + " GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10"))
        reasons.push_back({{"reason", r[0].as<std::string>()}, {"count", r[1].as<int64_t>()}});
    out["rejects_by_reason_24h"] = reasons;

    out["accounting"] = {{"interims_5m", txn.exec1("SELECT count(*) FROM radius_logs l"
                                                   " WHERE l.at >= now() - interval '5 minutes'"
                                                   " AND l.event = 'acct-interim' AND " +
                                                   log_scope)[0]
                                             .as<int64_t>()}};

    // Expired: enabled but past expires_at (the policy refuses them or walls them off).
    auto subs = txn.exec1(
        "SELECT count(*),"
        " count(*) FILTER (WHERE s.enabled AND (s.expires_at IS NULL OR s.expires_at > now())),"
        " count(*) FILTER (WHERE NOT s.enabled),"
        " count(*) FILTER (WHERE s.enabled AND s.expires_at <= now())"
        " FROM subscribers s WHERE " +
        subscriberScopeSql(caller, "s"));
    out["subscribers"] = {{"total", subs[0].as<int64_t>()},
                          {"active", subs[1].as<int64_t>()},
                          {"disabled", subs[2].as<int64_t>()},
                          {"expired", subs[3].as<int64_t>()}};

    // Online: at least one open session, matched as above.
    auto nas = txn.exec1(
        "SELECT count(*), count(*) FILTER (WHERE EXISTS (SELECT 1 FROM radacct a"
        "  WHERE a.acctstoptime IS NULL"
        "  AND (a.nas_id = n.id OR (a.nas_id IS NULL AND a.nasipaddress = n.ip))))"
        " FROM nas_devices n WHERE " +
        nasScopeSql(caller, "n"));
    out["nas"] = {{"total", nas[0].as<int64_t>()}, {"online", nas[1].as<int64_t>()}};
    txn.commit();
    return HttpResponse::json(200, out);
}

}  // namespace

void addDashboardRoutes(Router& router, const AuthDeps& auth) {
    auto s = std::make_shared<DashboardState>();
    s->db = auth.db;
    s->auth = makeAuthenticator(auth);
    router.add("GET", "/api/v1/dashboard", "The dashboard's figures (dashboard.view)",
               [s](const HttpRequest& req) { return dashboardRoute(*s, req); });
}

}  // namespace gatehouse::api
