// The Accounting pipeline and Status-Server on the accounting port.
#include "core/process/accounting.hpp"

#include <gtest/gtest.h>

#include "core/policy/worker_policy.hpp"
#include "tests/unit/process/fixture.hpp"

namespace gatehouse::process {
namespace {

using namespace testing;
using radius::Code;
namespace attr = radius::attr;

class AccountingTest : public ::testing::Test {
  protected:
    AccountingTest()
        : store_(policyStore()),
          worker_policy_(*store_),
          unknown_nas_([](std::string_view) {}),
          pipeline_(WorkerEnv{radius::Dictionary::builtin(), worker_policy_, counters_,
                              unknown_nas_,
                              /*ack_unstored_accounting=*/true}),
          snapshot_(smallSnapshot()) {}

    // The reply (empty: dropped), valid until the next send().
    const Bytes& send(const Bytes& request, uint32_t nas = kStrictNas) {
        const Outcome r = pipeline_.handle(Datagram{request, nas, 40001}, *snapshot_,
                                           Now{1000, 1700000000}, reply_);
        last_ = r.reply ? Bytes(r.bytes.begin(), r.bytes.end()) : Bytes{};
        return last_;
    }

    static Request start(const std::string& user) {
        Request r;
        r.code = Code::kAccountingRequest;
        r.message_authenticator = false;
        r.fill = [user](radius::PacketWriter& w, const crypto::SharedSecret&, const uint8_t*) {
            w.addString(attr::kUserName, user);
            w.addInteger(attr::kAcctStatusType, 1);
            w.addString(attr::kAcctSessionId, "abc-1");
            w.addString(attr::kProxyState, "ps");
        };
        return r;
    }

    std::unique_ptr<policy::PolicyStore> store_;
    policy::WorkerPolicy worker_policy_;
    Counters counters_;
    UnknownNasLog unknown_nas_;
    AccountingPipeline pipeline_;
    std::shared_ptr<const store::Snapshot> snapshot_;
    std::array<uint8_t, radius::kMaxPacketLength> reply_{};
    Bytes last_;
};

TEST_F(AccountingTest, ValidRequestGetsAccountingResponseEchoingProxyState) {
    const Bytes req = build(start("alice"));
    const radius::Packet p = checkedResponse(send(req), req, false);
    EXPECT_EQ(p.code(), Code::kAccountingResponse);
    ASSERT_EQ(p.attributes().size(), 1u);
    EXPECT_EQ(p.text(p.attributes()[0]), "ps");
    EXPECT_EQ(counters_.accountingAnswers(), 1u);
    EXPECT_EQ(counters_.accountingDiscards(), 0u);
}

TEST_F(AccountingTest, WithoutADurableWriterNothingIsAcknowledgedByDefault) {
    // The default (ack_unstored_accounting off): the NAS must keep the record and retransmit.
    AccountingPipeline strict(
        WorkerEnv{radius::Dictionary::builtin(), worker_policy_, counters_, unknown_nas_});
    const Bytes req = build(start("alice"));
    const Outcome r =
        strict.handle(Datagram{req, kStrictNas, 40001}, *snapshot_, Now{1000, 1700000000}, reply_);
    EXPECT_FALSE(r.reply);
    EXPECT_EQ(counters_.drops(DropKind::kAccountingNotStored), 1u);
    EXPECT_EQ(counters_.accountingAnswers(), 0u);
    // A retransmission is not swallowed as a duplicate in progress: it is refused the same way.
    EXPECT_FALSE(
        strict.handle(Datagram{req, kStrictNas, 40001}, *snapshot_, Now{1001, 1700000000}, reply_)
            .reply);
    EXPECT_EQ(counters_.drops(DropKind::kAccountingNotStored), 2u);
}

TEST_F(AccountingTest, WrongRequestAuthenticatorIsDropped) {
    Request r = start("alice");
    r.secret = "wrong";
    EXPECT_TRUE(send(build(r)).empty());
    EXPECT_EQ(counters_.drops(DropKind::kBadAuthenticator), 1u);
}

TEST_F(AccountingTest, PolicyDiscardIsStillAcknowledgedAndCounted) {
    const Bytes req = build(start("nobody"));
    EXPECT_EQ(checkedResponse(send(req), req, false).code(), Code::kAccountingResponse);
    EXPECT_EQ(counters_.accountingDiscards(), 1u);
}

TEST_F(AccountingTest, RetransmissionGetsTheCachedAnswer) {
    const Bytes req = build(start("alice"));
    const Bytes first = send(req);
    EXPECT_EQ(send(req), first);
    EXPECT_EQ(counters_.accountingAnswers(), 1u);
    EXPECT_EQ(counters_.duplicatesResent(), 1u);
}

TEST_F(AccountingTest, StatusServerGetsAccountingResponseWithMaFirst) {
    Request r;
    r.code = Code::kStatusServer;
    const Bytes req = build(r);
    const radius::Packet p = checkedResponse(send(req), req);
    EXPECT_EQ(p.code(), Code::kAccountingResponse);
    EXPECT_EQ(counters_.statusAnswers(), 1u);
    EXPECT_EQ(counters_.accountingAnswers(), 0u);
}

TEST_F(AccountingTest, AccessRequestOnTheAccountingPortIsDropped) {
    EXPECT_TRUE(send(build(pap("alice", "wonderland"))).empty());
    EXPECT_EQ(counters_.drops(DropKind::kWrongCode), 1u);
}

}  // namespace
}  // namespace gatehouse::process
