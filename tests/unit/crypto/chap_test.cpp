#include "core/crypto/chap.hpp"

#include <gtest/gtest.h>

#include "tests/unit/crypto/crypto_test_util.hpp"

namespace gatehouse::crypto {
namespace {

using test::hex;
using test::hexOf;

const Bytes kRequestWithChallenge = hex(
    "01430052a0a1a2a3a4a5a6a7a8a9aaabacadaeaf501281be753b7f1acc1123bb524d674f88aa0107616c69636503"
    "1307dbcb766c78973b88a73ac6e539e33fdf3c125c5d5e5f606162636465666768696a6b");
const Bytes kRequestWithoutChallenge = hex(
    "01440040a0a1a2a3a4a5a6a7a8a9aaabacadaeaf501234c0c9021a4c98d4b1020a6f3cf021520107616c69636503"
    "13086a9aefb158ed332c2603fa965031be13");

// test-vectors.md 3a: CHAP-Challenge present.
TEST(Chap, VerifiesResponseToChapChallenge) {
    const auto chap_password = test::attribute(kRequestWithChallenge, 3);
    const auto challenge = test::attribute(kRequestWithChallenge, 60);
    ASSERT_TRUE(chap_password && challenge);
    EXPECT_EQ(hexOf(*chap_password), "07dbcb766c78973b88a73ac6e539e33fdf");
    EXPECT_EQ(hexOf(*challenge), "5c5d5e5f606162636465666768696a6b");
    EXPECT_EQ(hexOf(chapResponse(0x07, asBytes("alicepass"), *challenge)),
              "dbcb766c78973b88a73ac6e539e33fdf");
    EXPECT_TRUE(chapVerify(*chap_password, asBytes("alicepass"), *challenge));
}

// test-vectors.md 3b: no CHAP-Challenge, so the Request Authenticator is the challenge.
TEST(Chap, VerifiesResponseToRequestAuthenticator) {
    const auto chap_password = test::attribute(kRequestWithoutChallenge, 3);
    ASSERT_TRUE(chap_password.has_value());
    EXPECT_FALSE(test::attribute(kRequestWithoutChallenge, 60).has_value());
    const Bytes ra(kRequestWithoutChallenge.begin() + 4, kRequestWithoutChallenge.begin() + 20);
    EXPECT_EQ(hexOf(ra), "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf");
    EXPECT_EQ(hexOf(chapResponse(0x08, asBytes("alicepass"), ra)),
              "6a9aefb158ed332c2603fa965031be13");
    EXPECT_TRUE(chapVerify(*chap_password, asBytes("alicepass"), ra));
}

TEST(Chap, RejectsWrongPasswordChallengeOrIdent) {
    const Bytes chap_password = hex("07dbcb766c78973b88a73ac6e539e33fdf");
    const Bytes challenge = hex("5c5d5e5f606162636465666768696a6b");
    EXPECT_FALSE(chapVerify(chap_password, asBytes("alicepasS"), challenge));
    EXPECT_FALSE(chapVerify(chap_password, asBytes(""), challenge));
    Bytes other_challenge = challenge;
    other_challenge[15] ^= 1;
    EXPECT_FALSE(chapVerify(chap_password, asBytes("alicepass"), other_challenge));
    Bytes other_ident = chap_password;
    other_ident[0] = 0x08;
    EXPECT_FALSE(chapVerify(other_ident, asBytes("alicepass"), challenge));
    Bytes flipped = chap_password;
    flipped[16] ^= 0x80;
    EXPECT_FALSE(chapVerify(flipped, asBytes("alicepass"), challenge));
}

// RFC 2865 5.3: CHAP-Password is exactly 17 octets; a prefix of a valid value is not enough.
TEST(Chap, RejectsChapPasswordThatIsNot17Octets) {
    const Bytes chap_password = hex("07dbcb766c78973b88a73ac6e539e33fdf");
    const Bytes challenge = hex("5c5d5e5f606162636465666768696a6b");
    const ByteSpan full(chap_password);
    EXPECT_FALSE(chapVerify(full.first(16), asBytes("alicepass"), challenge));
    EXPECT_FALSE(chapVerify(full.first(0), asBytes("alicepass"), challenge));
    Bytes longer = chap_password;
    longer.push_back(0);
    EXPECT_FALSE(chapVerify(longer, asBytes("alicepass"), challenge));
}

TEST(Chap, AcceptsAnyChallengeLength) {
    // radius-wire.md 8: any CHAP-Challenge length is legal.
    const Bytes challenge(64, 0x33);
    const Digest16 r = chapResponse(0x01, asBytes("pw"), challenge);
    Bytes chap_password(17, 0x01);
    std::copy(r.begin(), r.end(), chap_password.begin() + 1);
    EXPECT_TRUE(chapVerify(chap_password, asBytes("pw"), challenge));
    EXPECT_EQ(r, md5({hex("01"), asBytes("pw"), challenge}));
}

}  // namespace
}  // namespace gatehouse::crypto
