// /api/v1/subscribers: search and pagination, the password never in an answer or the audit
// log, 400 naming the field, reseller scope by guessed ids, session change jobs, audit rows.
#include <fmt/core.h>
#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "tests/unit/api/db/subscriber_fixture.hpp"

namespace gatehouse::api::testing {
namespace {

using nlohmann::json;

class Subscribers : public SubscriberApiTest {};

std::vector<std::string> usernames(const json& page) {
    std::vector<std::string> out;
    for (const auto& item : page["items"])
        out.push_back(item["username"]);
    return out;
}

TEST_F(Subscribers, PasswordIsNeverInAnAnswerNorInTheAuditLog) {
    const auto token = tokenOf("root", "superadmin");
    addServiceRow("home-20");
    auto r = call("POST", "/api/v1/subscribers",
                  {{"username", "alice"},
                   {"password", "Tr0ub4dor&3"},
                   {"service", "home-20"},
                   {"static_ip", "10.1.2.3"},
                   {"mac", "aa-bb-cc-dd-ee-ff"},
                   {"expires_at", "2031-12-31"}},
                  token);
    ASSERT_EQ(r.status, 201) << r.body;
    const json created = body(r);
    EXPECT_EQ(created["username"], "alice");
    EXPECT_EQ(created["service"], "home-20");
    EXPECT_EQ(created["static_ip"], "10.1.2.3");
    EXPECT_EQ(created["mac"], "AA:BB:CC:DD:EE:FF");
    EXPECT_EQ(created["expires_at"], "2031-12-31T23:59:59Z");
    EXPECT_EQ(created["enabled"], true);
    EXPECT_EQ(created["online"], false);
    EXPECT_EQ(created["current_tier"], 0);
    const std::string sealed = sql("SELECT password_enc FROM subscribers")[0][0].as<std::string>();
    // Stored sealed for this username, so the RADIUS side can open it.
    auto opened = testBox().open(sealed, "alice");
    ASSERT_TRUE(opened);
    EXPECT_EQ(*opened, "Tr0ub4dor&3");

    const std::string id = std::to_string(created["id"].get<int64_t>());
    for (const auto& answer : {r.body, get(token, "/api/v1/subscribers").body,
                               get(token, "/api/v1/subscribers/" + id).body}) {
        EXPECT_EQ(answer.find("Tr0ub4dor"), std::string::npos) << answer;
        EXPECT_EQ(answer.find(sealed.substr(4, 16)), std::string::npos) << answer;
        EXPECT_EQ(answer.find("password"), std::string::npos) << answer;
    }
    auto audit = sql(
        "SELECT admin_username, resource, resource_id, before IS NULL, after::text FROM audit_log"
        " WHERE action = 'create' AND resource = 'subscriber'");
    ASSERT_EQ(audit.size(), 1u);
    EXPECT_EQ(audit[0][0].as<std::string>(), "root");
    EXPECT_EQ(audit[0][2].as<std::string>(), id);
    EXPECT_TRUE(audit[0][3].as<bool>());
    const std::string after = audit[0][4].as<std::string>();
    EXPECT_EQ(json::parse(after)["password"], "***");
    EXPECT_EQ(json::parse(after)["username"], "alice");
    EXPECT_EQ(after.find("Tr0ub4dor"), std::string::npos);
}

TEST_F(Subscribers, CreateRefusalsNameTheField) {
    const auto token = tokenOf("root", "superadmin");
    addServiceRow("home-20");
    auto field = [&](const json& in) {
        auto r = call("POST", "/api/v1/subscribers", in, token);
        EXPECT_EQ(r.status, 400) << r.body;
        return body(r)["error"].value("field", "");
    };
    EXPECT_EQ(field({{"username", "bob"}}), "password");
    EXPECT_EQ(field({{"password", "pw"}}), "username");
    EXPECT_EQ(field({{"username", 7}, {"password", "pw"}}), "username");
    EXPECT_EQ(field({{"username", "bob"}, {"password", "pw"}, {"static_ip", "10.0.0.300"}}),
              "static_ip");
    EXPECT_EQ(field({{"username", "bob"}, {"password", "pw"}, {"mac", "nope"}}), "mac");
    EXPECT_EQ(field({{"username", "bob"}, {"password", "pw"}, {"service", "gold"}}), "service");
    EXPECT_EQ(field({{"username", "bob"}, {"password", "pw"}, {"expires_at", "soon"}}),
              "expires_at");
    EXPECT_EQ(field({{"username", "bob"}, {"password", "pw"}, {"enabled", "yes"}}), "enabled");
    EXPECT_EQ(field({{"username", "bob"}, {"password", "pw"}, {"reseller_id", 99}}), "reseller_id");
    EXPECT_EQ(field({{"username", "bob"}, {"password", "pw"}, {"colour", "red"}}), "colour");
    create(token, {{"username", "bob"}, {"password", "pw"}});
    auto dup = call("POST", "/api/v1/subscribers", {{"username", "bob"}, {"password", "x"}}, token);
    EXPECT_EQ(dup.status, 409);
    EXPECT_EQ(body(dup)["error"]["field"], "username");
    EXPECT_EQ(count("subscribers"), 1);
    EXPECT_EQ(count("audit_log WHERE resource = 'subscriber'"), 1);
}

TEST_F(Subscribers, ViewerCannotCreateAndIsToldWhichPermission) {
    const auto token = tokenOf("watcher", "viewer");
    auto r = call("POST", "/api/v1/subscribers", {{"username", "bob"}, {"password", "pw"}}, token);
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(body(r)["error"]["message"], "permission subscribers.create is required");
    EXPECT_EQ(get(token, "/api/v1/subscribers").status, 200);
    EXPECT_EQ(get("", "/api/v1/subscribers").status, 401);
}

TEST_F(Subscribers, SearchFiltersAndPagesWithTotals) {
    const auto token = tokenOf("root", "superadmin");
    addServiceRow("home-20");
    for (int i = 1; i <= 12; ++i)
        create(token, {{"username", fmt::format("user{:02}", i)},
                       {"password", "pw"},
                       {"service", i % 2 ? "home-20" : json(nullptr)},
                       {"enabled", i <= 9}});
    const int64_t alice =
        create(token, {{"username", "Alice"}, {"password", "pw"}, {"static_ip", "10.1.2.3"}});
    create(token, {{"username", "bob"}, {"password", "pw"}, {"mac", "aa:bb:cc:dd:ee:ff"}});
    addSession(sessionOf("Alice", alice));

    auto page3 =
        body(get(token, "/api/v1/subscribers", {{"q", "USER"}, {"per_page", "5"}, {"page", "3"}}));
    EXPECT_EQ(page3["total"], 12);
    EXPECT_EQ(page3["page"], 3);
    EXPECT_EQ(page3["per_page"], 5);
    EXPECT_EQ(usernames(page3), (std::vector<std::string>{"user11", "user12"}));
    auto all = body(get(token, "/api/v1/subscribers"));
    EXPECT_EQ(all["total"], 14);
    EXPECT_EQ(all["per_page"], 50);
    EXPECT_EQ(all["items"].size(), 14u);

    EXPECT_EQ(usernames(body(get(token, "/api/v1/subscribers", {{"q", "lic"}}))),
              std::vector<std::string>{"Alice"});
    EXPECT_EQ(usernames(body(get(token, "/api/v1/subscribers", {{"q", "10.1.2"}}))),
              std::vector<std::string>{"Alice"});
    EXPECT_EQ(usernames(body(get(token, "/api/v1/subscribers", {{"q", "CC-DD-EE"}}))),
              std::vector<std::string>{"bob"});
    EXPECT_EQ(usernames(body(get(token, "/api/v1/subscribers", {{"q", "ccdd"}}))),
              std::vector<std::string>{"bob"});
    EXPECT_EQ(body(get(token, "/api/v1/subscribers", {{"service", "home-20"}}))["total"], 6);
    auto disabled = body(get(token, "/api/v1/subscribers", {{"enabled", "false"}}));
    EXPECT_EQ(usernames(disabled), (std::vector<std::string>{"user10", "user11", "user12"}));
    auto online = body(get(token, "/api/v1/subscribers", {{"online", "true"}}));
    EXPECT_EQ(usernames(online), std::vector<std::string>{"Alice"});
    EXPECT_EQ(online["items"][0]["online"], true);
    EXPECT_EQ(online["items"][0]["open_sessions"], 1);
    EXPECT_EQ(body(get(token, "/api/v1/subscribers", {{"online", "false"}}))["total"], 13);
    auto newest = body(get(token, "/api/v1/subscribers", {{"sort", "-created_at"}}));
    EXPECT_EQ(newest["items"][0]["username"], "bob");

    for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
             {"per_page", "501"}, {"page", "0"}, {"sort", "password"}, {"online", "yes"}}) {
        auto r = get(token, "/api/v1/subscribers", {{name, value}});
        EXPECT_EQ(r.status, 400) << name;
        EXPECT_EQ(body(r)["error"]["field"], name);
    }
}

