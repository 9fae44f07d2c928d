// Pools and /ppp/active from MikroTik (core/jobs/mikrotik_sync.hpp, docs/ipam.md "Pools from
// MikroTik"): applyPools / applyActive on a real PostgreSQL (tests/unit/store/pg_fixture.hpp), and
// syncNas, the job and `gatehouse pool import` against tests/nas/routeros_responder.py.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "core/crypto/secret_box.hpp"
#include "core/jobs/mikrotik_sync.hpp"
#include "core/jobs/nas_target.hpp"
#include "core/store/ipam_repository.hpp"
#include "tests/integration/process.hpp"
#include "tests/unit/store/pg_fixture.hpp"

namespace gatehouse::jobs {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Kind = MikrotikChange::Kind;
using Pool = net::RouterOsClient::Pool;
using Session = net::RouterOsClient::ActiveSession;
const std::string kSourceDir = GH_SOURCE_DIR;

// The responder on `seed`, its stderr to `log`.
struct Responder : gatehouse::testing::RouterOsResponder {
    Responder(const fs::path& seed, const fs::path& log)
        : RouterOsResponder({"--port", "0"}, seed.string(), log.string()) {}
};

Session session(std::string name, std::string address, std::string session_id = "") {
    Session s;
    s.id = "*1";
    s.name = std::move(name);
    s.address = std::move(address);
    if (!session_id.empty())
        s.session_id = std::move(session_id);
    return s;
}

class MikrotikSync : public store::testing::PgTest {
  protected:
    void SetUp() override {
        PgTest::SetUp();
        dir_ = fs::temp_directory_path() /
               ("gh-mikrotik-sync-" + std::to_string(getpid()) + "-" + std::to_string(counter_++));
        fs::create_directories(dir_);
        key_file_ = (dir_ / "gatehouse.key").string();
        box_.emplace(crypto::SecretBox::loadOrCreate(key_file_).value());
        nas_.id = sql("INSERT INTO nas_devices (name, ip, secret, type) VALUES ('edge', "
                      "'127.0.0.1', 's', 'mikrotik') RETURNING id")[0][0]
                      .as<int64_t>();
        nas_.name = "edge";
        nas_.ip = "127.0.0.1";
    }
    void TearDown() override {
        fs::remove_all(dir_);
        PgTest::TearDown();
    }

    // API credentials for `edge` on `port`; the target with its password opened.
    NasTarget withApi(uint16_t port) {
        sql("UPDATE nas_devices SET api_username = 'admin', api_password_enc = '" +
            sealApiPassword(*box_, nas_.id, "secret") + "', api_port = " + std::to_string(port) +
            " WHERE id = " + std::to_string(nas_.id));
        NasTarget t = *loadNasTarget(conn(), "edge");
        std::string error;
        EXPECT_TRUE(openApiPassword(*box_, t, error)) << error;
        return t;
    }

    std::vector<MikrotikChange> pools(const std::vector<Pool>& p) {
        auto r = applyPools(conn(), nas_, p);
        EXPECT_TRUE(r) << (r ? "" : r.error());
        return r ? *r : std::vector<MikrotikChange>{};
    }
    std::vector<MikrotikChange> active(const std::vector<Session>& s,
                                       std::chrono::seconds grace = 120s) {
        auto r = applyActive(conn(), nas_, s, grace);
        EXPECT_TRUE(r) << (r ? "" : r.error());
        return r ? *r : std::vector<MikrotikChange>{};
    }

