// The Access pipeline without a network: every path of steps 1-7.
#include "core/process/access.hpp"

#include <gtest/gtest.h>

#include <optional>

#include "core/policy/worker_policy.hpp"
#include "tests/unit/process/fixture.hpp"

namespace gatehouse::process {
namespace {

using namespace testing;
using radius::Code;
using radius::DecodeError;
namespace attr = radius::attr;
namespace ms = radius::ms;
constexpr uint32_t kMs = radius::vendor::kMicrosoft;

class AccessTest : public ::testing::Test {
  protected:
    AccessTest()
        : store_(policyStore()),
          worker_policy_(*store_),
          unknown_nas_([this](std::string_view line) { log_.emplace_back(line); }),
          pipeline_(
              WorkerEnv{radius::Dictionary::builtin(), worker_policy_, counters_, unknown_nas_}),
          snapshot_(smallSnapshot()) {}

    // Sends `request` from `nas`:port 40000 and returns the reply (empty: dropped), valid
    // until the next send() (a decoded Packet points into it).
    const Bytes& send(const Bytes& request, uint32_t nas = kStrictNas, int64_t at_ms = 1000) {
        Datagram d{request, nas, 40000};
        const Outcome r = pipeline_.handle(d, *snapshot_, Now{at_ms, 1700000000}, reply_);
        last_.clear();
        if (r.reply) {
            EXPECT_EQ(r.bytes.data(), reply_.data());
            last_.assign(r.bytes.begin(), r.bytes.end());
        }
        return last_;
    }

    static std::string text(const radius::Packet& p, uint32_t vendor, uint8_t type) {
        const radius::AttrRef* a = p.find(vendor, type);
        return a ? std::string(p.text(*a)) : std::string("(absent)");
    }
    static uint32_t integer(const radius::Packet& p, uint8_t type) {
        const radius::AttrRef* a = p.find(0, type);
        if (!a || a->value_length != 4)
            return 0xffffffff;
        const ByteSpan v = p.value(*a);
        return uint32_t{v[0]} << 24 | uint32_t{v[1]} << 16 | uint32_t{v[2]} << 8 | v[3];
    }

