#pragma once
// Attribute hiding: User-Password (RFC 2865 5.2, FreeRADIUS encrypt=1; also MS-CHAP-MPPE-Keys)
// and the salted form of Tunnel-Password / MS-MPPE-Send-Key / MS-MPPE-Recv-Key
// (RFC 2868 3.5, RFC 2548 2.4.2-3, encrypt=2). No allocation: callers pass the output buffer.
#include <cstddef>
#include <cstdint>

#include "core/crypto/md5.hpp"
#include "core/util/expected.hpp"

namespace gatehouse::crypto {

struct HidingError {
    enum Kind : uint8_t {
        kTooLong,         // plaintext over 128 octets (User-Password) / 240 (salted)
        kBadLength,       // hidden value empty, not a multiple of 16, or over 128
        kBadSalt,         // salt's high bit clear (RFC 2868 3.5)
        kBadInnerLength,  // decrypted length octet larger than the data
    };
    Kind kind;
    size_t length;
};

inline constexpr size_t kMaxHiddenPassword = 128;
inline constexpr size_t kMaxSaltedPlain = 240;  // 1 + 240 -> 256 > 253 - 2 - salt: see saltedSize

/// Hidden length for a password of `len` octets: padded to 16, at least 16.
constexpr size_t hiddenSize(size_t len) {
    return len == 0 ? 16 : (len + 15) / 16 * 16;
}
/// Salted value length: 2 salt octets + (1 length octet + len) padded to 16.
constexpr size_t saltedSize(size_t len) {
    return 2 + (len + 1 + 15) / 16 * 16;
}

/// Writes hiddenSize(password.size()) octets to out.
Expected<size_t, HidingError> hideUserPassword(ByteSpan password, const SharedSecret& secret,
                                               const uint8_t* request_auth, uint8_t* out);
/// Writes the plaintext (hidden.size() octets of room) and returns its length with the
/// trailing NUL padding removed.
Expected<size_t, HidingError> unhideUserPassword(ByteSpan hidden, const SharedSecret& secret,
                                                 const uint8_t* request_auth, uint8_t* out);

/// Writes saltedSize(plain.size()) octets: salt (high bit forced on) + ciphertext.
Expected<size_t, HidingError> saltEncrypt(ByteSpan plain, const SharedSecret& secret,
                                          const uint8_t* request_auth, uint16_t salt, uint8_t* out);
/// Writes the key/password (value.size() octets of room) and returns its length.
Expected<size_t, HidingError> saltDecrypt(ByteSpan value, const SharedSecret& secret,
                                          const uint8_t* request_auth, uint8_t* out);

/// A fresh salt with the high bit set; per-thread counter seeded from the CSPRNG, so two
/// salted attributes in one packet always differ (RFC 2548 2.4.2).
uint16_t nextSalt();

/// Cryptographically secure random octets (OpenSSL RAND_bytes); for Request Authenticators.
void randomBytes(uint8_t* out, size_t len);

}  // namespace gatehouse::crypto
