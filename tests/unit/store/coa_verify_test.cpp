// Migration 007: the MikroTik API fallback's outcome on a coa_requests row, the coa_verify
// scan (listCoaToVerify), verdicts, and the verified/unverified counts of coaHealthByNas.
#include "core/store/coa_verify_repository.hpp"

#include <gtest/gtest.h>

#include "tests/unit/store/pg_fixture.hpp"

namespace gatehouse::store {
namespace {

using testing::PgTest;

class CoaVerify : public PgTest {
  protected:
    void SetUp() override {
        PgTest::SetUp();
        auto id = addNas(conn(), testing::nasInput("bng1", "10.1.1.1", "s3cret"));
        ASSERT_TRUE(id.has_value());
        nas_id_ = *id;
    }

    int64_t enqueue(const std::string& user, const std::string& session,
                    const std::string& kind = "disconnect") {
        CoaEnqueue in;
        in.nas_id = nas_id_;
        in.username = user;
        in.acct_session_id = session;
        in.kind = kind;
        in.attributes = {
            {"User-Name", user}, {"Acct-Session-Id", session}, {"Framed-IP-Address", "10.0.0.5"}};
        auto id = enqueueCoa(conn(), in);
        EXPECT_TRUE(id.has_value());
        return id.value_or(0);
    }

    ClaimedCoa claimOne(int64_t id) {
        auto c = claimCoaById(conn(), id, policy_);
        EXPECT_TRUE(c.has_value() && c->has_value());
        return c.value_or(std::nullopt).value_or(ClaimedCoa{});
    }

    int64_t acked(const std::string& user, const std::string& session,
                  const std::string& kind = "disconnect") {
        const int64_t id = enqueue(user, session, kind);
        EXPECT_TRUE(recordCoaAck(conn(), claimOne(id), std::nullopt).value_or(false));
        return id;
    }

    void openSession(const std::string& user, const std::string& session, bool stopped,
                     const std::string& started = "now() - interval '1 hour'") {
        sql("INSERT INTO radacct (acctsessionid, acctuniqueid, username, nas_id, nasipaddress,"
            " acctstarttime, acctupdatetime, acctstoptime) VALUES ('" +
            session + "', 'u-" + session + "', '" + user + "', " + std::to_string(nas_id_) +
            ", '10.1.1.1', " + started + ", now(), " + (stopped ? "now()" : "NULL") + ")");
    }

    pqxx::row row(int64_t id) {
        return sql(
            "SELECT status, done_via, COALESCE(last_error, ''),"
            " COALESCE(fallback_result, ''), COALESCE(error_cause, 0), done_at IS NOT NULL,"
            " COALESCE(verify_result, ''), COALESCE(verify_detail, ''),"
            " verified_at IS NOT NULL FROM coa_requests WHERE id = " +
            std::to_string(id))[0];
    }

    const CoaToVerify* find(const std::vector<CoaToVerify>& rows, int64_t id) {
        for (const auto& r : rows)
            if (r.id == id)
                return &r;
        return nullptr;
    }

