#include <gtest/gtest.h>

#include <cstring>

#include "core/radius/authenticator.hpp"
#include "tests/unit/radius/codec_test_dict.hpp"

namespace gatehouse::radius {
namespace {

Bytes hex(std::string_view h) {
    return fromHex(h).value();
}
const crypto::SharedSecret kTesting123("testing123");

Packet decoded(const Bytes& w) {
    auto r = decodePacket(w, test::codecDict());
    if (!r)
        std::abort();
    return std::move(*r);
}

const char* k2aRequest =
    "0142004500112233445566778899aabbccddeeff5012b8d1fdf7ffcd7be710708c4430cc21370107616c69636502"
    "127ad1fdc99f0d03593966d16d25fb04c804067f000001";
const char* kCoaRequest =
    "2b470045055a48add7b1c342d53a6fc731d5c2c750128ef87436baca635aeb26715f9b8885d40107616c6963652c"
    "0a38313030303030311a0e00003a8c0808354d2f31304d";
const char* kAcctStart =
    "0445003d106d4d2d61664592557440d79562d9a52806000000010107616c6963652c0a38313030303030310406"
    "7f00000108060a00000537066553f100";

TEST(Authenticator, ComputesMaAsHmacOverPacketWithZeroedMa) {
    // Independent computation: copy the packet, zero the MA value, HMAC the copy.
    const Bytes w = hex(k2aRequest);
    Bytes copy = w;
    std::memset(copy.data() + 22, 0, 16);
    const crypto::Digest16 want = kTesting123.hmac().mac(copy);
    uint8_t got[16];
    computeMessageAuthenticator(w, 22, w.data() + 4, kTesting123, got);
    EXPECT_EQ(toHex(ByteSpan(got, 16)), toHex(want));
    EXPECT_EQ(toHex(ByteSpan(got, 16)), "b8d1fdf7ffcd7be710708c4430cc2137");
}

TEST(Authenticator, ChecksAccessRequestAndStatusServerMaOverOwnAuthenticator) {
    EXPECT_EQ(checkRequestMessageAuthenticator(decoded(hex(k2aRequest)), kTesting123),
              MaCheck::kValid);
    const Bytes ss =
        hex("0c4900261234567890abcdef1234567890abcdef5012de66afcde5131c71cdd70899441774d6");
    EXPECT_EQ(checkRequestMessageAuthenticator(decoded(ss), kTesting123), MaCheck::kValid);
    EXPECT_EQ(checkRequestMessageAuthenticator(decoded(hex(k2aRequest)),
                                               crypto::SharedSecret("testing124")),
              MaCheck::kInvalid);
}

TEST(Authenticator, ChecksCoaMaOverZeroAuthenticator) {
    const Bytes w = hex(kCoaRequest);  // the Packet views it: keep it alive
    const Packet p = decoded(w);
    EXPECT_EQ(checkRequestMessageAuthenticator(p, kTesting123), MaCheck::kValid);
    EXPECT_TRUE(verifyRequestAuthenticator(p, kTesting123));
}

TEST(Authenticator, DetectsAnyFlippedBitInMaProtectedRequest) {
    const Bytes w = hex(k2aRequest);
    for (size_t i = 0; i < w.size(); ++i) {
        if (i == 2 || i == 3)
            continue;  // the Length field: the decoder rejects those
        Bytes f = w;
        f[i] ^= 0x10;
        auto p = decodePacket(f, test::codecDict());
        if (!p)
            continue;  // a structural change
        // Flipping the MA's type octet leaves no MA at all: also never valid.
        EXPECT_NE(checkRequestMessageAuthenticator(*p, kTesting123), MaCheck::kValid) << i;
    }
}

TEST(Authenticator, ReportsAbsentMa) {
    const Bytes w = hex(kAcctStart);
    EXPECT_EQ(checkRequestMessageAuthenticator(decoded(w), kTesting123), MaCheck::kAbsent);
}

TEST(Authenticator, VerifiesHashedRequestAuthenticators) {
    EXPECT_TRUE(verifyRequestAuthenticator(decoded(hex(kAcctStart)), kTesting123));
    EXPECT_TRUE(verifyRequestAuthenticator(
        decoded(hex("2848001cc6a1a427f61c75c926fdbfdd648e7e7a01086e6f73756368")), kTesting123));
    EXPECT_FALSE(
        verifyRequestAuthenticator(decoded(hex(kAcctStart)), crypto::SharedSecret("testing124")));
    Bytes f = hex(kAcctStart);
    f.back() ^= 1;
    EXPECT_FALSE(verifyRequestAuthenticator(decoded(f), kTesting123));
    // Access-Request authenticators are random: never "verified".
    EXPECT_FALSE(verifyRequestAuthenticator(decoded(hex(k2aRequest)), kTesting123));
}

TEST(Authenticator, VerifiesResponseAuthenticatorOfRfc2865Example) {
    const crypto::SharedSecret s("xyzzy5461");
    const Bytes ra = hex("0f403f9473978057bd83d5cb98f4227a");
    Bytes accept =
        hex("0200002686fe220e7624ba2a1005f6bf9b55e0b2060600000001 0f06000000000e06c0a80103");
    EXPECT_TRUE(verifyResponseAuthenticator(accept, ra.data(), s));
    accept.push_back(0);  // padding past Length is not hashed
    EXPECT_TRUE(verifyResponseAuthenticator(accept, ra.data(), s));
    EXPECT_FALSE(verifyResponseAuthenticator(ByteSpan(accept).first(37), ra.data(), s));
    EXPECT_FALSE(verifyResponseAuthenticator(ByteSpan(accept).first(19), ra.data(), s));
    const Bytes other = hex("0f403f9473978057bd83d5cb98f4227b");
    EXPECT_FALSE(verifyResponseAuthenticator(accept, other.data(), s));
}

TEST(Authenticator, ChecksResponseMaWithRequestAuthenticator) {
    // test-vectors.md 8: FreeRADIUS Access-Challenge, MA after EAP-Message.
    const Bytes challenge = hex(
        "0b000050d3a75ca7ec2bdebe16ff3e63e83e921b4f18017c001604102d5268426c1154572086adf23ea036ca50"
        "12a2b65536f9d6925d6d0081026e21dcc71812e40b5b01e4775f8693170512da01dbd8");
    const Bytes ra = hex("dc1046e85e4c4e351533725807a0cccc");
    const Packet p = decoded(challenge);
    EXPECT_EQ(checkResponseMessageAuthenticator(p, ra.data(), kTesting123), MaCheck::kValid);
    EXPECT_TRUE(verifyResponseAuthenticator(challenge, ra.data(), kTesting123));
    const Bytes wrong = hex("dc1046e85e4c4e351533725807a0cccd");
    EXPECT_EQ(checkResponseMessageAuthenticator(p, wrong.data(), kTesting123), MaCheck::kInvalid);
    // Hashing the response's own authenticator (a common mistake) does not validate.
    EXPECT_EQ(checkResponseMessageAuthenticator(p, p.authenticator(), kTesting123),
              MaCheck::kInvalid);
}

TEST(Authenticator, ComputesResponseAuthenticatorIntermediate) {
    // RFC 2865 3: MD5(Code+ID+Length+RequestAuth+Attributes+Secret), here for 2a's Accept.
    const Bytes accept = hex(
        "02420036f51db13db927077a1caf0bb665c1297a120d48656c6c6f20616c6963651a0f00003a8c080931304d"
        "2f32304d08060a000005");
    const Bytes ra = hex("00112233445566778899aabbccddeeff");
    uint8_t got[16];
    computePacketAuthenticator(accept, ra.data(), kTesting123, got);
    EXPECT_EQ(toHex(ByteSpan(got, 16)), "f51db13db927077a1caf0bb665c1297a");
}

}  // namespace
}  // namespace gatehouse::radius
