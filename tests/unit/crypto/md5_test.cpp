#include "core/crypto/md5.hpp"

#include <gtest/gtest.h>

#include "tests/unit/crypto/crypto_test_util.hpp"

namespace gatehouse::crypto {
namespace {

using test::hex;
using test::hexOf;

// RFC 1321 A.5 test suite.
TEST(Md5, MatchesRfc1321Vectors) {
    EXPECT_EQ(hexOf(md5({asBytes("")})), "d41d8cd98f00b204e9800998ecf8427e");
    EXPECT_EQ(hexOf(md5({asBytes("a")})), "0cc175b9c0f1b6a831c399e269772661");
    EXPECT_EQ(hexOf(md5({asBytes("abc")})), "900150983cd24fb0d6963f7d28e17f72");
    EXPECT_EQ(hexOf(md5({asBytes("message digest")})), "f96b697d7cb7938d525a2f31aaf161d0");
    EXPECT_EQ(hexOf(md5({asBytes("abcdefghijklmnopqrstuvwxyz")})),
              "c3fcd3d76192e4007dfb496cca67e13b");
    EXPECT_EQ(
        hexOf(md5({asBytes(
            "12345678901234567890123456789012345678901234567890123456789012345678901234567890")})),
        "57edf4a22be3c955ac49da2e2107b67a");
}

TEST(Md5, PartsHashLikeTheirConcatenation) {
    EXPECT_EQ(md5({asBytes("mess"), asBytes(""), asBytes("age digest")}),
              md5({asBytes("message digest")}));
}

TEST(Md5, CopiedStateContinuesFromThePrefix) {
    Md5 prefix;
    prefix.update(asBytes("message "));
    Md5 copy = prefix;
    copy.update(asBytes("digest"));
    EXPECT_EQ(hexOf(copy.finish()), "f96b697d7cb7938d525a2f31aaf161d0");
    prefix.update(asBytes("digest"));  // the original is untouched by the copy's updates
    EXPECT_EQ(hexOf(prefix.finish()), "f96b697d7cb7938d525a2f31aaf161d0");
}

struct HmacCase {
    const char* name;
    Bytes key;
    Bytes data;
    const char* mac;
};

// RFC 2104 Appendix / RFC 2202 section 2 (HMAC-MD5 test cases 1-7).
TEST(HmacMd5, MatchesRfc2202Vectors) {
    const HmacCase cases[] = {
        {"case 1", Bytes(16, 0x0b), hex("4869205468657265"), "9294727a3638bb1c13f48ef8158bfc9d"},
        {"case 2", Bytes{'J', 'e', 'f', 'e'},
         Bytes(asBytes("what do ya want for nothing?").begin(),
               asBytes("what do ya want for nothing?").end()),
         "750c783e6ab0b503eaa86e310a5db738"},
        {"case 3", Bytes(16, 0xaa), Bytes(50, 0xdd), "56be34521d144c88dbb8c733f0e8b3f6"},
        {"case 4", hex("0102030405060708090a0b0c0d0e0f10111213141516171819"), Bytes(50, 0xcd),
         "697eaf0aca3a3aea3a75164746ffaa79"},
        {"case 5", Bytes(16, 0x0c), hex("546573742057697468205472756e636174696f6e"),
         "56461ef2342edc00f9bab995690efd4c"},
        {"case 6 (80-octet key)", Bytes(80, 0xaa),
         Bytes(asBytes("Test Using Larger Than Block-Size Key - Hash Key First").begin(),
               asBytes("Test Using Larger Than Block-Size Key - Hash Key First").end()),
         "6b1ab7fe4bd7bf8f0b62e6ce61b9d0cd"},
        {"case 7 (80-octet key, 73-octet data)", Bytes(80, 0xaa),
         Bytes(asBytes("Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data")
                   .begin(),
               asBytes("Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data")
                   .end()),
         "6f630fad67cda0ee1fb1f562db3aa53e"},
    };
    for (const HmacCase& c : cases) {
        HmacMd5Key key(c.key);
        EXPECT_EQ(hexOf(key.mac(c.data)), c.mac) << c.name;
    }
}

// A 64-octet key is used as is, a 65-octet one is hashed first (RFC 2104 2); values from
// `openssl dgst -md5 -mac HMAC -macopt hexkey:...`.
TEST(HmacMd5, HashesOnlyKeysLongerThanTheBlock) {
    EXPECT_EQ(hexOf(HmacMd5Key(Bytes(64, 'a')).mac(asBytes("sixty-four"))),
              "734360c1cef0eacc58239927e01ba686");
    EXPECT_EQ(hexOf(HmacMd5Key(Bytes(65, 'a')).mac(asBytes("sixty-five"))),
              "4b104960ec87212b6bf354cd72ded207");
}

TEST(HmacMd5, PartsMacLikeTheirConcatenation) {
    HmacMd5Key key(asBytes("Jefe"));
    Digest16 d;
    key.mac({asBytes("what do ya "), asBytes("want for nothing?")}, d.data());
    EXPECT_EQ(hexOf(d), "750c783e6ab0b503eaa86e310a5db738");
}

TEST(SharedSecret, KeepsTheSecretAndItsHashStates) {
    SharedSecret secret("testing123");
    EXPECT_EQ(asChars(secret.bytes()), "testing123");
    // python3 hmac.new(b'testing123', bytes(range(100)), 'md5')
    Bytes packet(100);
    for (size_t i = 0; i < packet.size(); ++i)
        packet[i] = static_cast<uint8_t>(i);
    EXPECT_EQ(hexOf(secret.hmac().mac(packet)), "dea5f0e31d8ae710fbcc05558e8cc947");
    // md5Prefix continues MD5(S + ...): b1 of test-vectors.md 2a.
    Md5 h = secret.md5Prefix();
    h.update(hex("00112233445566778899aabbccddeeff"));
    EXPECT_EQ(hexOf(h.finish()), "1bbd94aafa7d622a4a66d16d25fb04c8");
}

// test-vectors.md 2a: the Message-Authenticator FreeRADIUS accepted, recomputed over the
// packet with the MA value zeroed.
TEST(SharedSecret, ReproducesMessageAuthenticatorOfAcceptedRequest) {
    Bytes packet =
        hex("0142004500112233445566778899aabbccddeeff5012b8d1fdf7ffcd7be710708c4430cc2137010761"
            "6c69636502127ad1fdc99f0d03593966d16d25fb04c804067f000001");
    const Bytes ma(packet.begin() + 22, packet.begin() + 38);
    EXPECT_EQ(test::hexOf(ma), "b8d1fdf7ffcd7be710708c4430cc2137");
    std::fill(packet.begin() + 22, packet.begin() + 38, 0);
    EXPECT_EQ(hexOf(SharedSecret("testing123").hmac().mac(packet)), test::hexOf(ma));
}

TEST(EqualConstantTime, ComparesEveryOctet) {
    const Bytes a = hex("00112233445566778899aabbccddeeff");
    Bytes b = a;
    EXPECT_TRUE(equalConstantTime(a.data(), b.data(), a.size()));
    b[15] ^= 1;
    EXPECT_FALSE(equalConstantTime(a.data(), b.data(), a.size()));
    EXPECT_TRUE(equalConstantTime(a.data(), b.data(), 15));
    EXPECT_TRUE(equalConstantTime(a.data(), b.data(), 0));
}

}  // namespace
}  // namespace gatehouse::crypto