    // An open radacct session on `nas_ip` that started `age_seconds` ago.
    void openSession(const std::string& user, const std::string& sid, const std::string& ip,
                     int age_seconds, const std::string& nas_ip = "127.0.0.1") {
        const std::string start = "now() - interval '" + std::to_string(age_seconds) + " seconds'";
        sql("INSERT INTO radacct (acctsessionid, acctuniqueid, username, subscriber_id, "
            "nasipaddress, framedipaddress, acctstarttime, acctupdatetime) VALUES ('" +
            sid + "', 'u-" + sid + "', '" + user +
            "', (SELECT id FROM subscribers WHERE username = '" + user + "'), '" + nas_ip + "', " +
            (ip.empty() ? "NULL" : "'" + ip + "'") + ", " + start + ", " + start + ")");
    }
    // "open" or the terminate cause.
    std::string sessionState(const std::string& sid) {
        auto r =
            sql("SELECT COALESCE(acctterminatecause, 'open'), acctstoptime IS NULL FROM "
                "radacct WHERE acctsessionid = '" +
                sid + "'");
        return r[0][0].as<std::string>();
    }
    // "in_use:alice", "available:-", "reserved:-".
    std::string address(const std::string& ip) {
        auto r =
            sql("SELECT a.status || ':' || COALESCE(s.username, '-') FROM "
                "ip_pool_assignments a LEFT JOIN subscribers s ON s.id = a.subscriber_id "
                "WHERE a.ip = '" +
                ip + "'");
        return r.empty() ? "none" : r[0][0].as<std::string>();
    }
    void hold(const std::string& ip, const std::string& user) {
        sql("UPDATE ip_pool_assignments SET status = 'in_use', assigned_at = now(), "
            "subscriber_id = (SELECT id FROM subscribers WHERE username = '" +
            user + "') WHERE ip = '" + ip + "'");
    }
    uint64_t poolSize(const std::string& name) {
        auto u = store::poolUsage(conn());
        for (const auto& p : *u)
            if (p.name == name)
                return p.size;
        return 0;
    }

    fs::path dir_;
    std::string key_file_;
    std::optional<crypto::SecretBox> box_;
    NasTarget nas_;
    static inline int counter_ = 0;
};

TEST_F(MikrotikSync, ResponderPoolsAreImportedWithTheirAddressCountsAndReimportChangesNothing) {
    Responder r(kSourceDir + "/tests/nas/seed.json", dir_ / "responder.log");
    ASSERT_NE(r.port(), 0);
    const NasTarget nas = withApi(r.port());
    ApiCheckOptions api;
    auto first = syncNas(conn(), nas, api);
    ASSERT_TRUE(first) << first.error();
    ASSERT_EQ(first->size(), 2u);
    EXPECT_EQ((*first)[0], (MikrotikChange{Kind::kPoolCreated, "pppoe-main",
                                           "1021 addresses (10.10.0.2-10.10.3.254)"}));
    // 191 of the range + the 254 hosts of the /24 (docs/ipam.md: network and broadcast left out).
    EXPECT_EQ((*first)[1],
              (MikrotikChange{Kind::kPoolCreated, "pppoe-cgnat",
                              "445 addresses (100.64.0.10-100.64.0.200,100.64.1.0/24)"}));
    EXPECT_EQ(poolSize("pppoe-main"), 1021u);
    EXPECT_EQ(poolSize("pppoe-cgnat"), 445u);
    auto row =
        sql("SELECT p.source, n.name FROM ip_pools p JOIN nas_devices n ON n.id = p.nas_id"
            " WHERE p.name = 'pppoe-main'");
    EXPECT_EQ(row[0][0].as<std::string>(), "mikrotik");
    EXPECT_EQ(row[0][1].as<std::string>(), "edge");

    auto again = syncNas(conn(), nas, api);
    ASSERT_TRUE(again) << again.error();
    EXPECT_TRUE(again->empty());
}

TEST_F(MikrotikSync, JobAndCliImportFromTheResponderAndAdoptActiveAddresses) {
    // The router hands 10.0.0.5 to alice from its pool "home".
    {
        std::ofstream seed(dir_ / "seed.json");
        seed << R"({"identity": "bng", "users": {"admin": "secret"}, "resource": {},
          "pools": [{".id": "*1", "name": "home", "ranges": "10.0.0.0/29"}],
          "active": [{".id": "*81", "name": "alice", "service": "pppoe", "caller-id": "x",
                      "address": "10.0.0.5", "uptime": "1m", "session-id": "0x81000001"}]})";
    }
    Responder r(dir_ / "seed.json", dir_ / "responder.log");
    ASSERT_NE(r.port(), 0);
    withApi(r.port());
    insertSubscriber("alice");
    // A session radacct still has open on this NAS that the router lost, 10 minutes old.
    openSession("alice", "81000000", "10.0.0.3", 600);

    std::vector<std::string> lines;
    MikrotikSyncOptions o;
    o.conninfo = conninfo();
    o.log = [&](std::string_view line) { lines.emplace_back(line); };
    MikrotikSyncJob job(std::move(o), box_);
    std::atomic<bool> leader{true}, stopping{false};
    const MikrotikSyncRun run = job.runOnce(JobContext(leader, stopping));
    EXPECT_EQ(run.nas_ok, 1u);
    EXPECT_EQ(run.changes, 3u);
    EXPECT_EQ(lines,
              (std::vector<std::string>{
                  "jobs.mikrotik_sync nas=edge pool_created home 6 addresses (10.0.0.0/29)",
                  "jobs.mikrotik_sync nas=edge closed alice session 81000000 10.0.0.3 not in "
                  "/ppp/active: closed (NAS-Reconcile)",
                  "jobs.mikrotik_sync nas=edge adopted 10.0.0.5 pool 'home': in use by "
                  "subscriber 1 ('alice')",
                  "jobs.mikrotik_sync nas_ok=1 nas_failed=0 changes=3"}));
    EXPECT_EQ(address("10.0.0.5"), "in_use:alice");
    EXPECT_EQ(sessionState("81000000"), "NAS-Reconcile");

    // The CLI: the same once more changes nothing.
    const auto cli = testing::runProcess({GH_GATEHOUSE, "pool", "import", "--nas", "edge", "--db",
                                          conninfo(), "--key-file", key_file_},
                                         "");
    EXPECT_EQ(cli.exit_code, 0) << cli.output;
    EXPECT_EQ(cli.output, "0 change(s)\n");
    const auto unknown = testing::runProcess(
        {GH_GATEHOUSE, "pool", "import", "--nas", "nope", "--db", conninfo()}, "");
    EXPECT_EQ(unknown.exit_code, 2);
    EXPECT_EQ(unknown.output, "error: nas: no NAS 'nope'\n");
}

