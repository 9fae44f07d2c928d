#pragma once
// CHAP (RFC 1994) as carried by RADIUS (RFC 2865 5.3, 5.40).
#include <cstdint>

#include "core/crypto/md5.hpp"

namespace gatehouse::crypto {

/// MD5(ident + password + challenge).
Digest16 chapResponse(uint8_t ident, ByteSpan password, ByteSpan challenge);

/// chap_password is the 17-octet CHAP-Password value (ident + response); challenge is
/// CHAP-Challenge if present, else the Request Authenticator. Constant-time compare.
bool chapVerify(ByteSpan chap_password, ByteSpan password, ByteSpan challenge);

}  // namespace gatehouse::crypto
