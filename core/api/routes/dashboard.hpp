#pragma once
// /api/v1/dashboard: the figures of the panel's first page, from open sessions (radacct),
// radius_logs, subscribers and nas_devices, in the caller's scope (docs/api.md "Pools, logs,
// dashboard, settings", with what each figure costs).
#include "core/api/http.hpp"
#include "core/api/routes/auth.hpp"

namespace gatehouse::api {

/// Adds the route; it uses the auth group's database and authenticator.
void addDashboardRoutes(Router& router, const AuthDeps& auth);

}  // namespace gatehouse::api
