#include "core/api/jwt.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/api/base64.hpp"
#include "core/util/bytes.hpp"

namespace gatehouse::api {
namespace {

using Json = nlohmann::json;

// base64url('{"alg":"HS256","typ":"JWT"}'): every token we sign starts with these bytes.
constexpr std::string_view kHeaderJson = R"({"alg":"HS256","typ":"JWT"})";
constexpr size_t kJtiHexDigits = 32;
constexpr size_t kMaxSubBytes = 64;

Unexpected<JwtError> fail(JwtErrorCode code, std::string message) {
    return unexpected(JwtError{code, std::move(message)});
}

std::array<uint8_t, 32> hmacSha256(std::string_view key, std::string_view data) {
    std::array<uint8_t, 32> mac{};
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), &len);
    return mac;
}

bool isJti(const std::string& s) {
    if (s.size() != kJtiHexDigits)
        return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    return true;
}

// Printable ASCII only: the sub goes into JSON, logs and Redis keys unescaped.
bool isSub(const std::string& s) {
    if (s.empty() || s.size() > kMaxSubBytes)
        return false;
    for (char c : s)
        if (c < 0x21 || c > 0x7e)
            return false;
    return true;
}

std::optional<int64_t> integerClaim(const Json& payload, const char* name) {
    const auto it = payload.find(name);
    if (it == payload.end())
        return std::nullopt;
    if (it->is_number_unsigned()) {
        const auto v = it->get<uint64_t>();
        if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
            return std::nullopt;
        return static_cast<int64_t>(v);
    }
    if (it->is_number_integer())
        return it->get<int64_t>();
    return std::nullopt;  // floats, strings, ...
}

Expected<void, JwtError> checkKey(std::string_view key) {
    if (key.size() < kMinJwtKeyBytes)
        return fail(JwtErrorCode::kKeyTooShort, "JWT key has " + std::to_string(key.size()) +
                                                    " bytes, need at least " +
                                                    std::to_string(kMinJwtKeyBytes));
    return {};
}

Expected<void, JwtError> checkHeader(std::string_view segment) {
    const auto bytes = decodeBase64(segment, Base64Alphabet::kUrl);
    if (!bytes)
        return fail(JwtErrorCode::kMalformed, "header is not strict base64url");
    const Json header = Json::parse(asChars(*bytes), nullptr, /*allow_exceptions=*/false);
    if (!header.is_object())
        return fail(JwtErrorCode::kMalformed, "header is not a JSON object");
    const auto alg = header.find("alg");
    if (alg == header.end())
        return fail(JwtErrorCode::kBadHeader, "header has no alg");
    if (!alg->is_string() || alg->get<std::string>() != "HS256")
        return fail(JwtErrorCode::kBadHeader, "alg is not HS256");
    const auto typ = header.find("typ");
    if (typ == header.end() || !typ->is_string() || typ->get<std::string>() != "JWT")
        return fail(JwtErrorCode::kBadHeader, "typ is not JWT");
    // RFC 7515 4.1.11: a "crit" we do not understand makes the token invalid; any other
    // member (kid, jku, x5u...) is one we never emit, so refuse it too.
    if (header.size() != 2)
        return fail(JwtErrorCode::kBadHeader,
                    header.contains("crit") ? "crit is not supported" : "unexpected header member");
    return {};
}

Expected<JwtClaims, JwtError> parseClaims(std::string_view json) {
    const Json payload = Json::parse(json, nullptr, /*allow_exceptions=*/false);
    if (!payload.is_object())
        return fail(JwtErrorCode::kMalformed, "payload is not a JSON object");
    JwtClaims claims;
    const auto sub = payload.find("sub");
    if (sub == payload.end() || !sub->is_string() || !isSub(sub->get<std::string>()))
        return fail(JwtErrorCode::kBadClaims, "sub missing or not printable ASCII");
    claims.sub = sub->get<std::string>();
    const auto typ = payload.find("typ");
    if (typ == payload.end() || !typ->is_string())
        return fail(JwtErrorCode::kBadClaims, "typ missing");
    if (typ->get<std::string>() == "access")
        claims.typ = TokenType::kAccess;
    else if (typ->get<std::string>() == "refresh")
        claims.typ = TokenType::kRefresh;
    else
        return fail(JwtErrorCode::kBadClaims, "typ is neither access nor refresh");
    const auto jti = payload.find("jti");
    if (jti == payload.end() || !jti->is_string() || !isJti(jti->get<std::string>()))
        return fail(JwtErrorCode::kBadClaims, "jti missing or not 32 lowercase hex digits");
    claims.jti = jti->get<std::string>();
    const auto iat = integerClaim(payload, "iat");
    const auto exp = integerClaim(payload, "exp");
    if (!iat || !exp)
        return fail(JwtErrorCode::kBadClaims, "iat or exp missing or not an integer");
    if (*exp <= *iat)
        return fail(JwtErrorCode::kBadClaims, "exp is not after iat");
    claims.iat = *iat;
    claims.exp = *exp;
    if (payload.contains("sv")) {
        const auto sv = integerClaim(payload, "sv");
        if (!sv || *sv < 0)
            return fail(JwtErrorCode::kBadClaims, "sv is not a non-negative integer");
        claims.sv = *sv;
    }
    return claims;
}

}  // namespace

