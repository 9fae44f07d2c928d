// /api/v1/pools: figures and held addresses from the store's IPAM operations, create/redefine/
// delete through them with an audit row each, and a reseller limited to pools on its NAS.
#include <gtest/gtest.h>

#include "core/api/routes/pools.hpp"
#include "core/store/ipam_repository.hpp"
#include "tests/unit/api/db/subscriber_fixture.hpp"

namespace gatehouse::api::testing {
namespace {

using nlohmann::json;

class PoolRoutes : public SubscriberApiTest {
  protected:
    void SetUp() override {
        SubscriberApiTest::SetUp();
        addPoolLogDashboardSettingRoutes(*router_, deps_);
    }

    int64_t addPool(const std::string& name, const std::string& ranges,
                    const std::string& nas = "") {
        store::PoolInput in;
        in.name = name;
        in.ranges = ranges;
        in.nas = nas;
        auto done = store::upsertPool(conn(), in);
        EXPECT_TRUE(done) << (done ? "" : store::describe(done.error()));
        return sql("SELECT id FROM ip_pools WHERE name = '" + name + "'")[0][0].as<int64_t>();
    }
    void hold(const std::string& ip, int64_t subscriber_id) {
        sql("UPDATE ip_pool_assignments SET status = 'in_use', subscriber_id = " +
            std::to_string(subscriber_id) + ", assigned_at = '2026-11-01T10:00:00Z' WHERE ip = '" +
            ip + "'");
    }
    /// An admin of a reseller whose role can see and change pools.
    std::string resellerToken(const std::string& username, int64_t reseller) {
        sql("INSERT INTO roles (name, permissions) VALUES ('pool-reseller',"
            " ARRAY['pools.view', 'pools.edit']) ON CONFLICT (name) DO NOTHING");
        return tokenOf(username, "pool-reseller", reseller);
    }
    std::string path(int64_t id) { return "/api/v1/pools/" + std::to_string(id); }
};

TEST_F(PoolRoutes, NeedTokenAndPoolsPermissions) {
    EXPECT_EQ(call("GET", "/api/v1/pools").status, 401);
    const auto viewer = tokenOf("watcher", "viewer");
    const auto reseller = tokenOf("shop", "reseller", addResellerRow("shop-co"));
    auto r = get(reseller, "/api/v1/pools");
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(body(r)["error"]["message"], "permission pools.view is required");
    EXPECT_EQ(get(viewer, "/api/v1/pools").status, 200);
    r = call("POST", "/api/v1/pools", {{"name", "p"}, {"ranges", "10.9.0.1"}}, viewer);
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(body(r)["error"]["message"], "permission pools.edit is required");
    EXPECT_EQ(call("DELETE", "/api/v1/pools/1", nullptr, viewer).status, 403);
}

TEST_F(PoolRoutes, ListShowsFiguresByNameAndSearches) {
    const auto token = tokenOf("root", "superadmin");
    const int64_t nas = addNasRow("core-1", "10.0.0.1");
    addPool("residential", "100.64.0.1-100.64.0.4", "core-1");
    addPool("business", "100.65.0.1-100.65.0.2");
    hold("100.64.0.1", insertSubscriber("alice"));
    sql("UPDATE ip_pool_assignments SET status = 'reserved' WHERE ip = '100.64.0.2'");

    auto page = body(get(token, "/api/v1/pools"));
    EXPECT_EQ(page["total"], 2);
    EXPECT_EQ(page["page"], 1);
    EXPECT_EQ(page["per_page"], 50);
    ASSERT_EQ(page["items"].size(), 2U);
    EXPECT_EQ(page["items"][0]["name"], "business");
    EXPECT_EQ(page["items"][0]["nas_id"], nullptr);
    EXPECT_EQ(page["items"][0]["size"], 2);
    EXPECT_EQ(page["items"][0]["free"], 2);
    const json& res = page["items"][1];
    EXPECT_EQ(res["name"], "residential");
    EXPECT_EQ(res["nas_id"], nas);
    EXPECT_EQ(res["nas_name"], "core-1");
    EXPECT_EQ(res["source"], "manual");
    EXPECT_EQ(res["ranges"], "100.64.0.1-100.64.0.4");
    EXPECT_EQ(res["size"], 4);
    EXPECT_EQ(res["in_use"], 1);
    EXPECT_EQ(res["reserved"], 1);
    EXPECT_EQ(res["free"], 2);
    EXPECT_TRUE(res["updated_at"].is_string());

    auto found = body(get(token, "/api/v1/pools", {{"q", "RESID"}}));
    EXPECT_EQ(found["total"], 1);
    EXPECT_EQ(found["items"][0]["name"], "residential");
    EXPECT_EQ(body(get(token, "/api/v1/pools", {{"q", "%"}}))["total"], 0);
    auto bad = get(token, "/api/v1/pools", {{"per_page", "501"}});
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(body(bad)["error"]["field"], "per_page");
}

TEST_F(PoolRoutes, ShowPagesHeldAddressesWithSubscriberAndOpenSession) {
    const auto token = tokenOf("root", "superadmin");
    const int64_t id = addPool("residential", "100.64.0.0/29");
    const int64_t alice = insertSubscriber("alice");
    const int64_t bob = insertSubscriber("bob");
    hold("100.64.0.3", alice);
    hold("100.64.0.5", bob);
    auto session = sessionOf("bob", bob);
    session.framed_ip = "100.64.0.5";
    const int64_t session_id = addSession(session);

    auto shown = body(get(token, path(id), {{"per_page", "1"}, {"page", "2"}}));
    EXPECT_EQ(shown["name"], "residential");
    EXPECT_EQ(shown["size"], 6);  // a /29's hosts: network and broadcast are left out
    EXPECT_EQ(shown["in_use"], 2);
    EXPECT_EQ(shown["addresses"]["total"], 2);
    EXPECT_EQ(shown["addresses"]["page"], 2);
    ASSERT_EQ(shown["addresses"]["items"].size(), 1U);
    EXPECT_EQ(shown["addresses"]["items"][0], (json{{"ip", "100.64.0.5"},
                                                    {"status", "in_use"},
                                                    {"subscriber_id", bob},
                                                    {"username", "bob"},
                                                    {"session_id", session_id},
                                                    {"claimed_at", "2026-11-01T10:00:00Z"},
                                                    {"retired", false}}));
    auto first = body(get(token, path(id), {{"per_page", "1"}}));
    EXPECT_EQ(first["addresses"]["items"][0]["ip"], "100.64.0.3");
    EXPECT_EQ(first["addresses"]["items"][0]["session_id"], nullptr);
    EXPECT_EQ(get(token, "/api/v1/pools/999999").status, 404);
}

TEST_F(PoolRoutes, CreateRedefineDeleteGoThroughTheStoreAndAreAudited) {
    const auto token = tokenOf("root", "superadmin");
    const int64_t nas = addNasRow("core-1", "10.0.0.1");
    auto r = call("POST", "/api/v1/pools",
                  {{"name", "residential"}, {"ranges", "100.64.0.1-100.64.0.4"}, {"nas_id", nas}},
                  token);
    ASSERT_EQ(r.status, 201) << r.body;
    const json created = body(r);
    const int64_t id = created["id"];
    EXPECT_EQ(created["created"], true);
    EXPECT_EQ(created["size"], 4);
    EXPECT_EQ(created["free"], 4);
    EXPECT_EQ(created["nas_name"], "core-1");
    EXPECT_EQ(count("ip_pool_assignments WHERE pool_name = 'residential'"), 4);

    r = call("POST", "/api/v1/pools", {{"name", "residential"}, {"ranges", "100.70.0.1"}}, token);
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(body(r)["error"]["field"], "name");
    EXPECT_EQ(count("ip_pool_assignments WHERE ip = '100.70.0.1'"), 0);
    r = call("POST", "/api/v1/pools", {{"name", "other"}, {"ranges", "100.64.0.2"}}, token);
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(body(r)["error"]["field"], "ranges");
    r = call("POST", "/api/v1/pools", {{"name", "other"}, {"ranges", "10.0.0.0/33"}}, token);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(body(r)["error"]["field"], "ranges");
    r = call("POST", "/api/v1/pools", {{"name", "other"}, {"ranges", "10.1.0.1"}, {"nas_id", 999}},
             token);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(body(r)["error"]["field"], "nas_id");
    r = call("POST", "/api/v1/pools", {{"ranges", "10.1.0.1"}}, token);
    EXPECT_EQ(body(r)["error"]["field"], "name");
    r = call("POST", "/api/v1/pools", {{"name", "x"}, {"ranges", "10.1.0.1"}, {"size", 1}}, token);
    EXPECT_EQ(body(r)["error"]["field"], "size");

    hold("100.64.0.3", insertSubscriber("alice"));
    r = call("PATCH", path(id), {{"ranges", "100.64.0.1-100.64.0.2"}, {"nas_id", nullptr}}, token);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(body(r)["ranges"], "100.64.0.1-100.64.0.2");
    EXPECT_EQ(body(r)["nas_id"], nullptr);
    EXPECT_EQ(body(r)["size"], 2);
    EXPECT_EQ(body(r)["retired_in_use"], json::array({"100.64.0.3"}));
    r = call("PATCH", path(id), {{"name", "renamed"}}, token);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(body(r)["error"]["field"], "name");

    r = call("DELETE", path(id), nullptr, token);
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(body(r)["error"]["field"], "pool");
    EXPECT_EQ(count("ip_pools"), 1);
    sql("UPDATE ip_pool_assignments SET status = 'available', subscriber_id = NULL");
    EXPECT_EQ(call("DELETE", path(id), nullptr, token).status, 204);
    EXPECT_EQ(count("ip_pools"), 0);
    EXPECT_EQ(count("ip_pool_assignments"), 0);

    auto audit =
        sql("SELECT action, admin_username, resource_id, before::text, after->>'ranges',"
            " after->>'nas_id' FROM audit_log WHERE resource = 'pool' ORDER BY id");
    ASSERT_EQ(audit.size(), 3U);
    EXPECT_EQ(audit[0][0].as<std::string>(), "create");
    EXPECT_EQ(audit[0][1].as<std::string>(), "root");
    EXPECT_EQ(audit[0][2].as<std::string>(), std::to_string(id));
    EXPECT_TRUE(audit[0][3].is_null());
    EXPECT_EQ(audit[0][4].as<std::string>(), "100.64.0.1-100.64.0.4");
    EXPECT_EQ(audit[0][5].as<std::string>(), std::to_string(nas));
    EXPECT_EQ(audit[1][0].as<std::string>(), "update");
    EXPECT_EQ(json::parse(audit[1][3].as<std::string>())["ranges"], "100.64.0.1-100.64.0.4");
    EXPECT_EQ(audit[1][4].as<std::string>(), "100.64.0.1-100.64.0.2");
    EXPECT_TRUE(audit[1][5].is_null());
    EXPECT_EQ(audit[2][0].as<std::string>(), "delete");
    EXPECT_FALSE(audit[2][3].is_null());
    EXPECT_TRUE(audit[2][4].is_null());
}

TEST_F(PoolRoutes, ResellerSeesAndChangesOnlyPoolsOnItsNas) {
    const int64_t shop = addResellerRow("shop-co");
    const int64_t other = addResellerRow("other-co");
    const int64_t mine = addNasRow("shop-nas", "10.0.0.1");
    const int64_t theirs = addNasRow("isp-nas", "10.0.0.2");
    sql("INSERT INTO reseller_nas (reseller_id, nas_id) VALUES (" + std::to_string(shop) + ", " +
        std::to_string(mine) + ")");
    const int64_t own = addPool("shop-pool", "100.64.0.0/30", "shop-nas");
    const int64_t isp = addPool("isp-pool", "100.65.0.0/30", "isp-nas");
    const int64_t unbound = addPool("any-nas", "100.66.0.0/30");
    const int64_t customer = insertSubscriber("customer");
    setReseller(customer, shop);
    const int64_t stranger = insertSubscriber("stranger");
    setReseller(stranger, other);
    hold("100.64.0.1", customer);
    hold("100.64.0.2", stranger);
    const auto token = resellerToken("shop", shop);

    auto page = body(get(token, "/api/v1/pools"));
    EXPECT_EQ(page["total"], 1);
    ASSERT_EQ(page["items"].size(), 1U);
    EXPECT_EQ(page["items"][0]["id"], own);
    EXPECT_EQ(get(token, path(isp)).status, 404);
    EXPECT_EQ(get(token, path(unbound)).status, 404);
    EXPECT_EQ(call("PATCH", path(isp), {{"ranges", "100.65.0.0/31"}}, token).status, 404);
    EXPECT_EQ(call("DELETE", path(unbound), nullptr, token).status, 404);
    EXPECT_EQ(count("ip_pools"), 3);

    // Another reseller's subscriber on the shared NAS: the address shows, the owner does not.
    auto shown = body(get(token, path(own)));
    ASSERT_EQ(shown["addresses"]["items"].size(), 2U);
    EXPECT_EQ(shown["addresses"]["items"][0]["username"], "customer");
    EXPECT_EQ(shown["addresses"]["items"][1]["ip"], "100.64.0.2");
    EXPECT_EQ(shown["addresses"]["items"][1]["subscriber_id"], nullptr);
    EXPECT_EQ(shown["addresses"]["items"][1]["username"], nullptr);

    auto r = call("POST", "/api/v1/pools", {{"name", "p2"}, {"ranges", "100.67.0.1"}}, token);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(body(r)["error"]["field"], "nas_id");
    r = call("POST", "/api/v1/pools",
             {{"name", "p2"}, {"ranges", "100.67.0.1"}, {"nas_id", theirs}}, token);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(body(r)["error"]["field"], "nas_id");
    r = call("PATCH", path(own), {{"nas_id", nullptr}}, token);
    EXPECT_EQ(body(r)["error"]["field"], "nas_id");
    r = call("POST", "/api/v1/pools", {{"name", "p2"}, {"ranges", "100.67.0.1"}, {"nas_id", mine}},
             token);
    EXPECT_EQ(r.status, 201) << r.body;
}

}  // namespace
}  // namespace gatehouse::api::testing
