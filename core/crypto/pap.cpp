#include "core/crypto/pap.hpp"

#include <openssl/crypto.h>

#include <cstring>

namespace gatehouse::crypto {

bool papVerify(ByteSpan hidden, const SharedSecret& secret, const uint8_t* request_auth,
               ByteSpan stored_password) {
    // Both sides live zero-padded in 128-octet buffers so the comparison always covers the
    // same number of octets, whatever the lengths.
    uint8_t revealed[kMaxHiddenPassword] = {};
    auto len = unhideUserPassword(hidden, secret, request_auth, revealed);
    if (!len)
        return false;  // RFC 2865 5.2: a malformed length is not a short password
    uint8_t stored[kMaxHiddenPassword] = {};
    // A stored password over 128 octets can never be sent by PAP; it is compared as its first
    // 128 octets but the length check below still fails.
    const size_t stored_len = stored_password.size();
    if (stored_len != 0) {
        std::memcpy(stored, stored_password.data(), std::min(stored_len, kMaxHiddenPassword));
    }
    // unhideUserPassword leaves the stripped NUL padding in place, so the octets of `revealed`
    // past *len are zero, like those of `stored`.
    const bool same_content = equalConstantTime(revealed, stored, kMaxHiddenPassword);
    const bool same_length = *len == stored_len;
    OPENSSL_cleanse(revealed, sizeof(revealed));
    OPENSSL_cleanse(stored, sizeof(stored));
    return same_content & same_length;
}

Expected<size_t, HidingError> papReveal(ByteSpan hidden, const SharedSecret& secret,
                                        const uint8_t* request_auth,
                                        std::span<uint8_t, kMaxHiddenPassword> out) {
    return unhideUserPassword(hidden, secret, request_auth, out.data());
}

}  // namespace gatehouse::crypto
