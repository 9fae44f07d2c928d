// Plan change, renewal, disable and expiry reach live sessions (docs/coa.md "Plan change,
// renewal, disable, expiry"), against a real PostgreSQL and the shipped policies: the fup_coa
// job turns each kind of session change job into CoA or Disconnect rows in the outbox, and the
// expiry job writes one expiry job per expiry that passed during a session.
#include <gtest/gtest.h>

#include <atomic>
#include <map>

#include "core/jobs/expiry_watch.hpp"
#include "core/jobs/fup_coa.hpp"
#include "core/store/ipam_repository.hpp"
#include "core/store/nas_repository.hpp"
#include "core/store/service_repository.hpp"
#include "core/store/subscriber_repository.hpp"
#include "tests/unit/store/pg_fixture.hpp"

namespace gatehouse::jobs {
namespace {

class SessionChangeCoa : public store::testing::PgTest {
  protected:
    void SetUp() override {
        PgTest::SetUp();
        ASSERT_TRUE(
            store::addNas(conn(), store::testing::nasInput("edge", "10.0.0.1", "testing123"))
                .has_value());
        service("home", "20M", "5M", "");
        service("biz", "50M", "10M", "");
        service("home-pool", "20M", "5M", "pool-home");
        service("biz-pool", "50M", "10M", "pool-biz");
        for (const char* user : {"alice", "bob"}) {
            store::SubscriberInput in;
            in.username = user;
            in.password = "secret";
            in.service = "home";
            auto id = store::addSubscriber(conn(), box_, in);
            ASSERT_TRUE(id.has_value());
            ids_[user] = *id;
        }
    }

    void service(const std::string& name, const std::string& down, const std::string& up,
                 const std::string& managed_pool) {
        store::ServiceInput s;
        s.name = name;
        s.download = down;
        s.upload = up;
        s.managed_pool = managed_pool;
        ASSERT_TRUE(store::addService(conn(), s).has_value());
    }
    void openSession(const std::string& user, const std::string& sid,
                     const std::string& framed_ip = "100.64.0.9",
                     const std::string& started = "now()") {
        sql("INSERT INTO radacct (acctsessionid, acctuniqueid, username, subscriber_id, nas_id,"
            " nasipaddress, framedipaddress, acctstarttime, acctupdatetime) SELECT '" +
            sid + "', 'u-" + sid + "', '" + user + "', " + std::to_string(ids_[user]) + ", id," +
            " '10.0.0.1', '" + framed_ip + "', " + started + ", now() FROM nas_devices" +
            " WHERE name = 'edge'");
    }
    void patch(const std::string& user, const store::SubscriberPatch& p) {
        auto r = store::updateSubscriber(conn(), nullptr, user, p);
        ASSERT_TRUE(r.has_value()) << store::describe(r.error());
    }
    void changeService(const std::string& user, const std::string& service_name) {
        store::SubscriberPatch p;
        p.service = service_name;
        patch(user, p);
    }
    void job(const std::string& user, const std::string& kind) {
        sql("INSERT INTO tier_change_jobs (subscriber_id, from_tier, to_tier, reason, kind)"
            " VALUES (" +
            std::to_string(ids_[user]) + ", 0, 0, 'test', '" + kind + "')");
    }
    FupCoaRun run(const std::string& policy_dir = std::string(GH_SOURCE_DIR) + "/policies") {
        FupCoaOptions o;
        o.conninfo = conninfo();
        o.policy_dir = policy_dir;
        o.log = [](std::string_view) {};
        FupCoaJob j(o, box_);
        std::atomic<bool> leader{true}, stopping{false};
        return j.runOnce(JobContext(leader, stopping));
    }
    ExpiryWatchRun expiry() {
        ExpiryWatchOptions o;
        o.conninfo = conninfo();
        o.log = [](std::string_view) {};
        ExpiryWatch w(o);
        std::atomic<bool> leader{true}, stopping{false};
        return w.runOnce(JobContext(leader, stopping));
    }
    // "username session kind reason" of every outbox row, in id order.
    std::vector<std::string> outbox() {
        std::vector<std::string> out;
        for (const auto& r : sql("SELECT username, acct_session_id, kind, reason FROM"
                                 " coa_requests ORDER BY id"))
            out.push_back(r[0].as<std::string>() + " " + r[1].as<std::string>() + " " +
                          r[2].as<std::string>() + " " + r[3].as<std::string>());
        return out;
    }
    int64_t count(const std::string& query) { return sql(query)[0][0].as<int64_t>(); }
    void setting(const std::string& key, const std::string& value) {
        sql("INSERT INTO settings (key, value) VALUES ('" + key + "', '" + value + "')");
    }

