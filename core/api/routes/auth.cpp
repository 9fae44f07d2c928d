#include "core/api/routes/auth.hpp"

#include <fmt/core.h>

#include <atomic>
#include <charconv>
#include <mutex>
#include <optional>
#include <pqxx/pqxx>
#include <set>

#include "core/api/admin_repository.hpp"
#include "core/api/audit.hpp"
#include "core/api/jwt.hpp"
#include "core/api/permissions.hpp"
#include "core/api/routes/subscriber_support.hpp"

namespace gatehouse::api {

namespace {

using nlohmann::json;

struct AuthState {
    AuthDeps deps;
    std::shared_ptr<Authenticator> auth;
    std::unique_ptr<LoginLimiter> limiter;
    std::atomic<size_t> hashing{0};
    std::once_flag dummy_once;
    std::string dummy_hash;

    Authenticator& authenticator() {
        if (!auth)
            throw unavailable("authentication is not configured (no database or Redis)", 5);
        return *auth;
    }

    // Unknown usernames are verified against this, so they cost what a known one costs and the
    // answer's timing does not tell which admin names exist (docs/api-auth.md). Made on first
    // use, with the same parameters as real hashes.
    const std::string& dummyHash() {
        std::call_once(dummy_once, [this] {
            auto h = hashPassword("gatehouse-dummy-password-never-valid", deps.argon);
            if (!h)
                throw std::runtime_error("dummy hash: " + h.error().message);
            dummy_hash = *h;
        });
        return dummy_hash;
    }
};

/// One of the few Argon2 slots, or 503 Retry-After: 1 when all are busy.
class HashSlot {
  public:
    explicit HashSlot(AuthState& s) : s_(s) {
        if (s_.hashing.fetch_add(1) >= s_.deps.max_concurrent_hashes) {
            s_.hashing.fetch_sub(1);
            throw unavailable("too many logins at once; try again in a second", 1);
        }
    }
    ~HashSlot() { s_.hashing.fetch_sub(1); }
    HashSlot(const HashSlot&) = delete;
    HashSlot& operator=(const HashSlot&) = delete;

