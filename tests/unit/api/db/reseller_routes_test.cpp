// /api/v1/resellers against a real PostgreSQL and Redis: create, read, rename, re-parent and
// delete with an audit row each, the NAS assignment (reseller_nas), validation naming the
// field, permissions, and a reseller admin who sees its own row only.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/api/routes/resellers.hpp"
#include "tests/unit/api/db/subscriber_fixture.hpp"

namespace gatehouse::api::testing {
namespace {

using nlohmann::json;

class ResellerRoutes : public SubscriberApiTest {
  protected:
    void SetUp() override {
        SubscriberApiTest::SetUp();
        addResellerRoutes(*router_, deps_);
    }
    std::string root() {
        if (root_.empty())
            root_ = tokenOf("root", "superadmin");
        return root_;
    }
    /// POST /api/v1/resellers as root: the new row (fails the test otherwise).
    json createReseller(const json& in) {
        auto r = call("POST", "/api/v1/resellers", in, root());
        EXPECT_EQ(r.status, 201) << r.body;
        return body(r);
    }
    /// A role of its own for reseller admins who may read or edit resellers (the built-in
    /// reseller role may not).
    std::string resellerAdmin(const std::string& username, int64_t reseller) {
        if (sql("SELECT 1 FROM roles WHERE name = 'reseller-manager'").empty())
            sql("INSERT INTO roles (name, description, permissions) VALUES ('reseller-manager',"
                " '', ARRAY['resellers.view', 'resellers.edit'])");
        return tokenOf(username, "reseller-manager", reseller);
    }
    std::vector<int64_t> assigned(int64_t reseller) {
        std::vector<int64_t> out;
        for (const auto& r : sql("SELECT nas_id FROM reseller_nas WHERE reseller_id = " +
                                 std::to_string(reseller) + " ORDER BY nas_id"))
            out.push_back(r[0].as<int64_t>());
        return out;
    }
    static json error(const HttpResponse& r) { return body(r)["error"]; }

