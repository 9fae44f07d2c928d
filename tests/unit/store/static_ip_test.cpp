// Static addresses checked at login (docs/ipam.md "Static address conflicts"): the policy's
// plan (lib/ip.lua ip.on_static_conflict) carried out by gh_ip_claim_static (migration 009).
#include "core/store/static_ip.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/store/nas_repository.hpp"
#include "tests/unit/store/pg_fixture.hpp"

namespace gatehouse::store {
namespace {

class StaticIp : public testing::PgTest {
  protected:
    void pool(const std::string& name, const std::string& ranges, const std::string& nas = "") {
        PoolInput in;
        in.name = name;
        in.ranges = ranges;
        in.nas = nas;
        auto r = upsertPool(conn(), in);
        ASSERT_TRUE(r.has_value()) << describe(r.error());
    }
    void openSession(const std::string& id, int64_t subscriber, const std::string& user,
                     const std::string& ip) {
        sql("INSERT INTO radacct (acctsessionid, acctuniqueid, username, subscriber_id,"
            " nasipaddress, framedipaddress, acctstarttime, acctupdatetime) VALUES ('" +
            id + "', '" + id + "', '" + user + "', " + std::to_string(subscriber) +
            ", '192.0.2.1', '" + ip + "', now(), now())");
    }
    void closeSession(const std::string& id) {
        sql("UPDATE radacct SET acctstoptime = now() WHERE acctsessionid = '" + id + "'");
    }
    /// The address given, or "error <kind>: <message>".
    std::string login(int64_t sub, const std::string& addr, StaticPlan plan = {},
                      std::optional<int64_t> nas = std::nullopt) {
        auto r = claimStaticIp(conn(), sub, nas, addr, plan);
        if (!r)
            return std::string("error ") + toString(r.error().kind) + ": " + r.error().message;
        last_ = *r;
        return r->ip;
    }
    StaticPlan plan(int attempts, const std::string& subnet) {
        StaticPlan p;
        p.attempts = attempts;
        p.subnet = subnet;
        return p;
    }
    std::string streak(int64_t sub) {
        auto r = sql(
            "SELECT attempts || ' ' || outcome || ' ' || COALESCE(host(assigned_ip), '-') || ' ' ||"
            " holder || ' ' || (resolved_at IS NOT NULL) FROM ip_static_conflicts"
            " WHERE subscriber_id = " +
            std::to_string(sub) + " ORDER BY id DESC LIMIT 1");
        return r.empty() ? "none" : r[0][0].as<std::string>();
    }
    StaticClaim last_;
};

TEST_F(StaticIp, FreeStaticAddressIsGivenAndNothingIsRecorded) {
    const int64_t alice = insertSubscriber("alice");
    EXPECT_EQ(login(alice, "10.1.2.5"), "10.1.2.5");
    EXPECT_FALSE(last_.fallback);
    EXPECT_EQ(streak(alice), "none");
}

TEST_F(StaticIp, OwnOpenSessionIsNoConflict) {
    const int64_t alice = insertSubscriber("alice");
    openSession("a-1", alice, "alice", "10.1.2.5");  // a reconnect before the old Stop
    EXPECT_EQ(login(alice, "10.1.2.5"), "10.1.2.5");
}

TEST_F(StaticIp, ConflictRejectsUntilTheAttemptsThLoginThenFallsBackInsideTheSubnet) {
    const int64_t alice = insertSubscriber("alice");
    const int64_t bob = insertSubscriber("bob");
    pool("lan", "10.1.2.5-10.1.2.7");
    openSession("b-1", bob, "bob", "10.1.2.5");
    EXPECT_EQ(login(alice, "10.1.2.5", plan(3, "10.1.2.0/24")),
              "error address not free: static ip conflict: 10.1.2.5 is in use by bob session b-1 "
              "(login 1 of 3)");
    EXPECT_EQ(streak(alice), "1 rejected - bob session b-1 false");
    EXPECT_EQ(login(alice, "10.1.2.5", plan(3, "10.1.2.0/24")),
              "error address not free: static ip conflict: 10.1.2.5 is in use by bob session b-1 "
              "(login 2 of 3)");
    // The third: a free pool address of the same /24, never the static one itself.
    EXPECT_EQ(login(alice, "10.1.2.5", plan(3, "10.1.2.0/24")), "10.1.2.6");
    EXPECT_TRUE(last_.fallback);
    EXPECT_EQ(last_.attempt, 3);
    EXPECT_EQ(last_.holder, "bob session b-1");
    EXPECT_EQ(streak(alice), "3 fallback 10.1.2.6 bob session b-1 false");
    EXPECT_EQ(sql("SELECT status || '/' || subscriber_id FROM ip_pool_assignments"
                  " WHERE ip = '10.1.2.6'")[0][0]
                  .as<std::string>(),
              "in_use/" + std::to_string(alice));
    // Later logins keep the fallback address (sticky) while the conflict lasts.
    EXPECT_EQ(login(alice, "10.1.2.5", plan(3, "10.1.2.0/24")), "10.1.2.6");
    EXPECT_EQ(streak(alice), "4 fallback 10.1.2.6 bob session b-1 false");
}

TEST_F(StaticIp, OnceTheHolderIsGoneTheStaticAddressComesBackAndTheStreakIsResolved) {
    const int64_t alice = insertSubscriber("alice");
    const int64_t bob = insertSubscriber("bob");
    pool("lan", "10.1.2.5-10.1.2.7");
    openSession("b-1", bob, "bob", "10.1.2.5");
    EXPECT_EQ(login(alice, "10.1.2.5", plan(1, "10.1.2.0/24")), "10.1.2.6");
    closeSession("b-1");
    EXPECT_EQ(login(alice, "10.1.2.5", plan(1, "10.1.2.0/24")), "10.1.2.5");
    EXPECT_FALSE(last_.fallback);
    EXPECT_EQ(streak(alice), "1 fallback 10.1.2.6 bob session b-1 true");
}

TEST_F(StaticIp, APoolClaimOfAnotherSubscriberIsAConflictToo) {
    const int64_t alice = insertSubscriber("alice");
    const int64_t bob = insertSubscriber("bob");
    pool("lan", "10.1.2.5-10.1.2.6");
    ASSERT_EQ(claimIp(conn(), "lan", bob, std::nullopt)->ip, "10.1.2.5");  // Accept, no Start yet
    EXPECT_EQ(login(alice, "10.1.2.5", plan(2, "10.1.2.0/24")),
              "error address not free: static ip conflict: 10.1.2.5 is in use by pool lan (bob) "
              "(login 1 of 2)");
}

TEST_F(StaticIp, NoFreeAddressInTheSubnetRejectsNamingIt) {
    const int64_t alice = insertSubscriber("alice");
    const int64_t bob = insertSubscriber("bob");
    const int64_t carol = insertSubscriber("carol");
    pool("lan", "10.1.2.5-10.1.2.6");
    pool("other", "10.1.3.1-10.1.3.9");  // free, but outside the /24
    openSession("b-1", bob, "bob", "10.1.2.5");
    ASSERT_EQ(claimIp(conn(), "lan", carol, std::nullopt)->ip, "10.1.2.6");
    EXPECT_EQ(login(alice, "10.1.2.5", plan(1, "10.1.2.0/24")),
              "error exhausted: static ip conflict: 10.1.2.5 is in use by bob session b-1, no free "
              "address in 10.1.2.0/24");
    EXPECT_EQ(streak(alice), "1 exhausted - bob session b-1 false");
}

TEST_F(StaticIp, APlanWithoutSubnetKeepsRejecting) {
    const int64_t alice = insertSubscriber("alice");
    const int64_t bob = insertSubscriber("bob");
    openSession("b-1", bob, "bob", "10.1.2.5");
    EXPECT_EQ(login(alice, "10.1.2.5", plan(1, "")),
              "error exhausted: static ip conflict: 10.1.2.5 is in use by bob session b-1 and the "
              "policy gives no fallback");
}

TEST_F(StaticIp, FallbackSkipsPoolsBoundToAnotherNasAndAddressesTakenElsewhere) {
    const int64_t alice = insertSubscriber("alice");
    const int64_t bob = insertSubscriber("bob");
    const int64_t dave = insertSubscriber("dave");
    auto nas_a = addNas(conn(), testing::nasInput("nas-a", "192.0.2.10", "s"));
    ASSERT_TRUE(addNas(conn(), testing::nasInput("nas-b", "192.0.2.11", "s")).has_value());
    ASSERT_TRUE(nas_a.has_value());
    pool("b-only", "10.1.2.20-10.1.2.21", "nas-b");
    pool("shared", "10.1.2.30-10.1.2.31");
    sql("UPDATE subscribers SET static_ip = '10.1.2.30' WHERE id = " + std::to_string(dave));
    openSession("b-1", bob, "bob", "10.1.2.5");
    EXPECT_EQ(login(alice, "10.1.2.5", plan(1, "10.1.2.0/24"), *nas_a), "10.1.2.31");
}

TEST_F(StaticIp, AnOldStreakStartsAgainAtTheFirstLogin) {
    const int64_t alice = insertSubscriber("alice");
    const int64_t bob = insertSubscriber("bob");
    openSession("b-1", bob, "bob", "10.1.2.5");
    EXPECT_NE(login(alice, "10.1.2.5", plan(3, "")).find("(login 1 of 3)"), std::string::npos);
    sql("UPDATE ip_static_conflicts SET last_at = now() - interval '2 hours'");
    EXPECT_NE(login(alice, "10.1.2.5", plan(3, "")).find("(login 1 of 3)"), std::string::npos);
    EXPECT_EQ(sql("SELECT count(*) FROM ip_static_conflicts")[0][0].as<int>(), 2);
}

}  // namespace
}  // namespace gatehouse::store
