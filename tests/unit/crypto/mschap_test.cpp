#include "core/crypto/mschap.hpp"

#include <gtest/gtest.h>
#include <iconv.h>

#include <string>

#include "core/crypto/hiding.hpp"
#include "tests/unit/crypto/crypto_test_util.hpp"

namespace gatehouse::crypto {
namespace {

using test::hex;
using test::hexOf;

// UTF-16LE through glibc's iconv: a second, independent path to the NT hash's input.
Bytes iconvTo16le(std::string_view text, const char* from) {
    iconv_t cd = iconv_open("UTF-16LE", from);
    EXPECT_NE(cd, reinterpret_cast<iconv_t>(-1));
    std::string in(text);
    Bytes out(text.size() * 4 + 4);
    char* in_p = in.data();
    size_t in_left = in.size();
    char* out_p = reinterpret_cast<char*>(out.data());
    size_t out_left = out.size();
    EXPECT_NE(iconv(cd, &in_p, &in_left, &out_p, &out_left), static_cast<size_t>(-1));
    iconv_close(cd);
    out.resize(out.size() - out_left);
    return out;
}

// RFC 1320 A.5: proves OpenSSL 3's low-level MD4 works without the legacy provider.
TEST(Md4, MatchesRfc1320Vectors) {
    EXPECT_EQ(hexOf(md4(asBytes(""))), "31d6cfe0d16ae931b73c59d7e0c089c0");
    EXPECT_EQ(hexOf(md4(asBytes("a"))), "bde52cb31de33e46245e05fbdbd6fb24");
    EXPECT_EQ(hexOf(md4(asBytes("abc"))), "a448017aaf21d8525fc10ae87aa6729d");
    EXPECT_EQ(hexOf(md4(asBytes("message digest"))), "d9130a8164549fe818874806e1c7014b");
    EXPECT_EQ(hexOf(md4(asBytes("abcdefghijklmnopqrstuvwxyz"))),
              "d79e1c308aa5bbcdeea8ed63df412da9");
    EXPECT_EQ(hexOf(md4(asBytes("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"))),
              "043f8582f241db351ce627e153e7f0e4");
    EXPECT_EQ(
        hexOf(md4(asBytes(
            "12345678901234567890123456789012345678901234567890123456789012345678901234567890"))),
        "e33b4ddc9c38f2199c3e7b164fcc0536");
}

TEST(NtPasswordHash, HashesAsciiPasswords) {
    EXPECT_EQ(hexOf(ntPasswordHash("MyPw")), "fc156af7edcd6c0edde3337d427f4eac");  // RFC 2433 B.2
    EXPECT_EQ(hexOf(ntPasswordHash("clientPass")),
              "44ebba8d5312b8d611474411f56989ae");  // RFC 2759 9.2
    EXPECT_EQ(hexOf(ntPasswordHash("alicepass")),
              "1b90225920343afc6d9acb0998bd0edd");  // test-vectors.md 6
    EXPECT_EQ(hexOf(ntPasswordHash("")), "31d6cfe0d16ae931b73c59d7e0c089c0");
}

// Expected hashes from a separate pure-Python MD4 (checked against RFC 1320) over
// str.encode('utf-16-le'), and cross-checked here through iconv.
TEST(NtPasswordHash, ConvertsMultiByteUtf8ToUtf16) {
    const char* kPassword = "p\xc3\xa4ssw\xc3\xb6rd";  // "pässwörd"
    EXPECT_EQ(hexOf(iconvTo16le(kPassword, "UTF-8")), "7000e400730073007700f60072006400");
    EXPECT_EQ(hexOf(ntPasswordHash(kPassword)), "0553152250ac01adb4213cb9938663e4");
    EXPECT_EQ(ntPasswordHash(kPassword), md4(iconvTo16le(kPassword, "UTF-8")));

    const char* kEuro = "\xe2\x82\xacuro";  // "€uro": a 3-octet sequence
    EXPECT_EQ(hexOf(ntPasswordHash(kEuro)), "65a07986d69e1cb33d52eacab1a9322a");
    EXPECT_EQ(ntPasswordHash(kEuro), md4(iconvTo16le(kEuro, "UTF-8")));

    // U+1F600 needs a surrogate pair: d83d de00.
    const char* kEmoji = "pa\xf0\x9f\x98\x80ss";
    EXPECT_EQ(hexOf(iconvTo16le(kEmoji, "UTF-8")), "700061003dd800de73007300");
    EXPECT_EQ(hexOf(ntPasswordHash(kEmoji)), "dc53b8630270b05ca88f24c29f9b01c2");
    EXPECT_EQ(ntPasswordHash(kEmoji), md4(iconvTo16le(kEmoji, "UTF-8")));
}

TEST(NtPasswordHash, TakesInvalidUtf8OctetsAsLatin1) {
    // "pässwörd" typed on a Latin-1 code page: the same characters, so the same hash.
    EXPECT_EQ(hexOf(ntPasswordHash("p\xe4ssw\xf6rd")), "0553152250ac01adb4213cb9938663e4");
    // Mixed: one valid UTF-8 sequence, one stray Latin-1 octet.
    EXPECT_EQ(hexOf(ntPasswordHash("p\xc3\xa4ssw\xf6rd")), "0553152250ac01adb4213cb9938663e4");
    // Overlong, surrogate, out-of-range and truncated sequences are not UTF-8 (RFC 3629).
    for (std::string_view bad : {std::string_view("\xc0\xaf"), std::string_view("\xed\xa0\x80"),
                                 std::string_view("\xf4\x90\x80\x80"), std::string_view("ab\xc3"),
                                 std::string_view("\xe2\x82"), std::string_view("\xff\xfe")}) {
        EXPECT_EQ(ntPasswordHash(bad), md4(iconvTo16le(bad, "ISO-8859-1"))) << hexOf(bad);
    }
}

TEST(NtPasswordHash, HashesLongPasswordsAcrossChunks) {
    std::string password;
    for (int i = 0; i < 100; ++i)
        password += "\xc3\xa4z";  // 300 octets, 200 UTF-16 units
    EXPECT_EQ(ntPasswordHash(password), md4(iconvTo16le(password, "UTF-8")));
}

// RFC 2433 Appendix B.2 / B.3 and test-vectors.md 4.
TEST(MsChapV1, MatchesRfc2433Example) {
    const NtHash hash = ntPasswordHash("MyPw");
    EXPECT_EQ(hexOf(iconvTo16le("MyPw", "UTF-8")), "4d00790050007700");
    EXPECT_EQ(hexOf(hash), "fc156af7edcd6c0edde3337d427f4eac");
    EXPECT_EQ(hexOf(desKeyFrom7(hash.data())), "fd0b5b5e7f6e34d9");
    EXPECT_EQ(hexOf(desKeyFrom7(hash.data() + 7)), "0e6e796737ea08fe");
    const uint8_t last[7] = {hash[14], hash[15], 0, 0, 0, 0, 0};  // zero-padded to 21
    EXPECT_EQ(hexOf(desKeyFrom7(last)), "4f57010101010101");
    const Bytes challenge = hex("102db5df085d3041");
    EXPECT_EQ(hexOf(challengeResponse(challenge.data(), hash)),
              "4e9d3c8f9cfd385d5bf4d3246791956ca4c351ab409a3d61");
}

TEST(DesKeyFrom7, SetsOddParityOnEveryOctet) {
    for (uint8_t fill : {0x00, 0xff, 0x5a, 0xa5}) {
        const uint8_t key7[7] = {fill, fill, fill, fill, fill, fill, fill};
        for (uint8_t octet : desKeyFrom7(key7)) {
            EXPECT_EQ(__builtin_popcount(octet) & 1, 1) << int(fill);
        }
    }
    const uint8_t zero[7] = {};
    EXPECT_EQ(hexOf(desKeyFrom7(zero)), "0101010101010101");
    const uint8_t ones[7] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    EXPECT_EQ(hexOf(desKeyFrom7(ones)), "fefefefefefefefe");
}

Bytes msChapV1Response(uint8_t ident, uint8_t flags, const Response24& nt) {
    Bytes r{ident, flags};
    r.resize(26, 0);  // LM-Response: unused
    r.insert(r.end(), nt.begin(), nt.end());
    return r;
}

TEST(MsChapV1, VerifiesNtResponseAndReturnsMppeKeys) {
    const NtHash hash = ntPasswordHash("MyPw");
    const Bytes challenge = hex("102db5df085d3041");
    const Response24 nt = challengeResponse(challenge.data(), hash);
    const MsChapV1Result r = verifyMsChapV1(msChapV1Response(0x01, 0x01, nt), challenge, hash);
    EXPECT_TRUE(r.ok);
    EXPECT_EQ(r.status, MsChapStatus::kOk);
    // 8 zero LM-key octets + PasswordHashHash (pure-Python MD4 of the hash).
    EXPECT_EQ(hexOf(r.mppe_keys), "0000000000000000874fb0693e18106a814481bc51cd7d37");
}

// test-vectors.md 6: FreeRADIUS's MS-CHAP-MPPE-Keys plaintext for alice/"alicepass".
TEST(MsChapV1, MppeKeysMatchFreeRadiusForAlice) {
    const NtHash hash = ntPasswordHash("alicepass");
    EXPECT_EQ(hexOf(hash), "1b90225920343afc6d9acb0998bd0edd");
    EXPECT_EQ(hexOf(hashNtPasswordHash(hash)), "b75c9b2212e169ba248daadfa6597528");
    const Bytes challenge = hex("0123456789abcdef");
    const MsChapV1Result r = verifyMsChapV1(
        msChapV1Response(0x05, 0x01, challengeResponse(challenge.data(), hash)), challenge, hash);
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(hexOf(r.mppe_keys), "0000000000000000b75c9b2212e169ba248daadfa6597528");
    // Hidden like User-Password (RFC 2548 2.4.1): 24 octets pad to 32 and decode back.
    const SharedSecret secret("testing123");
    const Bytes ra = hex("00112233445566778899aabbccddeeff");
    Bytes hidden(hiddenSize(r.mppe_keys.size()));
    ASSERT_EQ(hidden.size(), 32u);
    ASSERT_TRUE(hideUserPassword(r.mppe_keys, secret, ra.data(), hidden.data()).has_value());
    uint8_t plain[32];
    auto n = unhideUserPassword(hidden, secret, ra.data(), plain);
    ASSERT_TRUE(n.has_value());
    EXPECT_EQ(*n, 24u);
    EXPECT_EQ(hexOf(ByteSpan(plain, *n)), hexOf(r.mppe_keys));
}

TEST(MsChapV1, RefusesLmOnlyWrongAndMalformedResponses) {
    const NtHash hash = ntPasswordHash("MyPw");
    const Bytes challenge = hex("102db5df085d3041");
    const Response24 nt = challengeResponse(challenge.data(), hash);

    MsChapV1Result r = verifyMsChapV1(msChapV1Response(0x01, 0x00, nt), challenge, hash);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.status, MsChapStatus::kLmOnly);

