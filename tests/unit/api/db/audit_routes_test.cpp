// GET /api/v1/audit: newest first, filters, secrets masked, permission and reseller scope.
#include <gtest/gtest.h>

#include <string>

#include "core/api/routes/all.hpp"
#include "tests/unit/api/db/auth_fixture.hpp"

namespace gatehouse::api::testing {
namespace {

class AuditRoutes : public AuthTest {
  protected:
    void SetUp() override {
        AuthTest::SetUp();
        ApiDeps all;
        all.auth = deps_;
        built_ = buildRouter(all);
        addAdminRow("root", "root password 1", "superadmin");
        root_ = login("root", "root password 1");
    }
    HttpResponse send(const std::string& method, const std::string& path,
                      const nlohmann::json& json, const std::string& token) {
        const auto q = path.find('?');
        HttpRequest req = makeRequest(method, path.substr(0, q), json, token);
        if (q != std::string::npos) {
            std::string rest = path.substr(q + 1);
            while (!rest.empty()) {  // the tests' values need no %-decoding
                const auto amp = rest.find('&');
                const std::string pair = rest.substr(0, amp);
                const auto eq = pair.find('=');
                req.query[pair.substr(0, eq)] = eq == std::string::npos ? "" : pair.substr(eq + 1);
                rest = amp == std::string::npos ? "" : rest.substr(amp + 1);
            }
        }
        return built_.dispatch(req);
    }
    std::string login(const std::string& username, const std::string& password) {
        auto r = send("POST", "/api/v1/auth/login",
                      {{"username", username}, {"password", password}}, "");
        EXPECT_EQ(r.status, 200) << r.body;
        return r.status == 200 ? body(r).value("access_token", "") : "";
    }
    nlohmann::json list(const std::string& query, const std::string& token) {
        auto r = send("GET", "/api/v1/audit" + query, nullptr, token);
        EXPECT_EQ(r.status, 200) << r.body;
        return body(r);
    }
    Router built_;
    std::string root_;
};

TEST_F(AuditRoutes, ListsNewestFirstWithTheChangeAndNoSecret) {
    auto created =
        send("POST", "/api/v1/admins",
             {{"username", "ops"}, {"password", "ops password 1"}, {"role", "operator"}}, root_);
    ASSERT_EQ(created.status, 201) << created.body;

    auto all = list("", root_);
    ASSERT_EQ(all["total"], 2);  // root's login, then the create
    const auto& first = all["items"][0];
    EXPECT_EQ(first["action"], "create");
    EXPECT_EQ(first["resource"], "admin");
    EXPECT_EQ(first["resource_id"], std::to_string(body(created)["id"].get<int64_t>()));
    EXPECT_EQ(first["admin_username"], "root");
    EXPECT_EQ(first["peer_ip"], "192.0.2.10");
    EXPECT_TRUE(first["before"].is_null());
    EXPECT_EQ(first["after"]["username"], "ops");
    EXPECT_EQ(first["after"]["password"], "***");
    EXPECT_EQ(all["items"][1]["action"], "login");
    EXPECT_EQ(all.dump().find("ops password 1"), std::string::npos);
}

TEST_F(AuditRoutes, FiltersByResourceActionAdminAndTime) {
    ASSERT_EQ(
        send("POST", "/api/v1/admins",
             {{"username", "ops"}, {"password", "ops password 1"}, {"role", "operator"}}, root_)
            .status,
        201);
    EXPECT_EQ(list("?resource=admin&action=create", root_)["total"], 1);
    EXPECT_EQ(list("?resource=auth", root_)["total"], 1);
    EXPECT_EQ(list("?admin=ROOT", root_)["total"], 2);
    EXPECT_EQ(list("?admin=nobody", root_)["total"], 0);
    EXPECT_EQ(list("?from=2000-01-01&to=2999-12-31", root_)["total"], 2);
    EXPECT_EQ(list("?to=2000-01-01", root_)["total"], 0);
    EXPECT_EQ(list("?per_page=1&page=2", root_)["items"][0]["action"], "login");

    auto bad = send("GET", "/api/v1/audit?from=yesterday", nullptr, root_);
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(body(bad)["error"]["field"], "from");
    EXPECT_EQ(send("GET", "/api/v1/audit?per_page=0", nullptr, root_).status, 400);
}

TEST_F(AuditRoutes, NeedsAdminsViewAndALogin) {
    EXPECT_EQ(send("GET", "/api/v1/audit", nullptr, "").status, 401);
    const auto reseller = addResellerRow("north");
    addAdminRow("north-admin", "north password 1", "reseller", reseller);
    auto r = send("GET", "/api/v1/audit", nullptr, login("north-admin", "north password 1"));
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(body(r)["error"]["message"], "permission admins.view is required");
}

TEST_F(AuditRoutes, AResellersAdminSeesOnlyWhatItsResellersAdminsDid) {
    sql("INSERT INTO roles (name, description, permissions) VALUES ('reseller-lead', 'x',"
        " ARRAY['admins.view'])");
    const auto north = addResellerRow("north");
    const auto south = addResellerRow("south");
    addAdminRow("north-lead", "north password 1", "reseller-lead", north);
    addAdminRow("north-desk", "north password 2", "reseller", north);
    addAdminRow("south-lead", "south password 1", "reseller-lead", south);
    (void)login("north-desk", "north password 2");
    (void)login("south-lead", "south password 1");
    const auto token = login("north-lead", "north password 1");

    auto seen = list("", token);
    ASSERT_EQ(seen["total"], 2);  // north-lead's and north-desk's logins, not root's or south's
    for (const auto& item : seen["items"])
        EXPECT_TRUE(item["admin_username"] == "north-lead" ||
                    item["admin_username"] == "north-desk")
            << item.dump();
    EXPECT_EQ(list("?admin=root", token)["total"], 0);
}

}  // namespace
}  // namespace gatehouse::api::testing
