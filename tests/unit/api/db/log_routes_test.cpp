// /api/v1/logs: radius_logs newest first, its filters and their 400s, the capped total, and a
// reseller reading only its own subscribers' rows.
#include <gtest/gtest.h>

#include <vector>

#include "core/api/routes/pools.hpp"
#include "core/api/routes/radius_logs.hpp"
#include "tests/unit/api/db/subscriber_fixture.hpp"

namespace gatehouse::api::testing {
namespace {

using nlohmann::json;

class LogRoutes : public SubscriberApiTest {
  protected:
    void SetUp() override {
        SubscriberApiTest::SetUp();
        addPoolLogDashboardSettingRoutes(*router_, deps_);
    }
    /// A radius_logs row as core/store/log_writer.cpp writes it; `at` is SQL.
    void addLog(const std::string& at, const std::string& username, const std::string& nas_ip,
                const std::string& event, const std::string& reason = "",
                const std::string& detail = "NULL") {
        sql("INSERT INTO radius_logs (at, username, nas_ip, event, reason, detail) VALUES (" + at +
            ", " + (username.empty() ? "NULL" : "'" + username + "'") + ", " +
            (nas_ip.empty() ? "NULL" : "'" + nas_ip + "'") + ", '" + event + "', '" + reason +
            "', " + detail + ")");
    }
    std::vector<std::string> users(const json& page) {
        std::vector<std::string> out;
        for (const auto& item : page["items"])
            out.push_back(item["username"].is_null() ? "-" : item["username"].get<std::string>());
        return out;
    }
};

TEST_F(LogRoutes, NeedTokenAndLogsView) {
    EXPECT_EQ(call("GET", "/api/v1/logs").status, 401);
    auto r = get(tokenOf("shop", "reseller", addResellerRow("shop-co")), "/api/v1/logs");
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(body(r)["error"]["message"], "permission logs.view is required");
    EXPECT_EQ(get(tokenOf("watcher", "viewer"), "/api/v1/logs").status, 200);
}

TEST_F(LogRoutes, NewestFirstWithNasNameAndDetail) {
    const auto token = tokenOf("root", "superadmin");
    addNasRow("core-1", "10.0.0.1");
    addLog("'2026-11-20T10:00:00Z'", "alice", "10.0.0.1", "accept", "",
           "'{\"ip\": \"100.64.0.5\"}'");
    addLog("'2026-11-20T10:00:01.25Z'", "bob", "10.0.0.9", "reject", "bad password");
    addLog("'2026-11-20T10:00:01.25Z'", "", "10.0.0.1", "acct-on");

    auto page = body(get(token, "/api/v1/logs"));
    EXPECT_EQ(page["total"], 3);
    EXPECT_EQ(page["total_capped"], false);
    // Same instant: the later id first (ORDER BY at DESC, id DESC).
    EXPECT_EQ(users(page), (std::vector<std::string>{"-", "bob", "alice"}));
    EXPECT_EQ(page["items"][1]["at"], "2026-11-20T10:00:01.250Z");
    EXPECT_EQ(page["items"][1]["nas"], nullptr);
    EXPECT_EQ(page["items"][1]["reason"], "bad password");
    const json& accept = page["items"][2];
    EXPECT_EQ(accept["nas_ip"], "10.0.0.1");
    EXPECT_EQ(accept["nas"], "core-1");
    EXPECT_EQ(accept["event"], "accept");
    EXPECT_EQ(accept["detail"], (json{{"ip", "100.64.0.5"}}));
    EXPECT_TRUE(accept["id"].is_number_integer());

    auto second = body(get(token, "/api/v1/logs", {{"per_page", "2"}, {"page", "2"}}));
    EXPECT_EQ(users(second), (std::vector<std::string>{"alice"}));
    EXPECT_EQ(second["total"], 3);
}

TEST_F(LogRoutes, FiltersByUsernameNasEventReasonAndTime) {
    const auto token = tokenOf("root", "superadmin");
    addLog("'2026-11-20T09:00:00Z'", "alice", "10.0.0.1", "accept");
    addLog("'2026-11-20T10:00:00Z'", "alicia", "10.0.0.2", "reject", "Bad Password");
    addLog("'2026-11-20T11:00:00Z'", "al_x", "10.0.0.1", "reject", "account disabled");
    addLog("'2026-11-20T12:00:00Z'", "bob", "10.0.0.1", "acct-interim");

    auto q = [&](std::map<std::string, std::string> query) {
        return users(body(get(token, "/api/v1/logs", query)));
    };
    using V = std::vector<std::string>;
    EXPECT_EQ(q({{"username", "alice"}}), V{"alice"});
    EXPECT_EQ(q({{"username", "ali*"}}), (V{"alicia", "alice"}));
    EXPECT_EQ(q({{"username", "al_*"}}), V{"al_x"});  // "_" is a character, not a wildcard
    EXPECT_EQ(q({{"nas_ip", "10.0.0.2"}}), V{"alicia"});
    EXPECT_EQ(q({{"event", "reject"}}), (V{"al_x", "alicia"}));
    EXPECT_EQ(q({{"reason", "password"}}), V{"alicia"});
    EXPECT_EQ(q({{"from", "2026-11-20T10:00:00Z"}, {"to", "2026-11-20T12:00:00Z"}}),
              (V{"al_x", "alicia"}));
    EXPECT_EQ(q({{"from", "2026-11-20T12:30:00+02:00"}}), (V{"bob", "al_x"}));
    EXPECT_EQ(q({{"to", "2026-11-20T09:00:00.5z"}}), V{"alice"});
    EXPECT_EQ(q({{"from", "2026-11-20"}, {"to", "2026-11-20"}}).size(), 4U);
    EXPECT_EQ(q({{"event", "reject"}, {"nas_ip", "10.0.0.1"}}), V{"al_x"});
}

TEST_F(LogRoutes, BadFiltersAre400NamingTheField) {
    const auto token = tokenOf("root", "superadmin");
    auto field = [&](std::map<std::string, std::string> query) {
        auto r = get(token, "/api/v1/logs", query);
        EXPECT_EQ(r.status, 400) << r.body;
        return body(r)["error"]["field"].get<std::string>();
    };
    EXPECT_EQ(field({{"from", "yesterday"}}), "from");
    EXPECT_EQ(field({{"to", "2026-13-01T00:00:00Z"}}), "to");
    EXPECT_EQ(field({{"to", "2026-02-30T00:00:00Z"}}), "to");
    EXPECT_EQ(field({{"from", "2026-11-20T10:00:00+25:00"}}), "from");
    EXPECT_EQ(field({{"nas_ip", "10.0.0"}}), "nas_ip");
    EXPECT_EQ(field({{"page", "0"}}), "page");
    EXPECT_EQ(field({{"per_page", "501"}}), "per_page");
}

TEST_F(LogRoutes, TotalStopsCountingPastTenThousand) {
    const auto token = tokenOf("root", "superadmin");
    sql("INSERT INTO radius_logs (at, username, event) SELECT now() - g * interval '1 second',"
        " 'user' || g, 'accept' FROM generate_series(1, 10001) g");
    auto page = body(get(token, "/api/v1/logs", {{"per_page", "1"}}));
    EXPECT_EQ(page["total"], kLogTotalCap);
    EXPECT_EQ(page["total_capped"], true);
    EXPECT_EQ(users(page), std::vector<std::string>{"user1"});
    sql("DELETE FROM radius_logs WHERE username = 'user10001'");
    page = body(get(token, "/api/v1/logs", {{"per_page", "1"}}));
    EXPECT_EQ(page["total"], 10000);
    EXPECT_EQ(page["total_capped"], false);
}

TEST_F(LogRoutes, ResellerReadsOnlyItsSubscribersRows) {
    const int64_t shop = addResellerRow("shop-co");
    setReseller(insertSubscriber("customer"), shop);
    setReseller(insertSubscriber("stranger"), addResellerRow("other-co"));
    addLog("now() - interval '3 minutes'", "customer", "10.0.0.1", "accept");
    addLog("now() - interval '2 minutes'", "stranger", "10.0.0.1", "accept");
    addLog("now() - interval '1 minute'", "", "10.0.0.1", "acct-on");
    addLog("now()", "nobody", "10.0.0.1", "reject", "unknown user");
    sql("INSERT INTO roles (name, permissions) VALUES ('log-reseller', ARRAY['logs.view'])");
    const auto token = tokenOf("shop", "log-reseller", shop);
    auto page = body(get(token, "/api/v1/logs"));
    EXPECT_EQ(page["total"], 1);
    EXPECT_EQ(users(page), std::vector<std::string>{"customer"});
    EXPECT_EQ(body(get(token, "/api/v1/logs", {{"username", "stranger"}}))["total"], 0);
}

}  // namespace
}  // namespace gatehouse::api::testing
