// What store::updateSubscriber and deleteSubscriber do to live sessions (docs/coa.md "Plan
// change, renewal, disable, expiry"): a session change job in the update's transaction, only
// while the subscriber has an open session; pool addresses released on a plan change; a
// Disconnect queued for a deleted subscriber's sessions.
#include <gtest/gtest.h>

#include "core/store/ipam_repository.hpp"
#include "core/store/nas_repository.hpp"
#include "core/store/service_repository.hpp"
#include "core/store/subscriber_repository.hpp"
#include "tests/unit/store/pg_fixture.hpp"

namespace gatehouse::store {
namespace {

class SessionChange : public testing::PgTest {
  protected:
    void SetUp() override {
        PgTest::SetUp();
        ASSERT_TRUE(
            addNas(conn(), testing::nasInput("edge", "10.0.0.1", "testing123")).has_value());
        for (const char* name : {"home", "biz"}) {
            ServiceInput s;
            s.name = name;
            s.download = "20M";
            s.upload = "5M";
            s.managed_pool = std::string("pool-") + name;
            ASSERT_TRUE(addService(conn(), s).has_value());
        }
        SubscriberInput in;
        in.username = "alice";
        in.password = "secret";
        in.service = "home";
        auto id = addSubscriber(conn(), box_, in);
        ASSERT_TRUE(id.has_value());
        alice_ = *id;
    }

    void openSession(const std::string& sid, const std::string& framed_ip = "100.64.0.9") {
        sql("INSERT INTO radacct (acctsessionid, acctuniqueid, username, subscriber_id, nas_id,"
            " nasipaddress, framedipaddress, acctstarttime, acctupdatetime) SELECT '" +
            sid + "', 'u-" + sid + "', 'alice', " + std::to_string(alice_) + ", id, '10.0.0.1', '" +
            framed_ip + "', now(), now() FROM nas_devices WHERE name = 'edge'");
    }
    void update(const SubscriberPatch& patch) {
        auto r = updateSubscriber(conn(), nullptr, "alice", patch);
        ASSERT_TRUE(r.has_value()) << describe(r.error());
    }
    // "kind from_tier to_tier" of every job, oldest first.
    std::vector<std::string> jobs() {
        std::vector<std::string> out;
        for (const auto& r : sql("SELECT kind, from_tier, to_tier, status FROM tier_change_jobs"
                                 " ORDER BY id"))
            out.push_back(r[0].as<std::string>() + " " + r[1].as<std::string>() + " " +
                          r[2].as<std::string>() + " " + r[3].as<std::string>());
        return out;
    }
    std::string ipStatus(const std::string& ip) {
        auto r =
            sql("SELECT status || ' ' || COALESCE(subscriber_id::text, '-') FROM"
                " ip_pool_assignments WHERE ip = '" +
                ip + "'");
        return r.empty() ? "none" : r[0][0].as<std::string>();
    }
    void pool(const std::string& name, const std::string& ranges) {
        PoolInput p;
        p.name = name;
        p.ranges = ranges;
        ASSERT_TRUE(upsertPool(conn(), p).has_value());
    }
    std::string claim(const std::string& pool_name) {
        auto c = claimIp(conn(), pool_name, alice_, std::nullopt);
        EXPECT_TRUE(c.has_value());
        return c ? c->ip : "";
    }

