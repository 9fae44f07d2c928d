#pragma once
// Admin passwords as Argon2id (RFC 9106) PHC strings:
//   $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt, base64 no padding>$<hash, idem>
// A hash is never reversible; the password itself is never logged nor kept beyond the call.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/expected.hpp"

namespace gatehouse::api {

struct Argon2Params {
    uint32_t memory_kib = 65536;
    uint32_t iterations = 3;
    uint32_t parallelism = 1;
    bool operator==(const Argon2Params&) const = default;
};

// Production: 64 MiB, 3 passes, 1 lane. OWASP's floor is m=19456 KiB, t=2, p=1; RFC 9106 4
// recommends 64 MiB with t=3 when 2 GiB is too much. One lane because the API verifies on a
// small thread pool and logins are rare: p>1 would only take cores from RADIUS workers.
// Cost: 64 MiB, and 0.6-1.1 s per hash measured on the 2-core dev box while other builds kept
// it at a load of 9, so well under that on an idle core. The login limiter bounds how often one
// client makes us pay it; the API must also cap concurrent hashes (docs/api-auth.md) so a login
// flood cannot take the cores or the memory.
inline constexpr Argon2Params kDefaultArgon2{65536, 3, 1};
// Cheap parameters for unit tests only (libargon2's minimum memory is 8 KiB per lane).
inline constexpr Argon2Params kTestArgon2{64, 1, 1};

inline constexpr size_t kSaltBytes = 16;
inline constexpr size_t kHashBytes = 32;
inline constexpr size_t kMaxPasswordBytes = 1024;

enum class PasswordErrorCode {
    kEmptyPassword,     // an empty password is never hashed nor accepted
    kPasswordTooLong,   // over kMaxPasswordBytes: refused rather than hashed (cost, DoS)
    kMalformedHash,     // not a PHC string we can read
    kUnsupportedHash,   // a PHC string of another algorithm or Argon2 version
    kParamsOutOfRange,  // a stored hash whose cost would stall the API (or is below libargon2's
                        // minimum)
    kRandomFailed,      // RAND_bytes failed: no salt, no hash
    kHashFailed,        // libargon2 returned an error (message names it)
};

struct PasswordError {
    PasswordErrorCode code;
    std::string message;  // never contains the password
};

/// A parsed PHC string.
struct PhcHash {
    Argon2Params params;
    uint32_t version = 0;
    std::vector<uint8_t> salt;
    std::vector<uint8_t> hash;
};

Expected<std::string, PasswordError> hashPassword(std::string_view password,
                                                  const Argon2Params& params = kDefaultArgon2);

/// true: the password matches; false: it does not. Errors: bad password length, bad stored hash.
/// The comparison is libargon2's constant-time one.
Expected<bool, PasswordError> verifyPassword(std::string_view password, std::string_view encoded);

/// true when the stored hash was made with other parameters (or a weaker salt/hash length) than
/// `params`: the API rehashes it after a successful login.
Expected<bool, PasswordError> needsRehash(std::string_view encoded, const Argon2Params& params);

Expected<PhcHash, PasswordError> parsePhc(std::string_view encoded);

}  // namespace gatehouse::api
