// buildRouter gives every route group one Authenticator: an admin disabled through /admins is
// refused at once by the other groups too, even with a long admin cache (a group with its own
// cache would keep serving the disabled admin until that cache expired).
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "core/api/routes/all.hpp"
#include "tests/unit/api/db/auth_fixture.hpp"

namespace gatehouse::api::testing {
namespace {

class SharedAuthenticator : public AuthTest {
  protected:
    void SetUp() override {
        AuthTest::SetUp();
        deps_.admin_cache_ttl = std::chrono::hours(1);
        ApiDeps all;
        all.auth = deps_;
        built_ = buildRouter(all);
    }
    HttpResponse send(const std::string& method, const std::string& path,
                      const nlohmann::json& json, const std::string& token) {
        return built_.dispatch(makeRequest(method, path, json, token));
    }
    std::string tokenFor(const std::string& username, const std::string& password) {
        auto r = send("POST", "/api/v1/auth/login",
                      {{"username", username}, {"password", password}}, "");
        EXPECT_EQ(r.status, 200) << r.body;
        return r.status == 200 ? nlohmann::json::parse(r.body).value("access_token", "") : "";
    }
    Router built_;
};

TEST_F(SharedAuthenticator, AdminDisabledThroughAdminsIsRefusedByEveryGroupAtOnce) {
    addAdminRow("root", "root password 1", "superadmin");
    const auto ops = addAdminRow("ops", "ops password 1", "operator");
    const auto root = tokenFor("root", "root password 1");
    const auto token = tokenFor("ops", "ops password 1");
    // Each group has now cached "ops" as enabled.
    ASSERT_EQ(send("GET", "/api/v1/nas", nullptr, token).status, 200);
    ASSERT_EQ(send("GET", "/api/v1/subscribers", nullptr, token).status, 200);
    ASSERT_EQ(send("GET", "/api/v1/sessions", nullptr, token).status, 200);

    ASSERT_EQ(send("PATCH", "/api/v1/admins/" + std::to_string(ops.id), {{"enabled", false}}, root)
                  .status,
              200);

    EXPECT_EQ(send("GET", "/api/v1/nas", nullptr, token).status, 401);
    EXPECT_EQ(send("GET", "/api/v1/services", nullptr, token).status, 401);
    EXPECT_EQ(send("GET", "/api/v1/subscribers", nullptr, token).status, 401);
    EXPECT_EQ(send("GET", "/api/v1/sessions", nullptr, token).status, 401);
    EXPECT_EQ(send("GET", "/api/v1/auth/me", nullptr, token).status, 401);
}

}  // namespace
}  // namespace gatehouse::api::testing
