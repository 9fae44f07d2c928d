// /api/v1/services and their FUP tiers against a real PostgreSQL and Redis: create/read/list,
// patch, delete refused while subscribers use the service, FUP tier validation, audit.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "core/api/routes/services.hpp"
#include "tests/unit/api/db/auth_fixture.hpp"

namespace gatehouse::api::testing {
namespace {

using nlohmann::json;

const std::string kPassword = "correct horse battery";

class ServiceRoutes : public AuthTest {
  protected:
    void SetUp() override {
        AuthTest::SetUp();
        router_ = std::make_unique<Router>();
        addAuthRoutes(*router_, deps_);
        ServiceDeps services;
        services.db = pool_.get();
        services.auth = makeAuthenticator(deps_);
        addServiceRoutes(*router_, services);
        addAdminRow("root", kPassword, "superadmin");
        root_ = tokensFor("root", kPassword).first;
    }
    int64_t createService(const std::string& name) {
        auto r = call("POST", "/api/v1/services",
                      {{"name", name}, {"download", "20M"}, {"upload", "5M"}}, root_);
        EXPECT_EQ(r.status, 201) << r.body;
        return body(r)["id"].get<int64_t>();
    }
    HttpResponse putTiers(int64_t id, const json& tiers) {
        return call("PUT", "/api/v1/services/" + std::to_string(id) + "/fup", {{"tiers", tiers}},
                    root_);
    }
    static json error(const HttpResponse& r) { return body(r)["error"]; }

