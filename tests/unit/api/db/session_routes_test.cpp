// /api/v1/sessions (online now, history), Disconnect through the coa_requests outbox, and
// /api/v1/subscribers/{id}/usage; resellers see and end only their own subscribers' sessions.
#include <gtest/gtest.h>

#include <vector>

#include "core/store/coa_outbox_repository.hpp"
#include "tests/unit/api/db/subscriber_fixture.hpp"

namespace gatehouse::api::testing {
namespace {

using nlohmann::json;

class Sessions : public SubscriberApiTest {
  protected:
    int64_t subscriber(const std::string& username, std::optional<int64_t> reseller = {}) {
        const int64_t id = insertSubscriber(username);
        if (reseller)
            setReseller(id, *reseller);
        return id;
    }
};

std::vector<std::string> sessionIds(const json& page) {
    std::vector<std::string> out;
    for (const auto& item : page["items"])
        out.push_back(item["acct_session_id"]);
    return out;
}

TEST_F(Sessions, OnlineNowByDefaultAndHistoryByStartDate) {
    const auto token = tokenOf("root", "superadmin");
    const int64_t core1 = addNasRow("core-1", "10.0.0.1");
    const int64_t core2 = addNasRow("core-2", "10.0.0.2");
    const int64_t alice = subscriber("alice");
    const int64_t bob = subscriber("bob");
    auto open1 = sessionOf("alice", alice, core1);
    open1.acct_session_id = "a-open";
    addSession(open1);
    auto open2 = sessionOf("bob", bob, core2);
    open2.acct_session_id = "b-open";
    open2.nas_ip = "10.0.0.2";
    open2.start = "now() - interval '10 minutes'";
    addSession(open2);
    auto yesterday = sessionOf("alice", alice, core1);
    yesterday.acct_session_id = "a-yesterday";
    yesterday.start = "now() - interval '1 day 2 hours'";
    yesterday.stop = "now() - interval '1 day'";
    addSession(yesterday);
    auto old = sessionOf("alice", alice, core1);
    old.acct_session_id = "a-old";
    old.start = "'2020-03-15T10:00:00Z'";
    old.stop = "'2020-03-15T12:00:00Z'";
    addSession(old);

    auto online = body(get(token, "/api/v1/sessions"));
    EXPECT_EQ(online["total"], 2);
    EXPECT_EQ(sessionIds(online), (std::vector<std::string>{"b-open", "a-open"}));
    const json& first = online["items"][0];
    EXPECT_EQ(first["username"], "bob");
    EXPECT_EQ(first["nas"], "core-2");
    EXPECT_EQ(first["nas_id"], core2);
    EXPECT_EQ(first["framed_ip"], "100.64.0.10");
    EXPECT_EQ(first["stop"], nullptr);
    EXPECT_EQ(first["input_octets"], 1000);
    EXPECT_EQ(first["output_octets"], 2000);
    EXPECT_EQ(first["session_time"], 3600);
    EXPECT_EQ(first["online"], true);

    auto history = body(get(token, "/api/v1/sessions", {{"state", "closed"}}));
    EXPECT_EQ(sessionIds(history), (std::vector<std::string>{"a-yesterday", "a-old"}));
    EXPECT_EQ(history["items"][1]["stop"], "2020-03-15T12:00:00Z");
    EXPECT_EQ(history["items"][1]["terminate_cause"], "User-Request");
    EXPECT_EQ(
        sessionIds(body(get(token, "/api/v1/sessions",
                            {{"state", "closed"}, {"from", "2020-03-15"}, {"to", "2020-03-15"}}))),
        std::vector<std::string>{"a-old"});
    EXPECT_EQ(sessionIds(body(
                  get(token, "/api/v1/sessions", {{"state", "closed"}, {"from", "2020-03-16"}}))),
              std::vector<std::string>{"a-yesterday"});
    EXPECT_EQ(sessionIds(body(get(token, "/api/v1/sessions",
                                  {{"state", "closed"}, {"to", "2020-03-15T09:59:59Z"}}))),
              std::vector<std::string>{});
    // The same RFC 3339 syntax as the other lists: an offset, and fractions of a second.
    EXPECT_EQ(sessionIds(body(get(token, "/api/v1/sessions",
                                  {{"state", "closed"}, {"to", "2020-03-15T12:00:00.5+02:00"}}))),
              std::vector<std::string>{"a-old"});
    EXPECT_EQ(
        body(get(token, "/api/v1/sessions", {{"state", "all"}, {"username", "alice"}}))["total"],
        3);
    EXPECT_EQ(sessionIds(body(get(token, "/api/v1/sessions", {{"nas_id", std::to_string(core1)}}))),
              std::vector<std::string>{"a-open"});
    auto paged =
        body(get(token, "/api/v1/sessions", {{"state", "all"}, {"per_page", "3"}, {"page", "2"}}));
    EXPECT_EQ(paged["total"], 4);
    EXPECT_EQ(sessionIds(paged), std::vector<std::string>{"a-old"});

    // A session whose packets named no known NAS row (nas_id NULL) belongs to the NAS registered
    // at its NAS-IP-Address: listed under that NAS's name and found by its id.
    auto by_address = sessionOf("bob", bob);
    by_address.acct_session_id = "b-by-address";
    by_address.nas_ip = "10.0.0.2";
    by_address.start = "now() - interval '5 minutes'";
    addSession(by_address);
    auto on_core2 = body(get(token, "/api/v1/sessions", {{"nas_id", std::to_string(core2)}}));
    EXPECT_EQ(sessionIds(on_core2), (std::vector<std::string>{"b-by-address", "b-open"}));
    EXPECT_EQ(on_core2["total"], 2);
    EXPECT_EQ(on_core2["items"][0]["nas"], "core-2");
    EXPECT_EQ(on_core2["items"][0]["nas_id"], core2);

    for (const auto& [name, value] : std::vector<std::pair<std::string, std::string>>{
             {"state", "online"}, {"from", "2020-02-30"}, {"to", "yesterday"}, {"nas_id", "x"}}) {
        auto r = get(token, "/api/v1/sessions", {{name, value}});
        EXPECT_EQ(r.status, 400) << name;
        EXPECT_EQ(body(r)["error"]["field"], name);
    }
}

TEST_F(Sessions, SearchFindsPartOfTheUsernameOrTheAddressAnyCase) {
    const auto token = tokenOf("root", "superadmin");
    const int64_t core1 = addNasRow("core-1", "10.0.0.1");
    auto alice = sessionOf("Alice.Smith", subscriber("Alice.Smith"), core1);
    alice.acct_session_id = "a";
    addSession(alice);
    auto bob = sessionOf("bob_1", subscriber("bob_1"), core1);
    bob.acct_session_id = "b";
    bob.framed_ip = "100.64.7.21";
    addSession(bob);
    auto search = [&](const std::string& q) {
        return sessionIds(body(get(token, "/api/v1/sessions", {{"q", q}})));
    };
    EXPECT_EQ(search("smith"), std::vector<std::string>{"a"});
    EXPECT_EQ(search("100.64.7"), std::vector<std::string>{"b"});
    EXPECT_EQ(search("b_1"), std::vector<std::string>{"b"});
    EXPECT_EQ(search("b%"), std::vector<std::string>{}) << "% is the character, not a wildcard";
    EXPECT_EQ(search("nobody"), std::vector<std::string>{});
}

TEST_F(Sessions, DisconnectQueuesOneOutboxRowIdentifyingTheSession) {
    const auto token = tokenOf("root", "superadmin");
    const int64_t nas = addNasRow("core-1", "10.0.0.1");
    const int64_t alice = subscriber("alice");
    auto s = sessionOf("alice", alice, nas);
    s.acct_session_id = "81a0beef";
    s.framed_ip = "100.64.3.4";
    const int64_t id = addSession(s);

    auto r = call("POST", "/api/v1/sessions/" + std::to_string(id) + "/disconnect", nullptr, token);
    ASSERT_EQ(r.status, 202) << r.body;
    const int64_t request = body(r)["coa_request_id"].get<int64_t>();
    EXPECT_EQ(body(r)["status"], "pending");
    EXPECT_EQ(count("coa_requests"), 1);
    auto row = store::getCoaRequest(conn(), request);
    ASSERT_TRUE(row) << store::describe(row.error());
    EXPECT_EQ(row->kind, "disconnect");
    EXPECT_EQ(row->status, "pending");
    EXPECT_EQ(row->nas_id, nas);
    EXPECT_EQ(row->username, "alice");
    EXPECT_EQ(row->acct_session_id, "81a0beef");
    EXPECT_EQ(row->reason, "operator");
    EXPECT_EQ(row->attributes, (store::CoaAttributeList{{"User-Name", "alice"},
                                                        {"Acct-Session-Id", "81a0beef"},
                                                        {"Framed-IP-Address", "100.64.3.4"},
                                                        {"NAS-IP-Address", "10.0.0.1"}}));
    auto audit =
        sql("SELECT admin_username, resource_id, after->>'coa_request_id' FROM audit_log"
            " WHERE action = 'disconnect' AND resource = 'session'");
    ASSERT_EQ(audit.size(), 1u);
    EXPECT_EQ(audit[0][0].as<std::string>(), "root");
    EXPECT_EQ(audit[0][1].as<std::string>(), std::to_string(id));
    EXPECT_EQ(audit[0][2].as<std::string>(), std::to_string(request));
}

TEST_F(Sessions, DisconnectRefusesAnEndedSessionAndAnUnregisteredNas) {
    const auto token = tokenOf("root", "superadmin");
    const int64_t nas = addNasRow("core-1", "10.0.0.1");
    auto ended = sessionOf("alice", subscriber("alice"), nas);
    ended.stop = "now()";
    auto r = call("POST", "/api/v1/sessions/" + std::to_string(addSession(ended)) + "/disconnect",
                  nullptr, token);
    EXPECT_EQ(r.status, 409);
    auto stray = sessionOf("bob", subscriber("bob"));
    stray.nas_ip = "10.9.9.9";
    r = call("POST", "/api/v1/sessions/" + std::to_string(addSession(stray)) + "/disconnect",
             nullptr, token);
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(body(r)["error"]["field"], "nas");
    EXPECT_EQ(call("POST", "/api/v1/sessions/424242/disconnect", nullptr, token).status, 404);
    EXPECT_EQ(count("coa_requests"), 0);
    EXPECT_EQ(count("audit_log WHERE action = 'disconnect'"), 0);
}

TEST_F(Sessions, ResellerCannotSeeOrDisconnectAnotherResellersSession) {
    const int64_t north = addResellerRow("north");
    const int64_t south = addResellerRow("south");
    const int64_t nas = addNasRow("core-1", "10.0.0.1");
    auto own = sessionOf("n1", subscriber("n1", north), nas);
    own.acct_session_id = "mine";
    const int64_t mine = addSession(own);
    auto other = sessionOf("s1", subscriber("s1", south), nas);
    other.acct_session_id = "theirs";
    const int64_t theirs = addSession(other);
    auto unknown = sessionOf("stranger", std::nullopt, nas);
    unknown.acct_session_id = "nobodys";
    addSession(unknown);
    const auto token = tokenOf("north-admin", "reseller", north);

    EXPECT_EQ(sessionIds(body(get(token, "/api/v1/sessions", {{"state", "all"}}))),
              std::vector<std::string>{"mine"});
    auto foreign =
        call("POST", "/api/v1/sessions/" + std::to_string(theirs) + "/disconnect", nullptr, token);
    auto missing = call("POST", "/api/v1/sessions/999999/disconnect", nullptr, token);
    EXPECT_EQ(foreign.status, 404);
    EXPECT_EQ(foreign.body, missing.body);
    EXPECT_EQ(count("coa_requests"), 0);
    EXPECT_EQ(
        call("POST", "/api/v1/sessions/" + std::to_string(mine) + "/disconnect", nullptr, token)
            .status,
        202);
    EXPECT_EQ(count("coa_requests WHERE acct_session_id = 'mine'"), 1);
    EXPECT_EQ(count("coa_requests"), 1);
}

// Issue 7: a reseller sees its own subscribers. A NAS assigned to it in reseller_nas does not
// widen that: another reseller's (or nobody's) subscriber on that NAS stays invisible, and its
// own subscriber on a NAS it is not assigned is still its own.
TEST_F(Sessions, ResellerScopeFollowsTheSubscriberNotTheNas) {
    const int64_t north = addResellerRow("north");
    const int64_t south = addResellerRow("south");
    const int64_t north_nas = addNasRow("north-core", "10.0.0.1");
    const int64_t south_nas = addNasRow("south-core", "10.0.0.2");
    sql("INSERT INTO reseller_nas (reseller_id, nas_id) VALUES (" + std::to_string(north) + ", " +
        std::to_string(north_nas) + "), (" + std::to_string(south) + ", " +
        std::to_string(south_nas) + ")");
    auto intruder = sessionOf("s1", subscriber("s1", south), north_nas);
    intruder.acct_session_id = "south-on-north";
    const int64_t theirs = addSession(intruder);
    auto isp = sessionOf("isp1", subscriber("isp1"), north_nas);
    isp.acct_session_id = "isp-on-north";
    const int64_t isps = addSession(isp);
    auto roaming = sessionOf("n1", subscriber("n1", north), south_nas);
    roaming.acct_session_id = "north-on-south";
    roaming.nas_ip = "10.0.0.2";
    const int64_t mine = addSession(roaming);
    const auto token = tokenOf("north-admin", "reseller", north);

    EXPECT_EQ(sessionIds(body(get(token, "/api/v1/sessions", {{"state", "all"}}))),
              std::vector<std::string>{"north-on-south"});
    EXPECT_EQ(
        body(get(token, "/api/v1/sessions", {{"nas_id", std::to_string(north_nas)}}))["total"], 0);
    EXPECT_EQ(
        body(get(token, "/api/v1/sessions",
                 {{"subscriber_id", sql("SELECT id FROM subscribers WHERE username = 's1'")[0][0]
                                        .as<std::string>()}}))["total"],
        0);
    const auto missing = call("POST", "/api/v1/sessions/987654/disconnect", nullptr, token);
    for (const int64_t guessed : {theirs, isps}) {
        auto r = call("POST", "/api/v1/sessions/" + std::to_string(guessed) + "/disconnect",
                      nullptr, token);
        EXPECT_EQ(r.status, 404);
        EXPECT_EQ(r.body, missing.body);
    }
    EXPECT_EQ(count("coa_requests"), 0);
    EXPECT_EQ(
        call("POST", "/api/v1/sessions/" + std::to_string(mine) + "/disconnect", nullptr, token)
            .status,
        202);
    EXPECT_EQ(count("coa_requests WHERE acct_session_id = 'north-on-south'"), 1);
}

TEST_F(Sessions, ViewerSeesSessionsButCannotDisconnect) {
    const auto token = tokenOf("watcher", "viewer");
    const int64_t nas = addNasRow("core-1", "10.0.0.1");
    const int64_t id = addSession(sessionOf("alice", subscriber("alice"), nas));
    EXPECT_EQ(body(get(token, "/api/v1/sessions"))["total"], 1);
    auto r = call("POST", "/api/v1/sessions/" + std::to_string(id) + "/disconnect", nullptr, token);
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(body(r)["error"]["message"], "permission sessions.disconnect is required");
}

TEST_F(Sessions, UsageListsEveryDayAndMonthOldestFirstWithZeros) {
    const auto token = tokenOf("root", "superadmin");
    const int64_t id = subscriber("alice");
    const std::string sid = std::to_string(id);
    sql("INSERT INTO subscriber_usage_daily VALUES (" + sid +
        ", (now() AT TIME ZONE 'UTC')::date, 10, 20), (" + sid +
        ", (now() AT TIME ZONE 'UTC')::date - 2, 1, 2), (" + sid +
        ", (now() AT TIME ZONE 'UTC')::date - 9, 7, 7)");
    sql("INSERT INTO subscriber_usage_monthly VALUES (" + sid +
        ", date_trunc('month', now() AT TIME ZONE 'UTC')::date, 11, 22)");
    const std::string today =
        sql("SELECT (now() AT TIME ZONE 'UTC')::date::text")[0][0].as<std::string>();
    const std::string this_month =
        sql("SELECT date_trunc('month', now() AT TIME ZONE 'UTC')::date::text")[0][0]
            .as<std::string>();

    auto r = get(token, "/api/v1/subscribers/" + sid + "/usage", {{"days", "3"}, {"months", "2"}});
    ASSERT_EQ(r.status, 200) << r.body;
    const json j = body(r);
    EXPECT_EQ(j["timezone"], "UTC");
    ASSERT_EQ(j["days"].size(), 3u);
    EXPECT_EQ(j["days"][0]["upload"], 1);
    EXPECT_EQ(j["days"][1]["total"], 0);
    EXPECT_EQ(j["days"][2],
              json({{"day", today}, {"upload", 10}, {"download", 20}, {"total", 30}}));
    ASSERT_EQ(j["months"].size(), 2u);
    EXPECT_EQ(j["months"][0]["total"], 0);
    EXPECT_EQ(j["months"][1],
              json({{"month", this_month}, {"upload", 11}, {"download", 22}, {"total", 33}}));
    EXPECT_EQ(body(get(token, "/api/v1/subscribers/" + sid + "/usage"))["days"].size(), 30u);

    auto bad = get(token, "/api/v1/subscribers/" + sid + "/usage", {{"days", "0"}});
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(body(bad)["error"]["field"], "days");
}

}  // namespace
}  // namespace gatehouse::api::testing
