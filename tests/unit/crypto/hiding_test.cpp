#include "core/crypto/hiding.hpp"

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/crypto/crypto_test_util.hpp"

namespace gatehouse::crypto {
namespace {

using test::hex;
using test::hexOf;

Bytes xorBytes(const Bytes& a, const Bytes& b) {
    Bytes out(a.size());
    for (size_t i = 0; i < a.size(); ++i)
        out[i] = a[i] ^ b[i];
    return out;
}

Bytes slice(const Bytes& b, size_t off, size_t len) {
    return Bytes(b.begin() + off, b.begin() + off + len);
}

Bytes hide(std::string_view password, const SharedSecret& secret, const Bytes& ra) {
    Bytes out(hiddenSize(password.size()));
    auto n = hideUserPassword(asBytes(password), secret, ra.data(), out.data());
    EXPECT_TRUE(n.has_value());
    EXPECT_EQ(n.value_or(0), out.size());
    return out;
}

std::string unhide(const Bytes& hidden, const SharedSecret& secret, const Bytes& ra) {
    uint8_t out[kMaxHiddenPassword];
    auto n = unhideUserPassword(hidden, secret, ra.data(), out);
    EXPECT_TRUE(n.has_value());
    return std::string(reinterpret_cast<const char*>(out), n.value_or(0));
}

TEST(HiddenSize, PadsToSixteenWithAtLeastOneBlock) {
    EXPECT_EQ(hiddenSize(0), 16u);
    EXPECT_EQ(hiddenSize(1), 16u);
    EXPECT_EQ(hiddenSize(16), 16u);
    EXPECT_EQ(hiddenSize(17), 32u);
    EXPECT_EQ(hiddenSize(128), 128u);
    EXPECT_EQ(saltedSize(16), 34u);  // RFC 2548: a 16-octet MPPE key gives a 34-octet value
    EXPECT_EQ(saltedSize(15), 18u);
}

// test-vectors.md 2a.
TEST(UserPassword, HidesShortPasswordLikeAcceptedPacket) {
    const SharedSecret secret("testing123");
    const Bytes ra = hex("00112233445566778899aabbccddeeff");
    const Bytes p1 = hex("616c6963657061737300000000000000");
    const Digest16 b1 = md5({asBytes("testing123"), ra});
    EXPECT_EQ(hexOf(b1), "1bbd94aafa7d622a4a66d16d25fb04c8");
    EXPECT_EQ(hexOf(xorBytes(p1, Bytes(b1.begin(), b1.end()))), "7ad1fdc99f0d03593966d16d25fb04c8");
    const Bytes c = hide("alicepass", secret, ra);
    EXPECT_EQ(hexOf(c), "7ad1fdc99f0d03593966d16d25fb04c8");

    const Bytes packet =
        hex("0142004500112233445566778899aabbccddeeff5012b8d1fdf7ffcd7be710708c4430cc2137010761"
            "6c69636502127ad1fdc99f0d03593966d16d25fb04c804067f000001");
    const auto wire = test::attribute(packet, 2);
    ASSERT_TRUE(wire.has_value());
    EXPECT_EQ(*wire, c);
    EXPECT_EQ(unhide(*wire, secret, ra), "alicepass");
}

// test-vectors.md 2b: every block of a three-block password.
TEST(UserPassword, ChainsOnPreviousCiphertextBlock) {
    const SharedSecret secret("testing123");
    const Bytes ra = hex("0f0e0d0c0b0a09080706050403020100");
    const std::string password = "correct horse battery staple 0123456789!";
    ASSERT_EQ(password.size(), 40u);
    const Bytes p[3] = {hex("636f727265637420686f727365206261"),
                        hex("747465727920737461706c6520303132"),
                        hex("33343536373839210000000000000000")};
    const char* b_hex[3] = {"5231cefedd212540db21d8962fa3939e", "a81ab0c329a96bf84b9557a344ff4fa0",
                            "497d2335caa6d90ad867a02fcf36b5af"};
    const char* c_hex[3] = {"315ebc8cb8425160b34eaae54a83f1ff", "dc6ed5b15089188c2ae53bc664cf7e92",
                            "7a491603fd9ee02bd867a02fcf36b5af"};
    const Bytes c = hide(password, secret, ra);
    ASSERT_EQ(c.size(), 48u);
    Bytes prev = ra;
    for (size_t i = 0; i < 3; ++i) {
        const Digest16 b = md5({asBytes("testing123"), prev});
        EXPECT_EQ(hexOf(b), b_hex[i]) << "block " << i + 1;
        EXPECT_EQ(hexOf(xorBytes(p[i], Bytes(b.begin(), b.end()))), c_hex[i]) << "block " << i + 1;
        EXPECT_EQ(hexOf(slice(c, 16 * i, 16)), c_hex[i]) << "block " << i + 1;
        prev = slice(c, 16 * i, 16);
    }
    const Bytes packet =
        hex("0150005f0f0e0d0c0b0a0908070605040302010050122cc0f6a11cd63f37efa12a643d7dbecf0107686f72"
            "73650232315ebc8cb8425160b34eaae54a83f1ffdc6ed5b15089188c2ae53bc664cf7e927a491603fd9ee0"
            "2bd867a02fcf36b5af");
    EXPECT_EQ(test::attribute(packet, 2), c);
    EXPECT_EQ(unhide(c, secret, ra), password);
}

// test-vectors.md 2c: the 128-octet maximum, captured from radclient.
TEST(UserPassword, DecodesMaximumLengthPasswordFromRadclient) {
    const SharedSecret secret("testing123");
    const Bytes packet =
        hex("01d300b0569c9f4d6197735ec29c9430bce6e24b01086c6f6e677077028299e670b93ecb0cb967ae9befcf"
            "c63cc0b0f33b263a1658428281187827aa385a32b9377d7555753a6b1ac8b42a64edcd99c5d4668dc4bfa0"
            "8edf1fb5354837a6a8bc14d1b39ac0bd5136b0806dbd21b4de8821011ba7a55cd143d1b261d770624205a4"
            "bf359e13fb4e898db0790dba1aa4613d57a1cc34c4a77c98888314b3705012974af20548d1e5ddb68fa690"
            "54e7b6b0");
    const Bytes ra = slice(packet, 4, 16);
    EXPECT_EQ(hexOf(ra), "569c9f4d6197735ec29c9430bce6e24b");
    const auto hidden = test::attribute(packet, 2);
    ASSERT_TRUE(hidden.has_value());
    ASSERT_EQ(hidden->size(), 128u);
    const std::string alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
    const std::string expected = alphabet + alphabet + alphabet + "0123456789abcdefg";
    ASSERT_EQ(expected.size(), 125u);
    EXPECT_EQ(unhide(*hidden, secret, ra), expected);
    EXPECT_EQ(hide(expected, secret, ra), *hidden);
}

// RFC 2865 7.1 and 7.3 (secret xyzzy5461).
TEST(UserPassword, DecodesRfc2865Examples) {
    const SharedSecret secret("xyzzy5461");
    EXPECT_EQ(unhide(hex("0dbe708d93d413ce3196e43f782a0aee"), secret,
                     hex("0f403f9473978057bd83d5cb98f4227a")),
              "arctangent");
    EXPECT_EQ(unhide(hex("33657573778289b570885e15084825c5"), secret,
                     hex("f3a47a1f6a6d76710b947ab93041a039")),
              "challenge");
    EXPECT_EQ(unhide(hex("692c1f205fc081b919b95195f561a581"), secret,
                     hex("b122556d428a13d0d6253807c457ecf0")),
              "99101462");
}

TEST(UserPassword, RoundTripsEveryLengthUpTo128) {
    const SharedSecret secret("s3cret");
    const Bytes ra = hex("000102030405060708090a0b0c0d0e0f");
    for (size_t len = 0; len <= kMaxHiddenPassword; ++len) {
        std::string password(len, '\0');
        for (size_t i = 0; i < len; ++i)
            password[i] = static_cast<char>('!' + i % 90);
        const Bytes c = hide(password, secret, ra);
        EXPECT_EQ(c.size(), hiddenSize(len));
        EXPECT_EQ(unhide(c, secret, ra), password) << "length " << len;
    }
}

TEST(UserPassword, RefusesPasswordOver128Octets) {
    const SharedSecret secret("testing123");
    const Bytes ra(16, 0);
    const std::string password(129, 'x');
    uint8_t out[256];
    auto r = hideUserPassword(asBytes(password), secret, ra.data(), out);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, HidingError::kTooLong);
    EXPECT_EQ(r.error().length, 129u);
}

TEST(UserPassword, RefusesMalformedHiddenLengths) {
    const SharedSecret secret("testing123");
    const Bytes ra(16, 0);
    uint8_t out[256];
    for (size_t len : {0u, 15u, 17u, 144u}) {
        const Bytes hidden(len, 0x5a);
        auto r = unhideUserPassword(hidden, secret, ra.data(), out);
        ASSERT_FALSE(r.has_value()) << len;
        EXPECT_EQ(r.error().kind, HidingError::kBadLength) << len;
        EXPECT_EQ(r.error().length, len);
    }
}

// Salted encryption (RFC 2868 3.5 / RFC 2548 2.4.2); the MPPE vectors are in mppe_test.cpp.
TEST(Salted, RoundTripsTunnelPasswordAndForcesSaltHighBit) {
    const SharedSecret secret("testing123");
    const Bytes ra = hex("00112233445566778899aabbccddeeff");
    for (size_t len : {0u, 1u, 15u, 16u, 31u, 100u, 240u}) {
        const std::string plain(len, 'k');
        Bytes value(saltedSize(len));
        auto n = saltEncrypt(asBytes(plain), secret, ra.data(), 0x1234, value.data());
        ASSERT_TRUE(n.has_value());
        EXPECT_EQ(*n, value.size());
        EXPECT_EQ(value[0], 0x92);  // 0x12 with the high bit forced on
        EXPECT_EQ(value[1], 0x34);
        Bytes out(value.size());
        auto m = saltDecrypt(value, secret, ra.data(), out.data());
        ASSERT_TRUE(m.has_value()) << len;
        EXPECT_EQ(std::string(reinterpret_cast<const char*>(out.data()), *m), plain);
    }
}

TEST(Salted, RefusesPlaintextOver240Octets) {
    const SharedSecret secret("testing123");
    const Bytes ra(16, 0);
    const Bytes plain(241, 1);
    uint8_t out[300];
    auto r = saltEncrypt(plain, secret, ra.data(), 0x8001, out);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, HidingError::kTooLong);
    EXPECT_EQ(r.error().length, 241u);
}