    r = verifyMsChapV1(msChapV1Response(0x01, 0x01, nt), challenge, ntPasswordHash("MyPW"));
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.status, MsChapStatus::kWrongResponse);
    EXPECT_EQ(hexOf(r.mppe_keys), std::string(48, '0'));

    Bytes resp = msChapV1Response(0x01, 0x01, nt);
    resp.pop_back();
    r = verifyMsChapV1(resp, challenge, hash);
    EXPECT_EQ(r.status, MsChapStatus::kBadLength);
    r = verifyMsChapV1(msChapV1Response(0x01, 0x01, nt), hex("102db5df085d304100"), hash);
    EXPECT_EQ(r.status, MsChapStatus::kBadLength);
    EXPECT_FALSE(r.ok);
}

// RFC 2759 9.2 and test-vectors.md 5.
const Bytes kAuthChallenge = hex("5b5d7c7d7b3f2f3e3c2c602132262628");
const Bytes kPeerChallenge = hex("21402324255e262a28295f2b3a337c7e");
const char* const kSuccessText = "S=407A5589115FD0D6209F510FE9C04566932CDA56";

TEST(MsChapV2, MatchesRfc2759ExampleStepByStep) {
    EXPECT_EQ(hexOf(iconvTo16le("clientPass", "UTF-8")),
              "63006c00690065006e0074005000610073007300");
    const auto challenge = challengeHash(kPeerChallenge, kAuthChallenge, "User");
    EXPECT_EQ(hexOf(challenge), "d02e4386bce91226");
    const NtHash hash = ntPasswordHash("clientPass");
    EXPECT_EQ(hexOf(hash), "44ebba8d5312b8d611474411f56989ae");
    const Response24 nt = generateNtResponse(kAuthChallenge, kPeerChallenge, "User", hash);
    EXPECT_EQ(hexOf(nt), "82309ecd8d708b5ea08faa3981cd83544233114a3d85d6df");
    EXPECT_EQ(nt, challengeResponse(challenge.data(), hash));
    EXPECT_EQ(hexOf(hashNtPasswordHash(hash)), "41c00c584bd2d91c4017a2a12fa59f3f");
    EXPECT_EQ(authenticatorResponse(hash, nt, kPeerChallenge, kAuthChallenge, "User"),
              kSuccessText);
}