    crypto::SecretBox box_{crypto::SecretBox::Key{7}};
    std::map<std::string, int64_t> ids_;
};

TEST_F(SessionChangeCoa, PlanChangeBecomesACoaWithTheNewServicesRate) {
    openSession("alice", "s1");
    changeService("alice", "biz");
    const FupCoaRun r = run();
    EXPECT_EQ(r.jobs, 1u);
    EXPECT_EQ(r.queued, 1u);
    EXPECT_EQ(r.disconnects, 0u);
    EXPECT_EQ(outbox(), std::vector<std::string>{"alice s1 coa plan_change"});
    const std::string attrs = sql("SELECT attributes::text FROM coa_requests")[0][0].c_str();
    // biz on a MikroTik: 10M up / 50M down (vendors/mikrotik.lua), after the identification;
    // a string value is stored quoted, as radius::formatValue writes it and parseValue reads it.
    EXPECT_EQ(attrs,
              "[[\"User-Name\", \"alice\"], [\"Acct-Session-Id\", \"s1\"], [\"Framed-IP-Address\","
              " \"100.64.0.9\"], [\"NAS-IP-Address\", \"10.0.0.1\"], [\"Mikrotik-Rate-Limit\","
              " \"\\\"10M/50M\\\"\"]]");
    EXPECT_EQ(sql("SELECT status FROM tier_change_jobs")[0][0].as<std::string>(), "done");
}

TEST_F(SessionChangeCoa, PlanChangeRendersTheCurrentTierOfTheNewService) {
    sql("INSERT INTO service_fup_tiers (service_id, tier, name, daily_bytes, download_bps,"
        " upload_bps) SELECT id, 1, 'FUP1', 1000, 8000000, 2000000 FROM services"
        " WHERE name = 'biz'");
    sql("UPDATE subscribers SET current_tier = 1 WHERE username = 'alice'");
    openSession("alice", "s1");
    changeService("alice", "biz");
    run();
    const std::string attrs = sql("SELECT attributes::text FROM coa_requests")[0][0].c_str();
    EXPECT_NE(attrs.find("\\\"2M/8M\\\""), std::string::npos) << attrs;
}

TEST_F(SessionChangeCoa, PlanChangeDisconnectsASessionWhoseAddressIsFromAnotherPool) {
    changeService("alice", "home-pool");
    store::PoolInput p;
    p.name = "pool-home";
    p.ranges = "100.64.1.1-100.64.1.4";
    ASSERT_TRUE(store::upsertPool(conn(), p).has_value());
    auto claimed = store::claimIp(conn(), "pool-home", ids_["alice"], std::nullopt);
    ASSERT_TRUE(claimed.has_value());
    openSession("alice", "s1", claimed->ip);
    changeService("alice", "biz-pool");
    const FupCoaRun r = run();
    EXPECT_EQ(r.disconnects, 1u);
    EXPECT_EQ(outbox(), std::vector<std::string>{"alice s1 disconnect plan_change"});
    // The session's Stop frees it (the accounting writer); until then it stays hers.
    EXPECT_EQ(sql("SELECT status FROM ip_pool_assignments WHERE ip = '" + claimed->ip + "'")[0][0]
                  .as<std::string>(),
              "in_use");
}

TEST_F(SessionChangeCoa, PlanChangeWithinTheSamePoolIsACoa) {
    changeService("alice", "home-pool");
    store::PoolInput p;
    p.name = "pool-home";
    p.ranges = "100.64.1.1-100.64.1.4";
    ASSERT_TRUE(store::upsertPool(conn(), p).has_value());
    service("home-pool-fast", "100M", "20M", "pool-home");
    auto claimed = store::claimIp(conn(), "pool-home", ids_["alice"], std::nullopt);
    ASSERT_TRUE(claimed.has_value());
    openSession("alice", "s1", claimed->ip);
    changeService("alice", "home-pool-fast");
    run();
    EXPECT_EQ(outbox(), std::vector<std::string>{"alice s1 coa plan_change"});
}

TEST_F(SessionChangeCoa, PlanChangeToAnotherNasPoolDisconnects) {
    service("home-nas", "20M", "5M", "");
    service("biz-nas", "50M", "10M", "");
    sql("UPDATE services SET pool_name = 'nas-home' WHERE name = 'home-nas'");
    sql("UPDATE services SET pool_name = 'nas-biz' WHERE name = 'biz-nas'");
    changeService("alice", "home-nas");
    openSession("alice", "s1");
    changeService("alice", "biz-nas");
    run();
    EXPECT_EQ(outbox(), std::vector<std::string>{"alice s1 disconnect plan_change"});
}

TEST_F(SessionChangeCoa, PlanChangeToAnotherMikrotikAddressListDisconnects) {
    sql("UPDATE services SET address_list = 'plan-biz' WHERE name = 'biz'");
    openSession("alice", "s1");
    changeService("alice", "biz");
    run();
    EXPECT_EQ(outbox(), std::vector<std::string>{"alice s1 disconnect plan_change"});
}

TEST_F(SessionChangeCoa, PlanChangeToNoServiceDisconnects) {
    openSession("alice", "s1");
    changeService("alice", "");
    run();
    EXPECT_EQ(outbox(), std::vector<std::string>{"alice s1 disconnect plan_change"});
}

TEST_F(SessionChangeCoa, PlanChangeOfAnExpiredSubscriberDisconnects) {
    // In the walled garden a CoA with the plan's rate would let the subscriber out of it.
    sql("UPDATE subscribers SET expires_at = now() - interval '1 hour' WHERE username = 'alice'");
    openSession("alice", "s1");
    changeService("alice", "biz");
    run();
    EXPECT_EQ(outbox(), std::vector<std::string>{"alice s1 disconnect plan_change"});
}

TEST_F(SessionChangeCoa, RenewalDisabledAndExpiryBecomeDisconnects) {
    openSession("alice", "s1");
    openSession("alice", "s2", "100.64.0.10");
    openSession("bob", "s3", "100.64.0.11");
    job("alice", "renewal");
    job("bob", "disabled");
    job("alice", "expiry");
    const FupCoaRun r = run();
    EXPECT_EQ(r.jobs, 3u);
    EXPECT_EQ(r.queued, 5u);
    EXPECT_EQ(r.disconnects, 5u);
    EXPECT_EQ(outbox(), (std::vector<std::string>{
                            "alice s1 disconnect renewal", "alice s2 disconnect renewal",
                            "bob s3 disconnect disabled", "alice s1 disconnect expiry",
                            "alice s2 disconnect expiry"}));
    const std::string attrs =
        sql("SELECT attributes::text FROM coa_requests WHERE acct_session_id = 's3'")[0][0].c_str();
    EXPECT_EQ(attrs,
              "[[\"User-Name\", \"bob\"], [\"Acct-Session-Id\", \"s3\"], [\"Framed-IP-Address\","
              " \"100.64.0.11\"], [\"NAS-IP-Address\", \"10.0.0.1\"]]");
    EXPECT_EQ(count("SELECT count(*) FROM tier_change_jobs WHERE status = 'done'"), 3);
}

TEST_F(SessionChangeCoa, DisablingThroughTheRepositoryEndsTheSession) {
    openSession("alice", "s1");
    store::SubscriberPatch p;
    p.enabled = "no";
    patch("alice", p);
    run();
    EXPECT_EQ(outbox(), std::vector<std::string>{"alice s1 disconnect disabled"});
}

TEST_F(SessionChangeCoa, ADisconnectJobWithNobodyOnlineIsDoneWithANote) {
    job("alice", "renewal");
    const FupCoaRun r = run();
    EXPECT_EQ(r.no_session, 1u);
    EXPECT_TRUE(outbox().empty());
    auto row = sql("SELECT status, last_error FROM tier_change_jobs");
    EXPECT_EQ(row[0][0].as<std::string>(), "done");
    EXPECT_EQ(row[0][1].as<std::string>(), "no open session");
}

TEST_F(SessionChangeCoa, DisconnectsDoNotWaitForAPolicy) {
    openSession("alice", "s1");
    job("alice", "disabled");
    sql("INSERT INTO tier_change_jobs (subscriber_id, from_tier, to_tier, reason) VALUES (" +
        std::to_string(ids_["alice"]) + ", 0, 1, 'usage')");
    const FupCoaRun r = run("/nonexistent/policies");
    EXPECT_EQ(r.jobs, 1u);
    EXPECT_EQ(outbox(), std::vector<std::string>{"alice s1 disconnect disabled"});
    EXPECT_EQ(
        sql("SELECT status FROM tier_change_jobs WHERE kind = 'tier'")[0][0].as<std::string>(),
        "pending");
}

// The expiry job.

TEST_F(SessionChangeCoa, AnExpiryDuringASessionQueuesOneJob) {
    sql("UPDATE subscribers SET expires_at = now() - interval '1 minute', current_tier = 1"
        " WHERE username = 'alice'");
    openSession("alice", "s1", "100.64.0.9", "now() - interval '1 hour'");
    openSession("alice", "s2", "100.64.0.10", "now() - interval '2 hours'");
    EXPECT_EQ(expiry().queued, 1u);
    auto row = sql("SELECT kind, from_tier, to_tier, status FROM tier_change_jobs");
    ASSERT_EQ(row.size(), 1u);
    EXPECT_EQ(row[0][0].as<std::string>(), "expiry");
    EXPECT_EQ(row[0][1].as<int>(), 1);
    EXPECT_EQ(row[0][2].as<int>(), 1);
    // Done or not, the expiry has its job: the next passes add none.
    EXPECT_EQ(expiry().queued, 0u);
    run();
    EXPECT_EQ(expiry().queued, 0u);
    EXPECT_EQ(outbox(), (std::vector<std::string>{"alice s2 disconnect expiry",
                                                  "alice s1 disconnect expiry"}));
}

TEST_F(SessionChangeCoa, ASessionStartedAfterTheCutGetsNoJob) {
    // authorize() let it in after expiry (walled garden): that session is the consequence.
    sql("UPDATE subscribers SET expires_at = now() - interval '1 hour' WHERE username = 'alice'");
    openSession("alice", "s1", "100.64.0.9", "now() - interval '1 minute'");
    EXPECT_EQ(expiry().queued, 0u);
}

TEST_F(SessionChangeCoa, NoJobBeforeExpiryOrWithoutAnOpenSession) {
    sql("UPDATE subscribers SET expires_at = now() + interval '1 hour' WHERE username = 'alice'");
    openSession("alice", "s1", "100.64.0.9", "now() - interval '1 hour'");
    sql("UPDATE subscribers SET expires_at = now() - interval '1 hour' WHERE username = 'bob'");
    sql("INSERT INTO radacct (acctsessionid, acctuniqueid, username, subscriber_id,"
        " nasipaddress, acctstarttime, acctupdatetime, acctstoptime) VALUES ('old', 'u-old',"
        " 'bob', " +
        std::to_string(ids_["bob"]) +
        ", '10.0.0.1', now() - interval '1 day', now(), now())");  // closed
    EXPECT_EQ(expiry().queued, 0u);
}

TEST_F(SessionChangeCoa, InsideTheGraceDaysNothingHappensUntilTheyEnd) {
    setting("expired_action", "grace");
    setting("grace_days", "3");
    sql("UPDATE subscribers SET expires_at = now() - interval '1 day' WHERE username = 'alice'");
    openSession("alice", "s1", "100.64.0.9", "now() - interval '2 days'");
    EXPECT_EQ(expiry().queued, 0u);
    // Four days after expiry the grace is over.
    sql("UPDATE subscribers SET expires_at = now() - interval '4 days' WHERE username = 'alice'");
    EXPECT_EQ(expiry().queued, 1u);
    EXPECT_NE(sql("SELECT reason FROM tier_change_jobs")[0][0].as<std::string>().find("cut at "),
              std::string::npos);
}

TEST_F(SessionChangeCoa, GraceDaysCountOnlyWithTheGraceAction) {
    setting("expired_action", "walled_garden");
    setting("grace_days", "3");
    setting("hard_cut", "false");  // hard_cut only shapes Session-Timeout at login
    sql("UPDATE subscribers SET expires_at = now() - interval '1 day' WHERE username = 'alice'");
    openSession("alice", "s1", "100.64.0.9", "now() - interval '2 days'");
    EXPECT_EQ(expiry().queued, 1u);
}

TEST_F(SessionChangeCoa, ARenewedThenExpiredAgainSubscriberGetsANewJob) {
    sql("UPDATE subscribers SET expires_at = now() - interval '1 hour' WHERE username = 'alice'");
    openSession("alice", "s1", "100.64.0.9", "now() - interval '1 day'");
    EXPECT_EQ(expiry().queued, 1u);
    // The earlier expiry's job was written before this cut.
    sql("UPDATE tier_change_jobs SET created_at = now() - interval '50 minutes'");
    sql("UPDATE subscribers SET expires_at = now() - interval '1 minute' WHERE username = 'alice'");
    EXPECT_EQ(expiry().queued, 1u);
    EXPECT_EQ(count("SELECT count(*) FROM tier_change_jobs WHERE kind = 'expiry'"), 2);
}

}  // namespace
}  // namespace gatehouse::jobs
