#include "core/bench/slot_table.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "core/bench/request_builder.hpp"
#include "responses.hpp"

namespace gatehouse::bench {
namespace {

using radius::Code;
using testing::makeResponse;

class SlotTableTest : public ::testing::Test {
  protected:
    SlotTableTest() : builder_(makeOptions(), 1), table_(4) {}

    static Options makeOptions() {
        Options o;
        o.secret = "testing123";
        return o;
    }

    // Builds and "sends" a PAP request at time `now`; returns its Identifier.
    uint8_t send(int64_t now, int64_t deadline) {
        const int id = table_.acquire();
        EXPECT_GE(id, 0);
        const auto slot = static_cast<uint8_t>(id);
        table_.prepare(slot);
        auto len = builder_.build({.id = slot, .user = slot}, table_.buffer(slot), rng_);
        EXPECT_TRUE(len.has_value());
        table_.markSent(slot, *len, 0, now, deadline);
        return slot;
    }

    ResponseOutcome receive(const Bytes& datagram, int64_t now, bool require_ma = false) {
        return table_.onResponse(datagram, now, builder_.secret(), require_ma, scratch_, counters_,
                                 latency_);
    }

    RequestBuilder builder_;
    SlotTable table_;
    RandomPool rng_;
    radius::Packet scratch_;
    Counters counters_;
    LatencyHistogram latency_;
};

TEST_F(SlotTableTest, ValidAcceptCompletesTheRequestAndRecordsLatency) {
    const uint8_t id = send(1000, 5000);
    EXPECT_EQ(table_.inFlight(), 1u);
    auto out =
        receive(makeResponse(table_.request(id), Code::kAccessAccept, builder_.secret()), 1700);
    EXPECT_TRUE(out.completed);
    EXPECT_EQ(out.id, id);
    EXPECT_EQ(counters_.accepted, 1u);
    EXPECT_EQ(counters_.errors(), 0u);
    EXPECT_EQ(table_.inFlight(), 0u);
    EXPECT_EQ(latency_.count(), 1u);
    EXPECT_EQ(latency_.max(), 700u);
}

TEST_F(SlotTableTest, RejectAndChallengeAreAnswersNotAccepts) {
    const uint8_t a = send(0, 10);
    const uint8_t b = send(0, 10);
    receive(makeResponse(table_.request(a), Code::kAccessReject, builder_.secret()), 1);
    receive(makeResponse(table_.request(b), Code::kAccessChallenge, builder_.secret()), 1);
    EXPECT_EQ(counters_.accepted, 0u);
    EXPECT_EQ(counters_.rejected, 1u);
    EXPECT_EQ(counters_.challenged, 1u);
}

TEST_F(SlotTableTest, ResponseWithWrongSecretIsBadAuthenticatorAndRequestStaysOutstanding) {
    const uint8_t id = send(0, 10);
    crypto::SharedSecret wrong("not-the-secret");
    auto out = receive(makeResponse(table_.request(id), Code::kAccessAccept, wrong), 1);
    EXPECT_FALSE(out.completed);
    EXPECT_EQ(out.verdict, Verdict::kBadAuthenticator);
    EXPECT_EQ(counters_.bad_authenticator, 1u);
    EXPECT_EQ(counters_.accepted, 0u);
    EXPECT_EQ(table_.inFlight(), 1u);
    EXPECT_EQ(latency_.count(), 0u);
}

TEST_F(SlotTableTest, ResponseForAnIdentifierNeverUsedIsUnmatched) {
    const uint8_t id = send(0, 10);
    auto out = receive(makeResponse(table_.request(id), Code::kAccessAccept, builder_.secret(),
                                    true, /*id_delta=*/100),
                       1);
    EXPECT_FALSE(out.completed);
    EXPECT_EQ(counters_.unmatched, 1u);
    EXPECT_EQ(counters_.accepted, 0u);
    EXPECT_EQ(table_.inFlight(), 1u);
}

TEST_F(SlotTableTest, ResponseForAnotherInFlightIdentifierFailsItsAuthenticator) {
    // Answer computed for request a but carrying b's Identifier: b's authenticator differs.
    const uint8_t a = send(0, 10);
    const uint8_t b = send(0, 10);
    Bytes forged = makeResponse(table_.request(a), Code::kAccessAccept, builder_.secret());
    forged[1] = b;
    auto out = receive(forged, 1);
    EXPECT_FALSE(out.completed);
    EXPECT_EQ(counters_.bad_authenticator, 1u);
    EXPECT_EQ(counters_.accepted, 0u);
    EXPECT_EQ(table_.inFlight(), 2u);
}

TEST_F(SlotTableTest, TamperedMessageAuthenticatorIsAnError) {
    const uint8_t id = send(0, 10);
    Bytes r = makeResponse(table_.request(id), Code::kAccessAccept, builder_.secret());
    // Flip an MA octet and recompute the Response Authenticator so only the MA is wrong.
    r[25] ^= 1;
    crypto::Md5 h;
    h.update(r.data(), 4);
    h.update(table_.request(id).data() + 4, 16);
    h.update(r.data() + 20, r.size() - 20);
    h.update(builder_.secret().bytes());
    h.finish(r.data() + 4);
    auto out = receive(r, 1);
    EXPECT_EQ(out.verdict, Verdict::kBadMessageAuthenticator);
    EXPECT_EQ(counters_.bad_message_authenticator, 1u);
    EXPECT_EQ(counters_.accepted, 0u);
}

TEST_F(SlotTableTest, MissingMessageAuthenticatorIsAnErrorOnlyWhenRequired) {
    const uint8_t a = send(0, 10);
    const uint8_t b = send(0, 10);
    receive(makeResponse(table_.request(a), Code::kAccessAccept, builder_.secret(), false), 1);
    EXPECT_EQ(counters_.accepted, 1u);
    EXPECT_EQ(counters_.without_message_authenticator, 1u);
    receive(makeResponse(table_.request(b), Code::kAccessAccept, builder_.secret(), false), 1,
            /*require_ma=*/true);
    EXPECT_EQ(counters_.missing_message_authenticator, 1u);
    EXPECT_EQ(counters_.accepted, 1u);
}

TEST_F(SlotTableTest, AccountingResponseToAccessRequestIsUnexpectedCode) {
    const uint8_t id = send(0, 10);
    receive(makeResponse(table_.request(id), Code::kAccountingResponse, builder_.secret(), false),
            1);
    EXPECT_EQ(counters_.unexpected_code, 1u);
    EXPECT_EQ(counters_.accepted, 0u);
}

TEST_F(SlotTableTest, TruncatedDatagramIsMalformed) {
    const uint8_t id = send(0, 10);
    Bytes r = makeResponse(table_.request(id), Code::kAccessAccept, builder_.secret());
    r.resize(30);  // Length says 38
    receive(r, 1);
    EXPECT_EQ(counters_.malformed, 1u);
    receive(Bytes{2, id, 0}, 1);
    EXPECT_EQ(counters_.malformed, 2u);
    EXPECT_EQ(counters_.accepted, 0u);
}

TEST_F(SlotTableTest, SecondAnswerIsDuplicate) {
    const uint8_t id = send(0, 10);
    const Bytes r = makeResponse(table_.request(id), Code::kAccessAccept, builder_.secret());
    receive(r, 1);
    receive(r, 2);
    EXPECT_EQ(counters_.accepted, 1u);
    EXPECT_EQ(counters_.duplicate, 1u);
    EXPECT_EQ(latency_.count(), 1u);
}

TEST_F(SlotTableTest, RetransmitsThenTimesOutAndLateAnswerIsCountedLate) {
    const uint8_t id = send(0, 100);
    std::vector<uint8_t> resent, gave_up;
    auto retransmit = [&](uint8_t i) { resent.push_back(i); };
    auto timed_out = [&](uint8_t i) { gave_up.push_back(i); };
    table_.expire(99, 2, 100, retransmit, timed_out);  // not yet due
    EXPECT_TRUE(resent.empty());
    table_.expire(100, 2, 100, retransmit, timed_out);  // 2nd transmission, due at 200
    EXPECT_EQ(resent, std::vector<uint8_t>{id});
    EXPECT_EQ(table_.slot(id).deadline_ns, 200);
    table_.expire(200, 2, 100, retransmit, timed_out);
    EXPECT_EQ(gave_up, std::vector<uint8_t>{id});
    EXPECT_EQ(table_.inFlight(), 0u);
    receive(makeResponse(table_.request(id), Code::kAccessAccept, builder_.secret()), 250);
    EXPECT_EQ(counters_.late, 1u);
    EXPECT_EQ(counters_.accepted, 0u);
    EXPECT_EQ(latency_.count(), 0u);
}

TEST_F(SlotTableTest, LateAnswerAfterIdentifierReuseIsLateNotForged) {
    table_ = SlotTable(1);
    const uint8_t first = send(0, 10);
    const Bytes old_answer =
        makeResponse(table_.request(first), Code::kAccessAccept, builder_.secret());
    table_.expire(
        10, 1, 10, [](uint8_t) {}, [](uint8_t) {});
    // Walk the round robin back to the same Identifier.
    uint8_t again = first;
    for (int i = 0; i < 256; ++i) {
        again = send(20, 30);
        if (again == first)
            break;
        receive(makeResponse(table_.request(again), Code::kAccessAccept, builder_.secret()), 21);
    }
    ASSERT_EQ(again, first);
    const uint64_t accepted = counters_.accepted;
    receive(old_answer, 25);
    EXPECT_EQ(counters_.late, 1u);
    EXPECT_EQ(counters_.bad_authenticator, 0u);
    EXPECT_EQ(counters_.accepted, accepted);
    EXPECT_EQ(table_.inFlight(), 1u);
}

TEST_F(SlotTableTest, WindowLimitsAcquire) {
    for (int i = 0; i < 4; ++i)
        send(0, 10);
    EXPECT_TRUE(table_.full());
    EXPECT_EQ(table_.acquire(), -1);
}

}  // namespace
}  // namespace gatehouse::bench
