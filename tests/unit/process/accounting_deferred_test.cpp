// The Accounting pipeline with the durable writer present (env.durable_accounting): a stored
// record is answered only once durable (Outcome::deferred, takeDeferred), and the duplicate
// cache follows the writer's verdict: in progress until acknowledged() or abandoned(). Runs the
// shipped policies/default.lua, so its discard rules are the real ones.
#include <gtest/gtest.h>

#include "core/policy/worker_policy.hpp"
#include "core/process/accounting.hpp"
#include "core/process/accounting_extract.hpp"
#include "tests/unit/process/fixture.hpp"

namespace gatehouse::process {
namespace {

using namespace testing;
using radius::Code;
namespace attr = radius::attr;

std::unique_ptr<policy::PolicyStore> shippedPolicies() {
    auto store = std::make_unique<policy::PolicyStore>(radius::Dictionary::builtin(),
                                                       policy::StoreOptions{});
    auto bundle =
        policy::PolicyBundle::loadDirectory(GH_SOURCE_DIR "/policies", policy::EngineConfig{});
    EXPECT_TRUE(bundle.has_value()) << (bundle ? "" : bundle.error().describe());
    if (bundle) {
        const policy::ReloadReport r = store->reloadBundle(*bundle, "startup");
        EXPECT_TRUE(r.ok) << r.describe();
    }
    return store;
}

class AccountingDeferredTest : public ::testing::Test {
  protected:
    AccountingDeferredTest()
        : store_(shippedPolicies()),
          worker_policy_(*store_),
          unknown_nas_([](std::string_view) {}),
          pipeline_(WorkerEnv{radius::Dictionary::builtin(), worker_policy_, counters_,
                              unknown_nas_, /*ack_unstored_accounting=*/false,
                              /*durable_accounting=*/true}),
          snapshot_(smallSnapshot()) {}

    /// Sends `request`; the Outcome with its bytes copied to last_ (the buffer is reused).
    Outcome send(const Bytes& request, int64_t at_ms = 1000) {
        Outcome r = pipeline_.handle(Datagram{request, kStrictNas, 40001}, *snapshot_,
                                     Now{at_ms, 1700000000}, reply_);
        last_ = r.reply ? Bytes(r.bytes.begin(), r.bytes.end()) : Bytes{};
        return r;
    }

    static Request accounting(std::function<void(radius::PacketWriter&)> fill) {
        Request r;
        r.code = Code::kAccountingRequest;
        r.message_authenticator = false;
        r.fill = [fill](radius::PacketWriter& w, const crypto::SharedSecret&, const uint8_t*) {
            fill(w);
        };
        return r;
    }
    static Request start(const std::string& user, const std::string& sid = "abc-1") {
        return accounting([user, sid](radius::PacketWriter& w) {
            w.addString(attr::kUserName, user);
            w.addInteger(attr::kAcctStatusType, 1);
            w.addString(attr::kAcctSessionId, sid);
            w.addString(attr::kProxyState, "ps");
        });
    }

    int64_t aliceId() const { return snapshot_->subscriber("alice")->subscriber->id; }

