#include "core/api/login_limiter.hpp"

#include <arpa/inet.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "core/util/bytes.hpp"

namespace gatehouse::api {
namespace {

// KEYS[1] address counter, KEYS[2] username counter;
// ARGV: address limit, address window (ms), username limit, username window (ms).
// Returns {0, 0} (allowed), {1, pttl} (address over its limit) or {2, pttl} (username).
// The expiry is set whenever the key has none, not only when INCR made it: a key that lost its
// TTL (a PERSIST, a restore) would otherwise block that user forever.
constexpr std::string_view kAttemptScript = R"lua(
local function hit(key, window)
  local n = redis.call('INCR', key)
  local ttl = redis.call('PTTL', key)
  if ttl < 0 then
    redis.call('PEXPIRE', key, window)
    ttl = tonumber(window)
  end
  return n, ttl
end
local n, ttl = hit(KEYS[1], ARGV[2])
if n > tonumber(ARGV[1]) then return {1, ttl} end
n, ttl = hit(KEYS[2], ARGV[4])
if n > tonumber(ARGV[3]) then return {2, ttl} end
return {0, 0}
)lua";

Unexpected<LimiterError> fail(LimiterErrorCode code, std::string message) {
    return unexpected(LimiterError{code, std::move(message)});
}

std::string digestHex(const EVP_MD* md, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), out, &len, md, nullptr);
    return toHex(ByteSpan(out, len));
}

const std::string& scriptSha1() {
    static const std::string sha = digestHex(EVP_sha1(), kAttemptScript);
    return sha;
}

}  // namespace

LoginLimiter::LoginLimiter(store::RedisClient& redis, LoginLimits limits, std::string key_prefix)
    : redis_(redis), limits_(limits), prefix_(std::move(key_prefix)) {
    if (limits_.per_ip == 0 || limits_.per_user == 0)
        throw std::invalid_argument("login limits must allow at least one attempt");
    if (limits_.ip_window.count() < 1 || limits_.user_window.count() < 1)
        throw std::invalid_argument("login limit windows must be at least one second");
}

Expected<std::string, LimiterError> LoginLimiter::ipKey(std::string_view client_ip) const {
    const std::string ip(client_ip);
    in_addr v4{};
    if (inet_pton(AF_INET, ip.c_str(), &v4) == 1) {
        char text[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &v4, text, sizeof text);
        return prefix_ + "rl:ip:" + text;
    }
    in6_addr v6{};
    if (inet_pton(AF_INET6, ip.c_str(), &v6) != 1)
        return fail(LimiterErrorCode::kBadAddress, "client address is not an IP literal");
    const uint8_t* b = v6.s6_addr;
    static constexpr uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(b, kMappedPrefix, sizeof kMappedPrefix) == 0) {
        // ::ffff:a.b.c.d is an IPv4 client on a dual-stack socket: count it as that address.
        char text[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, b + 12, text, sizeof text);
        return prefix_ + "rl:ip:" + text;
    }
    return prefix_ + "rl:ip:" + toHex(ByteSpan(b, 8)) + "/64";
}

std::string LoginLimiter::userKey(std::string_view username) const {
    std::string lower(username);
    for (char& c : lower)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return prefix_ + "rl:user:" + digestHex(EVP_sha256(), lower);
}

Expected<LoginDecision, LimiterError> LoginLimiter::attempt(std::string_view client_ip,
                                                            std::string_view username) {
    auto ip_key = ipKey(client_ip);
    if (!ip_key)
        return unexpected(ip_key.error());
    const std::vector<std::string> args{"EVALSHA",
                                        scriptSha1(),
                                        "2",
                                        *ip_key,
                                        userKey(username),
                                        std::to_string(limits_.per_ip),
                                        std::to_string(limits_.ip_window.count() * 1000),
                                        std::to_string(limits_.per_user),
                                        std::to_string(limits_.user_window.count() * 1000)};
    auto reply = redis_.command(args);
    // NOSCRIPT: this Redis has not seen the script yet (new server, SCRIPT FLUSH); EVAL loads it.
    if (reply && reply->isError() && reply->str.rfind("NOSCRIPT", 0) == 0) {
        auto eval_args = args;
        eval_args[0] = "EVAL";
        eval_args[1] = std::string(kAttemptScript);
        reply = redis_.command(eval_args);
    }
    if (!reply)
        return fail(LimiterErrorCode::kRedis, reply.error().message);
    if (reply->isError())
        return fail(LimiterErrorCode::kRedis, "redis EVAL: " + reply->str);
    if (reply->type != store::RedisReply::Type::kArray || reply->elements.size() != 2 ||
        reply->elements[0].type != store::RedisReply::Type::kInteger ||
        reply->elements[1].type != store::RedisReply::Type::kInteger)
        return fail(LimiterErrorCode::kRedis, "redis EVAL: unexpected reply");
    LoginDecision decision;
    const int64_t which = reply->elements[0].integer;
    if (which == 0)
        return decision;
    decision.allowed = false;
    decision.limited_by =
        which == 1 ? LoginDecision::LimitedBy::kIp : LoginDecision::LimitedBy::kUser;
    // Round up: a Retry-After of 0 would invite an immediate retry that is refused again.
    const int64_t ms = std::max<int64_t>(reply->elements[1].integer, 1);
    decision.retry_after = std::chrono::seconds((ms + 999) / 1000);
    return decision;
}

Expected<void, LimiterError> LoginLimiter::succeeded(std::string_view username) {
    auto reply = redis_.command({"DEL", userKey(username)});
    if (!reply)
        return fail(LimiterErrorCode::kRedis, reply.error().message);
    if (reply->isError())
        return fail(LimiterErrorCode::kRedis, "redis DEL: " + reply->str);
    return {};
}

}  // namespace gatehouse::api