TEST_F(MikrotikSync, BadPoolsAreSkippedAndTheOthersImported) {
    store::PoolInput manual;
    manual.name = "taken";
    manual.ranges = "192.168.0.1";
    ASSERT_TRUE(store::upsertPool(conn(), manual));
    const auto changes = pools({{"huge", "10.0.0.0/15"},
                                {"typo", "10.0.0.x"},
                                {"taken", "10.9.0.1"},
                                {"clash", "192.168.0.1-192.168.0.2"},
                                {"good", "10.1.0.1-10.1.0.4, 10.1.0.9"}});
    ASSERT_EQ(changes.size(), 5u);
    EXPECT_EQ(changes[0].kind, Kind::kPoolSkipped);
    EXPECT_EQ(changes[0].reason,
              "ranges: 131070 addresses in '10.0.0.0/15'; at most 65536 per pool");
    EXPECT_EQ(changes[1].kind, Kind::kPoolSkipped);
    EXPECT_EQ(changes[1].subject, "typo");
    EXPECT_EQ(changes[2],
              (MikrotikChange{Kind::kPoolSkipped, "taken", "name taken by a manual pool"}));
    EXPECT_EQ(changes[3].kind, Kind::kPoolSkipped);
    EXPECT_NE(changes[3].reason.find("already in pool 'taken'"), std::string::npos)
        << changes[3].reason;
    EXPECT_EQ(changes[4], (MikrotikChange{Kind::kPoolCreated, "good",
                                          "5 addresses (10.1.0.1-10.1.0.4,10.1.0.9)"}));
    EXPECT_EQ(poolSize("taken"), 1u);
    EXPECT_EQ(poolSize("huge"), 0u);
}

