#pragma once
// /api/v1/audit: the audit log (who changed what, when, from where, before and after), newest
// first, filtered by admin, resource, action and time (docs/api.md "Audit log").
#include "core/api/http.hpp"
#include "core/api/routes/auth.hpp"

namespace gatehouse::api {

/// Adds the route (admins.view). A reseller's admins see only what their reseller's admins did.
/// Without a database or Redis it is still listed and answers 503.
void addAuditRoutes(Router& router, const AuthDeps& auth);

}  // namespace gatehouse::api