    std::unique_ptr<policy::PolicyStore> store_;
    policy::WorkerPolicy worker_policy_;
    Counters counters_;
    std::vector<std::string> log_;
    UnknownNasLog unknown_nas_;
    AccessPipeline pipeline_;
    std::shared_ptr<const store::Snapshot> snapshot_;
    std::array<uint8_t, radius::kMaxPacketLength> reply_{};
    Bytes last_;
};

TEST_F(AccessTest, PapAcceptCarriesMaFirstPolicyReplyIpRuleAndTimeouts) {
    const Bytes req = build(pap("alice", "wonderland"));
    const Bytes reply = send(req);
    ASSERT_FALSE(reply.empty());
    const radius::Packet p = checkedResponse(reply, req);
    EXPECT_EQ(p.code(), Code::kAccessAccept);
    EXPECT_EQ(text(p, 0, attr::kReplyMessage), "hi");
    EXPECT_EQ(integer(p, attr::kAcctInterimInterval), 300u);
    EXPECT_EQ(integer(p, attr::kFramedIpAddress), 0x0a090005u);  // 10.9.0.5
    EXPECT_EQ(integer(p, attr::kSessionTimeout), 3600u);
    EXPECT_EQ(integer(p, attr::kIdleTimeout), 600u);
    EXPECT_EQ(counters_.accepts(), 1u);
    EXPECT_EQ(counters_.totalRejects(), 0u);
}

TEST_F(AccessTest, PapWrongPasswordIsRejectedInCppWithMaFirstAndNoReplyAttributes) {
    const Bytes req = build(pap("alice", "looking-glass"));
    const radius::Packet p = checkedResponse(send(req), req);
    EXPECT_EQ(p.code(), Code::kAccessReject);
    EXPECT_EQ(p.attributes().size(), 1u);  // only the Message-Authenticator
    EXPECT_EQ(counters_.rejects(RejectKind::kBadPassword), 1u);
    EXPECT_EQ(counters_.accepts(), 0u);
}

TEST_F(AccessTest, UnknownUserIsRejectedBeforeLua) {
    const Bytes req = build(pap("mallory", "wonderland"));
    const radius::Packet p = checkedResponse(send(req), req);
    EXPECT_EQ(p.code(), Code::kAccessReject);
    EXPECT_EQ(counters_.rejects(RejectKind::kUnknownUser), 1u);
}

TEST_F(AccessTest, RequestWithoutCredentialsIsRejected) {
    Request r;
    r.fill = [](radius::PacketWriter& w, const crypto::SharedSecret&, const uint8_t*) {
        w.addString(attr::kUserName, "alice");
    };
    const Bytes req = build(r);
    EXPECT_EQ(checkedResponse(send(req), req).code(), Code::kAccessReject);
    EXPECT_EQ(counters_.rejects(RejectKind::kNoCredentials), 1u);
}

TEST_F(AccessTest, PolicyRejectIsCountedByReasonAndCarriesOnlyReplyMessage) {
    const Bytes req = build(pap("blocked", "wonderland"));
    const radius::Packet p = checkedResponse(send(req), req);
    EXPECT_EQ(p.code(), Code::kAccessReject);
    ASSERT_EQ(p.attributes().size(), 2u);
    EXPECT_EQ(text(p, 0, attr::kReplyMessage), "disabled");
    EXPECT_EQ(counters_.rejects(RejectKind::kPolicy), 1u);
    EXPECT_EQ(counters_.policyRejects("account disabled"), 1u);
}

TEST_F(AccessTest, ChapWithChallengeAttributeAccepts) {
    const Bytes req = build(chap("alice", "wonderland", true));
    EXPECT_EQ(checkedResponse(send(req), req).code(), Code::kAccessAccept);
}

TEST_F(AccessTest, ChapWithRequestAuthenticatorAsChallengeAccepts) {
    const Bytes req = build(chap("alice", "wonderland", false));
    EXPECT_EQ(checkedResponse(send(req), req).code(), Code::kAccessAccept);
}

TEST_F(AccessTest, ChapWrongPasswordRejects) {
    const Bytes req = build(chap("alice", "nope", true));
    EXPECT_EQ(checkedResponse(send(req), req).code(), Code::kAccessReject);
    EXPECT_EQ(counters_.rejects(RejectKind::kBadPassword), 1u);
}

TEST_F(AccessTest, MsChapV2AcceptCarriesSuccessAndSaltedMppeKeys) {
    const Bytes req = build(msChapV2("alice", "wonderland"));
    const Bytes reply = send(req);
    const radius::Packet p = checkedResponse(reply, req);
    ASSERT_EQ(p.code(), Code::kAccessAccept);
    const crypto::MsChapV2Result expected =
        crypto::verifyMsChapV2(msChapV2Response("alice", "wonderland"), kAuthChallenge, "alice",
                               crypto::ntPasswordHash("wonderland"));
    ASSERT_TRUE(expected.ok);
    EXPECT_EQ(text(p, kMs, ms::kChap2Success), expected.success);
    EXPECT_EQ(expected.success.substr(0, 3), "\x09S=");
    const crypto::SharedSecret secret(kSecret);
    for (auto [type, key] : {std::pair{ms::kMppeSendKey, expected.send_key},
                             std::pair{ms::kMppeRecvKey, expected.recv_key}}) {
        const radius::AttrRef* a = p.find(kMs, type);
        ASSERT_NE(a, nullptr);
        EXPECT_EQ(a->value_length, 34u);
        uint8_t plain[64];
        auto n = crypto::saltDecrypt(p.value(*a), secret, req.data() + 4, plain);
        ASSERT_TRUE(n.has_value());
        ASSERT_EQ(*n, 16u);
        EXPECT_EQ(Bytes(plain, plain + 16), Bytes(key.begin(), key.end()));
    }
    // The two salts differ (RFC 2548 2.4.2).
    EXPECT_NE(p.value(*p.find(kMs, ms::kMppeSendKey)).subspan(0, 2)[0] << 8 |
                  p.value(*p.find(kMs, ms::kMppeSendKey))[1],
              p.value(*p.find(kMs, ms::kMppeRecvKey))[0] << 8 |
                  p.value(*p.find(kMs, ms::kMppeRecvKey))[1]);
}

TEST_F(AccessTest, MsChapV2WrongPasswordRejectsWithMsChapError691) {
    const Bytes req = build(msChapV2("alice", "wrong"));
    const radius::Packet p = checkedResponse(send(req), req);
    EXPECT_EQ(p.code(), Code::kAccessReject);
    EXPECT_EQ(text(p, kMs, ms::kChapError).substr(0, 7),
              "\x09"
              "E=691 ");
    EXPECT_EQ(p.find(kMs, ms::kChap2Success), nullptr);
    EXPECT_EQ(p.find(kMs, ms::kMppeSendKey), nullptr);
}

TEST_F(AccessTest, MsChapV2PolicyRejectUsesTheDecisionsErrorCode) {
    const Bytes req = build(msChapV2("blocked", "wonderland"));
    const radius::Packet p = checkedResponse(send(req), req);
    EXPECT_EQ(p.code(), Code::kAccessReject);
    EXPECT_EQ(text(p, kMs, ms::kChapError).substr(0, 7),
              "\x09"
              "E=647 ");
    EXPECT_EQ(text(p, 0, attr::kReplyMessage), "disabled");
}

TEST_F(AccessTest, MsChapV1AcceptCarriesHiddenMppeKeys) {
    const Bytes req = build(msChapV1("alice", "wonderland"));
    const radius::Packet p = checkedResponse(send(req), req);
    ASSERT_EQ(p.code(), Code::kAccessAccept);
    const radius::AttrRef* keys = p.find(kMs, ms::kChapMppeKeys);
    ASSERT_NE(keys, nullptr);
    EXPECT_EQ(keys->value_length, 32u);  // 24 octets hidden as User-Password (RFC 2548 2.4.1)
}

TEST_F(AccessTest, MsChapV1WrongPasswordRejectsWithMsChapError) {
    const Bytes req = build(msChapV1("alice", "wrong"));
    const radius::Packet p = checkedResponse(send(req), req);
    EXPECT_EQ(p.code(), Code::kAccessReject);
    EXPECT_EQ(text(p, kMs, ms::kChapError).substr(0, 7),
              "\x05"
              "E=691 ");
}

TEST_F(AccessTest, NasPoolRuleBecomesFramedPool) {
    const Bytes req = build(pap("pool", "wonderland"));
    const radius::Packet p = checkedResponse(send(req), req);
    EXPECT_EQ(text(p, 0, attr::kFramedPool), "pppoe-pool");
    EXPECT_EQ(p.find(0, attr::kFramedIpAddress), nullptr);
}

TEST_F(AccessTest, ManagedPoolWithoutIpamIsAcceptedWithoutAddressAndCounted) {
    const Bytes req = build(pap("managed", "wonderland"));
    const radius::Packet p = checkedResponse(send(req), req);
    EXPECT_EQ(p.code(), Code::kAccessAccept);
    EXPECT_EQ(p.find(0, attr::kFramedIpAddress), nullptr);
    EXPECT_EQ(p.find(0, attr::kFramedPool), nullptr);
    EXPECT_EQ(counters_.ipRulesNotImplemented(), 1u);
}

// With IPAM (a database): the Accept waits for its address, then goes out with it, signed.
class AccessClaimTest : public AccessTest {
  protected:
    AccessClaimTest() {
        WorkerEnv env{radius::Dictionary::builtin(), worker_policy_, counters_, unknown_nas_};
        env.ip_claims = true;
        claiming_.emplace(env);
    }
    /// Sends `request`; the pipeline must hold it for a claim (no answer yet).
    AccessPipeline::PendingClaim hold(const Bytes& request, int64_t at_ms = 1000) {
        Datagram d{request, kStrictNas, 40000};
        const Outcome r = claiming_->handle(d, *snapshot_, Now{at_ms, 1700000000}, reply_);
        EXPECT_TRUE(r.claim);
        EXPECT_FALSE(r.reply);
        return claiming_->takeClaim();
    }
    Outcome again(const Bytes& request, int64_t at_ms) {
        Datagram d{request, kStrictNas, 40000};
        return claiming_->handle(d, *snapshot_, Now{at_ms, 1700000000}, reply_);
    }
    std::optional<AccessPipeline> claiming_;
};

TEST_F(AccessClaimTest, AcceptWaitsForItsAddressThenCarriesItWithValidAuthenticators) {
    const Bytes req = build(pap("managed", "wonderland"));
    AccessPipeline::PendingClaim claim = hold(req);
    EXPECT_EQ(claim.request.pool, "managed-1");
    EXPECT_EQ(claim.request.address, "");
    EXPECT_NE(claim.request.subscriber_id, 0);
    EXPECT_EQ(counters_.accepts(), 0u);  // not yet: it may still become a Reject

    // A retransmission meanwhile is the same request still in progress: no answer.
    EXPECT_FALSE(again(req, 1100).reply);

    const ByteSpan answer = claiming_->finishClaim(claim, store::IpClaimResult{0x0a640007, {}, {}},
                                                   Now{1200, 1700000000});
    const Bytes bytes(answer.begin(), answer.end());
    const radius::Packet p = checkedResponse(bytes, req);  // MA and Response Authenticator
    EXPECT_EQ(p.code(), Code::kAccessAccept);
    EXPECT_EQ(integer(p, attr::kFramedIpAddress), 0x0a640007u);  // 10.100.0.7
    EXPECT_EQ(counters_.accepts(), 1u);

    // Now a retransmission gets the finished answer, octet for octet.
    const Outcome r = again(req, 1300);
    ASSERT_TRUE(r.reply);
    EXPECT_EQ(Bytes(r.bytes.begin(), r.bytes.end()), bytes);
}

TEST_F(AccessClaimTest, NoAddressBecomesARejectCountedWithItsReason) {
    const Bytes req = build(pap("managed", "wonderland"));
    AccessPipeline::PendingClaim claim = hold(req);
    const ByteSpan answer = claiming_->finishClaim(
        claim, store::IpClaimResult{0, "pool 'managed-1': exhausted", {}}, Now{1200, 1700000000});
    const Bytes bytes(answer.begin(), answer.end());  // the decoded packet points into it
    const radius::Packet p = checkedResponse(bytes, req);
    EXPECT_EQ(p.code(), Code::kAccessReject);
    EXPECT_EQ(p.find(0, attr::kFramedIpAddress), nullptr);
    EXPECT_EQ(counters_.accepts(), 0u);
    EXPECT_EQ(counters_.rejects(RejectKind::kNoAddress), 1u);
}

TEST_F(AccessClaimTest, CheckedStaticAddressIsHeldWithThePolicysConflictPlan) {
    const Bytes req = build(pap("checked", "wonderland"));
    AccessPipeline::PendingClaim claim = hold(req);
    EXPECT_EQ(claim.request.pool, "");
    EXPECT_EQ(claim.request.address, "10.1.2.5");
    EXPECT_EQ(claim.request.static_attempts, 3);
    EXPECT_EQ(claim.request.static_subnet, "10.1.2.0/24");
    // The claimer's fallback address goes out in its place.
    const ByteSpan answer = claiming_->finishClaim(
        claim, store::IpClaimResult{0x0a010206, {}, "static=10.1.2.5 assigned=10.1.2.6"},
        Now{1200, 1700000000});
    const Bytes bytes(answer.begin(), answer.end());
    const radius::Packet p = checkedResponse(bytes, req);
    EXPECT_EQ(p.code(), Code::kAccessAccept);
    EXPECT_EQ(integer(p, attr::kFramedIpAddress), 0x0a010206u);
}

TEST_F(AccessClaimTest, StaticAddressWithoutAPlanIsAnsweredAtOnce) {
    const Bytes req = build(pap("alice", "wonderland"));
    Datagram d{req, kStrictNas, 40000};
    const Outcome r = claiming_->handle(d, *snapshot_, Now{1000, 1700000000}, reply_);
    ASSERT_TRUE(r.reply);
    EXPECT_FALSE(r.claim);
}

TEST_F(AccessTest, CheckedStaticAddressWithoutADatabaseIsSentUnchecked) {
    const Bytes req = build(pap("checked", "wonderland"));
    const radius::Packet p = checkedResponse(send(req), req);
    EXPECT_EQ(integer(p, attr::kFramedIpAddress), 0x0a010205u);
}

TEST_F(AccessClaimTest, OtherIpRulesAreAnsweredAtOnce) {
    const Bytes req = build(pap("pool", "wonderland"));
    Datagram d{req, kStrictNas, 40000};
    const Outcome r = claiming_->handle(d, *snapshot_, Now{1000, 1700000000}, reply_);
    EXPECT_TRUE(r.reply);
    EXPECT_FALSE(r.claim);
}

TEST_F(AccessTest, ProxyStateIsEchoedInOrderOnAcceptAndReject) {
    for (const char* password : {"wonderland", "wrong"}) {
        Request r = pap("alice", password);
        auto inner = r.fill;
        r.fill = [inner](radius::PacketWriter& w, const crypto::SharedSecret& s, const uint8_t* a) {
            inner(w, s, a);
            w.addString(attr::kProxyState, "first");
            w.addString(attr::kProxyState, "second");
        };
        const Bytes req = build(r);
        const radius::Packet p = checkedResponse(send(req), req);
        std::vector<std::string> states;
        for (const radius::AttrRef& a : p.attributes()) {
            if (a.vendor == 0 && a.type == attr::kProxyState)
                states.emplace_back(p.text(a));
        }
        EXPECT_EQ(states, (std::vector<std::string>{"first", "second"})) << password;
    }
}

TEST_F(AccessTest, UnknownNasIsDroppedCountedAndLoggedOncePerMinute) {
    const Bytes req = build(pap("alice", "wonderland"));
    EXPECT_TRUE(send(req, kUnknownNas, 1000).empty());
    EXPECT_TRUE(send(req, kUnknownNas, 30000).empty());
    EXPECT_TRUE(send(req, kUnknownNas, 61000).empty());
    EXPECT_EQ(counters_.drops(DropKind::kUnknownNas), 3u);
    EXPECT_EQ(log_, (std::vector<std::string>{
                        "radius.drop.unknown_nas nas=10.0.0.99 dropped=1",
                        "radius.drop.unknown_nas nas=10.0.0.99 dropped=2",
                    }));
}

TEST_F(AccessTest, MissingMaIsDroppedWhenTheNasRequiresIt) {
    Request r = pap("alice", "wonderland");
    r.message_authenticator = false;
    EXPECT_TRUE(send(build(r), kStrictNas).empty());
    EXPECT_EQ(counters_.drops(DropKind::kMissingMessageAuthenticator), 1u);
}

TEST_F(AccessTest, InvalidMaIsDroppedEvenForLegacyNas) {
    Bytes req = build(pap("alice", "wonderland"));
    req[22] ^= 0x01;  // inside the MA value (first attribute)
    EXPECT_TRUE(send(req, kLegacyNas).empty());
    EXPECT_TRUE(send(req, kStrictNas).empty());
    EXPECT_EQ(counters_.drops(DropKind::kBadMessageAuthenticator), 2u);
}

TEST_F(AccessTest, WrongSecretFailsTheMaAndIsDropped) {
    Request r = pap("alice", "wonderland");
    r.secret = "not-the-secret";
    EXPECT_TRUE(send(build(r)).empty());
    EXPECT_EQ(counters_.drops(DropKind::kBadMessageAuthenticator), 1u);
}

TEST_F(AccessTest, LegacyNasWithoutMaIsServedButResponseStillHasMaFirst) {
    Request r = pap("alice", "wonderland");
    r.message_authenticator = false;
    const Bytes req = build(r);
    EXPECT_EQ(checkedResponse(send(req, kLegacyNas), req).code(), Code::kAccessAccept);
}

TEST_F(AccessTest, LimitProxyStateDropsProxyStateWithoutMa) {
    Request r = pap("alice", "wonderland");
    r.message_authenticator = false;
    auto inner = r.fill;
    r.fill = [inner](radius::PacketWriter& w, const crypto::SharedSecret& s, const uint8_t* a) {
        inner(w, s, a);
        w.addString(attr::kProxyState, "x");
    };
    const Bytes req = build(r);
    EXPECT_TRUE(send(req, kLegacyNas).empty());
    EXPECT_EQ(counters_.drops(DropKind::kProxyStateWithoutMa), 1u);
    // With limit_proxy_state off the same request is answered.
    EXPECT_EQ(checkedResponse(send(req, kLaxNas), req).code(), Code::kAccessAccept);
}

TEST_F(AccessTest, DuplicateGetsIdenticalBytesWithoutSecondEvaluation) {
    const Bytes req = build(msChapV2("alice", "wonderland"));  // random salts: recomputing differs
    const Bytes first = send(req, kStrictNas, 1000);
    const Bytes second = send(req, kStrictNas, 2000);
    ASSERT_FALSE(first.empty());
    EXPECT_EQ(first, second);
    EXPECT_EQ(counters_.accepts(), 1u);
    EXPECT_EQ(counters_.duplicatesResent(), 1u);
}

TEST_F(AccessTest, SameIdWithNewAuthenticatorIsANewRequest) {
    Request r = pap("alice", "wonderland");
    const Bytes a = build(r);
    const Bytes b = build(r);  // fresh random authenticator, same Identifier
    ASSERT_NE(Bytes(a.begin() + 4, a.begin() + 20), Bytes(b.begin() + 4, b.begin() + 20));
    EXPECT_FALSE(send(a).empty());
    EXPECT_FALSE(send(b).empty());
    EXPECT_EQ(counters_.accepts(), 2u);
    EXPECT_EQ(counters_.duplicatesResent(), 0u);
}

TEST_F(AccessTest, DuplicateAfterLifetimeIsEvaluatedAgain) {
    const Bytes req = build(pap("alice", "wonderland"));
    EXPECT_FALSE(send(req, kStrictNas, 1000).empty());
    EXPECT_FALSE(send(req, kStrictNas, 1000 + DuplicateCache::kLifetimeMs).empty());
    EXPECT_EQ(counters_.accepts(), 2u);
}

TEST_F(AccessTest, MalformedDatagramIsDroppedAndCountedByKind) {
    const Bytes shorter(10, 0x01);
    EXPECT_TRUE(send(shorter).empty());
    Bytes truncated = build(pap("alice", "wonderland"));
    truncated.resize(truncated.size() - 3);
    EXPECT_TRUE(send(truncated).empty());
    EXPECT_EQ(counters_.decodeErrors(DecodeError::kTooShort), 1u);
    EXPECT_EQ(counters_.decodeErrors(DecodeError::kTruncated), 1u);
    EXPECT_EQ(counters_.drops(DropKind::kDecode), 2u);
}

TEST_F(AccessTest, AccountingRequestOnTheAuthPortIsDropped) {
    Request r;
    r.code = Code::kAccountingRequest;
    r.message_authenticator = false;
    EXPECT_TRUE(send(build(r)).empty());
    EXPECT_EQ(counters_.drops(DropKind::kWrongCode), 1u);
}

TEST_F(AccessTest, StatusServerOnAuthPortGetsAccessAcceptWithMaFirst) {
    Request r;
    r.code = Code::kStatusServer;
    const Bytes req = build(r);
    const radius::Packet p = checkedResponse(send(req), req);
    EXPECT_EQ(p.code(), Code::kAccessAccept);
    EXPECT_EQ(p.attributes().size(), 1u);
    EXPECT_EQ(counters_.statusAnswers(), 1u);
    EXPECT_EQ(counters_.accepts(), 0u);  // never authenticates
}

TEST_F(AccessTest, StatusServerWithoutMaIsDroppedEvenForLaxNas) {
    Request r;
    r.code = Code::kStatusServer;
    r.message_authenticator = false;
    EXPECT_TRUE(send(build(r), kLaxNas).empty());
    EXPECT_EQ(counters_.drops(DropKind::kMissingMessageAuthenticator), 1u);
}

TEST_F(AccessTest, PolicyErrorRejectsAndIsCounted) {
    auto broken = policyStore(
        "function authorize(req, sub, nas) return accept({ ['No-Such-Attribute'] = 1 }) end\n"
        "function accounting(req, sub, nas) return record({}) end\n");
    policy::WorkerPolicy wp(*broken);
    Counters counters;
    AccessPipeline pipeline(WorkerEnv{radius::Dictionary::builtin(), wp, counters, unknown_nas_});
    const Bytes req = build(pap("alice", "wonderland"));
    const Outcome r =
        pipeline.handle(Datagram{req, kStrictNas, 1}, *snapshot_, Now{1, 1700000000}, reply_);
    ASSERT_TRUE(r.reply);
    EXPECT_EQ(checkedResponse(r.bytes, req).code(), Code::kAccessReject);
    EXPECT_EQ(counters.rejects(RejectKind::kPolicyError), 1u);
}

}  // namespace
}  // namespace gatehouse::process
