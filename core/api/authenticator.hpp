#pragma once
// From an HttpRequest to a Caller (docs/api-auth.md "Authenticating a request"):
//   Authorization: Bearer <jwt> -> verifyJwt (typ access) -> blacklist (Redis) -> admin row
//   (enabled, session_version == the token's sv) -> Caller.
// 401 "unauthorized" with WWW-Authenticate: Bearer (RFC 6750 3) for a missing, malformed, bad,
// expired or revoked token and for a disabled/deleted admin or an old sv; 503 "unavailable"
// with Retry-After: 5 when Redis cannot answer (fail closed: a revoked token must not come
// back to life because Redis is down).
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "core/api/http.hpp"
#include "core/api/jwt.hpp"
#include "core/api/permissions.hpp"
#include "core/api/token_blacklist.hpp"
#include "core/store/pg_pool.hpp"

namespace gatehouse::api {

using Clock = std::function<int64_t()>;  // unix seconds
int64_t systemNow();

/// ApiError 401 "unauthorized" with the WWW-Authenticate header.
ApiError unauthorized(const std::string& message);
/// ApiError 503 "unavailable" with Retry-After.
ApiError unavailable(const std::string& message, int retry_after_seconds);

class Authenticator {
  public:
    /// `cache_ttl`: how long an admin row (enabled, session_version, role) is reused before it is
    /// read again. A few seconds saves a query per request; a change made on another api node
    /// (disable, password, "log out everywhere") takes effect there at most that much later.
    /// This node's own changes call forget() and take effect at once. 0 disables the cache.
    /// `redis_prefix` namespaces the blacklist keys ("gh:" in production).
    Authenticator(store::PgPool& db, store::RedisClient& redis, std::string redis_prefix,
                  std::string jwt_key, Clock clock,
                  std::chrono::milliseconds cache_ttl = std::chrono::seconds(3));

    /// Throws ApiError 401/503 (see the header comment).
    Caller authenticate(const HttpRequest& request);

    /// The Caller for verified claims (access or refresh), reading the row without the cache.
    /// 401 when the admin is gone, disabled, or sv is not the row's session_version.
    Caller callerFor(const JwtClaims& claims, const std::string& peer_ip);

    void forget(int64_t admin_id);

    const std::string& key() const { return jwt_key_; }
    TokenBlacklist& blacklist() { return blacklist_; }
    store::PgPool& db() { return db_; }
    int64_t now() const { return clock_(); }

  private:
    struct CachedAdmin {
        Caller caller;  // without jti/exp/peer_ip
        bool enabled = false;
        std::chrono::steady_clock::time_point loaded;
    };
    CachedAdmin load(int64_t admin_id);
    Caller check(const CachedAdmin& admin, const JwtClaims& claims, const std::string& peer_ip);

    store::PgPool& db_;
    TokenBlacklist blacklist_;
    const std::string jwt_key_;
    const Clock clock_;
    const std::chrono::milliseconds cache_ttl_;
    std::mutex mutex_;
    std::map<int64_t, CachedAdmin> cache_;
};

}  // namespace gatehouse::api