TEST_F(Subscribers, ResellerCannotReadChangeOrDeleteAnotherResellersSubscriber) {
    const int64_t north = addResellerRow("north");
    const int64_t south = addResellerRow("south");
    const auto root = tokenOf("root", "superadmin");
    const int64_t mine =
        create(root, {{"username", "n1"}, {"password", "pw"}, {"reseller_id", north}});
    const int64_t theirs =
        create(root, {{"username", "s1"}, {"password", "pw"}, {"reseller_id", south}});
    const auto token = tokenOf("north-admin", "reseller", north);

    const std::string foreign = "/api/v1/subscribers/" + std::to_string(theirs);
    const auto missing = get(token, "/api/v1/subscribers/987654");
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(get(token, foreign).body, missing.body);
    EXPECT_EQ(call("PATCH", foreign, {{"enabled", false}}, token).body, missing.body);
    EXPECT_EQ(call("DELETE", foreign, nullptr, token).body, missing.body);
    EXPECT_EQ(get(token, foreign + "/usage").body, missing.body);
    EXPECT_EQ(sql("SELECT enabled FROM subscribers WHERE username = 's1'")[0][0].as<bool>(), true);

    EXPECT_EQ(get(token, "/api/v1/subscribers/" + std::to_string(mine)).status, 200);
    EXPECT_EQ(usernames(body(get(token, "/api/v1/subscribers"))), std::vector<std::string>{"n1"});

    // What a reseller creates is its own; it cannot place a subscriber elsewhere.
    const int64_t made = create(token, {{"username", "n2"}, {"password", "pw"}});
    EXPECT_EQ(sql("SELECT reseller_id FROM subscribers WHERE id = " + std::to_string(made))[0][0]
                  .as<int64_t>(),
              north);
    auto elsewhere = call("POST", "/api/v1/subscribers",
                          {{"username", "n3"}, {"password", "pw"}, {"reseller_id", south}}, token);
    EXPECT_EQ(elsewhere.status, 403);
    EXPECT_EQ(body(elsewhere)["error"]["field"], "reseller_id");
    EXPECT_EQ(count("audit_log WHERE admin_username = 'north-admin' AND resource = 'subscriber'"),
              1);
}