    int64_t nas_id_ = 0;
    CoaOutboxPolicy policy_;
};

TEST_F(CoaVerify, FallbackEndsTheRowAsAckedViaApiKeepingTheRadiusOutcome) {
    const int64_t id = enqueue("alice", "81000001");
    auto c = claimOne(id);
    auto r = recordCoaDoneViaApi(conn(), c, 503u, "nak 503 Session-Context-Not-Found",
                                 "removed *80000001");
    ASSERT_TRUE(r.has_value());
    EXPECT_TRUE(*r);
    auto x = row(id);
    EXPECT_EQ(x[0].as<std::string>(), "acked");
    EXPECT_EQ(x[1].as<std::string>(), "api");
    EXPECT_EQ(x[2].as<std::string>(), "nak 503 Session-Context-Not-Found");
    EXPECT_EQ(x[3].as<std::string>(), "removed *80000001");
    EXPECT_EQ(x[4].as<int>(), 503);
    EXPECT_TRUE(x[5].as<bool>());
}

TEST_F(CoaVerify, FallbackAfterALostLeaseChangesNothing) {
    const int64_t id = enqueue("alice", "81000001");
    auto stale = claimOne(id);
    sql("UPDATE coa_requests SET next_attempt_at = now() - interval '1 second' WHERE id = " +
        std::to_string(id));
    auto fresh = claimOne(id);
    EXPECT_FALSE(
        recordCoaDoneViaApi(conn(), stale, std::nullopt, "timeout", "removed *1").value_or(true));
    EXPECT_EQ(row(id)[0].as<std::string>(), "sending");
    EXPECT_EQ(row(id)[3].as<std::string>(), "");
    EXPECT_TRUE(
        recordCoaDoneViaApi(conn(), fresh, std::nullopt, "timeout", "removed *1").value_or(false));
}

TEST_F(CoaVerify, FailedFallbackIsNotedBesideTheUsualOutcome) {
    const int64_t id = enqueue("alice", "81000001");
    auto c = claimOne(id);
    ASSERT_TRUE(recordCoaRetry(conn(), c, "timeout after 3 sends", policy_).value_or(false));
    ASSERT_TRUE(noteCoaFallback(conn(), id, "api: connect refused").value_or(false));
    auto x = row(id);
    EXPECT_EQ(x[0].as<std::string>(), "pending");
    EXPECT_EQ(x[1].as<std::string>(), "radius");
    EXPECT_EQ(x[2].as<std::string>(), "timeout after 3 sends");
    EXPECT_EQ(x[3].as<std::string>(), "api: connect refused");
    EXPECT_FALSE(noteCoaFallback(conn(), id + 1000, "x").value_or(true));
}

TEST_F(CoaVerify, ListShowsAckedRowsWithTheirOpenAccountingState) {
    const int64_t closed = acked("alice", "81000001");
    openSession("alice", "81000001", /*stopped=*/true);
    const int64_t open = acked("bob", "81000002");
    openSession("bob", "81000002", /*stopped=*/false);
    // carol redialled after the ACK: her new session is not the one the request named.
    const int64_t redial = acked("carol", "81000003");
    openSession("carol", "81000099", false, "now() + interval '1 second'");
    const int64_t coa = acked("dave", "81000004", "coa");
    enqueue("erin", "81000005");  // pending: not listed
    auto rows = listCoaToVerify(conn(), 100, std::chrono::seconds(600));
    ASSERT_TRUE(rows.has_value());
    ASSERT_EQ(rows->size(), 4u);
    const auto* a = find(*rows, closed);
    ASSERT_NE(a, nullptr);
    EXPECT_FALSE(a->accounting_open);
    EXPECT_FALSE(a->past_window);
    EXPECT_EQ(a->nas_name, "bng1");
    EXPECT_EQ(a->nas_type, "mikrotik");
    EXPECT_EQ(a->kind, "disconnect");
    EXPECT_EQ(a->framed_ip, "10.0.0.5");
    EXPECT_EQ(a->done_via, "radius");
    EXPECT_TRUE(find(*rows, open)->accounting_open);
    EXPECT_FALSE(find(*rows, redial)->accounting_open);
    EXPECT_EQ(find(*rows, coa)->kind, "coa");
    // Past the window once the ACK is older than it.
    sql("UPDATE coa_requests SET done_at = now() - interval '11 minutes' WHERE id = " +
        std::to_string(open));
    rows = listCoaToVerify(conn(), 100, std::chrono::seconds(600));
    ASSERT_TRUE(rows.has_value());
    EXPECT_TRUE(find(*rows, open)->past_window);
    EXPECT_TRUE(find(*rows, open)->accounting_open);  // started before the ACK
}

TEST_F(CoaVerify, ListLeavesJudgedAndOldRowsAndHonoursTheLimit) {
    const int64_t a = acked("alice", "81000001");
    const int64_t b = acked("bob", "81000002");
    const int64_t c = acked("carol", "81000003");
    ASSERT_TRUE(
        recordCoaVerification(conn(), a, "verified", "radacct: session closed").value_or(false));
    sql("UPDATE coa_requests SET done_at = now() - interval '25 hours' WHERE id = " +
        std::to_string(b));
    auto rows = listCoaToVerify(conn(), 100, std::chrono::seconds(600));
    ASSERT_TRUE(rows.has_value());
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ(rows->front().id, c);
    acked("dave", "81000004");
    rows = listCoaToVerify(conn(), 1, std::chrono::seconds(600));
    ASSERT_TRUE(rows.has_value());
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ(rows->front().id, c);  // oldest ACK first
}

TEST_F(CoaVerify, VerdictIsWrittenOnceAndOnlyOnAckedRows) {
    const int64_t id = acked("alice", "81000001");
    ASSERT_TRUE(
        recordCoaVerification(conn(), id, "unverified", "still open after 600s").value_or(false));
    auto x = row(id);
    EXPECT_EQ(x[6].as<std::string>(), "unverified");
    EXPECT_EQ(x[7].as<std::string>(), "still open after 600s");
    EXPECT_TRUE(x[8].as<bool>());
    EXPECT_FALSE(recordCoaVerification(conn(), id, "verified", "late").value_or(true));
    EXPECT_EQ(row(id)[6].as<std::string>(), "unverified");
    const int64_t pending = enqueue("bob", "81000002");
    EXPECT_FALSE(recordCoaVerification(conn(), pending, "verified", "x").value_or(true));
    auto bad = recordCoaVerification(conn(), id, "maybe", "x");
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().kind, StoreErrorKind::kInvalid);
}

TEST_F(CoaVerify, HealthCountsApiEndedVerifiedAndUnverified) {
    const int64_t v = acked("alice", "81000001");
    const int64_t u = acked("bob", "81000002");
    acked("carol", "81000003");  // not judged yet
    const int64_t api = enqueue("dave", "81000004");
    ASSERT_TRUE(recordCoaDoneViaApi(conn(), claimOne(api), std::nullopt, "timeout", "removed *4")
                    .value_or(false));
    ASSERT_TRUE(recordCoaVerification(conn(), v, "verified", "x").value_or(false));
    ASSERT_TRUE(recordCoaVerification(conn(), u, "unverified", "y").value_or(false));
    auto health = coaHealthByNas(conn());
    ASSERT_TRUE(health.has_value());
    ASSERT_EQ(health->size(), 1u);
    const auto& h = health->front();
    EXPECT_EQ(h.acked, 4);
    EXPECT_EQ(h.acked_via_api, 1);
    EXPECT_EQ(h.verified, 1);
    EXPECT_EQ(h.unverified, 1);
}

}  // namespace
}  // namespace gatehouse::store