    crypto::SecretBox box_{crypto::SecretBox::Key{7}};
    int64_t alice_ = 0;
};

TEST_F(SessionChange, PlanChangeWithAnOpenSessionWritesAPlanJobAtTheCurrentTier) {
    sql("UPDATE subscribers SET current_tier = 2 WHERE username = 'alice'");
    openSession("s1");
    SubscriberPatch p;
    p.service = "biz";
    update(p);
    EXPECT_EQ(jobs(), std::vector<std::string>{"plan 2 2 pending"});
    auto row =
        sql("SELECT j.from_service_id = s.id, j.reason FROM tier_change_jobs j, services s"
            " WHERE s.name = 'home'");
    EXPECT_TRUE(row[0][0].as<bool>());
    EXPECT_EQ(row[0][1].as<std::string>(), "service changed");
}

TEST_F(SessionChange, PlanChangeWithoutAnOpenSessionWritesNoJob) {
    sql("INSERT INTO radacct (acctsessionid, acctuniqueid, username, subscriber_id,"
        " nasipaddress, acctstarttime, acctupdatetime, acctstoptime) VALUES ('old', 'u-old',"
        " 'alice', " +
        std::to_string(alice_) + ", '10.0.0.1', now(), now(), now())");  // closed
    SubscriberPatch p;
    p.service = "biz";
    update(p);
    EXPECT_TRUE(jobs().empty());
}

TEST_F(SessionChange, SettingTheSameServiceAgainWritesNoJob) {
    openSession("s1");
    SubscriberPatch p;
    p.service = "home";
    update(p);
    EXPECT_TRUE(jobs().empty());
}

TEST_F(SessionChange, DisablingWithAnOpenSessionWritesADisabledJobOnce) {
    openSession("s1");
    SubscriberPatch p;
    p.enabled = "no";
    update(p);
    update(p);  // already disabled: nothing changes for the session
    EXPECT_EQ(jobs(), std::vector<std::string>{"disabled 0 0 pending"});
}

TEST_F(SessionChange, DisablingWithoutAnOpenSessionWritesNoJob) {
    SubscriberPatch p;
    p.enabled = "no";
    update(p);
    EXPECT_TRUE(jobs().empty());
}

TEST_F(SessionChange, RenewalOfAnExpiredSubscriberWithAnOpenSessionWritesARenewalJob) {
    sql("UPDATE subscribers SET expires_at = now() - interval '1 day' WHERE username = 'alice'");
    openSession("s1");
    SubscriberPatch p;
    p.expires = "2999-01-01";
    update(p);
    EXPECT_EQ(jobs(), std::vector<std::string>{"renewal 0 0 pending"});
}

TEST_F(SessionChange, ClearingAPastExpiryIsARenewal) {
    sql("UPDATE subscribers SET expires_at = now() - interval '1 day' WHERE username = 'alice'");
    openSession("s1");
    SubscriberPatch p;
    p.expires = "";
    update(p);
    EXPECT_EQ(jobs(), std::vector<std::string>{"renewal 0 0 pending"});
}

TEST_F(SessionChange, ExtendingAFutureExpiryOrShorteningOneWritesNoJob) {
    sql("UPDATE subscribers SET expires_at = now() + interval '1 day' WHERE username = 'alice'");
    openSession("s1");
    SubscriberPatch p;
    p.expires = "2999-01-01";
    update(p);
    p.expires = "2001-01-01";  // into the past: the expiry job's business, not a renewal
    update(p);
    EXPECT_TRUE(jobs().empty());
}

TEST_F(SessionChange, RenewalWithoutAnOpenSessionWritesNoJob) {
    sql("UPDATE subscribers SET expires_at = now() - interval '1 day' WHERE username = 'alice'");
    SubscriberPatch p;
    p.expires = "2999-01-01";
    update(p);
    EXPECT_TRUE(jobs().empty());
}

TEST_F(SessionChange, ChangesThatDoNotConcernTheSessionWriteNoJob) {
    openSession("s1");
    SubscriberPatch p;
    p.mac = "aa:bb:cc:dd:ee:ff";
    p.static_ip = "192.0.2.7";
    update(p);
    EXPECT_TRUE(jobs().empty());
}

TEST_F(SessionChange, DisableTogetherWithAPlanChangeWritesOneDisabledJob) {
    openSession("s1");
    SubscriberPatch p;
    p.enabled = "no";
    p.service = "biz";
    update(p);
    EXPECT_EQ(jobs(), std::vector<std::string>{"disabled 0 0 pending"});
}

TEST_F(SessionChange, ARefusedUpdateWritesNoJob) {
    openSession("s1");
    SubscriberPatch p;
    p.service = "biz";
    p.mac = "not a mac";
    EXPECT_FALSE(updateSubscriber(conn(), nullptr, "alice", p).has_value());
    EXPECT_TRUE(jobs().empty());
    SubscriberPatch other;
    other.service = "biz";
    EXPECT_EQ(updateSubscriber(conn(), nullptr, "ghost", other).error().kind,
              StoreErrorKind::kNotFound);
}

TEST_F(SessionChange, PlanChangeReleasesPoolAddressesNoOpenSessionUses) {
    pool("pool-home", "100.64.0.1-100.64.0.3");
    pool("pool-other", "100.65.0.1-100.65.0.3");
    const std::string live = claim("pool-home");
    const std::string idle = claim("pool-other");
    openSession("s1", live);
    SubscriberPatch p;
    p.service = "biz";
    update(p);
    // The live session keeps its address until its Stop; the idle one goes back at once and
    // remembers its owner (sticky).
    EXPECT_EQ(ipStatus(live), "in_use " + std::to_string(alice_));
    EXPECT_EQ(ipStatus(idle), "available -");
    EXPECT_EQ(
        sql("SELECT last_subscriber_id FROM ip_pool_assignments WHERE ip = '" + idle + "'")[0][0]
            .as<int64_t>(),
        alice_);
}

TEST_F(SessionChange, PlanChangeWithoutASessionReleasesEveryAddress) {
    pool("pool-home", "100.64.0.1-100.64.0.3");
    const std::string held = claim("pool-home");
    SubscriberPatch p;
    p.service = "biz";
    update(p);
    EXPECT_EQ(ipStatus(held), "available -");
}

TEST_F(SessionChange, OtherChangesKeepTheAddresses) {
    pool("pool-home", "100.64.0.1-100.64.0.3");
    const std::string held = claim("pool-home");
    SubscriberPatch p;
    p.mac = "aa:bb:cc:dd:ee:ff";
    update(p);
    EXPECT_EQ(ipStatus(held), "in_use " + std::to_string(alice_));
}

TEST_F(SessionChange, DeleteWithAnOpenSessionQueuesADisconnect) {
    openSession("s1");
    ASSERT_TRUE(deleteSubscriber(conn(), "alice").has_value());
    auto rows =
        sql("SELECT kind, reason, status, username, acct_session_id, subscriber_id IS NULL,"
            " attributes::text FROM coa_requests");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0][0].as<std::string>(), "disconnect");
    EXPECT_EQ(rows[0][1].as<std::string>(), "deleted");
    EXPECT_EQ(rows[0][2].as<std::string>(), "pending");
    EXPECT_EQ(rows[0][3].as<std::string>(), "alice");
    EXPECT_EQ(rows[0][4].as<std::string>(), "s1");
    EXPECT_TRUE(rows[0][5].as<bool>());  // the subscriber is gone; the request stays
    EXPECT_EQ(rows[0][6].as<std::string>(),
              "[[\"User-Name\", \"alice\"], [\"Acct-Session-Id\", \"s1\"], "
              "[\"Framed-IP-Address\", \"100.64.0.9\"], [\"NAS-IP-Address\", \"10.0.0.1\"]]");
    EXPECT_EQ(sql("SELECT count(*) FROM subscribers")[0][0].as<int>(), 0);
}

TEST_F(SessionChange, DeleteWithoutAnOpenSessionQueuesNothing) {
    ASSERT_TRUE(deleteSubscriber(conn(), "alice").has_value());
    EXPECT_EQ(sql("SELECT count(*) FROM coa_requests")[0][0].as<int>(), 0);
}

TEST_F(SessionChange, DeleteSkipsASessionOnAnUnregisteredNas) {
    sql("INSERT INTO radacct (acctsessionid, acctuniqueid, username, subscriber_id,"
        " nasipaddress, acctstarttime, acctupdatetime) VALUES ('s9', 'u-s9', 'alice', " +
        std::to_string(alice_) + ", '10.9.9.9', now(), now())");
    ASSERT_TRUE(deleteSubscriber(conn(), "alice").has_value());
    EXPECT_EQ(sql("SELECT count(*) FROM coa_requests")[0][0].as<int>(), 0);
    EXPECT_EQ(deleteSubscriber(conn(), "alice").error().kind, StoreErrorKind::kNotFound);
}

}  // namespace
}  // namespace gatehouse::store
