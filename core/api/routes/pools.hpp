#pragma once
// /api/v1/pools: IP pools with how full each is, the addresses in use, and create/redefine/delete
// through the same store operations as `gatehouse pool` (core/store/ipam_repository.hpp;
// docs/api.md "Pools, logs, dashboard, settings").
#include "core/api/http.hpp"
#include "core/api/routes/auth.hpp"
#include "core/api/routes/dashboard.hpp"
#include "core/api/routes/radius_logs.hpp"
#include "core/api/routes/settings.hpp"

namespace gatehouse::api {

/// Adds the routes; they use the auth group's database and authenticator. Without a database or
/// Redis they are still listed and answer 503.
void addPoolRoutes(Router& router, const AuthDeps& auth);

/// Pools, RADIUS logs, dashboard and settings in one call, so core/api/routes/all.cpp registers
/// these four groups with one line.
void addPoolLogDashboardSettingRoutes(Router& router, const AuthDeps& auth);

}  // namespace gatehouse::api
