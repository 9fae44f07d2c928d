#pragma once
// /api/v1/logs: the RADIUS log (radius_logs, written by core/store/log_writer.*), newest first,
// with filters (docs/api.md "Pools, logs, dashboard, settings").
#include <cstdint>
#include <string>

#include <pqxx/transaction_base>

#include "core/api/http.hpp"
#include "core/api/routes/auth.hpp"

namespace gatehouse::api {

/// Past this many matching rows the list stops counting: "total" is this and "total_capped"
/// true, so paging through a big table does not count all of it on every page.
inline constexpr int64_t kLogTotalCap = 10000;

/// ?from= / ?to= of the log: an RFC 3339 instant ("2026-11-21T10:00:00Z",
/// "2026-11-21T12:00:00.5+02:00") or what timeBoundSql takes (a day in the ISP's time zone). A
/// SQL timestamptz expression; 400 naming `name` otherwise.
std::string logTimeSql(pqxx::transaction_base& txn, const std::string& name,
                       const std::string& text, bool upper);

/// Adds the route; it uses the auth group's database and authenticator.
void addRadiusLogRoutes(Router& router, const AuthDeps& auth);

}  // namespace gatehouse::api
