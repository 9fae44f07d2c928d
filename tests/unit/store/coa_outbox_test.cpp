// The CoA outbox (coa_requests): enqueue, claim, outcomes, leases, the per-NAS health summary.
#include "core/store/coa_outbox_repository.hpp"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "tests/unit/store/pg_fixture.hpp"

namespace gatehouse::store {
namespace {

using testing::PgTest;

class CoaOutbox : public PgTest {
  protected:
    void SetUp() override {
        PgTest::SetUp();
        auto id = addNas(conn(), testing::nasInput("bng1", "10.1.1.1", "s3cret"));
        ASSERT_TRUE(id.has_value());
        nas_id_ = *id;
    }

    CoaEnqueue request(std::string user = "alice", std::string kind = "disconnect") {
        CoaEnqueue in;
        in.nas_id = nas_id_;
        in.username = user;
        in.acct_session_id = "81a0000f";
        in.kind = std::move(kind);
        in.attributes = {{"User-Name", user}, {"Acct-Session-Id", "81a0000f"}};
        in.reason = "operator";
        return in;
    }

    int64_t enqueue(const CoaEnqueue& in) {
        auto id = enqueueCoa(conn(), in);
        EXPECT_TRUE(id.has_value()) << describe(id.error());
        return id.value_or(0);
    }

    ClaimedCoa claimOne(int64_t id) {
        auto c = claimCoaById(conn(), id, policy_);
        EXPECT_TRUE(c.has_value());
        EXPECT_TRUE(c->has_value());
        return c->value_or(ClaimedCoa{});
    }

    std::string status(int64_t id) {
        return sql("SELECT status FROM coa_requests WHERE id = " + std::to_string(id))[0][0]
            .as<std::string>();
    }

    // Makes a row due now (the tests do not wait out backoffs or leases).
    void makeDue(int64_t id) {
        sql("UPDATE coa_requests SET next_attempt_at = now() - interval '1 second' WHERE id = " +
            std::to_string(id));
    }