TEST(Salted, RefusesSaltWithoutHighBit) {
    const SharedSecret secret("testing123");
    const Bytes ra = hex("00112233445566778899aabbccddeeff");
    Bytes value = hex("8001ac16543ea09e06fb2c3cd3552a65bdf0b5788f3720ecab49ca64903724cda0cf");
    value[0] &= 0x7f;
    uint8_t out[64];
    auto r = saltDecrypt(value, secret, ra.data(), out);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, HidingError::kBadSalt);
    EXPECT_EQ(r.error().length, 34u);
}

TEST(Salted, RefusesBadValueLengths) {
    const SharedSecret secret("testing123");
    const Bytes ra(16, 0);
    uint8_t out[64];
    for (size_t len : {0u, 2u, 17u, 19u, 33u, 35u}) {
        Bytes value(len, 0x80);
        auto r = saltDecrypt(value, secret, ra.data(), out);
        ASSERT_FALSE(r.has_value()) << len;
        EXPECT_EQ(r.error().kind, HidingError::kBadLength) << len;
        EXPECT_EQ(r.error().length, len);
    }
}

TEST(Salted, RefusesInnerLengthLargerThanTheData) {
    // Encrypt a block whose length octet claims 32 octets of key in 31 octets of room: the
    // decrypted length must be checked, not trusted.
    const SharedSecret secret("testing123");
    const Bytes ra = hex("00112233445566778899aabbccddeeff");
    const Bytes plain(31, 0x41);
    Bytes value(saltedSize(plain.size()));
    ASSERT_EQ(value.size(), 34u);
    ASSERT_TRUE(saltEncrypt(plain, secret, ra.data(), 0x8001, value.data()).has_value());
    // c1[0] = p1[0] XOR b1[0]; flipping bits of c1[0] flips the same bits of the length octet.
    value[2] ^= 31 ^ 32;
    uint8_t out[64];
    auto r = saltDecrypt(value, secret, ra.data(), out);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, HidingError::kBadInnerLength);
    EXPECT_EQ(r.error().length, 32u);
}