TEST_F(Subscribers, PlanChangeOfAnOnlineSubscriberWritesThePlanJobAndAuditsBeforeAndAfter) {
    const auto token = tokenOf("root", "superadmin");
    const int64_t basic = addServiceRow("basic");
    addServiceRow("premium");
    const int64_t online =
        create(token, {{"username", "on"}, {"password", "pw"}, {"service", "basic"}});
    const int64_t offline =
        create(token, {{"username", "off"}, {"password", "pw"}, {"service", "basic"}});
    addSession(sessionOf("on", online));

    auto r = call("PATCH", "/api/v1/subscribers/" + std::to_string(online),
                  {{"service", "premium"}}, token);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(body(r)["service"], "premium");
    EXPECT_EQ(call("PATCH", "/api/v1/subscribers/" + std::to_string(offline),
                   {{"service", "premium"}}, token)
                  .status,
              200);
    auto jobs = sql("SELECT subscriber_id, kind, from_service_id FROM tier_change_jobs");
    ASSERT_EQ(jobs.size(), 1u);  // the offline one simply logs in on the new plan
    EXPECT_EQ(jobs[0][0].as<int64_t>(), online);
    EXPECT_EQ(jobs[0][1].as<std::string>(), "plan");
    EXPECT_EQ(jobs[0][2].as<int64_t>(), basic);

    auto audit =
        sql("SELECT before::text, after::text FROM audit_log WHERE action = 'update'"
            " AND resource_id = '" +
            std::to_string(online) + "'");
    ASSERT_EQ(audit.size(), 1u);
    EXPECT_EQ(json::parse(audit[0][0].as<std::string>())["service"], "basic");
    EXPECT_EQ(json::parse(audit[0][1].as<std::string>())["service"], "premium");
}

