#include "core/api/routes/radius_logs.hpp"

#include <arpa/inet.h>
#include <fmt/core.h>

#include <pqxx/pqxx>
#include <string>

#include "core/api/permissions.hpp"
#include "core/api/routes/subscriber_support.hpp"
#include "core/api/routes/time_bounds.hpp"
#include "core/store/pg_pool.hpp"

namespace gatehouse::api {

namespace {

using nlohmann::json;

struct LogState {
    store::PgPool* db = nullptr;
    std::shared_ptr<Authenticator> auth;

    Caller authenticate(const HttpRequest& req) {
        if (!auth || db == nullptr)
            throw unavailable("the log routes are not configured (no database or Redis)", 5);
        return auth->authenticate(req);
    }
};

HttpResponse listRoute(LogState& s, const HttpRequest& req) {
    const Caller caller = s.authenticate(req);
    caller.require("logs.view");
    const PageRequest page = pageRequest(req);

    auto lease = s.db->acquire();
    pqxx::read_transaction txn(*lease);
    std::string where = " WHERE TRUE";
    // A reseller reads the rows of its own subscribers' usernames; rows without a username
    // (Accounting-On/Off) are the ISP's.
    if (caller.reseller_id)
        where += " AND l.username IN (SELECT s.username FROM subscribers s WHERE " +
                 subscriberScopeSql(caller, "s") + ")";
    const std::string username = req.queryOr("username");
    if (!username.empty()) {
        // "ali*": a prefix, else the exact name (radius_logs_username serves both).
        if (username.back() == '*')
            where +=
                " AND l.username LIKE " +
                txn.quote(likeEscaped(std::string_view(username).substr(0, username.size() - 1)) +
                          "%");
        else
            where += " AND l.username = " + txn.quote(username);
    }
    const std::string nas_ip = req.queryOr("nas_ip");
    if (!nas_ip.empty()) {
        unsigned char buf[16];
        if (inet_pton(AF_INET, nas_ip.c_str(), buf) != 1 &&
            inet_pton(AF_INET6, nas_ip.c_str(), buf) != 1)
            throw ApiError::invalid("nas_ip", "nas_ip must be an IP address");
        where += " AND l.nas_ip = " + txn.quote(nas_ip) + "::inet";
    }
    const std::string event = req.queryOr("event");
    if (!event.empty())
        where += " AND l.event = " + txn.quote(event);
    const std::string reason = req.queryOr("reason");
    if (!reason.empty())
        where += " AND l.reason ILIKE " + txn.quote("%" + likeEscaped(reason) + "%");
    where += timeRangeSql(txn, req, "l.at");

    // Counting stops one past the cap: the index on (at) feeds the LIMIT, so a table of
    // millions costs kLogTotalCap rows here, not a full count.
    const int64_t counted =
        txn.exec1(fmt::format("SELECT count(*) FROM (SELECT 1 FROM radius_logs l{} LIMIT {}) c",
                              where, kLogTotalCap + 1))[0]
            .as<int64_t>();
    const bool capped = counted > kLogTotalCap;
    json items = json::array();
    for (const auto& r : txn.exec(
             "SELECT l.id, to_char(l.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
             " l.username, host(l.nas_ip), n.name, l.event, l.reason, l.detail::text"
             " FROM radius_logs l LEFT JOIN nas_devices n ON n.ip = l.nas_ip" +
             where + " ORDER BY l.at DESC, l.id DESC LIMIT " + std::to_string(page.per_page) +
             " OFFSET " + std::to_string(page.offset()))) {
        auto text = [&](int i) {
            return r[i].is_null() ? json(nullptr) : json(r[i].as<std::string>());
        };
        json detail = nullptr;
        if (!r[7].is_null())
            detail = json::parse(r[7].as<std::string>(), nullptr, false);
        items.push_back({{"id", r[0].as<int64_t>()},
                         {"at", r[1].as<std::string>()},
                         {"username", text(2)},
                         {"nas_ip", text(3)},
                         {"nas", text(4)},
                         {"event", r[5].as<std::string>()},
                         {"reason", r[6].as<std::string>()},
                         {"detail", detail.is_discarded() ? json(nullptr) : detail}});
    }
    txn.commit();
    json out = pageJson(std::move(items), capped ? kLogTotalCap : counted, page);
    out["total_capped"] = capped;
    return HttpResponse::json(200, out);
}

}  // namespace

void addRadiusLogRoutes(Router& router, const AuthDeps& auth) {
    auto s = std::make_shared<LogState>();
    s->db = auth.db;
    s->auth = makeAuthenticator(auth);
    router.add("GET", "/api/v1/logs", "RADIUS log rows, newest first, filtered (logs.view)",
               [s](const HttpRequest& req) { return listRoute(*s, req); });
}

}  // namespace gatehouse::api
