#pragma once
// The admin API's tokens: JWS compact serialization (RFC 7515 7.1) with HS256 only (RFC 7518
// 3.2), claims per RFC 7519 4.1. We only ever verify tokens we signed, so the header is fixed:
// {"alg":"HS256","typ":"JWT"}; anything else (alg "none", RS256, a missing alg, "crit", "kid",
// ...) is refused before the signature is looked at (RFC 8725 3.1: never let the token pick).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/util/expected.hpp"

namespace gatehouse::api {

enum class TokenType { kAccess, kRefresh };

inline constexpr std::chrono::seconds kAccessTokenLifetime{15 * 60};
inline constexpr std::chrono::seconds kRefreshTokenLifetime{7 * 24 * 3600};
// RFC 7518 3.2: the HS256 key must be at least as long as the hash output.
inline constexpr size_t kMinJwtKeyBytes = 32;
// Several api nodes sign and verify; their clocks (NTP) may differ by this much. Only applies to
// "issued in the future": exp is enforced to the second (RFC 7519 4.1.4).
inline constexpr int64_t kJwtClockSkewSeconds = 60;
// Our tokens are ~250 bytes; a bound keeps a hostile Authorization header from costing much.
inline constexpr size_t kMaxJwtBytes = 4096;

struct JwtClaims {
    std::string sub;  // admin id, decimal
    TokenType typ = TokenType::kAccess;
    std::string jti;            // 128 random bits, 32 lowercase hex digits: the blacklist key
    int64_t iat = 0;            // unix seconds
    int64_t exp = 0;            // unix seconds; the token is refused from this second on
    std::optional<int64_t> sv;  // the admin's session version ("log out everywhere" bumps it)
};

enum class JwtErrorCode {
    kKeyTooShort,   // fewer than kMinJwtKeyBytes
    kMalformed,     // not three strict base64url segments, bad JSON, too long
    kBadHeader,     // anything but exactly alg HS256 / typ JWT
    kBadSignature,  // HMAC mismatch
    kBadClaims,     // a claim missing or of the wrong shape
    kExpired,       // now >= exp
    kNotYetValid,   // iat later than now + kJwtClockSkewSeconds
    kWrongType,     // an access token where a refresh token is wanted, or the reverse
    kRandomFailed,  // RAND_bytes failed while making a jti
};

struct JwtError {
    JwtErrorCode code;
    std::string message;
};

std::string_view tokenTypeName(TokenType typ);

/// Fresh claims: a random jti, iat = now, exp = now + lifetime.
Expected<JwtClaims, JwtError> newClaims(std::string sub, TokenType typ, int64_t now,
                                        std::chrono::seconds lifetime,
                                        std::optional<int64_t> sv = std::nullopt);

Expected<std::string, JwtError> signJwt(const JwtClaims& claims, std::string_view key);

/// Checks, in order: size and shape, header, strict base64url of every segment, signature
/// (CRYPTO_memcmp), claims, typ, time.
Expected<JwtClaims, JwtError> verifyJwt(std::string_view token, std::string_view key, int64_t now,
                                        TokenType expected_typ);

}  // namespace gatehouse::api