TEST(MsChapV2, StripsDomainFromUserName) {
    EXPECT_EQ(hexOf(challengeHash(kPeerChallenge, kAuthChallenge, "EXAMPLE\\User")),
              "d02e4386bce91226");
    const NtHash hash = ntPasswordHash("clientPass");
    const Response24 nt = generateNtResponse(kAuthChallenge, kPeerChallenge, "EXAMPLE\\User", hash);
    EXPECT_EQ(authenticatorResponse(hash, nt, kPeerChallenge, kAuthChallenge, "EXAMPLE\\User"),
              kSuccessText);
    EXPECT_NE(hexOf(challengeHash(kPeerChallenge, kAuthChallenge, "user")), "d02e4386bce91226");
}

// The exchange FreeRADIUS answered (test-vectors.md 5): our verdict, MS-CHAP2-Success and MPPE
// start keys must match what it sent.
const Bytes kFreeRadiusRequest = hex(
    "01530084a7bb503c1d3605a7b5ef1012182ddb8301065573657204067f0000011a18000001370b125b5d7c7d7b3f"
    "2f3e3c2c6021322626281a3a000001371934010021402324255e262a28295f2b3a337c7e00000000000000008230"
    "9ecd8d708b5ea08faa3981cd83544233114a3d85d6df5012540e65ed51486574310bf9d0749dc076");