TEST_F(MikrotikSync, ChangedRangesRedefineAndARemovedPoolIsDeletedUnlessInUse) {
    insertSubscriber("alice");
    pools({{"a", "10.0.0.1-10.0.0.4"}, {"b", "10.0.1.1-10.0.1.2"}, {"c", "10.0.2.1"}});
    hold("10.0.1.1", "alice");
    const auto changes = pools({{"a", "10.0.0.1-10.0.0.6"}});
    EXPECT_EQ(
        changes,
        (std::vector<MikrotikChange>{
            {Kind::kPoolUpdated, "a", "6 addresses (+2 -0) (10.0.0.1-10.0.0.6)"},
            {Kind::kPoolKept, "b", "no longer on the router; kept while addresses are in use"},
            {Kind::kPoolDeleted, "c", "no longer on the router"}}));
    EXPECT_EQ(address("10.0.2.1"), "none");
    EXPECT_EQ(address("10.0.1.1"), "in_use:alice");
    // Once released, the next import deletes it.
    sql("UPDATE ip_pool_assignments SET status = 'available', subscriber_id = NULL");
    EXPECT_EQ(pools({{"a", "10.0.0.1-10.0.0.6"}}),
              (std::vector<MikrotikChange>{{Kind::kPoolDeleted, "b", "no longer on the router"}}));
}

TEST_F(MikrotikSync, ActiveAddressesAreMarkedInUseForTheirSubscribers) {
    insertSubscriber("alice");
    insertSubscriber("bob");
    pools({{"home", "10.0.0.1-10.0.0.8"}});
    const auto changes = active({session("alice", "10.0.0.5"), session("bob", "10.0.0.6"),
                                 session("ghost", "10.0.0.7"), session("eve", "172.16.0.1")});
    ASSERT_EQ(changes.size(), 3u);
    EXPECT_EQ(changes[0], (MikrotikChange{Kind::kAdopted, "10.0.0.5",
                                          "pool 'home': in use by subscriber 1 ('alice')"}));
    EXPECT_EQ(changes[2], (MikrotikChange{Kind::kAdopted, "10.0.0.7",
                                          "pool 'home': in use by 'ghost' (no such subscriber)"}));
    EXPECT_EQ(address("10.0.0.5"), "in_use:alice");
    EXPECT_EQ(address("10.0.0.6"), "in_use:bob");
    EXPECT_EQ(address("10.0.0.7"), "in_use:-");
    EXPECT_EQ(address("10.0.0.1"), "available:-");
    // The same again changes nothing.
    EXPECT_TRUE(active({session("alice", "10.0.0.5"), session("bob", "10.0.0.6"),
                        session("ghost", "10.0.0.7")})
                    .empty());
}

TEST_F(MikrotikSync, ConflictsAreReportedNotApplied) {
    insertSubscriber("alice");
    insertSubscriber("bob");
    insertSubscriber("carol");
    pools({{"home", "10.0.0.1-10.0.0.8"}});
    hold("10.0.0.5", "carol");  // carol's session is on another NAS: not this router's to close
    openSession("carol", "c1", "10.0.0.5", 600, "127.0.0.9");
    sql("UPDATE ip_pool_assignments SET status = 'reserved' WHERE ip = '10.0.0.6'");
    hold("10.0.0.1", "bob");
    openSession("bob", "b1", "10.0.0.1", 30);  // fresh: kept, so bob still holds 10.0.0.1
    const auto changes = active({session("alice", "10.0.0.5"), session("alice", "10.0.0.6"),
                                 session("bob", "10.0.0.2"), session("bob", "10.0.0.1", "0xB1")});
    EXPECT_EQ(changes,
              (std::vector<MikrotikChange>{
                  {Kind::kConflict, "10.0.0.2",
                   "pool 'home', user 'bob': subscriber 2 holds 10.0.0.1 of this pool"},
                  {Kind::kConflict, "10.0.0.5", "pool 'home', user 'alice': held by subscriber 3"},
                  {Kind::kConflict, "10.0.0.6", "pool 'home', user 'alice': reserved"}}));
    EXPECT_EQ(address("10.0.0.5"), "in_use:carol");
    EXPECT_EQ(address("10.0.0.6"), "reserved:-");
    EXPECT_EQ(address("10.0.0.2"), "available:-");
    EXPECT_EQ(sessionState("c1"), "open");
    EXPECT_EQ(sessionState("b1"), "open");
}

