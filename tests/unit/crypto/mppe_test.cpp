#include <gtest/gtest.h>

#include "core/crypto/hiding.hpp"
#include "core/crypto/mschap.hpp"
#include "tests/unit/crypto/crypto_test_util.hpp"

namespace gatehouse::crypto {
namespace {

using test::hex;
using test::hexOf;
using Key16 = std::array<uint8_t, 16>;

Key16 key16(std::string_view text) {
    const Bytes b = hex(text);
    Key16 k{};
    std::copy(b.begin(), b.end(), k.begin());
    return k;
}

Key16 masterKeyOfRfcExample() {
    const NtHash hash = ntPasswordHash("clientPass");
    const Response24 nt = generateNtResponse(hex("5b5d7c7d7b3f2f3e3c2c602132262628"),
                                             hex("21402324255e262a28295f2b3a337c7e"), "User", hash);
    return mppeMasterKey(hashNtPasswordHash(hash), nt);
}

// RFC 3079 3.5 and test-vectors.md 6.
TEST(Mppe, DerivesMasterAndStartKeys) {
    const Key16 master = masterKeyOfRfcExample();
    EXPECT_EQ(hexOf(master), "fdece3717a8c838cb388e527ae3cdd31");
    EXPECT_EQ(hexOf(mppeStartKey(master, 16, true)), "8b7cdc149b993a1ba118cb153f56dccb");
    EXPECT_EQ(hexOf(mppeStartKey(master, 16, false)), "d5f0e9521e3ea9589645e86051c82226");
    // 40/56-bit start keys are the first 8 octets; the rest stays zero.
    EXPECT_EQ(hexOf(mppeStartKey(master, 8, true)), "8b7cdc149b993a1b0000000000000000");
    EXPECT_EQ(mppeStartKey(master, 99, true), mppeStartKey(master, 16, true));
}

TEST(Mppe, DerivesSessionKeysOfEachStrength) {
    const Key16 start128 = key16("8b7cdc149b993a1ba118cb153f56dccb");
    EXPECT_EQ(hexOf(mppeNewKey(start128, start128, 16)), "405cb2247a7956e6e211007ae27b22d4");
    EXPECT_EQ(hexOf(mppeInitialSessionKey(start128, MppeStrength::k128Bit)),
              "405cb2247a7956e6e211007ae27b22d4");

    const Key16 start8 = mppeStartKey(masterKeyOfRfcExample(), 8, true);
    EXPECT_EQ(hexOf(ByteSpan(start8).first(8)), "8b7cdc149b993a1b");
    const Key16 raw = mppeNewKey(start8, start8, 8);
    EXPECT_EQ(hexOf(raw), "965c00c49fa62e3e0000000000000000");
    // The 8-octet derivation hashes only the first 8 octets, so stray octets past them are ignored.
    EXPECT_EQ(mppeNewKey(start128, start128, 8), raw);

    Key16 reduced = raw;
    mppeReduceKey(reduced, MppeStrength::k40Bit);
    EXPECT_EQ(hexOf(ByteSpan(reduced).first(8)), "d1269ec49fa62e3e");
    reduced = raw;
    mppeReduceKey(reduced, MppeStrength::k56Bit);
    EXPECT_EQ(hexOf(ByteSpan(reduced).first(8)), "d15c00c49fa62e3e");
    reduced = raw;
    mppeReduceKey(reduced, MppeStrength::k128Bit);
    EXPECT_EQ(reduced, raw);

    EXPECT_EQ(hexOf(mppeInitialSessionKey(start8, MppeStrength::k40Bit)),
              "d1269ec49fa62e3e0000000000000000");
    EXPECT_EQ(hexOf(mppeInitialSessionKey(start8, MppeStrength::k56Bit)),
              "d15c00c49fa62e3e0000000000000000");
    EXPECT_EQ(mppeKeyLength(MppeStrength::k40Bit), 8u);
    EXPECT_EQ(mppeKeyLength(MppeStrength::k56Bit), 8u);
    EXPECT_EQ(mppeKeyLength(MppeStrength::k128Bit), 16u);
}

Bytes xorBytes(ByteSpan a, ByteSpan b) {
    Bytes out(a.size());
    for (size_t i = 0; i < a.size(); ++i)
        out[i] = a[i] ^ b[i];
    return out;
}

struct SaltedCase {
    uint8_t type;
    uint16_t salt;
    const char* key;
    const char* b1;
    const char* c1;
    const char* b2;
    const char* c2;
    const char* value;
    const char* attribute;
};

// test-vectors.md 6a: RFC 2548 2.4.2/2.4.3, every block.
TEST(MppeKeyEncryption, MatchesWorkedExampleBlockByBlock) {
    const SharedSecret secret("testing123");
    const Bytes ra = hex("00112233445566778899aabbccddeeff");
    const SaltedCase cases[] = {
        {16, 0x8001, "8b7cdc149b993a1ba118cb153f56dccb", "bc9d28e2b4059fc1379dcb9e3f5aeb2c",
         "ac16543ea09e06fb2c3cd3552a65bdf0", "7e788f3720ecab49ca64903724cda0cf",
         "b5788f3720ecab49ca64903724cda0cf",
         "8001ac16543ea09e06fb2c3cd3552a65bdf0b5788f3720ecab49ca64903724cda0cf",
         "1a2a0000013710248001ac16543ea09e06fb2c3cd3552a65bdf0b5788f3720ecab49ca64903724cda0cf"},
        {17, 0x8002, "d5f0e9521e3ea9589645e86051c82226", "9c402edfaf1334e8af7a1bfa318144fe",
         "8c95de36fd0d0a41f7ec5e1251d08cdc", "544ac5d0bcf369d9abb4675c5de50d05",
         "724ac5d0bcf369d9abb4675c5de50d05",
         "80028c95de36fd0d0a41f7ec5e1251d08cdc724ac5d0bcf369d9abb4675c5de50d05",
         "1a2a00000137112480028c95de36fd0d0a41f7ec5e1251d08cdc724ac5d0bcf369d9abb4675c5de50d05"},
    };
    for (const SaltedCase& c : cases) {
        const Bytes key = hex(c.key);
        // P = length octet + key + 15 zero octets.
        Bytes p{0x10};
        p.insert(p.end(), key.begin(), key.end());
        p.resize(32, 0);
        const uint8_t salt[2] = {static_cast<uint8_t>(c.salt >> 8), static_cast<uint8_t>(c.salt)};
        const Digest16 b1 = md5({asBytes("testing123"), ra, ByteSpan(salt)});
        EXPECT_EQ(hexOf(b1), c.b1);
        const Bytes c1 = xorBytes(ByteSpan(p).first(16), b1);
        EXPECT_EQ(hexOf(c1), c.c1);
        const Digest16 b2 = md5({asBytes("testing123"), c1});
        EXPECT_EQ(hexOf(b2), c.b2);
        EXPECT_EQ(hexOf(xorBytes(ByteSpan(p).subspan(16), b2)), c.c2);

        Bytes value(saltedSize(key.size()));
        ASSERT_EQ(value.size(), 34u);
        auto n = saltEncrypt(key, secret, ra.data(), c.salt, value.data());
        ASSERT_TRUE(n.has_value());
        EXPECT_EQ(hexOf(value), c.value);
        // Vendor-Specific, length 42, vendor 311, sub-type, sub-length 36 (radius-wire.md 9).
        Bytes attribute = hex("1a2a00000137");
        attribute.push_back(c.type);
        attribute.push_back(0x24);
        attribute.insert(attribute.end(), value.begin(), value.end());
        EXPECT_EQ(hexOf(attribute), c.attribute);

        uint8_t out[34];
        auto m = saltDecrypt(value, secret, ra.data(), out);
        ASSERT_TRUE(m.has_value());
        EXPECT_EQ(hexOf(ByteSpan(out, *m)), c.key);
    }
}

// test-vectors.md 5/6a: FreeRADIUS's real MS-MPPE keys decrypt to the RFC 3079 start keys, and
// re-encrypting them under its salts reproduces its bytes exactly.
TEST(MppeKeyEncryption, DecryptsAndReproducesFreeRadiusKeys) {
    const Bytes accept = hex(
        "025300b3be2da7ba116e93b32de9f3c482b0f30f1a33000001371a2d01533d3430374135353839313135464430"
        "44363230394635313046453943303435363639333243444135361a2a0000013711248273f7e3ce39769893639d"
        "c06ee365eac86e8c49a68c5addd6f0e87dec2f65081bd11a2a0000013710248e6eb21428f48cb994a742f3caed"
        "010e1b83db9ddb8930c5ac0707e0b13eafdcc2c31a0c000001370706000000011a0c00000137080600000006");
    const SharedSecret secret("testing123");
    // The RA of the Access-Request being answered, not the Accept's own authenticator.
    const Bytes ra = hex("a7bb503c1d3605a7b5ef1012182ddb83");
    const auto recv = test::vsa(accept, test::kMicrosoft, 17);
    const auto send = test::vsa(accept, test::kMicrosoft, 16);
    ASSERT_TRUE(recv && send);
    ASSERT_EQ(recv->size(), 34u);
    ASSERT_EQ(send->size(), 34u);
    EXPECT_EQ(hexOf(ByteSpan(*recv).first(2)), "8273");
    EXPECT_EQ(hexOf(ByteSpan(*send).first(2)), "8e6e");

    // Full plaintext of the recv key: length 0x10, the key, 15 zero pad octets.
    const Digest16 b1 = md5({asBytes("testing123"), ra, ByteSpan(*recv).first(2)});
    const Digest16 b2 = md5({asBytes("testing123"), ByteSpan(*recv).subspan(2, 16)});
    Bytes plain = xorBytes(ByteSpan(*recv).subspan(2, 16), b1);
    const Bytes tail = xorBytes(ByteSpan(*recv).subspan(18, 16), b2);
    plain.insert(plain.end(), tail.begin(), tail.end());
    EXPECT_EQ(hexOf(plain), "10d5f0e9521e3ea9589645e86051c82226000000000000000000000000000000");

    uint8_t out[34];
    auto n = saltDecrypt(*recv, secret, ra.data(), out);
    ASSERT_TRUE(n.has_value());
    EXPECT_EQ(hexOf(ByteSpan(out, *n)), "d5f0e9521e3ea9589645e86051c82226");
    n = saltDecrypt(*send, secret, ra.data(), out);
    ASSERT_TRUE(n.has_value());
    EXPECT_EQ(hexOf(ByteSpan(out, *n)), "8b7cdc149b993a1ba118cb153f56dccb");

    // The verify function's keys, encrypted under FreeRADIUS's salts, give its exact bytes.
    const MsChapV2Result r = verifyMsChapV2(
        hex("010021402324255e262a28295f2b3a337c7e000000000000000082309ecd8d708b5ea08faa3981cd8354"
            "4233114a3d85d6df"),
        hex("5b5d7c7d7b3f2f3e3c2c602132262628"), "User", ntPasswordHash("clientPass"));
    ASSERT_TRUE(r.ok);
    Bytes value(34);
    ASSERT_TRUE(saltEncrypt(r.recv_key, secret, ra.data(), 0x8273, value.data()).has_value());
    EXPECT_EQ(value, *recv);
    ASSERT_TRUE(saltEncrypt(r.send_key, secret, ra.data(), 0x8e6e, value.data()).has_value());
    EXPECT_EQ(value, *send);
}

TEST(MppeKeyEncryption, DifferentSaltsGiveDifferentCiphertext) {
    const SharedSecret secret("testing123");
    const Bytes ra = hex("00112233445566778899aabbccddeeff");
    const Key16 key = key16("8b7cdc149b993a1ba118cb153f56dccb");
    Bytes a(34);
    Bytes b(34);
    ASSERT_TRUE(saltEncrypt(key, secret, ra.data(), 0x8001, a.data()).has_value());
    ASSERT_TRUE(saltEncrypt(key, secret, ra.data(), 0x8002, b.data()).has_value());
    EXPECT_NE(a, b);
}

}  // namespace
}  // namespace gatehouse::crypto
