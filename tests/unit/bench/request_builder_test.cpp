#include "core/bench/request_builder.hpp"

#include <gtest/gtest.h>

#include <array>

#include "core/crypto/chap.hpp"
#include "core/crypto/hiding.hpp"
#include "core/crypto/mschap.hpp"
#include "core/radius/authenticator.hpp"
#include "core/radius/dictionary.hpp"
#include "core/radius/packet.hpp"

namespace gatehouse::bench {
namespace {

using radius::Code;
namespace attr = radius::attr;

struct Built {
    std::array<uint8_t, radius::kMaxPacketLength> buf{};
    radius::Packet packet;
};

void build(const RequestBuilder& b, const RequestSpec& spec, Built& out) {
    RandomPool rng;
    auto len = b.build(spec, out.buf, rng);
    ASSERT_TRUE(len.has_value()) << radius::describe(len.error());
    auto decoded = radius::decodeInto(ByteSpan(out.buf.data(), *len), radius::Dictionary::builtin(),
                                      out.packet);
    ASSERT_TRUE(decoded.has_value()) << radius::describe(decoded.error());
    ASSERT_EQ(out.packet.wire().size(), *len);
}

std::string text(const radius::Packet& p, uint8_t type) {
    const radius::AttrRef* a = p.find(0, type);
    return a == nullptr ? std::string("<absent>") : std::string(p.text(*a));
}

uint32_t integer(const radius::Packet& p, uint8_t type) {
    const radius::AttrRef* a = p.find(0, type);
    if (a == nullptr || a->value_length != 4)
        return 0xdeadbeef;
    return loadBe32(p.value(*a).data());
}

Options withMode(Mode m) {
    Options o;
    o.mode = m;
    o.secret = "s3cr3t";
    o.nas_ip = "10.1.2.3";
    return o;
}

TEST(RequestBuilder, PapHasMessageAuthenticatorFirstAndUnhidesToThePattern) {
    const Options o = withMode(Mode::kPap);
    RequestBuilder b(o, 1);
    Built r;
    build(b, {.id = 77, .user = 42}, r);
    const radius::Packet& p = r.packet;
    EXPECT_EQ(p.code(), Code::kAccessRequest);
    EXPECT_EQ(p.id(), 77);
    ASSERT_GE(p.attributes().size(), 1u);
    EXPECT_EQ(p.attributes()[0].type, attr::kMessageAuthenticator);  // BlastRADIUS: first
    EXPECT_EQ(radius::checkRequestMessageAuthenticator(p, b.secret()), radius::MaCheck::kValid);
    EXPECT_EQ(text(p, attr::kUserName), "user000042");
    EXPECT_EQ(integer(p, attr::kNasIpAddress), 0x0a010203u);
    const radius::AttrRef* pw = p.find(0, attr::kUserPassword);
    ASSERT_NE(pw, nullptr);
    uint8_t plain[128];
    auto n = crypto::unhideUserPassword(p.value(*pw), b.secret(), p.authenticator(), plain);
    ASSERT_TRUE(n.has_value());
    EXPECT_EQ(std::string(reinterpret_cast<char*>(plain), *n), "pass000042");
}

TEST(RequestBuilder, RequestAuthenticatorsAreFreshEveryTime) {
    RequestBuilder b(withMode(Mode::kPap), 1);
    Built a, c;
    build(b, {.id = 1, .user = 1}, a);
    build(b, {.id = 1, .user = 1}, c);
    EXPECT_NE(toHex(ByteSpan(a.packet.authenticator(), 16)),
              toHex(ByteSpan(c.packet.authenticator(), 16)));
}

TEST(RequestBuilder, NoMessageAuthenticatorWhenDisabled) {
    Options o = withMode(Mode::kPap);
    o.message_authenticator = false;
    RequestBuilder b(o, 1);
    Built r;
    build(b, {.id = 3, .user = 5}, r);
    EXPECT_EQ(r.packet.messageAuthenticator(), nullptr);
    EXPECT_EQ(text(r.packet, attr::kUserName), "user000005");
}

TEST(RequestBuilder, ChapResponseVerifiesForTheUsersPassword) {
    RequestBuilder b(withMode(Mode::kChap), 1);
    Built r;
    build(b, {.id = 9, .user = 123}, r);
    const radius::Packet& p = r.packet;
    EXPECT_EQ(radius::checkRequestMessageAuthenticator(p, b.secret()), radius::MaCheck::kValid);
    EXPECT_EQ(text(p, attr::kUserName), "user000123");
    EXPECT_EQ(p.find(0, attr::kUserPassword), nullptr);
    const radius::AttrRef* chap = p.find(0, attr::kChapPassword);
    const radius::AttrRef* challenge = p.find(0, attr::kChapChallenge);
    ASSERT_NE(chap, nullptr);
    ASSERT_NE(challenge, nullptr);
    EXPECT_EQ(p.value(*chap).size(), 17u);
    EXPECT_EQ(p.value(*chap)[0], 9);  // CHAP ident
    EXPECT_TRUE(crypto::chapVerify(p.value(*chap), asBytes("pass000123"), p.value(*challenge)));
    EXPECT_FALSE(crypto::chapVerify(p.value(*chap), asBytes("pass000124"), p.value(*challenge)));
}

TEST(RequestBuilder, MsChapV2ResponseVerifiesForTheUsersPassword) {
    RequestBuilder b(withMode(Mode::kMsChapV2), 1);
    Built r;
    build(b, {.id = 200, .user = 7}, r);
    const radius::Packet& p = r.packet;
    EXPECT_EQ(radius::checkRequestMessageAuthenticator(p, b.secret()), radius::MaCheck::kValid);
    const radius::AttrRef* challenge =
        p.find(radius::vendor::kMicrosoft, radius::ms::kChapChallenge);
    const radius::AttrRef* response =
        p.find(radius::vendor::kMicrosoft, radius::ms::kChap2Response);
    ASSERT_NE(challenge, nullptr);
    ASSERT_NE(response, nullptr);
    EXPECT_EQ(p.value(*challenge).size(), 16u);
    ASSERT_EQ(p.value(*response).size(), 50u);
    EXPECT_EQ(p.value(*response)[0], 200);  // ident
    EXPECT_EQ(p.value(*response)[1], 0);    // flags
    const auto ok = crypto::verifyMsChapV2(p.value(*response), p.value(*challenge), "user000007",
                                           crypto::ntPasswordHash("pass000007"));
    EXPECT_TRUE(ok.ok);
    const auto wrong = crypto::verifyMsChapV2(p.value(*response), p.value(*challenge), "user000007",
                                              crypto::ntPasswordHash("pass000008"));
    EXPECT_FALSE(wrong.ok);
}

TEST(RequestBuilder, StatusServerCarriesValidMessageAuthenticator) {
    RequestBuilder b(withMode(Mode::kStatus), 1);
    Built r;
    build(b, {.id = 4}, r);
    EXPECT_EQ(r.packet.code(), Code::kStatusServer);
    EXPECT_EQ(r.packet.attributes()[0].type, attr::kMessageAuthenticator);
    EXPECT_EQ(radius::checkRequestMessageAuthenticator(r.packet, b.secret()),
              radius::MaCheck::kValid);
}

TEST(RequestBuilder, AccountingSessionIsStartInterimsStopWithValidAuthenticators) {
    Options o = withMode(Mode::kAcct);
    o.interims = 2;
    RequestBuilder b(o, 0xA1B2C3D4);
    ASSERT_EQ(b.acctSteps(), 4u);
    const uint32_t expected_status[] = {1, 3, 3, 2};
    uint32_t last_output = 0;
    for (uint32_t step = 0; step < 4; ++step) {
        Built r;
        build(b,
              {.id = static_cast<uint8_t>(step),
               .user = 11,
               .acct_step = step,
               .session_number = 0x55,
               .event_time = 1700000000},
              r);
        const radius::Packet& p = r.packet;
        EXPECT_EQ(p.code(), Code::kAccountingRequest);
        EXPECT_TRUE(radius::verifyRequestAuthenticator(p, b.secret())) << "step " << step;
        EXPECT_EQ(integer(p, attr::kAcctStatusType), expected_status[step]);
        EXPECT_EQ(text(p, attr::kUserName), "user000011");
        EXPECT_EQ(text(p, attr::kAcctSessionId), "A1B2C3D40000000000000055");
        EXPECT_EQ(integer(p, attr::kEventTimestamp), 1700000000u);
        if (step == 0) {
            EXPECT_EQ(p.find(0, attr::kAcctOutputOctets), nullptr);
        } else {
            EXPECT_GT(integer(p, attr::kAcctOutputOctets), last_output);  // never goes down
            last_output = integer(p, attr::kAcctOutputOctets);
            EXPECT_EQ(integer(p, attr::kAcctSessionTime), step * 300);
        }
        EXPECT_EQ(p.find(0, attr::kAcctTerminateCause) != nullptr, step == 3);
    }
}

}  // namespace
}  // namespace gatehouse::bench
