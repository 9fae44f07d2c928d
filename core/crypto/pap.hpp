#pragma once
// PAP: checking a hidden User-Password (RFC 2865 5.2) against the stored cleartext, without
// allocating and without leaking through timing how much of the password matched.
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/crypto/hiding.hpp"
#include "core/crypto/md5.hpp"
#include "core/util/expected.hpp"

namespace gatehouse::crypto {

/// True when `hidden` (the User-Password value) decodes to exactly stored_password. A hidden
/// value of a malformed length (0, not a multiple of 16, over 128) is false. Length and content
/// are compared in constant time over the full 128 octets.
bool papVerify(ByteSpan hidden, const SharedSecret& secret, const uint8_t* request_auth,
               ByteSpan stored_password);

/// Decodes the password into out (trailing NUL padding removed) and returns its length; for
/// policies that need the cleartext. The fixed-size span makes the room requirement explicit.
Expected<size_t, HidingError> papReveal(ByteSpan hidden, const SharedSecret& secret,
                                        const uint8_t* request_auth,
                                        std::span<uint8_t, kMaxHiddenPassword> out);

}  // namespace gatehouse::crypto
