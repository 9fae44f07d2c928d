#include "core/crypto/pap.hpp"

#include <gtest/gtest.h>

#include <array>
#include <string>

#include "tests/unit/crypto/crypto_test_util.hpp"

namespace gatehouse::crypto {
namespace {

using test::hex;

const Bytes kRa = hex("00112233445566778899aabbccddeeff");
const Bytes kAliceHidden = hex("7ad1fdc99f0d03593966d16d25fb04c8");  // test-vectors.md 2a

TEST(Pap, AcceptsTheRightPassword) {
    const SharedSecret secret("testing123");
    EXPECT_TRUE(papVerify(kAliceHidden, secret, kRa.data(), asBytes("alicepass")));
}

TEST(Pap, RejectsPrefixesExtensionsAndNearMisses) {
    const SharedSecret secret("testing123");
    for (std::string_view stored : {"alicepas", "alicepasss", "Alicepass", "alicepasz", ""}) {
        EXPECT_FALSE(papVerify(kAliceHidden, secret, kRa.data(), asBytes(stored)))
            << "stored '" << stored << "'";
    }
    // Decoding strips the NUL padding, so a stored password with a trailing NUL never matches.
    const std::string with_nul("alicepass\0", 10);
    EXPECT_FALSE(papVerify(kAliceHidden, secret, kRa.data(), asBytes(with_nul)));
}

TEST(Pap, RejectsWrongSecretOrAuthenticator) {
    EXPECT_FALSE(
        papVerify(kAliceHidden, SharedSecret("testing124"), kRa.data(), asBytes("alicepass")));
    Bytes ra = kRa;
    ra[0] ^= 1;
    EXPECT_FALSE(
        papVerify(kAliceHidden, SharedSecret("testing123"), ra.data(), asBytes("alicepass")));
}

TEST(Pap, RejectsMalformedHiddenLengths) {
    const SharedSecret secret("testing123");
    for (size_t len : {0u, 15u, 17u, 144u}) {
        const Bytes hidden(len, 0);
        EXPECT_FALSE(papVerify(hidden, secret, kRa.data(), asBytes(""))) << len;
    }
}

TEST(Pap, RejectsStoredPasswordLongerThanPapCanCarry) {
    const SharedSecret secret("testing123");
    const std::string stored(129, 'x');
    Bytes hidden(128);
    ASSERT_TRUE(hideUserPassword(asBytes(std::string_view(stored).substr(0, 128)), secret,
                                 kRa.data(), hidden.data())
                    .has_value());
    EXPECT_FALSE(papVerify(hidden, secret, kRa.data(), asBytes(stored)));
    EXPECT_TRUE(papVerify(hidden, secret, kRa.data(), asBytes(stored).first(128)));
}

TEST(Pap, VerifiesRfc2865AndMaximumLengthExamples) {
    EXPECT_TRUE(papVerify(hex("0dbe708d93d413ce3196e43f782a0aee"), SharedSecret("xyzzy5461"),
                          hex("0f403f9473978057bd83d5cb98f4227a").data(), asBytes("arctangent")));
    // test-vectors.md 2c: the 125-character password FreeRADIUS accepted.
    const std::string alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
    const std::string password = alphabet + alphabet + alphabet + "0123456789abcdefg";
    const Bytes hidden =
        hex("99e670b93ecb0cb967ae9befcfc63cc0b0f33b263a1658428281187827aa385a32b9377d7555753a6b1ac8"
            "b42a64edcd99c5d4668dc4bfa08edf1fb5354837a6a8bc14d1b39ac0bd5136b0806dbd21b4de8821011ba7"
            "a55cd143d1b261d770624205a4bf359e13fb4e898db0790dba1aa4613d57a1cc34c4a77c98888314b370");
    const Bytes ra = hex("569c9f4d6197735ec29c9430bce6e24b");
    EXPECT_TRUE(papVerify(hidden, SharedSecret("testing123"), ra.data(), asBytes(password)));
    EXPECT_FALSE(
        papVerify(hidden, SharedSecret("testing123"), ra.data(), asBytes(password.substr(0, 124))));
}

// An empty password hides as 16 NULs and decodes to "": papVerify compares exactly, so an
// empty stored password matches it (whether empty passwords are allowed is policy).
TEST(Pap, ComparesEmptyPasswordExactly) {
    const SharedSecret secret("testing123");
    Bytes hidden(16);
    ASSERT_TRUE(hideUserPassword({}, secret, kRa.data(), hidden.data()).has_value());
    EXPECT_TRUE(papVerify(hidden, secret, kRa.data(), asBytes("")));
    EXPECT_FALSE(papVerify(hidden, secret, kRa.data(), asBytes("a")));
}

TEST(Pap, RevealsThePassword) {
    std::array<uint8_t, kMaxHiddenPassword> out{};
    auto n = papReveal(kAliceHidden, SharedSecret("testing123"), kRa.data(), out);
    ASSERT_TRUE(n.has_value());
    EXPECT_EQ(asChars(ByteSpan(out).first(*n)), "alicepass");
    auto bad = papReveal(Bytes(15, 0), SharedSecret("testing123"), kRa.data(), out);
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().kind, HidingError::kBadLength);
    EXPECT_EQ(bad.error().length, 15u);
}

}  // namespace
}  // namespace gatehouse::crypto
