#pragma once
// /api/v1/resellers: the ISP's resellers and the NAS rows assigned to each (reseller_nas), the
// scope every reseller admin's view is cut to (docs/api.md "Policies and resellers"). A reseller
// admin sees its own row only and changes nothing here: resellers are the ISP's to define.
#include "core/api/http.hpp"
#include "core/api/routes/auth.hpp"

namespace gatehouse::api {

/// The database and the authenticator are the auth group's (auth_deps.shared_authenticator when
/// set); without them the routes are listed and answer 503 (the OpenAPI check).
void addResellerRoutes(Router& router, const AuthDeps& auth_deps);

}  // namespace gatehouse::api
