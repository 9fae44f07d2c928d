#pragma once
// /api/v1/sessions (online now and history from radacct), Disconnect through the CoA outbox,
// and a subscriber's daily and monthly usage (docs/api.md "Subscribers, sessions and usage").
#include <memory>

#include "core/api/authenticator.hpp"
#include "core/api/http.hpp"
#include "core/api/routes/auth.hpp"
#include "core/store/pg_pool.hpp"

namespace gatehouse::api {

struct SessionDeps {
    store::PgPool* db = nullptr;          // null: the auth group's
    std::shared_ptr<Authenticator> auth;  // null: makeAuthenticator(the auth group's deps)
};

/// Adds the routes. Without a database or Redis they are still listed and answer 503.
void addSessionRoutes(Router& router, SessionDeps deps, const AuthDeps& auth);

}  // namespace gatehouse::api
