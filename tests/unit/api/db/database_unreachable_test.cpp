// With PostgreSQL unreachable the API says "try again" (503 with Retry-After), not "internal
// error": a login, an authenticated read and a write all answer 503 naming the database.
#include <gtest/gtest.h>

#include <string>

#include "core/api/routes/all.hpp"
#include "tests/unit/api/db/auth_fixture.hpp"

namespace gatehouse::api::testing {
namespace {

class DatabaseUnreachable : public AuthTest {
  protected:
    void SetUp() override {
        AuthTest::SetUp();
        // Nothing listens on port 1 of loopback: every connection attempt is refused at once.
        down_pool_ = std::make_unique<store::PgPool>(
            "host=127.0.0.1 port=1 dbname=gatehouse connect_timeout=2", 2);
        ApiDeps down;
        down.auth = deps_;
        down.auth.db = down_pool_.get();
        down_router_ = buildRouter(down);
    }
    HttpResponse sendDown(const std::string& method, const std::string& path,
                          const nlohmann::json& json, const std::string& token) {
        return down_router_.dispatch(makeRequest(method, path, json, token));
    }
    static void expectUnavailable(const HttpResponse& r) {
        EXPECT_EQ(r.status, 503) << r.body;
        EXPECT_EQ(header(r, "Retry-After"), "5");
        auto j = body(r);
        EXPECT_EQ(j["error"]["code"], "unavailable");
        EXPECT_EQ(j["error"]["message"], "the database cannot be reached; try again shortly");
    }
    std::unique_ptr<store::PgPool> down_pool_;
    Router down_router_;
};

TEST_F(DatabaseUnreachable, LoginReadAndWriteAnswer503WithRetryAfter) {
    addAdminRow("root", "root password 1", "superadmin");
    // A token issued while the database was up (same key and Redis), used after it went away.
    const auto token = tokensFor("root", "root password 1").first;
    ASSERT_FALSE(token.empty());

    expectUnavailable(sendDown("POST", "/api/v1/auth/login",
                               {{"username", "root"}, {"password", "root password 1"}}, ""));
    expectUnavailable(sendDown("GET", "/api/v1/nas", nullptr, token));
    expectUnavailable(sendDown("GET", "/api/v1/subscribers", nullptr, token));
    expectUnavailable(
        sendDown("POST", "/api/v1/services", {{"name", "x"}, {"rate_down", "10M"}}, token));
}

}  // namespace
}  // namespace gatehouse::api::testing