TEST_F(Subscribers, PatchChangesOnlyWhatIsGivenAndNamesRefusedFields) {
    const auto token = tokenOf("root", "superadmin");
    const int64_t id = create(token, {{"username", "carol"},
                                      {"password", "old-password"},
                                      {"static_ip", "10.9.9.9"},
                                      {"mac", "00:11:22:33:44:55"}});
    const std::string path = "/api/v1/subscribers/" + std::to_string(id);
    auto r = call("PATCH", path, {{"password", "new-password"}, {"mac", nullptr}}, token);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(body(r)["mac"], nullptr);
    EXPECT_EQ(body(r)["static_ip"], "10.9.9.9");
    EXPECT_EQ(r.body.find("new-password"), std::string::npos);
    auto opened = testBox().open(
        sql("SELECT password_enc FROM subscribers")[0][0].as<std::string>(), "carol");
    ASSERT_TRUE(opened);
    EXPECT_EQ(*opened, "new-password");
    const std::string after =
        sql("SELECT after::text FROM audit_log WHERE action = 'update'")[0][0].as<std::string>();
    EXPECT_EQ(json::parse(after)["password"], "***");
    EXPECT_EQ(after.find("new-password"), std::string::npos);

    auto field = [&](const json& in) {
        auto answer = call("PATCH", path, in, token);
        EXPECT_EQ(answer.status, 400) << answer.body;
        return body(answer)["error"].value("field", "");
    };
    EXPECT_EQ(field({{"username", "caroline"}}), "username");
    EXPECT_EQ(field({{"password", ""}}), "password");
    EXPECT_EQ(field({{"static_ip", "300.1.1.1"}}), "static_ip");
    EXPECT_EQ(field({{"expires_at", "31/12/2030"}}), "expires_at");
    EXPECT_EQ(field(json::object()), "body");
    EXPECT_EQ(count("audit_log WHERE action = 'update'"), 1);
}

TEST_F(Subscribers, DeleteQueuesADisconnectForTheOpenSessionAndIsAudited) {
    const auto token = tokenOf("root", "superadmin");
    const int64_t nas = addNasRow("core-1", "10.0.0.1");
    const int64_t id = create(token, {{"username", "dave"}, {"password", "pw"}});
    addSession(sessionOf("dave", id, nas));
    auto r = call("DELETE", "/api/v1/subscribers/" + std::to_string(id), nullptr, token);
    EXPECT_EQ(r.status, 204) << r.body;
    EXPECT_EQ(count("subscribers"), 0);
    auto coa = sql("SELECT kind, reason, username FROM coa_requests");
    ASSERT_EQ(coa.size(), 1u);
    EXPECT_EQ(coa[0][0].as<std::string>(), "disconnect");
    EXPECT_EQ(coa[0][1].as<std::string>(), "deleted");
    EXPECT_EQ(coa[0][2].as<std::string>(), "dave");
    auto audit =
        sql("SELECT before->>'username', after IS NULL FROM audit_log"
            " WHERE action = 'delete' AND resource = 'subscriber'");
    ASSERT_EQ(audit.size(), 1u);
    EXPECT_EQ(audit[0][0].as<std::string>(), "dave");
    EXPECT_TRUE(audit[0][1].as<bool>());
    EXPECT_EQ(call("DELETE", "/api/v1/subscribers/" + std::to_string(id), nullptr, token).status,
              404);
}

