#pragma once
// /api/v1/services: service plans and their FUP tiers (docs/api.md "Services"). Creation goes
// through the store the CLI uses (`gatehouse service add`); a service is deleted only while no
// subscriber uses it.
#include <memory>

#include "core/api/authenticator.hpp"
#include "core/api/http.hpp"
#include "core/api/routes/auth.hpp"
#include "core/store/pg_pool.hpp"

namespace gatehouse::api {

/// Both may be empty (the OpenAPI check): the routes are listed and answer 503. Left unset,
/// they are taken from the auth group.
struct ServiceDeps {
    store::PgPool* db = nullptr;
    std::shared_ptr<Authenticator> auth;  // makeAuthenticator(AuthDeps)
};

void addServiceRoutes(Router& router, ServiceDeps deps, const AuthDeps& auth_deps = {});

}  // namespace gatehouse::api