    std::unique_ptr<policy::PolicyStore> store_;
    policy::WorkerPolicy worker_policy_;
    Counters counters_;
    UnknownNasLog unknown_nas_;
    AccountingPipeline pipeline_;
    std::shared_ptr<const store::Snapshot> snapshot_;
    std::array<uint8_t, radius::kMaxPacketLength> reply_{};
    Bytes last_;
};

TEST_F(AccountingDeferredTest, StoredRecordIsDeferredWithItsRecordAndAnswer) {
    const Bytes req = build(start("alice"));
    const Outcome r = send(req);
    ASSERT_TRUE(r.reply);
    EXPECT_TRUE(r.deferred);
    // The answer is ready (kept by the transport until the record is durable).
    const radius::Packet p = checkedResponse(last_, req, false);
    EXPECT_EQ(p.code(), Code::kAccountingResponse);
    ASSERT_EQ(p.attributes().size(), 1u);
    EXPECT_EQ(p.text(p.attributes()[0]), "ps");
    // Not counted as answered until acknowledged.
    EXPECT_EQ(counters_.accountingAnswers(), 0u);
    EXPECT_EQ(counters_.accountingDiscards(), 0u);

    AccountingPipeline::Deferred d = pipeline_.takeDeferred();
    EXPECT_EQ(d.record.status, store::AcctStatus::kStart);
    EXPECT_EQ(d.record.username, "alice");
    EXPECT_EQ(d.record.subscriber_id, aliceId());
    EXPECT_EQ(d.record.session_id, "abc-1");
    EXPECT_EQ(d.record.nas_ip, kStrictNas);
    EXPECT_EQ(d.record.event_time, 1700000000);
    EXPECT_EQ(d.record.unique_id, deriveUniqueId(kStrictNas, "abc-1", "", "alice"));
    EXPECT_TRUE(d.record.tags.empty());
    EXPECT_EQ(d.claim.state, DuplicateCache::State::kNew);
}

TEST_F(AccountingDeferredTest, PolicyTagsTravelWithTheRecord) {
    const Bytes req = build(start("mallory"));  // not a subscriber: kept, tagged
    const Outcome r = send(req);
    ASSERT_TRUE(r.reply);
    ASSERT_TRUE(r.deferred);
    AccountingPipeline::Deferred d = pipeline_.takeDeferred();
    EXPECT_EQ(d.record.subscriber_id, 0);
    EXPECT_EQ(d.record.tags, std::vector<std::string>{"unknown-user"});
}

TEST_F(AccountingDeferredTest, RetransmissionBeforeAcknowledgementIsDroppedAsInProgress) {
    const Bytes req = build(start("alice"));
    ASSERT_TRUE(send(req).deferred);
    (void)pipeline_.takeDeferred();
    const Outcome again = send(req, 1500);
    EXPECT_FALSE(again.reply);
    EXPECT_EQ(counters_.drops(DropKind::kDuplicateInProgress), 1u);
    EXPECT_EQ(counters_.duplicatesResent(), 0u);
}

TEST_F(AccountingDeferredTest, AfterAcknowledgedTheRetransmissionGetsTheCachedAnswer) {
    const Bytes req = build(start("alice"));
    ASSERT_TRUE(send(req).deferred);
    const Bytes answer = last_;
    AccountingPipeline::Deferred d = pipeline_.takeDeferred();
    pipeline_.acknowledged(d.claim, answer, 1200);
    EXPECT_EQ(counters_.accountingAnswers(), 1u);

    const Outcome again = send(req, 1500);
    ASSERT_TRUE(again.reply);
    EXPECT_FALSE(again.deferred);  // nothing to store twice
    EXPECT_EQ(last_, answer);
    EXPECT_EQ(counters_.duplicatesResent(), 1u);
    EXPECT_EQ(counters_.accountingAnswers(), 1u);
    EXPECT_EQ(counters_.drops(DropKind::kDuplicateInProgress), 0u);
}

TEST_F(AccountingDeferredTest, AfterAbandonedTheRetransmissionIsEvaluatedAgain) {
    const Bytes req = build(start("alice"));
    ASSERT_TRUE(send(req).deferred);
    AccountingPipeline::Deferred first = pipeline_.takeDeferred();
    pipeline_.abandoned(first.claim);
    EXPECT_EQ(counters_.accountingAnswers(), 0u);

    const Outcome again = send(req, 1500);
    ASSERT_TRUE(again.reply);
    EXPECT_TRUE(again.deferred);
    AccountingPipeline::Deferred second = pipeline_.takeDeferred();
    EXPECT_EQ(second.record, first.record);
    EXPECT_EQ(second.claim.state, DuplicateCache::State::kNew);
    EXPECT_EQ(counters_.drops(DropKind::kDuplicateInProgress), 0u);
    EXPECT_EQ(counters_.duplicatesResent(), 0u);

    // The second claim settles normally.
    pipeline_.acknowledged(second.claim, last_, 1600);
    EXPECT_TRUE(send(req, 1700).reply);
    EXPECT_EQ(counters_.duplicatesResent(), 1u);
}

TEST_F(AccountingDeferredTest, StaleClaimCannotCompleteAfterAbandon) {
    // The writer's verdict arrives for a claim already abandoned: the next evaluation's claim
    // must stay in progress (its retransmission dropped), not be answered from the stale one.
    const Bytes req = build(start("alice"));
    ASSERT_TRUE(send(req).deferred);
    AccountingPipeline::Deferred first = pipeline_.takeDeferred();
    pipeline_.abandoned(first.claim);
    ASSERT_TRUE(send(req, 1500).deferred);
    (void)pipeline_.takeDeferred();
    pipeline_.acknowledged(first.claim, last_, 1600);
    EXPECT_FALSE(send(req, 1700).reply);
    EXPECT_EQ(counters_.drops(DropKind::kDuplicateInProgress), 1u);
}

TEST_F(AccountingDeferredTest, PolicyDiscardIsAnsweredAtOnceAndNotRecorded) {
    // default.lua: a Start carrying counters is nonsense (RFC 2866 5.3): discarded, acknowledged.
    const Bytes req = build(accounting([](radius::PacketWriter& w) {
        w.addString(attr::kUserName, "alice");
        w.addInteger(attr::kAcctStatusType, 1);
        w.addString(attr::kAcctSessionId, "abc-2");
        w.addInteger(attr::kAcctInputOctets, 5);
    }));
    const Outcome r = send(req);
    ASSERT_TRUE(r.reply);
    EXPECT_FALSE(r.deferred);
    EXPECT_EQ(checkedResponse(last_, req, false).code(), Code::kAccountingResponse);
    EXPECT_EQ(counters_.accountingDiscards(), 1u);
    EXPECT_EQ(counters_.accountingAnswers(), 1u);
    // Answered, so a retransmission gets the same octets without a second evaluation.
    const Bytes answer = last_;
    const Outcome again = send(req, 1500);
    ASSERT_TRUE(again.reply);
    EXPECT_FALSE(again.deferred);
    EXPECT_EQ(last_, answer);
    EXPECT_EQ(counters_.accountingDiscards(), 1u);
    EXPECT_EQ(counters_.duplicatesResent(), 1u);
}

TEST_F(AccountingDeferredTest, StatusNotStoredIsAnsweredAtOnce) {
    // Failed (RFC 2866 5.1, 15): the policy keeps it (tag "failed"), the store has no place
    // for it; acknowledged so the NAS stops retransmitting.
    const Bytes req = build(accounting([](radius::PacketWriter& w) {
        w.addString(attr::kUserName, "alice");
        w.addInteger(attr::kAcctStatusType, 15);
        w.addString(attr::kAcctSessionId, "abc-3");
    }));
    const Outcome r = send(req);
    ASSERT_TRUE(r.reply);
    EXPECT_FALSE(r.deferred);
    EXPECT_EQ(counters_.accountingDiscards(), 1u);
    EXPECT_EQ(counters_.accountingAnswers(), 1u);
}

TEST_F(AccountingDeferredTest, StatusServerIsNeverDeferred) {
    Request r;
    r.code = Code::kStatusServer;
    const Bytes req = build(r);
    const Outcome o = send(req);
    ASSERT_TRUE(o.reply);
    EXPECT_FALSE(o.deferred);
    EXPECT_EQ(checkedResponse(last_, req).code(), Code::kAccountingResponse);
}

}  // namespace
}  // namespace gatehouse::process
