#include "core/api/authenticator.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <pqxx/pqxx>

#include "core/api/admin_repository.hpp"

namespace gatehouse::api {

namespace {

constexpr size_t kMaxCachedAdmins = 1024;

std::optional<int64_t> parseId(std::string_view text) {
    int64_t id = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc() || end != text.data() + text.size() || id <= 0)
        return std::nullopt;
    return id;
}

}  // namespace

int64_t systemNow() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

ApiError unauthorized(const std::string& message) {
    ApiError e(401, "unauthorized", "", message);
    e.headers.emplace_back("WWW-Authenticate", "Bearer");
    return e;
}

ApiError unavailable(const std::string& message, int retry_after_seconds) {
    ApiError e(503, "unavailable", "", message);
    e.headers.emplace_back("Retry-After", std::to_string(retry_after_seconds));
    return e;
}

Authenticator::Authenticator(store::PgPool& db, store::RedisClient& redis, std::string redis_prefix,
                             std::string jwt_key, Clock clock, std::chrono::milliseconds cache_ttl)
    : db_(db),
      blacklist_(redis, std::move(redis_prefix)),
      jwt_key_(std::move(jwt_key)),
      clock_(clock ? std::move(clock) : Clock(systemNow)),
      cache_ttl_(cache_ttl) {}

Authenticator::CachedAdmin Authenticator::load(int64_t admin_id) {
    auto lease = db_.acquire();
    pqxx::work txn(*lease);
    auto row = getAdmin(txn, admin_id);
    txn.commit();
    if (!row) {
        if (row.error().kind == store::StoreErrorKind::kNotFound)
            throw unauthorized("the admin of this token no longer exists");
        throw std::runtime_error(store::describe(row.error()));
    }
    CachedAdmin out;
    out.caller.admin_id = row->id;
    out.caller.username = row->username;
    out.caller.role = row->role;
    out.caller.permissions = row->permissions;
    out.caller.reseller_id = row->reseller_id;
    out.caller.session_version = row->session_version;
    out.enabled = row->enabled;
    out.loaded = std::chrono::steady_clock::now();
    return out;
}

Caller Authenticator::check(const CachedAdmin& admin, const JwtClaims& claims,
                            const std::string& peer_ip) {
    if (!admin.enabled)
        throw unauthorized("this admin account is disabled");
    if (!claims.sv || *claims.sv != admin.caller.session_version)
        throw unauthorized("this token was revoked (signed out everywhere or password changed)");
    Caller caller = admin.caller;
    caller.jti = claims.jti;
    caller.exp = claims.exp;
    caller.peer_ip = peer_ip;
    return caller;
}

Caller Authenticator::callerFor(const JwtClaims& claims, const std::string& peer_ip) {
    auto id = parseId(claims.sub);
    if (!id)
        throw unauthorized("malformed token subject");
    return check(load(*id), claims, peer_ip);
}

void Authenticator::forget(int64_t admin_id) {
    std::lock_guard lock(mutex_);
    cache_.erase(admin_id);
}

Caller Authenticator::authenticate(const HttpRequest& request) {
    const std::string header = request.header("authorization");
    constexpr std::string_view kScheme = "Bearer ";
    // RFC 6750 2.1; the scheme name is case-insensitive (RFC 9110 11.1).
    if (header.size() <= kScheme.size() ||
        !std::equal(kScheme.begin(), kScheme.end(), header.begin(),
                    [](char a, char b) { return std::tolower(a) == std::tolower(b); }))
        throw unauthorized("an Authorization: Bearer token is required");
    const std::string_view token = std::string_view(header).substr(kScheme.size());
    auto claims = verifyJwt(token, jwt_key_, clock_(), TokenType::kAccess);
    if (!claims)
        throw unauthorized(claims.error().code == JwtErrorCode::kExpired
                               ? "the access token has expired"
                               : "invalid access token");
    auto revoked = blacklist_.isRevoked(claims->jti);
    if (!revoked)
        throw unavailable("the token store (Redis) is unavailable", 5);
    if (*revoked)
        throw unauthorized("this token was revoked (logged out)");
    auto id = parseId(claims->sub);
    if (!id)
        throw unauthorized("malformed token subject");

    const auto now = std::chrono::steady_clock::now();
    if (cache_ttl_.count() > 0) {
        std::unique_lock lock(mutex_);
        auto it = cache_.find(*id);
        if (it != cache_.end() && now - it->second.loaded < cache_ttl_) {
            CachedAdmin copy = it->second;
            lock.unlock();
            return check(copy, *claims, request.peer_ip);
        }
    }
    CachedAdmin fresh = load(*id);
    if (cache_ttl_.count() > 0) {
        std::lock_guard lock(mutex_);
        if (cache_.size() >= kMaxCachedAdmins)
            cache_.clear();  // crude but bounded: admins are few; this never happens in practice
        cache_[*id] = fresh;
    }
    return check(fresh, *claims, request.peer_ip);
}

}  // namespace gatehouse::api
