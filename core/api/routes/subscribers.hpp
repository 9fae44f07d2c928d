#pragma once
// /api/v1/subscribers: list and search, one subscriber with its open sessions and usage,
// create, change, delete, bulk enable/disable (docs/api.md "Subscribers, sessions and usage").
// Writes go through store::addSubscriber / updateSubscriber / deleteSubscriber inside the
// route's transaction, so the session change jobs (plan, disabled: docs/coa.md) and the audit
// row commit with the change.
#include <memory>
#include <optional>

#include "core/api/authenticator.hpp"
#include "core/api/http.hpp"
#include "core/api/routes/auth.hpp"
#include "core/crypto/secret_box.hpp"
#include "core/store/pg_pool.hpp"

namespace gatehouse::api {

struct SubscriberDeps {
    store::PgPool* db = nullptr;           // null: the auth group's
    std::shared_ptr<Authenticator> auth;   // null: makeAuthenticator(the auth group's deps)
    std::optional<crypto::SecretBox> box;  // seals passwords (the key file's); none: a
                                           // create or password change answers 503
};

/// Adds the routes. Without a database or Redis they are still listed and answer 503.
void addSubscriberRoutes(Router& router, SubscriberDeps deps, const AuthDeps& auth);

}  // namespace gatehouse::api