    int64_t nas_id_ = 0;
    CoaOutboxPolicy policy_;
};

TEST_F(CoaOutbox, EnqueuedRowIsPendingWithItsAttributesInOrder) {
    auto in = request();
    in.attributes.emplace_back("Mikrotik-Rate-Limit", "2M/4M");
    in.kind = "coa";
    in.reason = "fup";
    int64_t id = enqueue(in);
    auto row = getCoaRequest(conn(), id);
    ASSERT_TRUE(row.has_value());
    EXPECT_EQ(row->status, "pending");
    EXPECT_EQ(row->kind, "coa");
    EXPECT_EQ(row->reason, "fup");
    EXPECT_EQ(row->attempts, 0);
    CoaAttributeList expected = {
        {"User-Name", "alice"}, {"Acct-Session-Id", "81a0000f"}, {"Mikrotik-Rate-Limit", "2M/4M"}};
    EXPECT_EQ(row->attributes, expected);
}

TEST_F(CoaOutbox, EnqueueRefusesBadKindAndUnknownNas) {
    auto bad = request();
    bad.kind = "pod";
    auto r = enqueueCoa(conn(), bad);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, StoreErrorKind::kInvalid);
    EXPECT_EQ(r.error().field, "kind");
    auto orphan = request();
    orphan.nas_id = nas_id_ + 100;
    auto o = enqueueCoa(conn(), orphan);
    ASSERT_FALSE(o.has_value());
    EXPECT_EQ(o.error().kind, StoreErrorKind::kUnknownReference);
    EXPECT_EQ(o.error().field, "nas_id");
}

TEST_F(CoaOutbox, ClaimCarriesTheNasAndMarksSending) {
    int64_t id = enqueue(request());
    auto claimed = claimDueCoa(conn(), 10, policy_);
    ASSERT_TRUE(claimed.has_value());
    ASSERT_EQ(claimed->size(), 1u);
    const auto& c = claimed->front();
    EXPECT_EQ(c.id, id);
    EXPECT_EQ(c.nas_name, "bng1");
    EXPECT_EQ(c.nas_ip, "10.1.1.1");
    EXPECT_EQ(c.coa_port, 1700);  // mikrotik default
    EXPECT_EQ(c.secret, "s3cret");
    EXPECT_EQ(c.kind, "disconnect");
    EXPECT_EQ(c.attempts, 1);
    EXPECT_EQ(status(id), "sending");
    // Held by its lease: not due again.
    auto again = claimDueCoa(conn(), 10, policy_);
    ASSERT_TRUE(again.has_value());
    EXPECT_TRUE(again->empty());
}

TEST_F(CoaOutbox, AckEndsTheRow) {
    int64_t id = enqueue(request());
    auto c = claimOne(id);
    auto r = recordCoaAck(conn(), c, std::nullopt);
    ASSERT_TRUE(r.has_value());
    EXPECT_TRUE(*r);
    auto row = getCoaRequest(conn(), id);
    EXPECT_EQ(row->status, "acked");
    EXPECT_FALSE(row->error_cause.has_value());
    EXPECT_EQ(sql("SELECT done_at IS NOT NULL FROM coa_requests")[0][0].as<bool>(), true);
    // Recording twice (a stale claim) changes nothing.
    auto twice = recordCoaNak(conn(), c, 503u);
    ASSERT_TRUE(twice.has_value());
    EXPECT_FALSE(*twice);
    EXPECT_EQ(status(id), "acked");
}

TEST_F(CoaOutbox, NakKeepsTheErrorCause) {
    int64_t id = enqueue(request());
    auto c = claimOne(id);
    ASSERT_TRUE(recordCoaNak(conn(), c, 503u, "nak 503 Session-Context-Not-Found").value_or(false));
    auto row = getCoaRequest(conn(), id);
    EXPECT_EQ(row->status, "naked");
    EXPECT_EQ(row->error_cause, 503);
    EXPECT_EQ(row->last_error, "nak 503 Session-Context-Not-Found");
}

TEST_F(CoaOutbox, TimeoutGoesBackToPendingWithBackoff) {
    int64_t id = enqueue(request());
    auto c = claimOne(id);
    ASSERT_TRUE(recordCoaRetry(conn(), c, "timeout after 3 sends", policy_).value_or(false));
    auto row = getCoaRequest(conn(), id);
    EXPECT_EQ(row->status, "pending");
    EXPECT_EQ(row->last_error, "timeout after 3 sends");
    // First retry after first_retry (30 s): not due now.
    auto delay =
        sql("SELECT extract(epoch FROM next_attempt_at - now())::int FROM coa_requests")[0][0]
            .as<int>();
    EXPECT_GE(delay, 29);
    EXPECT_LE(delay, 30);
    EXPECT_TRUE(claimDueCoa(conn(), 10, policy_)->empty());
    makeDue(id);
    auto second = claimOne(id);
    EXPECT_EQ(second.attempts, 2);
}

TEST_F(CoaOutbox, RetryDelayDoublesUpToTheCap) {
    CoaOutboxPolicy p;
    p.first_retry = std::chrono::seconds(30);
    p.max_retry = std::chrono::seconds(100);
    EXPECT_EQ(outboxRetryDelay(p, 1).count(), 30);
    EXPECT_EQ(outboxRetryDelay(p, 2).count(), 60);
    EXPECT_EQ(outboxRetryDelay(p, 3).count(), 100);
    EXPECT_EQ(outboxRetryDelay(p, 50).count(), 100);
}

TEST_F(CoaOutbox, TimeoutPastTheDeadlineExpires) {
    auto in = request();
    in.lifetime = std::chrono::seconds(10);  // shorter than the 30 s retry
    int64_t id = enqueue(in);
    auto c = claimOne(id);
    ASSERT_TRUE(recordCoaRetry(conn(), c, "timeout after 3 sends", policy_).value_or(false));
    auto row = getCoaRequest(conn(), id);
    EXPECT_EQ(row->status, "expired");
    EXPECT_EQ(row->last_error, "timeout after 3 sends");
}

TEST_F(CoaOutbox, DueRowPastItsDeadlineIsExpiredNotClaimed) {
    int64_t id = enqueue(request());
    sql("UPDATE coa_requests SET deadline = now() - interval '1 second'");
    auto claimed = claimDueCoa(conn(), 10, policy_);
    ASSERT_TRUE(claimed.has_value());
    EXPECT_TRUE(claimed->empty());
    EXPECT_EQ(status(id), "expired");
}

TEST_F(CoaOutbox, BuildFailureIsFinal) {
    int64_t id = enqueue(request());
    auto c = claimOne(id);
    ASSERT_TRUE(recordCoaFailure(conn(), c, "build error: unknown attribute 'X'").value_or(false));
    EXPECT_EQ(status(id), "failed");
    makeDue(id);
    EXPECT_TRUE(claimDueCoa(conn(), 10, policy_)->empty());
}

TEST_F(CoaOutbox, ExpiredLeaseIsClaimedAgainAndTheOldClaimCannotRecord) {
    int64_t id = enqueue(request());
    auto first = claimOne(id);
    makeDue(id);  // the first sender died: its lease ran out
    auto second = claimOne(id);
    EXPECT_EQ(second.attempts, 2);
    auto stale = recordCoaAck(conn(), first, std::nullopt);
    ASSERT_TRUE(stale.has_value());
    EXPECT_FALSE(*stale);
    EXPECT_EQ(status(id), "sending");
    EXPECT_TRUE(recordCoaAck(conn(), second, std::nullopt).value_or(false));
    EXPECT_EQ(status(id), "acked");
}

TEST_F(CoaOutbox, ClaimByIdTakesOnlyThatRowAndOnlyWhenDue) {
    int64_t a = enqueue(request("alice"));
    int64_t b = enqueue(request("bob"));
    auto c = claimOne(b);
    EXPECT_EQ(c.username, "bob");
    EXPECT_EQ(status(a), "pending");
    auto again = claimCoaById(conn(), b, policy_);
    ASSERT_TRUE(again.has_value());
    EXPECT_FALSE(again->has_value());
}

TEST_F(CoaOutbox, ClaimsRespectTheLimitOldestFirst) {
    std::vector<int64_t> ids;
    for (int i = 0; i < 5; ++i)
        ids.push_back(enqueue(request("user" + std::to_string(i))));
    auto first = claimDueCoa(conn(), 3, policy_);
    ASSERT_TRUE(first.has_value());
    ASSERT_EQ(first->size(), 3u);
    EXPECT_EQ((*first)[0].id, ids[0]);
    EXPECT_EQ((*first)[2].id, ids[2]);
    auto rest = claimDueCoa(conn(), 10, policy_);
    ASSERT_EQ(rest->size(), 2u);
}

// Two senders on two connections, claiming in parallel while the other's transaction is
// open: FOR UPDATE SKIP LOCKED gives them disjoint rows, and together every row once.
TEST_F(CoaOutbox, ConcurrentClaimsNeverReturnTheSameRow) {
    constexpr int kRows = 200;
    {
        pqxx::work txn(conn());
        txn.exec("INSERT INTO coa_requests (nas_id, username, kind, attributes) SELECT " +
                 std::to_string(nas_id_) +
                 ", 'u' || g, 'disconnect', '[]' FROM generate_series(1, " + std::to_string(kRows) +
                 ") g");
        txn.commit();
    }
    std::vector<int64_t> got[2];
    std::thread senders[2];
    for (int s = 0; s < 2; ++s) {
        senders[s] = std::thread([&, s] {
            pqxx::connection c(conninfo());
            for (;;) {
                auto batch = claimDueCoa(c, 7, policy_);
                if (!batch || batch->empty())
                    break;
                for (const auto& row : *batch)
                    got[s].push_back(row.id);
            }
        });
    }
    for (auto& t : senders)
        t.join();
    std::set<int64_t> all;
    for (auto& g : got)
        for (auto id : g)
            EXPECT_TRUE(all.insert(id).second) << "row " << id << " claimed twice";
    EXPECT_EQ(all.size(), static_cast<size_t>(kRows));
}

// The lock itself, without relying on thread interleaving: while one transaction holds a
// row, a claim on another connection skips it instead of waiting or taking it.
TEST_F(CoaOutbox, ClaimSkipsARowLockedByAnotherTransaction) {
    int64_t locked = enqueue(request("alice"));
    int64_t free_row = enqueue(request("bob"));
    pqxx::connection other(conninfo());
    pqxx::work holder(other);
    holder.exec("SELECT id FROM coa_requests WHERE id = " + std::to_string(locked) + " FOR UPDATE");
    auto claimed = claimDueCoa(conn(), 10, policy_);
    ASSERT_TRUE(claimed.has_value());
    ASSERT_EQ(claimed->size(), 1u);
    EXPECT_EQ(claimed->front().id, free_row);
    holder.abort();
    auto later = claimDueCoa(conn(), 10, policy_);
    ASSERT_EQ(later->size(), 1u);
    EXPECT_EQ(later->front().id, locked);
}

TEST_F(CoaOutbox, HealthCountsByStatusPerNas) {
    auto other = addNas(conn(), testing::nasInput("bng2", "10.1.1.2", "x", "cisco"));
    ASSERT_TRUE(other.has_value());
    int64_t acked = enqueue(request("a"));
    int64_t naked = enqueue(request("b"));
    enqueue(request("c"));  // stays pending
    int64_t old = enqueue(request("d"));
    ASSERT_TRUE(recordCoaAck(conn(), claimOne(acked), std::nullopt).value_or(false));
    ASSERT_TRUE(recordCoaNak(conn(), claimOne(naked), 503u, "nak 503 Session-Context-Not-Found")
                    .value_or(false));
    // A day-old row is outside the window.
    sql("UPDATE coa_requests SET created_at = now() - interval '25 hours' WHERE id = " +
        std::to_string(old));
    auto health = coaHealthByNas(conn());
    ASSERT_TRUE(health.has_value());
    ASSERT_EQ(health->size(), 2u);
    const auto& h = (*health)[0];
    EXPECT_EQ(h.nas_name, "bng1");
    EXPECT_EQ(h.pending, 1);
    EXPECT_EQ(h.acked, 1);
    EXPECT_EQ(h.naked, 1);
    EXPECT_EQ(h.failed, 0);
    EXPECT_EQ(h.expired, 0);
    EXPECT_TRUE(h.last_ack_at.has_value());
    EXPECT_TRUE(h.last_failure_at.has_value());
    EXPECT_EQ(h.last_failure, "nak 503 Session-Context-Not-Found");
    const auto& quiet = (*health)[1];
    EXPECT_EQ(quiet.nas_name, "bng2");
    EXPECT_EQ(quiet.pending + quiet.acked + quiet.naked, 0);
    EXPECT_FALSE(quiet.last_ack_at.has_value());
    EXPECT_EQ(quiet.last_failure, "");
}

}  // namespace
}  // namespace gatehouse::store
