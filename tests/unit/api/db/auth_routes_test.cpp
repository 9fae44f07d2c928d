// Login, refresh, logout and token checks against real PostgreSQL and Redis.
#include <gtest/gtest.h>

#include "tests/unit/api/db/auth_fixture.hpp"

namespace gatehouse::api::testing {
namespace {

using nlohmann::json;

const std::string kPassword = "correct horse battery";

class Login : public AuthTest {};

TEST_F(Login, ReturnsATokenPairAndTheAdmin) {
    const auto admin = addAdminRow("alice", kPassword, "superadmin");
    auto r = loginAs("alice", kPassword);
    ASSERT_EQ(r.status, 200) << r.body;
    auto j = body(r);
    EXPECT_EQ(j["token_type"], "Bearer");
    EXPECT_EQ(j["expires_in"], 900);
    EXPECT_EQ(j["admin"]["id"], admin.id);
    EXPECT_EQ(j["admin"]["username"], "alice");
    EXPECT_EQ(j["admin"]["role"], "superadmin");
    EXPECT_TRUE(j["admin"]["reseller"].is_null());
    EXPECT_EQ(j["admin"]["permissions"].size(), permissionCatalogue().size());

    auto access =
        verifyJwt(j["access_token"].get<std::string>(), deps_.jwt_key, now_, TokenType::kAccess);
    ASSERT_TRUE(access);
    EXPECT_EQ(access->sub, std::to_string(admin.id));
    EXPECT_EQ(access->sv, admin.session_version);
    EXPECT_TRUE(
        verifyJwt(j["refresh_token"].get<std::string>(), deps_.jwt_key, now_, TokenType::kRefresh));

    auto me = call("GET", "/api/v1/auth/me", nullptr, j["access_token"]);
    ASSERT_EQ(me.status, 200) << me.body;
    EXPECT_EQ(body(me)["admin"]["username"], "alice");
}

TEST_F(Login, UsernameIsCaseInsensitive) {
    addAdminRow("alice", kPassword, "viewer");
    EXPECT_EQ(loginAs("ALICE", kPassword).status, 200);
}

TEST_F(Login, WrongPasswordAndUnknownUserGetTheSameAnswer) {
    addAdminRow("alice", kPassword, "superadmin");
    auto wrong = loginAs("alice", "not the password");
    auto unknown = loginAs("mallory", "not the password");
    EXPECT_EQ(wrong.status, 401);
    EXPECT_EQ(unknown.status, 401);
    EXPECT_EQ(wrong.body, unknown.body);
    EXPECT_EQ(body(wrong)["error"]["message"], "invalid username or password");
    EXPECT_EQ(body(wrong)["error"]["code"], "unauthorized");
    EXPECT_EQ(header(wrong, "WWW-Authenticate"), "Bearer");
}

TEST_F(Login, MissingOrMistypedFieldIs400NamingIt) {
    auto no_user = call("POST", "/api/v1/auth/login", {{"password", kPassword}});
    EXPECT_EQ(no_user.status, 400);
    EXPECT_EQ(body(no_user)["error"]["field"], "username");
    auto bad_pw = call("POST", "/api/v1/auth/login", {{"username", "alice"}, {"password", 5}});
    EXPECT_EQ(bad_pw.status, 400);
    EXPECT_EQ(body(bad_pw)["error"]["field"], "password");
    auto extra = call("POST", "/api/v1/auth/login",
                      {{"username", "a"}, {"password", "b"}, {"remember", true}});
    EXPECT_EQ(body(extra)["error"]["field"], "remember");
}

TEST_F(Login, PastTheUserLimitIs429WithRetryAfterEvenWithTheRightPassword) {
    deps_.limits.per_user = 3;
    deps_.limits.user_window = std::chrono::seconds(120);
    addAdminRow("alice", kPassword, "superadmin");
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(loginAs("alice", "wrong password " + std::to_string(i)).status, 401);
    auto r = loginAs("alice", kPassword);
    EXPECT_EQ(r.status, 429);
    EXPECT_EQ(body(r)["error"]["code"], "rate_limited");
    const int retry = std::stoi(header(r, "Retry-After"));
    EXPECT_GE(retry, 1);
    EXPECT_LE(retry, 120);
}

TEST_F(Login, PastTheAddressLimitIs429ForAnyUsername) {
    deps_.limits.per_ip = 2;
    loginAs("a1", "x", "198.51.100.7");
    loginAs("a2", "x", "198.51.100.7");
    auto r = loginAs("a3", "x", "198.51.100.7");
    EXPECT_EQ(r.status, 429);
    EXPECT_FALSE(header(r, "Retry-After").empty());
    EXPECT_EQ(loginAs("a3", "x", "198.51.100.8").status, 401);  // another address is fine
}

TEST_F(Login, DisabledAdminIsRefusedAndItsTokensStopWorking) {
    const auto admin = addAdminRow("alice", kPassword, "superadmin");
    auto [access, refresh] = tokensFor("alice", kPassword);
    sql("UPDATE admins SET enabled = false WHERE id = " + std::to_string(admin.id));
    auto r = loginAs("alice", kPassword);
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(body(r)["error"]["message"], "this admin account is disabled");
    EXPECT_EQ(call("GET", "/api/v1/auth/me", nullptr, access).status, 401);
}

TEST_F(Login, RecordsLastLoginAndAuditsSuccessAndFailureWithoutThePassword) {
    const auto admin = addAdminRow("alice", kPassword, "superadmin");
    ASSERT_EQ(loginAs("alice", "a wrong guess!", "203.0.113.5").status, 401);
    ASSERT_EQ(loginAs("alice", kPassword, "203.0.113.5").status, 200);
    auto row = sql("SELECT host(last_login_ip), last_login_at IS NOT NULL FROM admins WHERE id = " +
                   std::to_string(admin.id));
    EXPECT_EQ(row[0][0].as<std::string>(), "203.0.113.5");
    EXPECT_TRUE(row[0][1].as<bool>());

    auto audit =
        sql("SELECT action, admin_id, admin_username, resource, after::text, host(peer_ip) "
            "FROM audit_log ORDER BY id");
    ASSERT_EQ(audit.size(), 2u);
    EXPECT_EQ(audit[0][0].as<std::string>(), "login_failed");
    EXPECT_EQ(audit[0][1].as<int64_t>(), admin.id);
    EXPECT_EQ(audit[0][2].as<std::string>(), "alice");
    EXPECT_EQ(json::parse(audit[0][4].as<std::string>()),
              json({{"username", "alice"}, {"reason", "bad_credentials"}}));
    EXPECT_EQ(audit[0][5].as<std::string>(), "203.0.113.5");
    EXPECT_EQ(audit[1][0].as<std::string>(), "login");
    auto all = sql("SELECT string_agg(COALESCE(after::text, ''), ' ') FROM audit_log");
    EXPECT_EQ(all[0][0].as<std::string>().find("wrong guess"), std::string::npos);
}

TEST_F(Login, UnknownUserFailureIsAuditedWithTheUsernameOnly) {
    ASSERT_EQ(loginAs("nobody", "some password").status, 401);
    auto audit = sql("SELECT admin_id IS NULL, admin_username, after::text FROM audit_log");
    ASSERT_EQ(audit.size(), 1u);
    EXPECT_TRUE(audit[0][0].as<bool>());
    EXPECT_EQ(audit[0][1].as<std::string>(), "nobody");
    EXPECT_EQ(audit[0][2].as<std::string>().find("some password"), std::string::npos);
}

TEST_F(Login, AllArgonSlotsBusyIs503WithRetryAfter1) {
    deps_.max_concurrent_hashes = 0;
    addAdminRow("alice", kPassword, "superadmin");
    auto r = loginAs("alice", kPassword);
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(header(r, "Retry-After"), "1");
}

TEST_F(Login, RedisDownIs503WithRetryAfter5) {
    store::RedisUrl dead;
    dead.host = "127.0.0.1";
    dead.port = 1;  // nothing listens there
    store::RedisClient down(dead);
    deps_.redis = &down;
    addAdminRow("alice", kPassword, "superadmin");
    auto r = loginAs("alice", kPassword);
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(body(r)["error"]["code"], "unavailable");
    EXPECT_EQ(header(r, "Retry-After"), "5");
    router_.reset();  // before `down` goes
}

TEST_F(Login, RehashesAHashMadeWithOtherParameters) {
    const auto admin = addAdminRow("alice", kPassword, "superadmin");
    deps_.argon = Argon2Params{128, 1, 1};
    ASSERT_EQ(loginAs("alice", kPassword).status, 200);
    auto stored = sql("SELECT password_hash FROM admins WHERE id = " + std::to_string(admin.id));
    EXPECT_NE(stored[0][0].as<std::string>().find("m=128,"), std::string::npos);
}

class Tokens : public AuthTest {};

TEST_F(Tokens, MissingOrMalformedBearerIs401WithWwwAuthenticate) {
    for (std::string auth : {"", "Basic YTpi", "Bearer ", "Bearer abc.def.ghi"}) {
        HttpRequest req;
        req.method = "GET";
        req.path = "/api/v1/auth/me";
        if (!auth.empty())
            req.headers["authorization"] = auth;
        auto r = router().dispatch(req);
        EXPECT_EQ(r.status, 401) << auth;
        EXPECT_EQ(body(r)["error"]["code"], "unauthorized") << auth;
        EXPECT_EQ(header(r, "WWW-Authenticate"), "Bearer") << auth;
    }
}

TEST_F(Tokens, ExpiredAccessTokenIs401) {
    addAdminRow("alice", kPassword, "superadmin");
    auto [access, refresh] = tokensFor("alice", kPassword);
    now_ += kAccessTokenLifetime.count();
    auto r = call("GET", "/api/v1/auth/me", nullptr, access);
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(body(r)["error"]["message"], "the access token has expired");
}

TEST_F(Tokens, RefreshTokenIsNotAnAccessToken) {
    addAdminRow("alice", kPassword, "superadmin");
    auto [access, refresh] = tokensFor("alice", kPassword);
    EXPECT_EQ(call("GET", "/api/v1/auth/me", nullptr, refresh).status, 401);
    EXPECT_EQ(call("POST", "/api/v1/auth/refresh", {{"refresh_token", access}}).status, 401);
}

TEST_F(Tokens, RefreshRotatesThePair) {
    addAdminRow("alice", kPassword, "superadmin");
    auto [access, refresh] = tokensFor("alice", kPassword);
    auto r = call("POST", "/api/v1/auth/refresh", {{"refresh_token", refresh}});
    ASSERT_EQ(r.status, 200) << r.body;
    auto j = body(r);
    EXPECT_NE(j["refresh_token"], refresh);
    EXPECT_EQ(call("GET", "/api/v1/auth/me", nullptr, j["access_token"]).status, 200);
    auto again = call("POST", "/api/v1/auth/refresh", {{"refresh_token", j["refresh_token"]}});
    EXPECT_EQ(again.status, 200) << again.body;
}

TEST_F(Tokens, ReusedRefreshTokenIs401AndEndsEverySession) {
    const auto admin = addAdminRow("alice", kPassword, "superadmin");
    auto [access, refresh] = tokensFor("alice", kPassword);
    auto first = call("POST", "/api/v1/auth/refresh", {{"refresh_token", refresh}});
    ASSERT_EQ(first.status, 200);
    auto reuse = call("POST", "/api/v1/auth/refresh", {{"refresh_token", refresh}});
    EXPECT_EQ(reuse.status, 401);
    EXPECT_EQ(body(reuse)["error"]["message"],
              "this refresh token was already used; all sessions were ended");
    // Both the old access token and the pair the first refresh gave are dead now.
    EXPECT_EQ(call("GET", "/api/v1/auth/me", nullptr, access).status, 401);
    EXPECT_EQ(call("GET", "/api/v1/auth/me", nullptr, body(first)["access_token"]).status, 401);
    EXPECT_EQ(
        call("POST", "/api/v1/auth/refresh", {{"refresh_token", body(first)["refresh_token"]}})
            .status,
        401);
    auto sv = sql("SELECT session_version FROM admins WHERE id = " + std::to_string(admin.id));
    EXPECT_EQ(sv[0][0].as<int64_t>(), admin.session_version + 1);
    EXPECT_EQ(
        sql("SELECT count(*) FROM audit_log WHERE action = 'refresh_reuse'")[0][0].as<int64_t>(),
        1);
}

TEST_F(Tokens, LogoutRevokesTheAccessAndRefreshTokens) {
    addAdminRow("alice", kPassword, "superadmin");
    auto [access, refresh] = tokensFor("alice", kPassword);
    auto out = call("POST", "/api/v1/auth/logout", {{"refresh_token", refresh}}, access);
    EXPECT_EQ(out.status, 204) << out.body;
    auto me = call("GET", "/api/v1/auth/me", nullptr, access);
    EXPECT_EQ(me.status, 401);
    EXPECT_EQ(body(me)["error"]["message"], "this token was revoked (logged out)");
    EXPECT_EQ(call("POST", "/api/v1/auth/refresh", {{"refresh_token", refresh}}).status, 401);
    EXPECT_EQ(sql("SELECT count(*) FROM audit_log WHERE action = 'logout'")[0][0].as<int64_t>(), 1);
}

TEST_F(Tokens, LogoutEverywhereEndsOtherSessionsToo) {
    addAdminRow("alice", kPassword, "superadmin");
    auto [laptop, laptop_refresh] = tokensFor("alice", kPassword);
    auto [phone, phone_refresh] = tokensFor("alice", kPassword);
    ASSERT_EQ(call("POST", "/api/v1/auth/logout", {{"everywhere", true}}, laptop).status, 204);
    EXPECT_EQ(call("GET", "/api/v1/auth/me", nullptr, phone).status, 401);
    EXPECT_EQ(call("POST", "/api/v1/auth/refresh", {{"refresh_token", phone_refresh}}).status, 401);
}

TEST_F(Tokens, SessionVersionBumpInvalidatesOldTokens) {
    const auto admin = addAdminRow("alice", kPassword, "superadmin");
    auto [access, refresh] = tokensFor("alice", kPassword);
    ASSERT_EQ(call("GET", "/api/v1/auth/me", nullptr, access).status, 200);
    sql("UPDATE admins SET session_version = session_version + 1 WHERE id = " +
        std::to_string(admin.id));
    EXPECT_EQ(call("GET", "/api/v1/auth/me", nullptr, access).status, 401);
    EXPECT_EQ(call("POST", "/api/v1/auth/refresh", {{"refresh_token", refresh}}).status, 401);
    auto [fresh, fresh_refresh] = tokensFor("alice", kPassword);
    EXPECT_EQ(call("GET", "/api/v1/auth/me", nullptr, fresh).status, 200);
}

TEST_F(Tokens, DeletedAdminsTokenIs401) {
    const auto admin = addAdminRow("alice", kPassword, "superadmin");
    auto [access, refresh] = tokensFor("alice", kPassword);
    sql("DELETE FROM admins WHERE id = " + std::to_string(admin.id));
    EXPECT_EQ(call("GET", "/api/v1/auth/me", nullptr, access).status, 401);
}

TEST_F(Tokens, WithoutDatabaseOrRedisTheRoutesExistAndAnswer503) {
    deps_.db = nullptr;
    deps_.redis = nullptr;
    auto r = loginAs("alice", kPassword);
    EXPECT_EQ(r.status, 503);
    EXPECT_TRUE(router().knows("/api/v1/admins/7"));
}

}  // namespace
}  // namespace gatehouse::api::testing
