#pragma once
// /api/v1/logs: the RADIUS log (radius_logs, written by core/store/log_writer.*), newest first,
// with filters (docs/api.md "Pools, logs, dashboard, settings").
#include <cstdint>

#include "core/api/http.hpp"
#include "core/api/routes/auth.hpp"

namespace gatehouse::api {

/// Past this many matching rows the list stops counting: "total" is this and "total_capped"
/// true, so paging through a big table does not count all of it on every page.
inline constexpr int64_t kLogTotalCap = 10000;

/// Adds the route; it uses the auth group's database and authenticator.
void addRadiusLogRoutes(Router& router, const AuthDeps& auth);

}  // namespace gatehouse::api