TEST(Salted, NextSaltHasHighBitAndChanges) {
    const uint16_t a = nextSalt();
    const uint16_t b = nextSalt();
    EXPECT_NE(a & 0x8000, 0);
    EXPECT_NE(b & 0x8000, 0);
    EXPECT_NE(a, b);
}

TEST(RandomBytes, FillsTheBuffer) {
    uint8_t a[16] = {};
    uint8_t b[16] = {};
    randomBytes(a, sizeof(a));
    randomBytes(b, sizeof(b));
    EXPECT_NE(hexOf(std::span<const uint8_t>(a)), hexOf(std::span<const uint8_t>(b)));
}

}  // namespace
}  // namespace gatehouse::crypto

namespace gatehouse::crypto {
namespace {

// A value longer than any salted attribute (2 + 256) must be refused, not decrypted into a
// fixed-size buffer.
TEST(Salted, RefusesValueLongerThanLargestSaltedAttribute) {
    const SharedSecret secret("testing123");
    const Bytes ra(16, 0);
    const Bytes value(2 + 272, 0x80);
    Bytes out(value.size());
    auto r = saltDecrypt(value, secret, ra.data(), out.data());
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, HidingError::kBadLength);
    EXPECT_EQ(r.error().length, 274u);
    // The largest legal value (240 octets of plaintext) still decodes.
    const Bytes plain(kMaxSaltedPlain, 0x41);
    Bytes big(saltedSize(plain.size()));
    ASSERT_EQ(big.size(), 258u);
    ASSERT_TRUE(saltEncrypt(plain, secret, ra.data(), 0x8001, big.data()).has_value());
    auto n = saltDecrypt(big, secret, ra.data(), out.data());
    ASSERT_TRUE(n.has_value());
    EXPECT_EQ(*n, kMaxSaltedPlain);
}

}  // namespace
}  // namespace gatehouse::crypto
