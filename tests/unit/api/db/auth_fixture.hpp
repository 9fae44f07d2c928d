#pragma once
// The auth routes against a real PostgreSQL (a fresh migrated database per test, PgTest) and a
// real Redis (the shared test server, a key prefix per test), dispatched through a Router
// without a socket. The clock is the system's, but tests may move it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "core/api/admin_repository.hpp"
#include "core/api/authenticator.hpp"
#include "core/api/http.hpp"
#include "core/api/routes/auth.hpp"
#include "core/store/pg_pool.hpp"
#include "tests/unit/api/redis_fixture.hpp"
#include "tests/unit/store/pg_fixture.hpp"

namespace gatehouse::api::testing {

class AuthTest : public store::testing::PgTest {
  protected:
    void SetUp() override {
        PgTest::SetUp();
        static std::atomic<int> counter{0};
        prefix_ =
            "gh-test:auth:" + std::to_string(::getpid()) + ":" + std::to_string(counter++) + ":";
        redis_ = std::make_unique<store::RedisClient>(sharedRedisUrl());
        pool_ = std::make_unique<store::PgPool>(conninfo(), 4);
        now_ = systemNow();
        deps_.db = pool_.get();
        deps_.redis = redis_.get();
        deps_.jwt_key = std::string(32, 'k');
        deps_.redis_prefix = prefix_;
        deps_.argon = kTestArgon2;
        deps_.clock = [this] { return now_.load(); };
        deps_.admin_cache_ttl = std::chrono::milliseconds(0);
    }
    void TearDown() override {
        auto keys = redis_->command({"KEYS", prefix_ + "*"});
        if (keys && keys->type == store::RedisReply::Type::kArray)
            for (const auto& k : keys->elements)
                (void)redis_->command({"DEL", k.str});
        router_.reset();
        pool_.reset();
        PgTest::TearDown();
    }

    Router& router() {
        if (!router_) {
            router_ = std::make_unique<Router>();
            addAuthRoutes(*router_, deps_);
        }
        return *router_;
    }

    int64_t addResellerRow(const std::string& name) {
        return sql("INSERT INTO resellers (name) VALUES ('" + name + "') RETURNING id")[0][0]
            .as<int64_t>();
    }

    AdminRow addAdminRow(const std::string& username, const std::string& password,
                         const std::string& role, std::optional<int64_t> reseller = {}) {
        pqxx::work txn(conn());
        AdminInput in;
        in.username = username;
        in.password = password;
        in.role = role;
        in.reseller_id = reseller;
        auto row = addAdmin(txn, in, kTestArgon2);
        EXPECT_TRUE(row) << (row ? "" : store::describe(row.error()));
        txn.commit();
        return row ? *row : AdminRow{};
    }

    /// A request as the server would hand it to a Router (no query string).
    static HttpRequest makeRequest(const std::string& method, const std::string& path,
                                   const nlohmann::json& body = nullptr,
                                   const std::string& token = "",
                                   const std::string& peer = "192.0.2.10") {
        HttpRequest req;
        req.method = method;
        req.path = path;
        req.body = body.is_null() ? "" : body.dump();
        req.peer_ip = peer;
        if (!token.empty())
            req.headers["authorization"] = "Bearer " + token;
        return req;
    }

    HttpResponse call(const std::string& method, const std::string& path,
                      const nlohmann::json& body = nullptr, const std::string& token = "",
                      const std::string& peer = "192.0.2.10") {
        return router().dispatch(makeRequest(method, path, body, token, peer));
    }

    HttpResponse loginAs(const std::string& username, const std::string& password,
                         const std::string& peer = "192.0.2.10") {
        return call("POST", "/api/v1/auth/login", {{"username", username}, {"password", password}},
                    "", peer);
    }

    /// The access and refresh tokens of a successful login (fails the test otherwise).
    std::pair<std::string, std::string> tokensFor(const std::string& username,
                                                  const std::string& password) {
        auto r = loginAs(username, password);
        EXPECT_EQ(r.status, 200) << r.body;
        auto j = nlohmann::json::parse(r.body);
        return {j.value("access_token", ""), j.value("refresh_token", "")};
    }

    static nlohmann::json body(const HttpResponse& r) {
        return r.body.empty() ? nlohmann::json() : nlohmann::json::parse(r.body);
    }
    static std::string header(const HttpResponse& r, const std::string& name) {
        for (const auto& [k, v] : r.headers)
            if (k == name)
                return v;
        return "";
    }

    AuthDeps deps_;
    std::atomic<int64_t> now_{0};
    std::string prefix_;
    std::unique_ptr<store::RedisClient> redis_;
    std::unique_ptr<store::PgPool> pool_;
    std::unique_ptr<Router> router_;
};

}  // namespace gatehouse::api::testing
