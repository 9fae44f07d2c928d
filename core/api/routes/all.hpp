#pragma once
// Every route group of the admin API in one Router: `gatehouse serve --roles api` serves it,
// and tests/unit/api/openapi_test.cpp compares it with docs/api/openapi.yaml.
#include "core/api/http.hpp"
#include "core/api/routes/audit.hpp"
#include "core/api/routes/auth.hpp"
#include "core/api/routes/health.hpp"
#include "core/api/routes/nas.hpp"
#include "core/api/routes/policies.hpp"  // and resellers
#include "core/api/routes/pools.hpp"     // and radius_logs, dashboard, settings
#include "core/api/routes/services.hpp"
#include "core/api/routes/sessions.hpp"
#include "core/api/routes/subscribers.hpp"

namespace gatehouse::api {

/// What the route groups need. Each member can be default-constructed (no database, no Redis)
/// so the OpenAPI check builds the real router without any server.
struct ApiDeps {
    HealthDeps health;
    AuthDeps auth;
    NasDeps nas;           // .db and .auth: the auth group's when unset; .box: the key file's
    ServiceDeps services;  // .db and .auth: the auth group's when unset
    // .db and .auth: the auth group's when unset; subscribers.box: the key file's SecretBox.
    SubscriberDeps subscribers;
    SessionDeps sessions;
    PolicyDeps policies;  // .db and .auth: the auth group's when unset; .live: the radius role's
};

Router buildRouter(const ApiDeps& deps);

}  // namespace gatehouse::api
