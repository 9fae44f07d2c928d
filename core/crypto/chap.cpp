#include "core/crypto/chap.hpp"

namespace gatehouse::crypto {

Digest16 chapResponse(uint8_t ident, ByteSpan password, ByteSpan challenge) {
    // RFC 1994 4.1: Response = MD5(Identifier + secret + Challenge).
    return md5({ByteSpan(&ident, 1), password, challenge});
}

bool chapVerify(ByteSpan chap_password, ByteSpan password, ByteSpan challenge) {
    // RFC 2865 5.3: CHAP-Password is the CHAP Ident plus a 16-octet response; any other
    // length is malformed and never matches.
    if (chap_password.size() != 17)
        return false;
    const Digest16 expected = chapResponse(chap_password[0], password, challenge);
    return equalConstantTime(expected.data(), chap_password.data() + 1, expected.size());
}

}  // namespace gatehouse::crypto