    std::string root_;
};

TEST_F(ServiceRoutes, CreateThenReadAndListIt) {
    auto created = call("POST", "/api/v1/services",
                        {{"name", "home-20"},
                         {"download", "20M"},
                         {"upload", "5M"},
                         {"pool", "pppoe-pool"},
                         {"simultaneous_use", 2}},
                        root_);
    ASSERT_EQ(created.status, 201) << created.body;
    const json s = body(created);
    EXPECT_EQ(s["name"], "home-20");
    EXPECT_EQ(s["download"], "20M");
    EXPECT_EQ(s["download_bps"], 20000000);
    EXPECT_EQ(s["upload_bps"], 5000000);
    EXPECT_EQ(s["pool"], "pppoe-pool");
    EXPECT_EQ(s["simultaneous_use"], 2);
    EXPECT_EQ(s["fup_tiers"], json::array());
    EXPECT_EQ(s["subscribers"], 0);

    auto one =
        call("GET", "/api/v1/services/" + std::to_string(s["id"].get<int64_t>()), nullptr, root_);
    EXPECT_EQ(body(one), s);
    auto list = body(call("GET", "/api/v1/services", nullptr, root_));
    EXPECT_EQ(list["total"], 1);
    EXPECT_EQ(list["items"][0]["name"], "home-20");
    EXPECT_EQ(list["items"][0]["download"], "20M");

    auto bad = call("POST", "/api/v1/services", {{"name", "x"}, {"download", "fast"}}, root_);
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(error(bad)["field"], "download");
    auto taken = call("POST", "/api/v1/services",
                      {{"name", "home-20"}, {"download", "1M"}, {"upload", "1M"}}, root_);
    EXPECT_EQ(taken.status, 409);
    EXPECT_EQ(error(taken)["field"], "name");
    EXPECT_EQ(sql("SELECT count(*) FROM audit_log WHERE resource = 'service' AND action = "
                  "'create'")[0][0]
                  .as<int64_t>(),
              1);
}

TEST_F(ServiceRoutes, ResellerMayViewButGets403NamingServicesCreate) {
    const int64_t north = addResellerRow("north");
    addAdminRow("north-admin", kPassword, "reseller", north);
    auto token = tokensFor("north-admin", kPassword).first;
    createService("home-20");
    EXPECT_EQ(call("GET", "/api/v1/services", nullptr, token).status, 200);
    auto r = call("POST", "/api/v1/services",
                  {{"name", "mine"}, {"download", "1M"}, {"upload", "1M"}}, token);
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(error(r)["message"], "permission services.create is required");
}

TEST_F(ServiceRoutes, PatchChangesOnlyGivenFields) {
    const int64_t id = createService("home-20");
    createService("home-50");
    const std::string path = "/api/v1/services/" + std::to_string(id);
    auto r = call("PATCH", path, {{"download", "25M"}, {"filter_id", "gold"}}, root_);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(body(r)["download"], "25M");
    EXPECT_EQ(body(r)["upload"], "5M");
    EXPECT_EQ(body(r)["filter_id"], "gold");
    EXPECT_EQ(body(r)["name"], "home-20");

    auto taken = call("PATCH", path, {{"name", "home-50"}}, root_);
    EXPECT_EQ(taken.status, 409);
    EXPECT_EQ(error(taken)["field"], "name");
    auto bad = call("PATCH", path, {{"priority", 9}}, root_);
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(error(bad)["field"], "priority");
    auto audit =
        sql("SELECT before->>'download', after->>'download' FROM audit_log WHERE action"
            " = 'update' AND resource = 'service'");
    ASSERT_EQ(audit.size(), 1u);
    EXPECT_EQ(audit[0][0].as<std::string>(), "20M");
    EXPECT_EQ(audit[0][1].as<std::string>(), "25M");
}

TEST_F(ServiceRoutes, DeleteIsRefusedWhileSubscribersUseIt) {
    const int64_t id = createService("home-20");
    const int64_t sub = insertSubscriber("alice");
    sql("UPDATE subscribers SET service_id = " + std::to_string(id));
    const std::string path = "/api/v1/services/" + std::to_string(id);
    auto refused = call("DELETE", path, nullptr, root_);
    EXPECT_EQ(refused.status, 409);
    EXPECT_EQ(error(refused)["code"], "conflict");
    EXPECT_EQ(error(refused)["message"],
              "service home-20 is used by 1 subscriber; move them first");

    sql("UPDATE subscribers SET service_id = NULL WHERE id = " + std::to_string(sub));
    EXPECT_EQ(call("DELETE", path, nullptr, root_).status, 204);
    EXPECT_EQ(sql("SELECT count(*) FROM services")[0][0].as<int64_t>(), 0);
    EXPECT_EQ(call("GET", path, nullptr, root_).status, 404);
}

TEST_F(ServiceRoutes, FupTiersAreReplacedAndReturnedInOrder) {
    const int64_t id = createService("home-20");
    auto r = putTiers(id, json::array({{{"tier", 1},
                                        {"name", "FUP1"},
                                        {"monthly_bytes", 100000000000},
                                        {"download", "10M"},
                                        {"upload", "2M"}},
                                       {{"tier", 2},
                                        {"name", "FUP2"},
                                        {"monthly_bytes", 200000000000},
                                        {"download", "2M"},
                                        {"upload", "1M"},
                                        {"filter_id", "slow"}}}));
    ASSERT_EQ(r.status, 200) << r.body;
    const json tiers = body(r)["fup_tiers"];
    ASSERT_EQ(tiers.size(), 2u);
    EXPECT_EQ(tiers[0]["tier"], 1);
    EXPECT_EQ(tiers[0]["download"], "10M");
    EXPECT_EQ(tiers[1]["name"], "FUP2");
    EXPECT_EQ(tiers[1]["monthly_bytes"], 200000000000);
    EXPECT_EQ(tiers[1]["filter_id"], "slow");
    EXPECT_EQ(
        body(call("GET", "/api/v1/services/" + std::to_string(id), nullptr, root_))["fup_tiers"],
        tiers);

    auto cleared = putTiers(id, json::array());
    ASSERT_EQ(cleared.status, 200) << cleared.body;
    EXPECT_EQ(body(cleared)["fup_tiers"], json::array());
    EXPECT_EQ(sql("SELECT count(*) FROM audit_log WHERE action = 'update_fup'")[0][0].as<int64_t>(),
              2);
}

TEST_F(ServiceRoutes, FupTiersMustBeNumberedFromOneInOrder) {
    const int64_t id = createService("home-20");
    auto r = putTiers(
        id,
        json::array({{{"tier", 2}, {"monthly_bytes", 100}, {"download", "1M"}, {"upload", "1M"}}}));
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(error(r)["field"], "tiers[0].tier");
    auto four = json::array();
    for (int i = 1; i <= 4; ++i)
        four.push_back({{"monthly_bytes", 100 * i}, {"download", "1M"}, {"upload", "1M"}});
    auto too_many = putTiers(id, four);
    EXPECT_EQ(too_many.status, 400);
    EXPECT_EQ(error(too_many)["field"], "tiers");
    auto no_rate = putTiers(id, json::array({{{"monthly_bytes", 100}, {"upload", "1M"}}}));
    EXPECT_EQ(error(no_rate)["field"], "tiers[0].download");
    auto no_threshold = putTiers(id, json::array({{{"download", "1M"}, {"upload", "1M"}}}));
    EXPECT_EQ(error(no_threshold)["field"], "tiers[0].monthly_bytes");
    EXPECT_EQ(sql("SELECT count(*) FROM service_fup_tiers")[0][0].as<int64_t>(), 0);
}

TEST_F(ServiceRoutes, FupThresholdsMustIncreaseAndAFailedReplaceKeepsTheOldTiers) {
    const int64_t id = createService("home-20");
    auto ok =
        putTiers(id, json::array({{{"monthly_bytes", 100}, {"download", "1M"}, {"upload", "1M"}}}));
    ASSERT_EQ(ok.status, 200) << ok.body;
    auto r =
        putTiers(id, json::array({{{"monthly_bytes", 200}, {"download", "2M"}, {"upload", "1M"}},
                                  {{"monthly_bytes", 200}, {"download", "1M"}, {"upload", "1M"}}}));
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(error(r)["field"], "tiers[1].monthly_bytes");
    EXPECT_EQ(error(r)["message"], "tiers[1].monthly_bytes must be above the tier before (200)");
    auto daily = putTiers(
        id,
        json::array(
            {{{"daily_bytes", 50}, {"download", "2M"}, {"upload", "1M"}},
             {{"daily_bytes", 10}, {"monthly_bytes", 500}, {"download", "1M"}, {"upload", "1M"}}}));
    EXPECT_EQ(error(daily)["field"], "tiers[1].daily_bytes");
    auto kept = sql("SELECT monthly_bytes FROM service_fup_tiers");
    ASSERT_EQ(kept.size(), 1u);
    EXPECT_EQ(kept[0][0].as<int64_t>(), 100);
}

}  // namespace
}  // namespace gatehouse::api::testing
