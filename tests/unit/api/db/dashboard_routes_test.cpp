// /api/v1/dashboard: online sessions by NAS, accept/reject rates, reject reasons, subscriber and
// NAS counts, for the whole ISP and for a reseller's own scope.
#include <gtest/gtest.h>

#include "core/api/routes/pools.hpp"
#include "tests/unit/api/db/subscriber_fixture.hpp"

namespace gatehouse::api::testing {
namespace {

using nlohmann::json;

class DashboardRoutes : public SubscriberApiTest {
  protected:
    void SetUp() override {
        SubscriberApiTest::SetUp();
        addPoolLogDashboardSettingRoutes(*router_, deps_);
    }
    void addLogs(int n, const std::string& ago, const std::string& username,
                 const std::string& event, const std::string& reason = "") {
        sql("INSERT INTO radius_logs (at, username, event, reason) SELECT now() - interval '" +
            ago + "', '" + username + "', '" + event + "', '" + reason +
            "' FROM generate_series(1, " + std::to_string(n) + ")");
    }
    int64_t sum(const json& per_minute, const char* key) {
        int64_t total = 0;
        for (const auto& m : per_minute)
            total += m[key].get<int64_t>();
        return total;
    }
};

TEST_F(DashboardRoutes, NeedTokenAndDashboardView) {
    EXPECT_EQ(call("GET", "/api/v1/dashboard").status, 401);
    auto r = get(tokenOf("shop", "reseller", addResellerRow("shop-co")), "/api/v1/dashboard");
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(body(r)["error"]["message"], "permission dashboard.view is required");
}

TEST_F(DashboardRoutes, CountsTheWholeIsp) {
    const auto token = tokenOf("root", "superadmin");
    const int64_t core1 = addNasRow("core-1", "10.0.0.1");
    const int64_t core2 = addNasRow("core-2", "10.0.0.2");
    addNasRow("idle", "10.0.0.3");
    const int64_t alice = insertSubscriber("alice");
    const int64_t bob = insertSubscriber("bob");
    const int64_t carol = insertSubscriber("carol");
    const int64_t dave = insertSubscriber("dave");
    sql("UPDATE subscribers SET enabled = false WHERE id = " + std::to_string(carol));
    sql("UPDATE subscribers SET expires_at = now() - interval '1 day' WHERE id = " +
        std::to_string(dave));
    addSession(sessionOf("alice", alice, core1));
    auto second = sessionOf("bob", bob, core1);
    second.acct_session_id = "b1";
    addSession(second);
    auto elsewhere = sessionOf("alice", alice, core2);
    elsewhere.acct_session_id = "a2";
    elsewhere.nas_ip = "10.0.0.2";
    addSession(elsewhere);
    auto unknown_nas = sessionOf("ghost", std::nullopt);
    unknown_nas.acct_session_id = "g1";
    unknown_nas.nas_ip = "10.9.9.9";
    addSession(unknown_nas);
    auto ended = sessionOf("bob", bob, core2);
    ended.acct_session_id = "b0";
    ended.stop = "now() - interval '10 minutes'";
    addSession(ended);
    addLogs(3, "2 minutes", "alice", "accept");
    addLogs(2, "1 minute", "bob", "reject", "bad password");
    addLogs(1, "30 minutes", "carol", "reject", "account disabled");
    addLogs(4, "3 hours", "zed", "reject", "unknown user");
    addLogs(5, "2 days", "zed", "reject", "old");
    addLogs(2, "1 minute", "alice", "acct-interim");
    addLogs(1, "20 minutes", "alice", "acct-interim");

    auto r = get(token, "/api/v1/dashboard");
    ASSERT_EQ(r.status, 200) << r.body;
    const json d = body(r);
    EXPECT_EQ(d["online_now"], 4);
    EXPECT_EQ(d["online_by_nas"],
              (json::array({{{"nas_id", core1}, {"name", "core-1"}, {"online", 2}},
                            {{"nas_id", nullptr}, {"name", "10.9.9.9"}, {"online", 1}},
                            {{"nas_id", core2}, {"name", "core-2"}, {"online", 1}}})));
    EXPECT_EQ(d["auth"]["accepts_5m"], 3);
    EXPECT_EQ(d["auth"]["rejects_5m"], 2);
    ASSERT_EQ(d["auth"]["per_minute"].size(), 60U);
    EXPECT_EQ(sum(d["auth"]["per_minute"], "accepts"), 3);
    EXPECT_EQ(sum(d["auth"]["per_minute"], "rejects"), 3);
    EXPECT_LT(d["auth"]["per_minute"][0]["at"].get<std::string>(),
              d["auth"]["per_minute"][59]["at"].get<std::string>());
    EXPECT_EQ(d["rejects_by_reason_24h"],
              (json::array({{{"reason", "unknown user"}, {"count", 4}},
                            {{"reason", "bad password"}, {"count", 2}},
                            {{"reason", "account disabled"}, {"count", 1}}})));
    EXPECT_EQ(d["accounting"]["interims_5m"], 2);
    EXPECT_EQ(d["subscribers"],
              (json{{"total", 4}, {"active", 2}, {"disabled", 1}, {"expired", 1}}));
    EXPECT_EQ(d["nas"], (json{{"total", 3}, {"online", 2}}));
    EXPECT_TRUE(d["generated_at"].is_string());
}

TEST_F(DashboardRoutes, ResellerCountsOnlyItsOwnScope) {
    const int64_t shop = addResellerRow("shop-co");
    const int64_t mine = addNasRow("shop-nas", "10.0.0.1");
    addNasRow("isp-nas", "10.0.0.2");
    sql("INSERT INTO reseller_nas (reseller_id, nas_id) VALUES (" + std::to_string(shop) + ", " +
        std::to_string(mine) + ")");
    const int64_t customer = insertSubscriber("customer");
    setReseller(customer, shop);
    const int64_t stranger = insertSubscriber("stranger");
    addSession(sessionOf("customer", customer, mine));
    auto theirs = sessionOf("stranger", stranger, mine);
    theirs.acct_session_id = "s1";
    addSession(theirs);
    addLogs(2, "1 minute", "customer", "reject", "bad password");
    addLogs(7, "1 minute", "stranger", "reject", "bad password");
    addLogs(1, "1 minute", "stranger", "accept");
    sql("INSERT INTO roles (name, permissions) VALUES ('dash-reseller', ARRAY['dashboard.view'])");
    const auto token = tokenOf("shop", "dash-reseller", shop);

    const json d = body(get(token, "/api/v1/dashboard"));
    EXPECT_EQ(d["online_now"], 1);
    EXPECT_EQ(d["online_by_nas"],
              (json::array({{{"nas_id", mine}, {"name", "shop-nas"}, {"online", 1}}})));
    EXPECT_EQ(d["auth"]["accepts_5m"], 0);
    EXPECT_EQ(d["auth"]["rejects_5m"], 2);
    EXPECT_EQ(d["rejects_by_reason_24h"],
              (json::array({{{"reason", "bad password"}, {"count", 2}}})));
    EXPECT_EQ(d["subscribers"]["total"], 1);
    EXPECT_EQ(d["nas"], (json{{"total", 1}, {"online", 1}}));
}

}  // namespace
}  // namespace gatehouse::api::testing
