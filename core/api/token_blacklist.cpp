#include "core/api/token_blacklist.hpp"

namespace gatehouse::api {
namespace {

Unexpected<BlacklistError> fail(BlacklistErrorCode code, std::string message) {
    return unexpected(BlacklistError{code, std::move(message)});
}

// The jti becomes part of a Redis key: only the exact shape newClaims() makes is allowed.
bool isJti(std::string_view s) {
    if (s.size() != 32)
        return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    return true;
}

}  // namespace

TokenBlacklist::TokenBlacklist(store::RedisClient& redis, std::string key_prefix)
    : redis_(redis), prefix_(std::move(key_prefix)) {}

Expected<void, BlacklistError> TokenBlacklist::revoke(std::string_view jti, int64_t expires_at,
                                                      int64_t now) {
    if (!isJti(jti))
        return fail(BlacklistErrorCode::kBadJti, "jti is not 32 lowercase hex digits");
    if (expires_at <= now)
        return {};
    // EX with the seconds left rather than EXAT: the key cannot outlive the token even if this
    // node's clock and Redis's disagree, and it works on Redis before 6.2.
    const std::string ttl = std::to_string(expires_at - now);
    auto reply = redis_.command({"SET", keyFor(jti), "1", "EX", ttl});
    if (!reply)
        return fail(BlacklistErrorCode::kRedis, reply.error().message);
    if (reply->isError())
        return fail(BlacklistErrorCode::kRedis, "redis SET: " + reply->str);
    return {};
}

Expected<bool, BlacklistError> TokenBlacklist::isRevoked(std::string_view jti) {
    if (!isJti(jti))
        return fail(BlacklistErrorCode::kBadJti, "jti is not 32 lowercase hex digits");
    auto reply = redis_.command({"EXISTS", keyFor(jti)});
    if (!reply)
        return fail(BlacklistErrorCode::kRedis, reply.error().message);
    if (reply->type != store::RedisReply::Type::kInteger)
        return fail(BlacklistErrorCode::kRedis,
                    "redis EXISTS: " + (reply->isError() ? reply->str : "unexpected reply"));
    return reply->integer != 0;
}

}  // namespace gatehouse::api