    std::string root_;
};

TEST_F(ResellerRoutes, CreateReadRenameAndDeleteEachWriteAudited) {
    const int64_t nas1 = addNasRow("core-1", "10.0.0.1");
    const int64_t nas2 = addNasRow("core-2", "10.0.0.2");
    const json north = createReseller({{"name", "north"}, {"nas_ids", {nas2, nas1, nas2}}});
    const int64_t id = north["id"].get<int64_t>();
    EXPECT_EQ(north["name"], "north");
    EXPECT_TRUE(north["parent_id"].is_null());
    EXPECT_EQ(north["nas_ids"], json({nas1, nas2}));
    EXPECT_EQ(north["subscriber_count"], 0);
    EXPECT_EQ(north["admin_count"], 0);
    EXPECT_TRUE(north["created_at"].is_string());
    EXPECT_EQ(assigned(id), (std::vector<int64_t>{nas1, nas2}));

    const json sub = createReseller({{"name", "north-east"}, {"parent_id", id}});
    EXPECT_EQ(sub["parent_id"], id);

    const std::string path = "/api/v1/resellers/" + std::to_string(id);
    auto got = get(root(), path);
    ASSERT_EQ(got.status, 200);
    EXPECT_EQ(body(got), north);

    auto renamed = call("PATCH", path, {{"name", "northern"}}, root());
    ASSERT_EQ(renamed.status, 200) << renamed.body;
    EXPECT_EQ(body(renamed)["name"], "northern");
    auto audit =
        sql("SELECT before->>'name', after->>'name', admin_username FROM audit_log"
            " WHERE resource = 'reseller' AND action = 'update'");
    ASSERT_EQ(audit.size(), 1u);
    EXPECT_EQ(audit[0][0].as<std::string>(), "north");
    EXPECT_EQ(audit[0][1].as<std::string>(), "northern");
    EXPECT_EQ(audit[0][2].as<std::string>(), "root");

    auto list = get(root(), "/api/v1/resellers", {{"q", "NORTH"}, {"per_page", "1"}});
    ASSERT_EQ(list.status, 200);
    EXPECT_EQ(body(list)["total"], 2);
    EXPECT_EQ(body(list)["per_page"], 1);
    ASSERT_EQ(body(list)["items"].size(), 1u);
    EXPECT_EQ(body(list)["items"][0]["name"], "north-east");

    const std::string child = "/api/v1/resellers/" + std::to_string(sub["id"].get<int64_t>());
    EXPECT_EQ(call("DELETE", child, nullptr, root()).status, 204);
    EXPECT_EQ(call("DELETE", path, nullptr, root()).status, 204);
    EXPECT_EQ(get(root(), path).status, 404);
    EXPECT_TRUE(assigned(id).empty());  // its reseller_nas rows went with it
    EXPECT_EQ(count("nas_devices"), 2);
    EXPECT_EQ(count("audit_log WHERE resource = 'reseller' AND action = 'create'"), 2);
    EXPECT_EQ(count("audit_log WHERE resource = 'reseller' AND action = 'delete' AND "
                    "before->>'name' = 'northern' AND after IS NULL"),
              1);
}

TEST_F(ResellerRoutes, PutNasReplacesTheAssignmentAndAuditsBeforeAndAfter) {
    const int64_t nas1 = addNasRow("core-1", "10.0.0.1");
    const int64_t nas2 = addNasRow("core-2", "10.0.0.2");
    const int64_t id = createReseller({{"name", "north"}, {"nas_ids", {nas1}}})["id"];
    const std::string path = "/api/v1/resellers/" + std::to_string(id) + "/nas";
    auto r = call("PUT", path, {{"nas_ids", {nas2}}}, root());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(body(r)["nas_ids"], json({nas2}));
    EXPECT_EQ(assigned(id), std::vector<int64_t>{nas2});
    auto audit =
        sql("SELECT before::text, after::text FROM audit_log WHERE action = 'update_nas' AND "
            "resource_id = '" +
            std::to_string(id) + "'");
    ASSERT_EQ(audit.size(), 1u);
    EXPECT_EQ(json::parse(audit[0][0].as<std::string>()), json({{"nas_ids", {nas1}}}));
    EXPECT_EQ(json::parse(audit[0][1].as<std::string>()), json({{"nas_ids", {nas2}}}));
    ASSERT_EQ(call("PUT", path, {{"nas_ids", json::array()}}, root()).status, 200);
    EXPECT_TRUE(assigned(id).empty());
    // The reseller's admins now see no NAS at all.
    EXPECT_EQ(call("PUT", "/api/v1/resellers/999999/nas", {{"nas_ids", {nas1}}}, root()).status,
              404);
}

TEST_F(ResellerRoutes, RefusesBadInputNamingTheField) {
    const int64_t nas = addNasRow("core-1", "10.0.0.1");
    const int64_t north = createReseller({{"name", "north"}})["id"];
    const int64_t child = createReseller({{"name", "north-east"}, {"parent_id", north}})["id"];
    auto fieldOf = [&](const std::string& method, const std::string& path, const json& in,
                       int status = 400) {
        auto r = call(method, path, in, root());
        EXPECT_EQ(r.status, status) << in.dump() << " " << r.body;
        return error(r)["field"].get<std::string>();
    };
    EXPECT_EQ(fieldOf("POST", "/api/v1/resellers", json::object()), "name");
    EXPECT_EQ(fieldOf("POST", "/api/v1/resellers", {{"name", ""}}), "name");
    EXPECT_EQ(fieldOf("POST", "/api/v1/resellers", {{"name", 5}}), "name");
    EXPECT_EQ(fieldOf("POST", "/api/v1/resellers", {{"name", "north"}}, 409), "name");
    EXPECT_EQ(fieldOf("POST", "/api/v1/resellers", {{"name", "x"}, {"parent_id", 999999}}),
              "parent_id");
    EXPECT_EQ(fieldOf("POST", "/api/v1/resellers", {{"name", "x"}, {"parent_id", "one"}}),
              "parent_id");
    EXPECT_EQ(fieldOf("POST", "/api/v1/resellers", {{"name", "x"}, {"nas_ids", nas}}), "nas_ids");
    EXPECT_EQ(fieldOf("POST", "/api/v1/resellers", {{"name", "x"}, {"nas_ids", {nas, 999999}}}),
              "nas_ids");
    EXPECT_EQ(fieldOf("POST", "/api/v1/resellers", {{"name", "x"}, {"colour", "red"}}), "colour");
    const std::string path = "/api/v1/resellers/" + std::to_string(north);
    // Under itself or under its own child: the tree would loop.
    EXPECT_EQ(fieldOf("PATCH", path, {{"parent_id", north}}), "parent_id");
    EXPECT_EQ(fieldOf("PATCH", path, {{"parent_id", child}}), "parent_id");
    EXPECT_EQ(fieldOf("PATCH", path, {{"name", "north-east"}}, 409), "name");
    EXPECT_EQ(fieldOf("PUT", path + "/nas", {{"nas_ids", {"core-1"}}}), "nas_ids");
    EXPECT_EQ(fieldOf("PUT", path + "/nas", json::object()), "nas_ids");
    EXPECT_EQ(count("resellers"), 2);
    EXPECT_EQ(count("audit_log WHERE resource = 'reseller'"), 2);  // the two creates only
}

TEST_F(ResellerRoutes, DeleteIsRefusedWhileSubscribersOrAdminsBelongToIt) {
    const int64_t north = createReseller({{"name", "north"}})["id"];
    const int64_t alice = insertSubscriber("alice");
    setReseller(alice, north);
    addAdminRow("north-admin", kAdminPassword, "reseller", north);
    const std::string path = "/api/v1/resellers/" + std::to_string(north);
    auto r = call("DELETE", path, nullptr, root());
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(error(r)["code"], "conflict");
    EXPECT_EQ(error(r)["message"],
              "reseller north has 1 subscriber and 1 admin; move or delete them first");
    sql("DELETE FROM subscribers");
    r = call("DELETE", path, nullptr, root());
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(error(r)["message"], "reseller north has 1 admin; move or delete them first");
    EXPECT_EQ(count("resellers"), 1);
    EXPECT_EQ(count("audit_log WHERE resource = 'reseller' AND action = 'delete'"), 0);
    sql("DELETE FROM admins WHERE reseller_id IS NOT NULL");
    EXPECT_EQ(call("DELETE", path, nullptr, root()).status, 204);
}

TEST_F(ResellerRoutes, ViewerReadsButEditingIs403NamingThePermission) {
    const int64_t north = createReseller({{"name", "north"}})["id"];
    const auto viewer = tokenOf("watcher", "viewer");
    EXPECT_EQ(body(get(viewer, "/api/v1/resellers"))["total"], 1);
    const std::string path = "/api/v1/resellers/" + std::to_string(north);
    for (const auto& [method, target, in] :
         {std::tuple{"POST", std::string("/api/v1/resellers"), json{{"name", "x"}}},
          std::tuple{"PATCH", path, json{{"name", "x"}}},
          std::tuple{"PUT", path + "/nas", json{{"nas_ids", json::array()}}},
          std::tuple{"DELETE", path, json()}}) {
        auto r = call(method, target, in, viewer);
        EXPECT_EQ(r.status, 403) << method << " " << target;
        EXPECT_EQ(error(r)["message"], "permission resellers.edit is required");
    }
    const auto reseller = tokenOf("north-admin", "reseller", north);  // no resellers.view
    auto r = get(reseller, "/api/v1/resellers");
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(error(r)["message"], "permission resellers.view is required");
    EXPECT_EQ(count("resellers"), 1);
}

TEST_F(ResellerRoutes, AResellerAdminSeesOnlyItsOwnRowAndChangesNone) {
    const int64_t north = createReseller({{"name", "north"}})["id"];
    const int64_t south = createReseller({{"name", "south"}})["id"];
    const auto token = resellerAdmin("north-admin", north);
    const json list = body(get(token, "/api/v1/resellers"));
    EXPECT_EQ(list["total"], 1);
    ASSERT_EQ(list["items"].size(), 1u);
    EXPECT_EQ(list["items"][0]["id"], north);
    EXPECT_EQ(get(token, "/api/v1/resellers/" + std::to_string(north)).status, 200);

    // Another reseller's row looks exactly like one that does not exist, whatever the verb.
    const std::string theirs = "/api/v1/resellers/" + std::to_string(south);
    const std::string nobody = "/api/v1/resellers/999999";
    EXPECT_EQ(get(token, theirs).body, get(token, nobody).body);
    EXPECT_EQ(get(token, theirs).status, 404);
    for (const auto& [method, suffix, in] :
         {std::tuple{"PATCH", std::string(), json{{"name", "mine"}}},
          std::tuple{"PUT", std::string("/nas"), json{{"nas_ids", json::array()}}},
          std::tuple{"DELETE", std::string(), json()}}) {
        auto a = call(method, theirs + suffix, in, token);
        auto b = call(method, nobody + suffix, in, token);
        EXPECT_EQ(a.status, 404) << method;
        EXPECT_EQ(a.body, b.body) << method;
    }
    // Its own row: visible, but resellers are the ISP's to change.
    auto own = call("PATCH", "/api/v1/resellers/" + std::to_string(north), {{"name", "x"}}, token);
    EXPECT_EQ(own.status, 403);
    EXPECT_EQ(call("POST", "/api/v1/resellers", {{"name", "mine"}}, token).status, 403);
    EXPECT_EQ(
        sql("SELECT string_agg(name, ',' ORDER BY name) FROM resellers")[0][0].as<std::string>(),
        "north,south");
}

}  // namespace
}  // namespace gatehouse::api::testing
