#include "core/api/jwt.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>

#include "core/api/base64.hpp"
#include "core/util/bytes.hpp"

namespace gatehouse::api {
namespace {

const std::string kKey = "gatehouse-test-key-0123456789abcdef";
constexpr int64_t kIat = 1700000000;
constexpr int64_t kExp = 1700000900;

// From tests/unit/api/jwt_vector.js (node's crypto.createHmac, no code of ours).
const std::string kNodeToken =
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJleHAiOjE3MDAwMDA5MDAsImlhdCI6MTcwMDAwMDAwMCwianRpIjoiMDAxMTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2Nk"
    "ZGVlZmYiLCJzdWIiOiI0MiIsInN2IjozLCJ0eXAiOiJhY2Nlc3MifQ."
    "vDkl38hOTmAumMJJvLZafOIsADbYfvo6Ajx7AE67g6U";

JwtClaims vectorClaims() {
    JwtClaims c;
    c.sub = "42";
    c.typ = TokenType::kAccess;
    c.jti = "00112233445566778899aabbccddeeff";
    c.iat = kIat;
    c.exp = kExp;
    c.sv = 3;
    return c;
}

std::string b64(std::string_view s) {
    return encodeBase64(asBytes(s), Base64Alphabet::kUrl);
}

// A token with any header and payload, correctly signed: what a holder of the key could make,
// so these checks are about our parser, not the signature.
std::string forge(std::string_view header, std::string_view payload,
                  const std::string& key = kKey) {
    const std::string input = b64(header) + "." + b64(payload);
    unsigned char mac[32];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
    return input + "." + encodeBase64(ByteSpan(mac, len), Base64Alphabet::kUrl);
}

constexpr std::string_view kGoodHeader = R"({"alg":"HS256","typ":"JWT"})";
constexpr std::string_view kGoodPayload =
    R"({"exp":1700000900,"iat":1700000000,"jti":"00112233445566778899aabbccddeeff","sub":"42","typ":"access"})";

JwtErrorCode verifyCode(const std::string& token, int64_t now = kIat + 10,
                        TokenType typ = TokenType::kAccess) {
    auto v = verifyJwt(token, kKey, now, typ);
    EXPECT_FALSE(v) << "accepted: " << token;
    return v ? JwtErrorCode::kRandomFailed : v.error().code;
}

TEST(JwtVector, SignMatchesNodeCrypto) {
    auto token = signJwt(vectorClaims(), kKey);
    ASSERT_TRUE(token) << token.error().message;
    EXPECT_EQ(*token, kNodeToken);
}

TEST(JwtVector, VerifiesNodeToken) {
    auto claims = verifyJwt(kNodeToken, kKey, kIat + 1, TokenType::kAccess);
    ASSERT_TRUE(claims) << claims.error().message;
    EXPECT_EQ(claims->sub, "42");
    EXPECT_EQ(claims->jti, "00112233445566778899aabbccddeeff");
    EXPECT_EQ(claims->iat, kIat);
    EXPECT_EQ(claims->exp, kExp);
    ASSERT_TRUE(claims->sv.has_value());
    EXPECT_EQ(*claims->sv, 3);
}

TEST(Jwt, NewClaimsHaveRandomJtiAndLifetime) {
    auto a = newClaims("7", TokenType::kRefresh, kIat, kRefreshTokenLifetime);
    auto b = newClaims("7", TokenType::kRefresh, kIat, kRefreshTokenLifetime);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(a->jti.size(), 32u);
    EXPECT_NE(a->jti, b->jti);
    EXPECT_EQ(a->exp - a->iat, 7 * 24 * 3600);
    EXPECT_FALSE(a->sv.has_value());
    auto token = signJwt(*a, kKey);
    ASSERT_TRUE(token);
    auto back = verifyJwt(*token, kKey, kIat, TokenType::kRefresh);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(back->jti, a->jti);
    EXPECT_EQ(back->typ, TokenType::kRefresh);
}

TEST(Jwt, RefusesKeyShorterThan32Bytes) {
    const std::string short_key(31, 'k');
    auto token = signJwt(vectorClaims(), short_key);
    ASSERT_FALSE(token);
    EXPECT_EQ(token.error().code, JwtErrorCode::kKeyTooShort);
    EXPECT_EQ(token.error().message, "JWT key has 31 bytes, need at least 32");
    auto v = verifyJwt(kNodeToken, short_key, kIat, TokenType::kAccess);
    ASSERT_FALSE(v);
    EXPECT_EQ(v.error().code, JwtErrorCode::kKeyTooShort);
}

TEST(Jwt, OtherKeyIsBadSignature) {
    EXPECT_EQ(verifyJwt(kNodeToken, kKey + "x", kIat, TokenType::kAccess).error().code,
              JwtErrorCode::kBadSignature);
}

TEST(Jwt, TamperedPayloadIsBadSignature) {
    // sub "42" -> "43" with the original signature.
    const size_t dot1 = kNodeToken.find('.');
    const size_t dot2 = kNodeToken.find('.', dot1 + 1);
    const std::string payload =
        R"({"exp":1700000900,"iat":1700000000,"jti":"00112233445566778899aabbccddeeff","sub":"43","sv":3,"typ":"access"})";
    const std::string tampered =
        kNodeToken.substr(0, dot1 + 1) + b64(payload) + kNodeToken.substr(dot2);
    EXPECT_EQ(verifyCode(tampered), JwtErrorCode::kBadSignature);
}

TEST(Jwt, TamperedSignatureIsBadSignature) {
    std::string tampered = kNodeToken;
    tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
    EXPECT_EQ(verifyCode(tampered), JwtErrorCode::kBadSignature);
    // No signature at all.
    EXPECT_EQ(verifyCode(kNodeToken.substr(0, kNodeToken.rfind('.') + 1)),
              JwtErrorCode::kBadSignature);
}

TEST(Jwt, RefusesAlgNone) {
    const std::string unsigned_token =
        b64(R"({"alg":"none","typ":"JWT"})") + "." + b64(kGoodPayload) + ".";
    EXPECT_EQ(verifyCode(unsigned_token), JwtErrorCode::kBadHeader);
    EXPECT_EQ(verifyJwt(unsigned_token, kKey, kIat, TokenType::kAccess).error().message,
              "alg is not HS256");
    // Even with a valid HMAC under our key.
    EXPECT_EQ(verifyCode(forge(R"({"alg":"none","typ":"JWT"})", kGoodPayload)),
              JwtErrorCode::kBadHeader);
}

TEST(Jwt, RefusesOtherAlgorithmsMissingAlgAndExtraMembers) {
    EXPECT_EQ(verifyCode(forge(R"({"alg":"HS512","typ":"JWT"})", kGoodPayload)),
              JwtErrorCode::kBadHeader);
    EXPECT_EQ(verifyCode(forge(R"({"alg":"hs256","typ":"JWT"})", kGoodPayload)),
              JwtErrorCode::kBadHeader);
    EXPECT_EQ(verifyCode(forge(R"({"alg":"RS256","typ":"JWT"})", kGoodPayload)),
              JwtErrorCode::kBadHeader);
    EXPECT_EQ(verifyCode(forge(R"({"typ":"JWT"})", kGoodPayload)), JwtErrorCode::kBadHeader);
    EXPECT_EQ(verifyCode(forge(R"({"alg":"HS256"})", kGoodPayload)), JwtErrorCode::kBadHeader);
    EXPECT_EQ(verifyCode(forge(R"({"alg":"HS256","typ":"JWT","crit":["exp"]})", kGoodPayload)),
              JwtErrorCode::kBadHeader);
    EXPECT_EQ(verifyJwt(forge(R"({"alg":"HS256","typ":"JWT","crit":["exp"]})", kGoodPayload), kKey,
                        kIat, TokenType::kAccess)
                  .error()
                  .message,
              "crit is not supported");
    EXPECT_EQ(verifyCode(forge(R"({"alg":"HS256","typ":"JWT","kid":"1"})", kGoodPayload)),
              JwtErrorCode::kBadHeader);
    EXPECT_EQ(verifyCode(forge(R"(["HS256"])", kGoodPayload)), JwtErrorCode::kMalformed);
}

TEST(Jwt, AcceptsHeaderMembersInAnyOrder) {
    auto v = verifyJwt(forge(R"({"typ":"JWT","alg":"HS256"})", kGoodPayload), kKey, kIat,
                       TokenType::kAccess);
    EXPECT_TRUE(v) << v.error().message;
}

TEST(Jwt, ExpiredFromTheExpSecondOn) {
    auto token = signJwt(vectorClaims(), kKey);
    ASSERT_TRUE(token);
    EXPECT_TRUE(verifyJwt(*token, kKey, kExp - 1, TokenType::kAccess));
    EXPECT_EQ(verifyCode(*token, kExp), JwtErrorCode::kExpired);
    EXPECT_EQ(verifyCode(*token, kExp + 3600), JwtErrorCode::kExpired);
}

TEST(Jwt, IssuedInTheFutureIsNotYetValid) {
    auto token = signJwt(vectorClaims(), kKey);
    ASSERT_TRUE(token);
    EXPECT_TRUE(verifyJwt(*token, kKey, kIat - kJwtClockSkewSeconds, TokenType::kAccess));
    EXPECT_EQ(verifyCode(*token, kIat - kJwtClockSkewSeconds - 1), JwtErrorCode::kNotYetValid);
}

TEST(Jwt, WrongTypeIsRefused) {
    auto token = signJwt(vectorClaims(), kKey);
    ASSERT_TRUE(token);
    auto v = verifyJwt(*token, kKey, kIat, TokenType::kRefresh);
    ASSERT_FALSE(v);
    EXPECT_EQ(v.error().code, JwtErrorCode::kWrongType);
    EXPECT_EQ(v.error().message, "token is a access token, wanted refresh");
}

TEST(Jwt, RefusesPaddingAndNonBase64url) {
    // The payload segment re-spelled with '=' padding (its length is 4n+2 unpadded).
    const size_t dot1 = kNodeToken.find('.');
    const size_t dot2 = kNodeToken.find('.', dot1 + 1);
    ASSERT_EQ((dot2 - dot1 - 1) % 4, 2u);
    const std::string padded = kNodeToken.substr(0, dot2) + "==" + kNodeToken.substr(dot2);
    EXPECT_EQ(verifyCode(padded), JwtErrorCode::kMalformed);
    // Signature (43 characters) padded.
    EXPECT_EQ(verifyCode(kNodeToken + "="), JwtErrorCode::kMalformed);
    // Standard-alphabet characters.
    std::string plus = kNodeToken;
    plus[dot1 + 3] = '+';
    EXPECT_EQ(verifyCode(plus), JwtErrorCode::kMalformed);
    // Whitespace.
    EXPECT_EQ(verifyCode(" " + kNodeToken), JwtErrorCode::kMalformed);
}

TEST(Jwt, RefusesNonCanonicalTrailingBits) {
    // The signature's last character carries 2 unused bits ('U' = 20 = 010100): 'V' sets one.
    ASSERT_EQ(kNodeToken.back(), 'U');
    std::string respelled = kNodeToken;
    respelled.back() = 'V';
    EXPECT_EQ(verifyCode(respelled), JwtErrorCode::kMalformed);
}

TEST(Jwt, RefusesWrongSegmentCount) {
    EXPECT_EQ(verifyCode(""), JwtErrorCode::kMalformed);
    EXPECT_EQ(verifyCode("abc"), JwtErrorCode::kMalformed);
    EXPECT_EQ(verifyCode("a.b"), JwtErrorCode::kMalformed);
    EXPECT_EQ(verifyCode(kNodeToken + ".x"), JwtErrorCode::kMalformed);
    EXPECT_EQ(verifyCode(std::string(kMaxJwtBytes + 1, 'a')), JwtErrorCode::kMalformed);
}

TEST(Jwt, RefusesSignedTokensWithBadClaims) {
    const auto code = [](std::string_view payload) {
        return verifyCode(forge(kGoodHeader, payload));
    };
    EXPECT_EQ(
        code(
            R"({"exp":1700000900,"iat":1700000000,"jti":"00112233445566778899aabbccddeeff","typ":"access"})"),
        JwtErrorCode::kBadClaims);  // no sub
    EXPECT_EQ(
        code(
            R"({"exp":1700000900,"iat":1700000000,"jti":"00112233445566778899aabbccddeeff","sub":42,"typ":"access"})"),
        JwtErrorCode::kBadClaims);  // numeric sub
    EXPECT_EQ(code(R"({"exp":1700000900,"iat":1700000000,"jti":"0011","sub":"42","typ":"access"})"),
              JwtErrorCode::kBadClaims);  // short jti
    EXPECT_EQ(
        code(
            R"({"exp":1700000900,"iat":1700000000,"jti":"00112233445566778899AABBCCDDEEFF","sub":"42","typ":"access"})"),
        JwtErrorCode::kBadClaims);  // upper-case jti
    EXPECT_EQ(
        code(
            R"({"exp":1700000900.5,"iat":1700000000,"jti":"00112233445566778899aabbccddeeff","sub":"42","typ":"access"})"),
        JwtErrorCode::kBadClaims);  // float exp
    EXPECT_EQ(
        code(
            R"({"iat":1700000000,"jti":"00112233445566778899aabbccddeeff","sub":"42","typ":"access"})"),
        JwtErrorCode::kBadClaims);  // no exp
    EXPECT_EQ(
        code(
            R"({"exp":1700000900,"iat":1700000000,"jti":"00112233445566778899aabbccddeeff","sub":"42","typ":"id"})"),
        JwtErrorCode::kBadClaims);  // unknown typ
    EXPECT_EQ(
        code(
            R"({"exp":1700000900,"iat":1700000000,"jti":"00112233445566778899aabbccddeeff","sub":"42","sv":-1,"typ":"access"})"),
        JwtErrorCode::kBadClaims);  // negative sv
    EXPECT_EQ(
        code(
            R"({"exp":1700000000,"iat":1700000000,"jti":"00112233445566778899aabbccddeeff","sub":"42","typ":"access"})"),
        JwtErrorCode::kBadClaims);  // exp not after iat
    EXPECT_EQ(code("not json"), JwtErrorCode::kMalformed);
}

TEST(Base64, RoundTripsAllTailLengths) {
    const std::string data("\x00\xff\x10gatehouse", 12);
    for (size_t n = 0; n <= data.size(); ++n) {
        const auto bytes = asBytes(std::string_view(data).substr(0, n));
        for (auto alphabet : {Base64Alphabet::kUrl, Base64Alphabet::kStandard}) {
            const std::string text = encodeBase64(bytes, alphabet);
            EXPECT_EQ(text.find('='), std::string::npos);
            auto back = decodeBase64(text, alphabet);
            ASSERT_TRUE(back) << text;
            EXPECT_EQ(Bytes(bytes.begin(), bytes.end()), *back);
        }
    }
}

TEST(Base64, KnownUrlAlphabetEncoding) {
    const uint8_t bytes[] = {0xfb, 0xff, 0xbf};
    EXPECT_EQ(encodeBase64(bytes, Base64Alphabet::kUrl), "-_-_");
    EXPECT_EQ(encodeBase64(bytes, Base64Alphabet::kStandard), "+/+/");
    EXPECT_FALSE(decodeBase64("+/+/", Base64Alphabet::kUrl));
    EXPECT_FALSE(decodeBase64("-_-_", Base64Alphabet::kStandard));
    EXPECT_FALSE(decodeBase64("A", Base64Alphabet::kUrl));     // 4n+1
    EXPECT_FALSE(decodeBase64("QQ==", Base64Alphabet::kUrl));  // padding
    EXPECT_FALSE(decodeBase64("QR", Base64Alphabet::kUrl));    // non-canonical 'A' + 1 bit
    EXPECT_TRUE(decodeBase64("QQ", Base64Alphabet::kUrl));
}

}  // namespace
}  // namespace gatehouse::api
