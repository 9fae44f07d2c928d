// FUP tier changes to CoA against a real PostgreSQL and the shipped policies: a pending
// tier_change_jobs row becomes one CoA-Request per open session in the outbox, with the
// identifying attributes and what coa_for_tier renders for the NAS's vendor.
#include "core/jobs/fup_coa.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <map>

#include "core/store/nas_repository.hpp"
#include "core/store/service_repository.hpp"
#include "core/store/subscriber_repository.hpp"
#include "tests/unit/store/pg_fixture.hpp"

namespace gatehouse::jobs {
namespace {

class FupCoaTest : public store::testing::PgTest {
  protected:
    void SetUp() override {
        PgTest::SetUp();
        store::NasInput nas;
        nas.name = "edge";
        nas.ip = "10.0.0.1";
        nas.secret = "testing123";
        nas.type = "mikrotik";
        ASSERT_TRUE(store::addNas(conn(), nas).has_value());
        store::ServiceInput svc;
        svc.name = "home";
        svc.download = "20M";
        svc.upload = "5M";
        ASSERT_TRUE(store::addService(conn(), svc).has_value());
        sql("INSERT INTO service_fup_tiers (service_id, tier, name, daily_bytes, download_bps,"
            " upload_bps) SELECT id, 1, 'FUP1', 1000, 4000000, 1000000 FROM services"
            " WHERE name = 'home'");
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

    void openSession(const std::string& user, const std::string& sid) {
        sql("INSERT INTO radacct (acctsessionid, acctuniqueid, username, subscriber_id, nas_id,"
            " nasipaddress, framedipaddress, acctstarttime, acctupdatetime) SELECT '" +
            sid + "', 'u-" + sid + "', '" + user + "', " + std::to_string(ids_[user]) +
            ", id, '10.0.0.1', '100.64.0.9', now(), now() FROM nas_devices WHERE name = 'edge'");
    }
    void tierChange(const std::string& user, int tier) {
        sql("INSERT INTO tier_change_jobs (subscriber_id, from_tier, to_tier, reason) VALUES (" +
            std::to_string(ids_[user]) + ", 0, " + std::to_string(tier) + ", 'usage')");
    }
    FupCoaRun run() {
        FupCoaOptions o;
        o.conninfo = conninfo();
        o.policy_dir = std::string(GH_SOURCE_DIR) + "/policies";
        o.log = [](std::string_view) {};
        FupCoaJob job(o, box_);
        std::atomic<bool> leader{true}, stopping{false};
        return job.runOnce(JobContext(leader, stopping));
    }

    crypto::SecretBox box_{crypto::SecretBox::Key{7}};
    std::map<std::string, int64_t> ids_;
};

TEST_F(FupCoaTest, TierChangeBecomesACoaPerOpenSessionWithTheVendorsAttributes) {
    openSession("alice", "s1");
    openSession("alice", "s2");
    tierChange("alice", 1);
    const FupCoaRun r = run();
    EXPECT_EQ(r.jobs, 1u);
    EXPECT_EQ(r.queued, 2u);
    EXPECT_EQ(r.failed, 0u);
    auto rows =
        sql("SELECT acct_session_id, kind, reason, status, attributes::text FROM coa_requests"
            " ORDER BY acct_session_id");
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0][0].as<std::string>(), "s1");
    EXPECT_EQ(rows[0][1].as<std::string>(), "coa");
    EXPECT_EQ(rows[0][2].as<std::string>(), "fup");
    EXPECT_EQ(rows[0][3].as<std::string>(), "pending");
    const std::string attrs = rows[0][4].as<std::string>();
    EXPECT_NE(attrs.find("\"User-Name\""), std::string::npos) << attrs;
    EXPECT_NE(attrs.find("\"Acct-Session-Id\""), std::string::npos) << attrs;
    EXPECT_NE(attrs.find("100.64.0.9"), std::string::npos) << attrs;
    // FUP1 on a MikroTik: 1M up / 4M down (vendors/mikrotik.lua).
    EXPECT_NE(attrs.find("\"Mikrotik-Rate-Limit\""), std::string::npos) << attrs;
    EXPECT_NE(attrs.find("1M/4M"), std::string::npos) << attrs;
    EXPECT_EQ(sql("SELECT status FROM tier_change_jobs")[0][0].as<std::string>(), "done");

    // Done jobs are not taken again.
    EXPECT_EQ(run().jobs, 0u);
    EXPECT_EQ(sql("SELECT count(*) FROM coa_requests")[0][0].as<int>(), 2);
}

TEST_F(FupCoaTest, NobodyOnlineIsDoneWithANoteAndNoCoa) {
    tierChange("bob", 1);
    const FupCoaRun r = run();
    EXPECT_EQ(r.jobs, 1u);
    EXPECT_EQ(r.no_session, 1u);
    EXPECT_EQ(sql("SELECT count(*) FROM coa_requests")[0][0].as<int>(), 0);
    auto job = sql("SELECT status, last_error FROM tier_change_jobs");
    EXPECT_EQ(job[0][0].as<std::string>(), "done");
    EXPECT_NE(job[0][1].as<std::string>().find("next login"), std::string::npos);
}

TEST_F(FupCoaTest, ASessionOnAnUnregisteredNasFailsTheJobSayingWhy) {
    sql("INSERT INTO radacct (acctsessionid, acctuniqueid, username, subscriber_id,"
        " nasipaddress, acctstarttime, acctupdatetime) VALUES ('s9', 'u-s9', 'alice', " +
        std::to_string(ids_["alice"]) + ", '10.9.9.9', now(), now())");
    tierChange("alice", 1);
    const FupCoaRun r = run();
    EXPECT_EQ(r.failed, 1u);
    auto job = sql("SELECT status, last_error FROM tier_change_jobs");
    EXPECT_EQ(job[0][0].as<std::string>(), "failed");
    EXPECT_NE(job[0][1].as<std::string>().find("10.9.9.9 is not registered"), std::string::npos);
}

}  // namespace
}  // namespace gatehouse::jobs
