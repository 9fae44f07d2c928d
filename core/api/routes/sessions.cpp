#include "core/api/routes/sessions.hpp"

#include <fmt/core.h>

#include <chrono>
#include <pqxx/pqxx>
#include <string>

#include "core/api/audit.hpp"
#include "core/api/permissions.hpp"
#include "core/api/routes/subscriber_support.hpp"
#include "core/api/routes/time_bounds.hpp"
#include "core/store/coa_outbox_repository.hpp"
#include "core/store/open_sessions.hpp"

namespace gatehouse::api {

namespace {

using nlohmann::json;
using namespace routes;

// As `gatehouse session disconnect` (core/app/session_command.cpp): a Disconnect nobody could
// deliver within five minutes is stale; the operator looks again rather than have it land later.
constexpr std::chrono::seconds kDisconnectLifetime{300};

struct SessionState {
    store::PgPool* db = nullptr;
    std::shared_ptr<Authenticator> auth;

    Caller authenticate(const HttpRequest& req) {
        if (!auth || db == nullptr)
            throw unavailable("the session routes are not configured (no database or Redis)", 5);
        return auth->authenticate(req);
    }
};

HttpResponse listRoute(SessionState& s, const HttpRequest& req) {
    const Caller caller = s.authenticate(req);
    caller.require("sessions.view");
    const PageRequest page = pageRequest(req);
    const std::string state = req.queryOr("state", "open");
    if (state != "open" && state != "closed" && state != "all")
        throw ApiError::invalid("state", "state must be open, closed or all");
    const std::string username = req.queryOr("username");
    const int64_t nas_id = intQuery(req, "nas_id", 0, 1, INT64_MAX);
    const int64_t subscriber_id = intQuery(req, "subscriber_id", 0, 1, INT64_MAX);

    auto lease = s.db->acquire();
    pqxx::read_transaction txn(*lease);
    std::string where = " WHERE " + sessionScopeSql(caller, "r");
    if (state == "open")
        where += " AND r.acctstoptime IS NULL";
    else if (state == "closed")
        where += " AND r.acctstoptime IS NOT NULL";
    // By start time: radacct is partitioned on it, so a date range reads only its months.
    where += timeRangeSql(txn, req, "r.acctstarttime");
    if (!username.empty())
        where += " AND r.username = " + txn.quote(username);
    // What an operator types into the search box: part of the username, the address or the
    // MAC (Calling-Station-Id), any case.
    if (const std::string q = req.queryOr("q"); !q.empty()) {
        const std::string like = txn.quote("%" + likeEscaped(q) + "%");
        where += " AND (r.username ILIKE " + like + " OR host(r.framedipaddress) LIKE " + like +
                 " OR r.callingstationid ILIKE " + like + ")";
    }
    if (nas_id != 0)
        where += " AND " + sessionNasSql(nas_id);
    if (subscriber_id != 0)
        where += " AND r.subscriber_id = " + std::to_string(subscriber_id);

    // Counted and paged on radacct alone; the NAS is matched for the page's rows only.
    const int64_t total = txn.exec1("SELECT count(*) FROM radacct r" + where)[0].as<int64_t>();
    const std::string order = " ORDER BY r.acctstarttime DESC, r.radacctid DESC";
    const std::string page_rows = "(SELECT r.* FROM radacct r" + where + order + " LIMIT " +
                                  std::to_string(page.per_page) + " OFFSET " +
                                  std::to_string(page.offset()) + ")";
    json items = json::array();
    for (const auto& row : txn.exec(sessionSelectOf(page_rows, order)))
        items.push_back(sessionJson(row));
    txn.commit();
    return HttpResponse::json(200, pageJson(std::move(items), total, page));
}

HttpResponse disconnectRoute(SessionState& s, const HttpRequest& req) {
    const Caller caller = s.authenticate(req);
    caller.require("sessions.disconnect");
    const int64_t id = pathId(req, "session");
    auto lease = s.db->acquire();
    pqxx::work txn(*lease);
    auto rows = txn.exec(kSessionSelect + " WHERE r.radacctid = " + std::to_string(id) + " AND " +
                         sessionScopeSql(caller, "r"));
    if (rows.empty())
        throw ApiError::notFound("session not found");
    const json session = sessionJson(rows[0]);
    if (!session["online"].get<bool>())
        throw ApiError(409, "conflict", "", "the session has already ended");

    // The same lookup and identifying attributes as `gatehouse session disconnect` (RFC 5176 3:
    // User-Name, Acct-Session-Id, Framed-IP-Address, NAS-IP-Address).
    store::OpenSessionFilter filter;
    filter.username = session["username"].get<std::string>();
    filter.acct_session_id = session["acct_session_id"].get<std::string>();
    std::optional<store::OpenSession> target;
    for (auto& open : store::findOpenSessions(txn, filter))
        if (open.nas_ip == session["nas_ip"].get<std::string>())
            target = std::move(open);
    if (!target)
        throw ApiError(409, "conflict", "", "the session has already ended");
    if (!target->nas_id)
        throw ApiError(409, "conflict", "nas",
                       fmt::format("the session's NAS {} is not registered: there is nobody to "
                                   "send a Disconnect-Request to",
                                   target->nas_ip));
    store::CoaEnqueue in;
    in.nas_id = *target->nas_id;
    in.subscriber_id = target->subscriber_id;
    in.username = target->username;
    in.acct_session_id = target->acct_session_id;
    in.kind = "disconnect";
    in.attributes = store::identifySession(*target);
    in.reason = "operator";
    in.lifetime = kDisconnectLifetime;
    auto queued = store::enqueueCoa(txn, in);
    if (!queued)
        throwStoreError(queued.error());
    recordAudit(txn, caller, "disconnect", "session", std::to_string(id), session,
                {{"coa_request_id", *queued}, {"kind", "disconnect"}, {"nas", target->nas_name}});
    txn.commit();
    // 202: queued, not yet done. The jobs leader's CoA sender delivers it (docs/coa.md); the
    // session leaves the online list with the NAS's Accounting-Stop.
    return HttpResponse::json(202, {{"coa_request_id", *queued},
                                    {"session_id", id},
                                    {"status", "pending"},
                                    {"nas", target->nas_name}});
}

HttpResponse usageRoute(SessionState& s, const HttpRequest& req) {
    const Caller caller = s.authenticate(req);
    caller.require("sessions.view");
    const int64_t id = pathId(req, "subscriber");
    const int64_t days = intQuery(req, "days", 30, 1, 366);
    const int64_t months = intQuery(req, "months", 12, 1, 36);
    auto lease = s.db->acquire();
    pqxx::read_transaction txn(*lease);
    ensureSubscriberVisible(txn, caller, id);
    const std::string tz = ispTimezone(txn);

    // Every day and month of the range, oldest first, zero where nothing was used: the panel
    // draws them as they come.
    auto rowJson = [](const pqxx::row& r, const char* key) {
        const int64_t up = r[1].as<int64_t>();
        const int64_t down = r[2].as<int64_t>();
        return json{{key, r[0].as<std::string>()},
                    {"upload", up},
                    {"download", down},
                    {"total", up + down}};
    };
    json daily = json::array();
    for (const auto& r : txn.exec_params(
             "WITH today AS (SELECT (now() AT TIME ZONE $2)::date AS d)"
             " SELECT g::date::text, COALESCE(u.upload, 0), COALESCE(u.download, 0)"
             " FROM today, generate_series(today.d - ($3 - 1), today.d, interval '1 day') g"
             " LEFT JOIN subscriber_usage_daily u ON u.subscriber_id = $1 AND u.day = g::date"
             " ORDER BY g",
             id, tz, static_cast<int>(days)))
        daily.push_back(rowJson(r, "day"));
    json monthly = json::array();
    for (const auto& r : txn.exec_params(
             "WITH this AS (SELECT date_trunc('month', now() AT TIME ZONE $2) AS m)"
             " SELECT g::date::text, COALESCE(u.upload, 0), COALESCE(u.download, 0)"
             " FROM this, generate_series(this.m - ($3 - 1) * interval '1 month', this.m,"
             "  interval '1 month') g"
             " LEFT JOIN subscriber_usage_monthly u ON u.subscriber_id = $1"
             "  AND u.month = g::date ORDER BY g",
             id, tz, static_cast<int>(months)))
        monthly.push_back(rowJson(r, "month"));
    txn.commit();
    return HttpResponse::json(
        200, {{"subscriber_id", id}, {"timezone", tz}, {"days", daily}, {"months", monthly}});
}

}  // namespace

void addSessionRoutes(Router& router, SessionDeps deps, const AuthDeps& auth) {
    auto s = std::make_shared<SessionState>();
    s->db = deps.db != nullptr ? deps.db : auth.db;
    s->auth = deps.auth ? deps.auth : makeAuthenticator(auth);
    auto bind = [s](HttpResponse (*fn)(SessionState&, const HttpRequest&)) {
        return [s, fn](const HttpRequest& req) { return fn(*s, req); };
    };
    router.add("GET", "/api/v1/sessions", "Online sessions, or the history (sessions.view)",
               bind(listRoute));
    router.add("POST", "/api/v1/sessions/{id}/disconnect",
               "Queue a Disconnect-Request for an open session (sessions.disconnect)",
               bind(disconnectRoute));
    router.add("GET", "/api/v1/subscribers/{id}/usage",
               "A subscriber's daily and monthly usage (sessions.view)", bind(usageRoute));
}

}  // namespace gatehouse::api
