#pragma once
// /api/v1/auth/* (login, refresh, logout, me), /api/v1/admins and /api/v1/roles
// (docs/api-auth.md "Routes").
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "core/api/authenticator.hpp"
#include "core/api/http.hpp"
#include "core/api/login_limiter.hpp"
#include "core/api/password_hash.hpp"
#include "core/store/pg_pool.hpp"
#include "core/store/redis_client.hpp"

namespace gatehouse::api {

struct AuthDeps {
    store::PgPool* db = nullptr;          // required by every auth route
    store::RedisClient* redis = nullptr;  // blacklist and login counters
    std::string jwt_key;                  // loadJwtKey(key_file); at least 32 bytes
    std::string redis_prefix = "gh:";     // tests use their own
    LoginLimits limits;
    Argon2Params argon = kDefaultArgon2;  // tests pass kTestArgon2
    // Argon2 costs 64 MiB and most of a core per verification (docs/api-auth.md): beyond this
    // many at once, login answers 503 with Retry-After: 1 instead of queueing.
    size_t max_concurrent_hashes = 2;
    Clock clock;  // empty: the system clock
    std::chrono::milliseconds admin_cache_ttl{3000};
    // One authenticator for every group (buildRouter sets it), so an admin disabled or a
    // password changed through one group is seen by all at once, not after the cache's TTL.
    std::shared_ptr<Authenticator> shared_authenticator;
};

/// deps.shared_authenticator when set, else a new one (null without a database or Redis).
std::shared_ptr<Authenticator> makeAuthenticator(const AuthDeps& deps);

/// Adds the routes. With deps.db or deps.redis null (the OpenAPI check builds a router without
/// services) the routes are still listed and answer 503 "unavailable".
void addAuthRoutes(Router& router, AuthDeps deps);

}  // namespace gatehouse::api
