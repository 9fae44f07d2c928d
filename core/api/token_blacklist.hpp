#pragma once
// Logout: a revoked token's jti is kept in Redis until the token would have expired anyway
// (SET <prefix>revoked:<jti> 1 EX <seconds left>), so the blacklist never outgrows the set of
// live tokens.
//
// Redis down: isRevoked() returns the RedisError and the API answers 503 Service Unavailable
// (with Retry-After: 5), never "not revoked": a logged-out token must not come back to life
// because Redis restarted or is unreachable (fail closed). revoke() failing makes logout answer
// 503 too, so the client knows the token is still live. The RADIUS roles never call this.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/api/jwt.hpp"
#include "core/store/redis_client.hpp"
#include "core/util/expected.hpp"

namespace gatehouse::api {

enum class BlacklistErrorCode {
    kBadJti,  // not 32 lowercase hex digits (never a token we signed)
    kRedis,   // Redis unreachable, timed out or answered an error: the API answers 503
};

struct BlacklistError {
    BlacklistErrorCode code;
    std::string message;
};

class TokenBlacklist {
  public:
    /// key_prefix namespaces the keys ("gh:" in production; tests use their own).
    explicit TokenBlacklist(store::RedisClient& redis, std::string key_prefix = "gh:");

    /// Revokes until expires_at (unix seconds). A token already expired at `now` needs no
    /// entry: verifyJwt refuses it anyway.
    Expected<void, BlacklistError> revoke(std::string_view jti, int64_t expires_at, int64_t now);
    Expected<void, BlacklistError> revoke(const JwtClaims& claims, int64_t now) {
        return revoke(claims.jti, claims.exp, now);
    }

    Expected<bool, BlacklistError> isRevoked(std::string_view jti);

    std::string keyFor(std::string_view jti) const {
        return prefix_ + "revoked:" + std::string(jti);
    }

  private:
    store::RedisClient& redis_;
    const std::string prefix_;
};

}  // namespace gatehouse::api
