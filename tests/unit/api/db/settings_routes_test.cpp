// /api/v1/settings: every known key with its default, changes checked key by key as the server
// reads them (store::loadSnapshot agrees), all-or-nothing, and audited.
#include <gtest/gtest.h>

#include "core/api/routes/pools.hpp"
#include "core/api/routes/settings.hpp"
#include "core/store/accounting_repository.hpp"
#include "core/store/snapshot_loader.hpp"
#include "tests/unit/api/db/subscriber_fixture.hpp"

namespace gatehouse::api::testing {
namespace {

using nlohmann::json;

class SettingsRoutes : public SubscriberApiTest {
  protected:
    void SetUp() override {
        SubscriberApiTest::SetUp();
        addPoolLogDashboardSettingRoutes(*router_, deps_);
    }
    HttpResponse put(const std::string& token, const json& in) {
        return call("PUT", "/api/v1/settings", in, token);
    }
    static json item(const json& answer, const std::string& key) {
        for (const auto& i : answer["items"])
            if (i["key"] == key)
                return i;
        return nullptr;
    }
    std::string stored(const std::string& key) {
        auto r = sql("SELECT value FROM settings WHERE key = '" + key + "'");
        return r.empty() ? "<unset>" : r[0][0].as<std::string>();
    }
};

TEST_F(SettingsRoutes, NeedTokenViewAndEdit) {
    EXPECT_EQ(call("GET", "/api/v1/settings").status, 401);
    EXPECT_EQ(call("PUT", "/api/v1/settings", {{"hard_cut", true}}).status, 401);
    auto r = get(tokenOf("shop", "reseller", addResellerRow("shop-co")), "/api/v1/settings");
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(body(r)["error"]["message"], "permission settings.view is required");
    const auto op = tokenOf("operator1", "operator");
    EXPECT_EQ(get(op, "/api/v1/settings").status, 200);
    r = put(op, {{"hard_cut", true}});
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(body(r)["error"]["message"], "permission settings.edit is required");
    EXPECT_EQ(stored("hard_cut"), "<unset>");
}

TEST_F(SettingsRoutes, ListsEveryKeyWithItsDefault) {
    sql("INSERT INTO settings (key, value) VALUES ('grace_days', '3')");
    const json answer = body(get(tokenOf("watcher", "viewer"), "/api/v1/settings"));
    ASSERT_EQ(answer["items"].size(), settingCatalogue().size());
    EXPECT_EQ(answer["items"][0]["key"], "interim_interval");
    const json interim = item(answer, "interim_interval");
    EXPECT_EQ(interim["value"], "300");
    EXPECT_EQ(interim["default"], "300");
    EXPECT_EQ(interim["is_set"], false);
    EXPECT_EQ(interim["updated_at"], nullptr);
    EXPECT_FALSE(interim["description"].get<std::string>().empty());
    const json grace = item(answer, "grace_days");
    EXPECT_EQ(grace["value"], "3");
    EXPECT_EQ(grace["default"], "0");
    EXPECT_EQ(grace["is_set"], true);
    EXPECT_TRUE(grace["updated_at"].is_string());
    for (const char* key : {"hard_cut", "expired_action", "walled_garden_pool",
                            "walled_garden_address_list", "walled_garden_bps", "timezone"})
        EXPECT_FALSE(item(answer, key).is_null()) << key;
}

TEST_F(SettingsRoutes, ChangesAreStoredAsTheServerReadsThemAndAudited) {
    const auto token = tokenOf("root", "superadmin");
    sql("INSERT INTO ip_pools (name, ranges) VALUES ('expired-pool', '10.99.0.1')");
    auto r = put(token, {{"interim_interval", 600},
                         {"hard_cut", "yes"},
                         {"expired_action", "walled_garden"},
                         {"grace_days", " 7"},
                         {"walled_garden_pool", "expired-pool"},
                         {"walled_garden_bps", "2M"},
                         {"timezone", "Asia/Tehran"}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(item(body(r), "interim_interval")["value"], "600");
    EXPECT_EQ(item(body(r), "hard_cut")["value"], "true");
    EXPECT_EQ(stored("grace_days"), "7");
    EXPECT_EQ(stored("walled_garden_bps"), "2000000");

    // What the RADIUS server and policies get (store::loadSettings, through the snapshot).
    auto snapshot = store::loadSnapshot(conn(), testBox());
    const auto& s = snapshot->settings();
    EXPECT_EQ(s.interim_interval, 600U);
    EXPECT_TRUE(s.hard_cut);
    EXPECT_EQ(s.expired_action, "walled_garden");
    EXPECT_EQ(s.grace_days, 7U);
    EXPECT_EQ(s.walled_garden_pool, "expired-pool");
    EXPECT_EQ(s.timezone, "Asia/Tehran");
    EXPECT_EQ(s.extra.at("walled_garden_bps"), "2000000");

    EXPECT_EQ(count("audit_log WHERE resource = 'setting' AND action = 'update'"), 7);
    // An unchanged value writes no audit row; null resets to the default.
    r = put(token, {{"interim_interval", "600"}, {"hard_cut", nullptr}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(item(body(r), "hard_cut")["value"], "false");
    EXPECT_EQ(item(body(r), "hard_cut")["is_set"], false);
    EXPECT_EQ(stored("hard_cut"), "<unset>");
    auto audit =
        sql("SELECT action, resource_id, before::text, after::text, admin_username FROM audit_log"
            " WHERE resource = 'setting' ORDER BY id");
    ASSERT_EQ(audit.size(), 8U);
    EXPECT_EQ(audit[7][0].as<std::string>(), "delete");
    EXPECT_EQ(audit[7][1].as<std::string>(), "hard_cut");
    EXPECT_EQ(json::parse(audit[7][2].as<std::string>()), (json{{"value", "true"}}));
    EXPECT_TRUE(audit[7][3].is_null());
    auto interim =
        sql("SELECT before IS NULL, after->>'value', admin_username FROM audit_log"
            " WHERE resource = 'setting' AND resource_id = 'interim_interval'");
    ASSERT_EQ(interim.size(), 1U);
    EXPECT_TRUE(interim[0][0].as<bool>());
    EXPECT_EQ(interim[0][1].as<std::string>(), "600");
    EXPECT_EQ(interim[0][2].as<std::string>(), "root");
}

TEST_F(SettingsRoutes, StaleBoundIsASettingTheSweepReads) {
    const auto token = tokenOf("root", "superadmin");
    EXPECT_EQ(item(body(get(token, "/api/v1/settings")), "stale_session_minutes")["value"], "auto");
    auto r = put(token, {{"stale_session_minutes", 45}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(stored("stale_session_minutes"), "45");
    {
        pqxx::work txn(conn());
        EXPECT_EQ(store::AccountingRepository::staleBound(txn, 1800), 45 * 60);
    }
    ASSERT_EQ(put(token, {{"stale_session_minutes", "auto"}}).status, 200);
    pqxx::work txn(conn());
    EXPECT_EQ(store::AccountingRepository::staleBound(txn, 1800), 300 + 120);
}

TEST_F(SettingsRoutes, BadValueOrUnknownKeyIs400NamingTheKeyAndChangesNothing) {
    const auto token = tokenOf("root", "superadmin");
    auto field = [&](const json& in) {
        auto r = put(token, in);
        EXPECT_EQ(r.status, 400) << r.body;
        return body(r)["error"]["field"].get<std::string>();
    };
    EXPECT_EQ(field({{"interim_interval", 30}}), "interim_interval");
    EXPECT_EQ(field({{"interim_interval", "5m"}}), "interim_interval");
    EXPECT_EQ(field({{"interim_interval", 1.5}}), "interim_interval");
    EXPECT_EQ(field({{"hard_cut", "maybe"}}), "hard_cut");
    EXPECT_EQ(field({{"expired_action", "ban"}}), "expired_action");
    EXPECT_EQ(field({{"grace_days", -1}}), "grace_days");
    EXPECT_EQ(field({{"walled_garden_pool", "no-such-pool"}}), "walled_garden_pool");
    EXPECT_EQ(field({{"walled_garden_address_list", ""}}), "walled_garden_address_list");
    EXPECT_EQ(field({{"walled_garden_bps", "fast"}}), "walled_garden_bps");
    EXPECT_EQ(field({{"timezone", "Mars/Olympus_Mons"}}), "timezone");
    EXPECT_EQ(field({{"stale_session_minutes", 2}}), "stale_session_minutes");
    EXPECT_EQ(field({{"stale_session_minutes", "soon"}}), "stale_session_minutes");
    EXPECT_EQ(field({{"no_such_key", 30}}), "no_such_key");
    EXPECT_EQ(field({{"hard_cut", true}, {"interim_interval", "x"}}), "interim_interval");
    EXPECT_EQ(stored("hard_cut"), "<unset>");
    EXPECT_EQ(count("settings"), 0);
    EXPECT_EQ(count("audit_log WHERE resource = 'setting'"), 0);
    auto r = call("PUT", "/api/v1/settings", json::array({1}), token);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(body(r)["error"]["field"], "body");
}

}  // namespace
}  // namespace gatehouse::api::testing