  private:
    AuthState& s_;
};

template <class T>
T orThrow(Expected<T, store::StoreError> r) {
    if (!r)
        throwStoreError(r.error());
    return std::move(*r);
}

std::string stringField(const json& body, const char* field, size_t max_bytes) {
    auto it = body.find(field);
    if (it == body.end() || it->is_null())
        throw ApiError::invalid(field, fmt::format("{} is required", field));
    if (!it->is_string())
        throw ApiError::invalid(field, fmt::format("{} must be a string", field));
    auto value = it->get<std::string>();
    if (value.empty())
        throw ApiError::invalid(field, fmt::format("{} must not be empty", field));
    if (value.size() > max_bytes)
        throw ApiError::invalid(field, fmt::format("{} is longer than {} bytes", field, max_bytes));
    return value;
}

std::optional<int64_t> parseId(std::string_view text) {
    int64_t id = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (ec != std::errc() || end != text.data() + text.size() || id <= 0)
        return std::nullopt;
    return id;
}

/// reseller_id in a body: an integer id or null (the whole ISP).
std::optional<int64_t> resellerField(const json& value) {
    if (value.is_null())
        return std::nullopt;
    if (!value.is_number_integer() || value.get<int64_t>() <= 0)
        throw ApiError::invalid("reseller_id", "reseller_id must be a positive integer or null");
    return value.get<int64_t>();
}

json adminSummary(const AdminRow& row) {
    json j = toJson(row);
    return {{"id", j["id"]},
            {"username", j["username"]},
            {"role", j["role"]},
            {"permissions", j["permissions"]},
            {"reseller", j["reseller"]}};
}

Caller actorFor(const AdminRow& row, const std::string& peer_ip) {
    Caller c;
    c.admin_id = row.id;
    c.username = row.username;
    c.role = row.role;
    c.permissions = row.permissions;
    c.reseller_id = row.reseller_id;
    c.peer_ip = peer_ip;
    return c;
}

json issueTokens(AuthState& s, const AdminRow& row) {
    Authenticator& auth = s.authenticator();
    const int64_t now = auth.now();
    const std::string sub = std::to_string(row.id);
    auto access =
        newClaims(sub, TokenType::kAccess, now, kAccessTokenLifetime, row.session_version);
    auto refresh =
        newClaims(sub, TokenType::kRefresh, now, kRefreshTokenLifetime, row.session_version);
    if (!access || !refresh)
        throw std::runtime_error("token claims: no random bytes");
    auto access_token = signJwt(*access, auth.key());
    auto refresh_token = signJwt(*refresh, auth.key());
    if (!access_token || !refresh_token)
        throw std::runtime_error("token signing failed (key too short?)");
    return {{"access_token", *access_token},
            {"refresh_token", *refresh_token},
            {"token_type", "Bearer"},
            {"expires_in", kAccessTokenLifetime.count()},
            {"refresh_expires_in", kRefreshTokenLifetime.count()},
            {"admin", adminSummary(row)}};
}

// Failed logins go to the audit log with the username typed (never the password) in their own
// transaction: there is no change to be atomic with.
void auditFailedLogin(AuthState& s, const HttpRequest& req, const std::string& username,
                      int64_t admin_id, std::string_view reason) {
    Caller who;
    who.admin_id = admin_id;
    who.username = username.substr(0, 64);
    who.peer_ip = req.peer_ip;
    auto lease = s.authenticator().db().acquire();
    pqxx::work txn(*lease);
    recordAudit(txn, who, "login_failed", "auth", admin_id != 0 ? std::to_string(admin_id) : "",
                nullptr, {{"username", who.username}, {"reason", reason}});
    txn.commit();
}

HttpResponse login(AuthState& s, const HttpRequest& req) {
    const json body = req.jsonBody();
    onlyFields(body, {"username", "password"});
    const std::string username = stringField(body, "username", 64);
    const std::string password = stringField(body, "password", kMaxPasswordBytes);
    Authenticator& auth = s.authenticator();

    auto decision = s.limiter->attempt(req.peer_ip, username);
    if (!decision) {
        if (decision.error().code == LimiterErrorCode::kRedis)
            throw unavailable("the login rate limiter (Redis) is unavailable", 5);
        throw std::runtime_error("login limiter: " + decision.error().message);
    }
    if (!decision->allowed) {
        // RFC 6585 4; not audited: a flood would fill the table, and the counters say it all.
        ApiError e(429, "rate_limited", "", "too many login attempts; try again later");
        e.headers.emplace_back("Retry-After", std::to_string(decision->retry_after.count()));
        throw e;
    }

    HashSlot slot(s);
    std::optional<LoginRecord> record;
    {
        auto lease = auth.db().acquire();
        pqxx::work txn(*lease);
        record = findForLogin(txn, username);
        txn.commit();
    }
    bool ok = false;
    if (!record) {
        (void)verifyPassword(password, s.dummyHash());
    } else {
        auto verified = verifyPassword(password, record->password_hash);
        ok = verified && *verified;
    }
    if (!ok) {
        auditFailedLogin(s, req, username, record ? record->admin.id : 0, "bad_credentials");
        throw unauthorized("invalid username or password");
    }
    if (!record->admin.enabled) {
        // Said only after the right password: it tells nothing to someone guessing.
        auditFailedLogin(s, req, username, record->admin.id, "disabled");
        throw ApiError(403, "forbidden", "", "this admin account is disabled");
    }
    (void)s.limiter->succeeded(username);  // on a Redis error the counter simply expires

    std::optional<std::string> rehashed;
    if (auto stale = needsRehash(record->password_hash, s.deps.argon); stale && *stale) {
        if (auto h = hashPassword(password, s.deps.argon))
            rehashed = *h;
    }
    AdminRow row;
    {
        auto lease = auth.db().acquire();
        pqxx::work txn(*lease);
        recordLogin(txn, record->admin.id, req.peer_ip);
        if (rehashed)
            replaceHash(txn, record->admin.id, *rehashed);
        row = orThrow(getAdmin(txn, record->admin.id));
        recordAudit(txn, actorFor(row, req.peer_ip), "login", "auth", std::to_string(row.id),
                    nullptr, {{"username", row.username}});
        txn.commit();
    }
    return HttpResponse::json(200, issueTokens(s, row));
}

HttpResponse refresh(AuthState& s, const HttpRequest& req) {
    const json body = req.jsonBody();
    onlyFields(body, {"refresh_token"});
    const std::string token = stringField(body, "refresh_token", kMaxJwtBytes);
    Authenticator& auth = s.authenticator();
    const int64_t now = auth.now();
    auto claims = verifyJwt(token, auth.key(), now, TokenType::kRefresh);
    if (!claims)
        throw unauthorized(claims.error().code == JwtErrorCode::kExpired
                               ? "the refresh token has expired"
                               : "invalid refresh token");

    // Rotation, atomically: SET NX claims this jti for exactly one refresh. Whoever finds it
    // already taken holds a token that was used (or logged out) before: either the owner or a
    // thief is replaying it, and we cannot tell which, so every session of the admin ends.
    const std::string key = auth.blacklist().keyFor(claims->jti);
    auto claimed = s.deps.redis->command(
        {"SET", key, "1", "EX", std::to_string(std::max<int64_t>(1, claims->exp - now)), "NX"});
    if (!claimed || claimed->isError())
        throw unavailable("the token store (Redis) is unavailable", 5);
    if (claimed->type == store::RedisReply::Type::kNil) {
        if (auto id = parseId(claims->sub)) {
            auto lease = auth.db().acquire();
            pqxx::work txn(*lease);
            if (auto row = getAdmin(txn, *id); row) {
                (void)orThrow(bumpSessionVersion(txn, *id));
                recordAudit(txn, actorFor(*row, req.peer_ip), "refresh_reuse", "auth",
                            std::to_string(*id), nullptr,
                            {{"session_version_was", row->session_version}});
            }
            txn.commit();
            auth.forget(*id);
        }
        throw unauthorized("this refresh token was already used; all sessions were ended");
    }
    const Caller caller = auth.callerFor(*claims, req.peer_ip);
    AdminRow row;
    {
        auto lease = auth.db().acquire();
        pqxx::work txn(*lease);
        row = orThrow(getAdmin(txn, caller.admin_id));
        txn.commit();
    }
    return HttpResponse::json(200, issueTokens(s, row));
}

HttpResponse logout(AuthState& s, const HttpRequest& req) {
    Authenticator& auth = s.authenticator();
    const Caller caller = auth.authenticate(req);
    const json body = req.jsonBody();
    onlyFields(body, {"refresh_token", "everywhere"});
    const int64_t now = auth.now();
    if (!auth.blacklist().revoke(caller.jti, caller.exp, now))
        throw unavailable("the token store (Redis) is unavailable; you are still logged in", 5);
    if (auto it = body.find("refresh_token"); it != body.end() && !it->is_null()) {
        const std::string token = stringField(body, "refresh_token", kMaxJwtBytes);
        // Only the caller's own refresh token is revoked; a bad or foreign one changes nothing.
        auto claims = verifyJwt(token, auth.key(), now, TokenType::kRefresh);
        if (claims && claims->sub == std::to_string(caller.admin_id) &&
            !auth.blacklist().revoke(*claims, now))
            throw unavailable("the token store (Redis) is unavailable", 5);
    }
    bool everywhere = false;
    if (auto it = body.find("everywhere"); it != body.end()) {
        if (!it->is_boolean())
            throw ApiError::invalid("everywhere", "everywhere must be true or false");
        everywhere = it->get<bool>();
    }
    {
        auto lease = auth.db().acquire();
        pqxx::work txn(*lease);
        if (everywhere)
            (void)orThrow(bumpSessionVersion(txn, caller.admin_id));
        recordAudit(txn, caller, everywhere ? "logout_everywhere" : "logout", "auth",
                    std::to_string(caller.admin_id), nullptr, nullptr);
        txn.commit();
    }
    auth.forget(caller.admin_id);
    return HttpResponse::noContent();
}

HttpResponse me(AuthState& s, const HttpRequest& req) {
    Authenticator& auth = s.authenticator();
    const Caller caller = auth.authenticate(req);
    auto lease = auth.db().acquire();
    pqxx::work txn(*lease);
    auto row = orThrow(getAdmin(txn, caller.admin_id));
    txn.commit();
    return HttpResponse::json(200, {{"admin", adminSummary(row)}});
}

HttpResponse listAdminsRoute(AuthState& s, const HttpRequest& req) {
    Authenticator& auth = s.authenticator();
    const Caller caller = auth.authenticate(req);
    caller.require("admins.view");
    auto lease = auth.db().acquire();
    pqxx::work txn(*lease);
    json items = json::array();
    for (const auto& row : orThrow(listAdmins(txn, caller.reseller_id)))
        items.push_back(toJson(row));
    txn.commit();
    return HttpResponse::json(200, {{"items", items}});
}

HttpResponse getAdminRoute(AuthState& s, const HttpRequest& req) {
    Authenticator& auth = s.authenticator();
    const Caller caller = auth.authenticate(req);
    caller.require("admins.view");
    const int64_t id = pathId(req, "admin");
    auto lease = auth.db().acquire();
    pqxx::work txn(*lease);
    ensureAdminVisible(txn, caller, id);
    auto row = orThrow(getAdmin(txn, id));
    txn.commit();
    return HttpResponse::json(200, toJson(row));
}

/// Nobody grants what they do not hold: the role's permissions must be the caller's too.
void requireGrantable(pqxx::work& txn, const Caller& caller, const std::string& role_name) {
    auto role = findRole(txn, role_name);
    if (!role)
        throwStoreError(role.error());
    auto missing = caller.missing(role->permissions);
    if (!missing.empty()) {
        std::string list;
        for (const auto& p : missing)
            list += (list.empty() ? "" : ", ") + p;
        throw ApiError(
            403, "forbidden", "role",
            fmt::format("role {} grants permissions you do not have: {}", role_name, list));
    }
}

void requireOwnReseller(const Caller& caller, const std::optional<int64_t>& wanted) {
    if (caller.reseller_id && wanted != caller.reseller_id)
        throw ApiError(403, "forbidden", "reseller_id",
                       "a reseller's admin can only manage admins of its own reseller");
}

HttpResponse createAdminRoute(AuthState& s, const HttpRequest& req) {
    Authenticator& auth = s.authenticator();
    const Caller caller = auth.authenticate(req);
    caller.require("admins.create");
    const json body = req.jsonBody();
    onlyFields(body, {"username", "password", "role", "reseller_id", "enabled"});
    AdminInput in;
    in.username = stringField(body, "username", 64);
    in.password = stringField(body, "password", kMaxPasswordBytes);
    in.role = stringField(body, "role", 64);
    in.reseller_id =
        body.contains("reseller_id") ? resellerField(body["reseller_id"]) : caller.reseller_id;
    if (auto it = body.find("enabled"); it != body.end()) {
        if (!it->is_boolean())
            throw ApiError::invalid("enabled", "enabled must be true or false");
        in.enabled = it->get<bool>();
    }
    if (auto ok = validateAdminUsername(in.username); !ok)
        throwStoreError(ok.error());
    if (auto ok = validateAdminPassword(in.password); !ok)
        throwStoreError(ok.error());
    requireOwnReseller(caller, in.reseller_id);

    auto lease = auth.db().acquire();
    pqxx::work txn(*lease);
    requireGrantable(txn, caller, in.role);
    HashSlot slot(s);
    AdminRow row = orThrow(addAdmin(txn, in, s.deps.argon));
    json after = toJson(row);
    after["password"] = "set";  // masked to "***": the log shows a password was set, not which
    recordAudit(txn, caller, "create", "admin", std::to_string(row.id), nullptr, after);
    txn.commit();
    return HttpResponse::json(201, toJson(row));
}

HttpResponse updateAdminRoute(AuthState& s, const HttpRequest& req) {
    Authenticator& auth = s.authenticator();
    const Caller caller = auth.authenticate(req);
    caller.require("admins.edit");
    const int64_t id = pathId(req, "admin");
    const json body = req.jsonBody();
    onlyFields(body, {"password", "role", "reseller_id", "enabled"});
    AdminPatch patch;
    if (body.contains("password"))
        patch.password = stringField(body, "password", kMaxPasswordBytes);
    if (body.contains("role"))
        patch.role = stringField(body, "role", 64);
    if (body.contains("reseller_id"))
        patch.reseller_id = resellerField(body["reseller_id"]);
    if (auto it = body.find("enabled"); it != body.end()) {
        if (!it->is_boolean())
            throw ApiError::invalid("enabled", "enabled must be true or false");
        patch.enabled = it->get<bool>();
    }
    if (patch.password)
        if (auto ok = validateAdminPassword(*patch.password); !ok)
            throwStoreError(ok.error());

    auto lease = auth.db().acquire();
    pqxx::work txn(*lease);
    ensureAdminVisible(txn, caller, id);
    const AdminRow before = orThrow(getAdmin(txn, id));
    if (id == caller.admin_id) {
        // Nobody raises their own permissions or widens their own scope; one's own password
        // is fine.
        for (const char* field : {"role", "reseller_id", "enabled"})
            if (body.contains(field))
                throw ApiError(403, "forbidden", field,
                               fmt::format("you cannot change your own {}", field));
    } else if (auto above = caller.missing(before.permissions); !above.empty()) {
        throw ApiError(403, "forbidden", "",
                       "this admin holds permissions you do not have: " + above.front());
    }
    if (patch.role)
        requireGrantable(txn, caller, *patch.role);
    if (patch.reseller_id)
        requireOwnReseller(caller, *patch.reseller_id);

    std::optional<HashSlot> slot;
    if (patch.password)
        slot.emplace(s);
    AdminRow after_row = orThrow(updateAdmin(txn, id, patch, s.deps.argon));
    json after = toJson(after_row);
    if (patch.password)
        after["password"] = "changed";  // masked to "***"
    recordAudit(txn, caller, "update", "admin", std::to_string(id), toJson(before), after);
    txn.commit();
    auth.forget(id);
    return HttpResponse::json(200, toJson(after_row));
}

HttpResponse listRolesRoute(AuthState& s, const HttpRequest& req) {
    Authenticator& auth = s.authenticator();
    const Caller caller = auth.authenticate(req);
    caller.require("admins.view");
    auto lease = auth.db().acquire();
    pqxx::work txn(*lease);
    json items = json::array();
    for (const auto& role : orThrow(listRoles(txn)))
        items.push_back(toJson(role));
    txn.commit();
    json catalogue = json::array();
    for (const auto& p : permissionCatalogue())
        catalogue.push_back({{"name", p.name}, {"description", p.description}});
    return HttpResponse::json(200, {{"items", items}, {"permissions", catalogue}});
}

}  // namespace

std::shared_ptr<Authenticator> makeAuthenticator(const AuthDeps& deps) {
    if (deps.shared_authenticator)
        return deps.shared_authenticator;
    if (deps.db == nullptr || deps.redis == nullptr)
        return nullptr;
    return std::make_shared<Authenticator>(*deps.db, *deps.redis, deps.redis_prefix, deps.jwt_key,
                                           deps.clock, deps.admin_cache_ttl);
}

void addAuthRoutes(Router& router, AuthDeps deps) {
    auto s = std::make_shared<AuthState>();
    s->auth = makeAuthenticator(deps);
    if (deps.redis != nullptr)
        s->limiter = std::make_unique<LoginLimiter>(*deps.redis, deps.limits, deps.redis_prefix);
    s->deps = std::move(deps);
    auto bind = [s](HttpResponse (*fn)(AuthState&, const HttpRequest&)) {
        return [s, fn](const HttpRequest& req) { return fn(*s, req); };
    };
    router.add("POST", "/api/v1/auth/login", "Log in with username and password", bind(login));
    router.add("POST", "/api/v1/auth/refresh", "New token pair for a refresh token (rotation)",
               bind(refresh));
    router.add("POST", "/api/v1/auth/logout", "Revoke the access (and refresh) token",
               bind(logout));
    router.add("GET", "/api/v1/auth/me", "The calling admin", bind(me));
    router.add("GET", "/api/v1/admins", "List admins (admins.view)", bind(listAdminsRoute));
    router.add("POST", "/api/v1/admins", "Create an admin (admins.create)", bind(createAdminRoute));
    router.add("GET", "/api/v1/admins/{id}", "One admin (admins.view)", bind(getAdminRoute));
    router.add("PATCH", "/api/v1/admins/{id}", "Change an admin (admins.edit)",
               bind(updateAdminRoute));
    router.add("GET", "/api/v1/roles", "Roles and the permission catalogue (admins.view)",
               bind(listRolesRoute));
}

}  // namespace gatehouse::api