TEST_F(MikrotikSync, StaleSessionIsClosedAndItsAddressFreedButAFreshOneIsKept) {
    insertSubscriber("alice");
    insertSubscriber("bob");
    insertSubscriber("dave");
    pools({{"home", "10.0.0.1-10.0.0.8"}});
    hold("10.0.0.3", "dave");
    openSession("dave", "d1", "10.0.0.3", 600);  // the router lost it (no Stop reached us)
    openSession("erin", "e1", "10.0.0.4", 30);   // its Start raced the print: kept
    hold("10.0.0.2", "alice");
    openSession("alice", "a1", "10.0.0.2", 900);  // listed by session-id
    openSession("bob", "b1", "10.0.0.7", 900);    // listed by user name and address
    // Known by the NAS's id though it reported another NAS-IP-Address.
    openSession("frank", "f1", "", 600, "192.0.2.1");
    sql("UPDATE radacct SET nas_id = " + std::to_string(nas_.id) + " WHERE acctsessionid = 'f1'");
    const auto changes = active({session("alice", "10.0.0.2", "0xA1"), session("bob", "10.0.0.7")});
    ASSERT_EQ(changes.size(), 3u);
    EXPECT_EQ(changes[0],
              (MikrotikChange{Kind::kClosed, "dave",
                              "session d1 10.0.0.3 not in /ppp/active: closed (NAS-Reconcile), "
                              "released from pool 'home'"}));
    EXPECT_EQ(changes[1],
              (MikrotikChange{Kind::kClosed, "frank",
                              "session f1 not in /ppp/active: closed (NAS-Reconcile)"}));
    EXPECT_EQ(changes[2], (MikrotikChange{Kind::kAdopted, "10.0.0.7",
                                          "pool 'home': in use by subscriber 2 ('bob')"}));
    EXPECT_EQ(sessionState("d1"), "NAS-Reconcile");
    EXPECT_EQ(address("10.0.0.3"), "available:-");
    EXPECT_EQ(sessionState("f1"), "NAS-Reconcile");
    EXPECT_EQ(sessionState("e1"), "open");
    EXPECT_EQ(sessionState("a1"), "open");
    EXPECT_EQ(sessionState("b1"), "open");
    EXPECT_EQ(address("10.0.0.2"), "in_use:alice");
    // dave can log in again and get an address: nothing blocks it.
    auto claim = store::claimIp(conn(), "home", 3, nas_.id);
    ASSERT_TRUE(claim);
    // Closed at "now", with its session time.
    auto r =
        sql("SELECT acctstoptime > now() - interval '1 minute', acctsessiontime >= 600 "
            "FROM radacct WHERE acctsessionid = 'd1'");
    EXPECT_TRUE(r[0][0].as<bool>());
    EXPECT_TRUE(r[0][1].as<bool>());
}

TEST_F(MikrotikSync, AStaleSessionsAddressOnTheRouterGoesToItsNewUser) {
    insertSubscriber("dave");
    insertSubscriber("bob");
    pools({{"home", "10.0.0.1-10.0.0.8"}});
    hold("10.0.0.3", "dave");
    openSession("dave", "d1", "10.0.0.3", 600);
    const auto changes = active({session("bob", "10.0.0.3")});
    ASSERT_EQ(changes.size(), 2u);
    EXPECT_EQ(changes[0].kind, Kind::kClosed);
    EXPECT_EQ(changes[1], (MikrotikChange{Kind::kAdopted, "10.0.0.3",
                                          "pool 'home': in use by subscriber 2 ('bob')"}));
    EXPECT_EQ(address("10.0.0.3"), "in_use:bob");
}

}  // namespace
}  // namespace gatehouse::jobs