const Bytes kFreeRadiusAccept =
    hex("025300b3be2da7ba116e93b32de9f3c482b0f30f1a33000001371a2d01533d3430374135353839313135464430"
        "44363230394635313046453943303435363639333243444135361a2a0000013711248273f7e3ce39769893639d"
        "c06ee365eac86e8c49a68c5addd6f0e87dec2f65081bd11a2a0000013710248e6eb21428f48cb994a742f3caed"
        "010e1b83db9ddb8930c5ac0707e0b13eafdcc2c31a0c000001370706000000011a0c00000137080600000006");

TEST(MsChapV2, VerifiesFreeRadiusExchangeAndBuildsItsSuccess) {
    const auto response = test::vsa(kFreeRadiusRequest, test::kMicrosoft, 25);
    const auto challenge = test::vsa(kFreeRadiusRequest, test::kMicrosoft, 11);
    ASSERT_TRUE(response && challenge);
    EXPECT_EQ(hexOf(*response),
              "010021402324255e262a28295f2b3a337c7e000000000000000082309ecd8d708b5ea08faa3981cd8354"
              "4233114a3d85d6df");
    EXPECT_EQ(*challenge, kAuthChallenge);

    const MsChapV2Result r =
        verifyMsChapV2(*response, *challenge, "User", ntPasswordHash("clientPass"));
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.status, MsChapStatus::kOk);
    ASSERT_EQ(r.success.size(), 43u);
    EXPECT_EQ(r.success[0], '\x01');
    EXPECT_EQ(r.success.substr(1), kSuccessText);
    const auto success = test::vsa(kFreeRadiusAccept, test::kMicrosoft, 26);
    ASSERT_TRUE(success.has_value());
    EXPECT_EQ(hexOf(r.success), hexOf(*success));
    // RFC 3079 3.5, server's view (test-vectors.md 6).
    EXPECT_EQ(hexOf(r.send_key), "8b7cdc149b993a1ba118cb153f56dccb");
    EXPECT_EQ(hexOf(r.recv_key), "d5f0e9521e3ea9589645e86051c82226");
}

TEST(MsChapV2, SuccessCarriesTheResponseIdent) {
    Bytes response = *test::vsa(kFreeRadiusRequest, test::kMicrosoft, 25);
    response[0] = 0x2a;
    const MsChapV2Result r =
        verifyMsChapV2(response, kAuthChallenge, "User", ntPasswordHash("clientPass"));
    ASSERT_TRUE(r.ok);
    EXPECT_EQ(r.success, std::string("\x2a") + kSuccessText);
}

// test-vectors.md 5 failure: NT-Response computed from "wrongPass"; FreeRADIUS rejected it.
TEST(MsChapV2, RejectsResponseFromWrongPassword) {
    const Bytes request = hex(
        "014a007effeeddccbbaa998877665544332211005012cb38d502745476adab985566ef69b3c901065573657"
        "21a18000001370b125b5d7c7d7b3f2f3e3c2c6021322626281a3a000001371934010021402324255e262a2"
        "8295f2b3a337c7e0000000000000000953d95359c3c37339036bc36fff16e9ea6cc87710851f1be");
    const auto response = test::vsa(request, test::kMicrosoft, 25);
    const auto challenge = test::vsa(request, test::kMicrosoft, 11);
    ASSERT_TRUE(response && challenge);
    const MsChapV2Result r =
        verifyMsChapV2(*response, *challenge, "User", ntPasswordHash("clientPass"));
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.status, MsChapStatus::kWrongResponse);
    EXPECT_TRUE(r.success.empty());
    EXPECT_EQ(r.send_key, (std::array<uint8_t, 16>{}));
    EXPECT_EQ(r.recv_key, (std::array<uint8_t, 16>{}));
    // ... and it is exactly the response "wrongPass" gives.
    const Response24 wrong =
        generateNtResponse(*challenge, kPeerChallenge, "User", ntPasswordHash("wrongPass"));
    EXPECT_EQ(hexOf(wrong), hexOf(ByteSpan(*response).subspan(26)));
    EXPECT_TRUE(verifyMsChapV2(*response, *challenge, "User", ntPasswordHash("wrongPass")).ok);
}