TEST_F(Subscribers, BulkDisableAnswersPerIdAndLeavesOtherResellersAlone) {
    const int64_t north = addResellerRow("north");
    const int64_t south = addResellerRow("south");
    const auto root = tokenOf("root", "superadmin");
    const int64_t n1 =
        create(root, {{"username", "n1"}, {"password", "pw"}, {"reseller_id", north}});
    const int64_t n2 =
        create(root, {{"username", "n2"}, {"password", "pw"}, {"reseller_id", north}});
    const int64_t s1 =
        create(root, {{"username", "s1"}, {"password", "pw"}, {"reseller_id", south}});
    addSession(sessionOf("n1", n1));
    const auto token = tokenOf("north-admin", "reseller", north);

    auto r = call("POST", "/api/v1/subscribers/bulk",
                  {{"action", "disable"}, {"ids", json::array({n1, s1, n2, 999999, n1})}}, token);
    ASSERT_EQ(r.status, 200) << r.body;
    const json answer = body(r);
    EXPECT_EQ(answer["results"],
              json::parse(fmt::format(
                  R"([{{"id":{},"status":"done"}},{{"id":{},"status":"not_found"}},)"
                  R"({{"id":{},"status":"done"}},{{"id":999999,"status":"not_found"}}])",
                  n1, s1, n2)));
    EXPECT_EQ(answer["done"], 2);
    EXPECT_EQ(answer["not_found"], 2);
    EXPECT_EQ(sql("SELECT string_agg(username || '=' || enabled, ',' ORDER BY username)"
                  " FROM subscribers")[0][0]
                  .as<std::string>(),
              "n1=false,n2=false,s1=true");
    // The online one's sessions end (docs/coa.md "disabled"); one audit row per subscriber.
    auto jobs = sql("SELECT subscriber_id, kind FROM tier_change_jobs");
    ASSERT_EQ(jobs.size(), 1u);
    EXPECT_EQ(jobs[0][0].as<int64_t>(), n1);
    EXPECT_EQ(jobs[0][1].as<std::string>(), "disabled");
    auto audit =
        sql("SELECT resource_id, before->>'enabled', after->>'enabled' FROM audit_log"
            " WHERE action = 'disable' AND resource = 'subscriber' ORDER BY id");
    ASSERT_EQ(audit.size(), 2u);
    EXPECT_EQ(audit[0][0].as<std::string>(), std::to_string(n1));
    EXPECT_EQ(audit[0][1].as<std::string>(), "true");
    EXPECT_EQ(audit[0][2].as<std::string>(), "false");
    EXPECT_EQ(audit[1][0].as<std::string>(), std::to_string(n2));

    auto bad = call("POST", "/api/v1/subscribers/bulk",
                    {{"action", "delete"}, {"ids", json::array({n1})}}, token);
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(body(bad)["error"]["field"], "action");
    bad = call("POST", "/api/v1/subscribers/bulk",
               {{"action", "enable"}, {"ids", json::array({"n1"})}}, token);
    EXPECT_EQ(body(bad)["error"]["field"], "ids");
}

TEST_F(Subscribers, OneSubscriberCarriesItsOpenSessionsAndTodaysAndThisMonthsUsage) {
    const auto token = tokenOf("root", "superadmin");
    const int64_t nas = addNasRow("core-1", "10.0.0.1");
    const int64_t id = create(token, {{"username", "erin"}, {"password", "pw"}});
    addSession(sessionOf("erin", id, nas));
    auto ended = sessionOf("erin", id, nas);
    ended.acct_session_id = "old";
    ended.start = "now() - interval '3 hours'";
    ended.stop = "now() - interval '2 hours'";
    addSession(ended);
    const std::string sid = std::to_string(id);
    sql("INSERT INTO subscriber_usage_daily VALUES (" + sid +
        ", (now() AT TIME ZONE 'UTC')::date, 100, 900), (" + sid +
        ", (now() AT TIME ZONE 'UTC')::date - 40, 5, 5)");
    sql("INSERT INTO subscriber_usage_monthly VALUES (" + sid +
        ", date_trunc('month', now() AT TIME ZONE 'UTC')::date, 1000, 9000)");

    auto j = body(get(token, "/api/v1/subscribers/" + sid));
    EXPECT_EQ(j["online"], true);
    ASSERT_EQ(j["sessions"].size(), 1u);
    EXPECT_EQ(j["sessions"][0]["acct_session_id"], "81a00001");
    EXPECT_EQ(j["sessions"][0]["nas"], "core-1");
    EXPECT_EQ(j["sessions"][0]["framed_ip"], "100.64.0.10");
    EXPECT_EQ(j["usage"]["timezone"], "UTC");
    EXPECT_EQ(j["usage"]["today"], json({{"upload", 100}, {"download", 900}, {"total", 1000}}));
    EXPECT_EQ(j["usage"]["month"], json({{"upload", 1000}, {"download", 9000}, {"total", 10000}}));
}

}  // namespace
}  // namespace gatehouse::api::testing