std::string_view tokenTypeName(TokenType typ) {
    return typ == TokenType::kAccess ? "access" : "refresh";
}

Expected<JwtClaims, JwtError> newClaims(std::string sub, TokenType typ, int64_t now,
                                        std::chrono::seconds lifetime, std::optional<int64_t> sv) {
    uint8_t jti[kJtiHexDigits / 2];
    if (RAND_bytes(jti, sizeof jti) != 1)
        return fail(JwtErrorCode::kRandomFailed, "RAND_bytes failed");
    JwtClaims claims;
    claims.sub = std::move(sub);
    claims.typ = typ;
    claims.jti = toHex(ByteSpan(jti, sizeof jti));
    claims.iat = now;
    claims.exp = now + lifetime.count();
    claims.sv = sv;
    return claims;
}

Expected<std::string, JwtError> signJwt(const JwtClaims& claims, std::string_view key) {
    if (auto ok = checkKey(key); !ok)
        return unexpected(ok.error());
    if (!isSub(claims.sub))
        return fail(JwtErrorCode::kBadClaims, "sub missing or not printable ASCII");
    if (!isJti(claims.jti))
        return fail(JwtErrorCode::kBadClaims, "jti is not 32 lowercase hex digits");
    if (claims.exp <= claims.iat)
        return fail(JwtErrorCode::kBadClaims, "exp is not after iat");
    if (claims.sv && *claims.sv < 0)
        return fail(JwtErrorCode::kBadClaims, "sv is negative");
    Json payload = {{"sub", claims.sub},
                    {"typ", tokenTypeName(claims.typ)},
                    {"jti", claims.jti},
                    {"iat", claims.iat},
                    {"exp", claims.exp}};
    if (claims.sv)
        payload["sv"] = *claims.sv;
    // nlohmann::json keeps object keys sorted, so the payload bytes are deterministic:
    // {"exp":..,"iat":..,"jti":"..","sub":"..","sv":..,"typ":".."} (the node vector relies on it).
    std::string token = encodeBase64(asBytes(kHeaderJson), Base64Alphabet::kUrl);
    token += '.';
    token += encodeBase64(asBytes(payload.dump()), Base64Alphabet::kUrl);
    const auto mac = hmacSha256(key, token);
    token += '.';
    token += encodeBase64(mac, Base64Alphabet::kUrl);
    return token;
}

Expected<JwtClaims, JwtError> verifyJwt(std::string_view token, std::string_view key, int64_t now,
                                        TokenType expected_typ) {
    if (auto ok = checkKey(key); !ok)
        return unexpected(ok.error());
    if (token.size() > kMaxJwtBytes)
        return fail(JwtErrorCode::kMalformed, "token longer than " + std::to_string(kMaxJwtBytes));
    const size_t dot1 = token.find('.');
    const size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos)
        return fail(JwtErrorCode::kMalformed, "not three dot-separated segments");
    if (auto ok = checkHeader(token.substr(0, dot1)); !ok)
        return unexpected(ok.error());

    // Every segment must be strict base64url whether or not the MAC matches: the token has one
    // spelling, and the error says what is wrong with it.
    const auto payload =
        decodeBase64(token.substr(dot1 + 1, dot2 - dot1 - 1), Base64Alphabet::kUrl);
    if (!payload)
        return fail(JwtErrorCode::kMalformed, "payload is not strict base64url");
    const auto signature = decodeBase64(token.substr(dot2 + 1), Base64Alphabet::kUrl);
    if (!signature)
        return fail(JwtErrorCode::kMalformed, "signature is not strict base64url");
    const auto mac = hmacSha256(key, token.substr(0, dot2));
    // Constant time: a byte-by-byte early exit would let a caller find the MAC one byte at a time.
    if (signature->size() != mac.size() ||
        CRYPTO_memcmp(signature->data(), mac.data(), mac.size()) != 0)
        return fail(JwtErrorCode::kBadSignature, "signature does not match");

    // Only now is the payload JSON parsed: we parse nothing an attacker made.
    auto claims = parseClaims(asChars(*payload));
    if (!claims)
        return claims;
    if (claims->typ != expected_typ)
        return fail(JwtErrorCode::kWrongType,
                    "token is a " + std::string(tokenTypeName(claims->typ)) + " token, wanted " +
                        std::string(tokenTypeName(expected_typ)));
    // RFC 7519 4.1.4: not accepted on or after exp.
    if (now >= claims->exp)
        return fail(JwtErrorCode::kExpired, "token expired at " + std::to_string(claims->exp));
    if (claims->iat > now + kJwtClockSkewSeconds)
        return fail(JwtErrorCode::kNotYetValid, "token issued in the future");
    return claims;
}

}  // namespace gatehouse::api