TEST(MsChapV2, RejectsWrongUserNameOrChallenge) {
    const Bytes response = *test::vsa(kFreeRadiusRequest, test::kMicrosoft, 25);
    const NtHash hash = ntPasswordHash("clientPass");
    EXPECT_EQ(verifyMsChapV2(response, kAuthChallenge, "user", hash).status,
              MsChapStatus::kWrongResponse);
    Bytes challenge = kAuthChallenge;
    challenge[0] ^= 1;
    EXPECT_EQ(verifyMsChapV2(response, challenge, "User", hash).status,
              MsChapStatus::kWrongResponse);
}

TEST(MsChapV2, RefusesMalformedLengths) {
    const Bytes response = *test::vsa(kFreeRadiusRequest, test::kMicrosoft, 25);
    const NtHash hash = ntPasswordHash("clientPass");
    const ByteSpan span(response);
    EXPECT_EQ(verifyMsChapV2(span.first(49), kAuthChallenge, "User", hash).status,
              MsChapStatus::kBadLength);
    Bytes longer = response;
    longer.push_back(0);
    EXPECT_EQ(verifyMsChapV2(longer, kAuthChallenge, "User", hash).status,
              MsChapStatus::kBadLength);
    EXPECT_EQ(verifyMsChapV2(response, ByteSpan(kAuthChallenge).first(8), "User", hash).status,
              MsChapStatus::kBadLength);
    EXPECT_FALSE(verifyMsChapV2({}, {}, "User", hash).ok);
}

// Reserved octets must be zero (RFC 2759 4); the flags octet is ignored (see mschap.hpp).
TEST(MsChapV2, RefusesNonZeroReservedButIgnoresFlags) {
    const NtHash hash = ntPasswordHash("clientPass");
    Bytes response = *test::vsa(kFreeRadiusRequest, test::kMicrosoft, 25);
    Bytes reserved = response;
    reserved[25] = 0x01;
    MsChapV2Result r = verifyMsChapV2(reserved, kAuthChallenge, "User", hash);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.status, MsChapStatus::kBadReserved);
    Bytes flags = response;
    flags[1] = 0x01;
    r = verifyMsChapV2(flags, kAuthChallenge, "User", hash);
    EXPECT_TRUE(r.ok);
    EXPECT_EQ(r.status, MsChapStatus::kOk);
}

// test-vectors.md 5: the MS-CHAP-Error FreeRADIUS sent for the wrong password.
TEST(MsChapError, MatchesFreeRadiusBytes) {
    const Bytes reject = hex(
        "034a00671947651bb12ddde39381d10320669cae1a5300000137024d01453d36393120523d3120433d623464"
        "396632646163616663376631353437393739336537333736323363623420563d33204d3d41757468656e74"
        "69636174696f6e2072656a6563746564");
    const auto error = test::vsa(reject, test::kMicrosoft, 2);
    ASSERT_TRUE(error.has_value());
    const std::string value =
        msChapError(0x01, MsChapErrorCode::kAuthenticationFailure, true,
                    hex("b4d9f2dacafc7f15479793e737623cb4"), "Authentication rejected");
    EXPECT_EQ(value,
              "\x01"
              "E=691 R=1 C=b4d9f2dacafc7f15479793e737623cb4 V=3 M=Authentication rejected");
    EXPECT_EQ(hexOf(value), hexOf(*error));
}

TEST(MsChapError, FormatsCodeAndRetry) {
    EXPECT_EQ(
        msChapError(0x07, MsChapErrorCode::kAccountDisabled, false, Bytes(16, 0xab), "disabled"),
        "\x07"
        "E=647 R=0 C=abababababababababababababababab V=3 M=disabled");
    EXPECT_EQ(msChapError(0x00, MsChapErrorCode::kPasswordExpired, false, Bytes(16, 0), ""),
              std::string("\0E=648 R=0 C=00000000000000000000000000000000 V=3 M=", 52));
}

}  // namespace
}  // namespace gatehouse::crypto
