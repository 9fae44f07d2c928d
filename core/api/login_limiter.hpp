#pragma once
// Login rate limits, counted in Redis so every api node shares them: a fixed window per client
// address and one per username. Each attempt is counted before the password is checked (so
// concurrent guesses cannot slip past a check-then-count race), in one Lua script (atomic).
// A refused attempt answers 429 with Retry-After: retry_after (RFC 6585 4, RFC 9110 10.2.3).
//
// Keys: <prefix>rl:ip:<v4 address | v6 /64 prefix> and <prefix>rl:user:<sha256 hex of the
// lower-cased username>, each expiring with its window. IPv6 clients are counted per /64: one
// subscriber line gets a whole /64, so counting single addresses would not limit anybody.
//
// Redis down: attempt() returns the error and the API answers 503 (fail closed): without the
// counters, password guessing would be unlimited. docs/api-auth.md.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/store/redis_client.hpp"
#include "core/util/expected.hpp"

namespace gatehouse::api {

struct LoginLimits {
    // ProxPanel's pages name the Redis counters but no numbers; these follow OWASP's
    // authentication guidance: a person mistypes a few times, a script tries thousands.
    uint32_t per_ip = 10;
    std::chrono::seconds ip_window{60};
    uint32_t per_user = 5;
    std::chrono::seconds user_window{15 * 60};
};

struct LoginDecision {
    enum class LimitedBy { kNone, kIp, kUser };
    bool allowed = true;
    std::chrono::seconds retry_after{0};  // > 0 and <= the window when refused
    LimitedBy limited_by = LimitedBy::kNone;
};

enum class LimiterErrorCode {
    kBadAddress,  // the client address is not an IPv4/IPv6 literal
    kRedis,       // Redis unreachable, timed out or answered an error: the API answers 503
};

struct LimiterError {
    LimiterErrorCode code;
    std::string message;
};

class LoginLimiter {
  public:
    /// Throws std::invalid_argument on a zero limit or a window under one second (startup).
    LoginLimiter(store::RedisClient& redis, LoginLimits limits = {},
                 std::string key_prefix = "gh:");

    /// Counts one login attempt from `client_ip` for `username`. The per-user counter is only
    /// touched when the address is within its limit, so a blocked address adds nothing to it.
    Expected<LoginDecision, LimiterError> attempt(std::string_view client_ip,
                                                  std::string_view username);

    /// After a correct password: the username's counter starts over (the address's does not,
    /// or one valid account would let an address guess the others' passwords forever).
    Expected<void, LimiterError> succeeded(std::string_view username);

    Expected<std::string, LimiterError> ipKey(std::string_view client_ip) const;
    std::string userKey(std::string_view username) const;

  private:
    store::RedisClient& redis_;
    const LoginLimits limits_;
    const std::string prefix_;
};

}  // namespace gatehouse::api
