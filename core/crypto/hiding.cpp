#include "core/crypto/hiding.hpp"

#include <openssl/rand.h>

#include <cstring>

namespace gatehouse::crypto {

namespace {

// One block step of RFC 2865 5.2: b = MD5(S + prev), out = in XOR b.
void xorBlock(const SharedSecret& secret, const uint8_t* prev, size_t prev_len,
              const uint8_t* extra, size_t extra_len, const uint8_t* in, uint8_t* out) {
    Md5 h = secret.md5Prefix();
    h.update(prev, prev_len);
    if (extra_len)
        h.update(extra, extra_len);
    uint8_t b[16];
    h.finish(b);
    for (size_t i = 0; i < 16; ++i)
        out[i] = in[i] ^ b[i];
}

}  // namespace

Expected<size_t, HidingError> hideUserPassword(ByteSpan password, const SharedSecret& secret,
                                               const uint8_t* request_auth, uint8_t* out) {
    if (password.size() > kMaxHiddenPassword) {
        return unexpected(HidingError{HidingError::kTooLong, password.size()});
    }
    const size_t n = hiddenSize(password.size());
    uint8_t block[16];
    for (size_t off = 0; off < n; off += 16) {
        std::memset(block, 0, sizeof(block));
        if (off < password.size()) {
            std::memcpy(block, password.data() + off, std::min<size_t>(16, password.size() - off));
        }
        // Chaining uses the previous *ciphertext* block (RFC 2865 5.2).
        const uint8_t* prev = off == 0 ? request_auth : out + off - 16;
        xorBlock(secret, prev, 16, nullptr, 0, block, out + off);
    }
    return n;
}

Expected<size_t, HidingError> unhideUserPassword(ByteSpan hidden, const SharedSecret& secret,
                                                 const uint8_t* request_auth, uint8_t* out) {
    // RFC 2865 5.2: the hidden value is a multiple of 16 octets; anything else is a malformed
    // packet, not a short password.
    if (hidden.empty() || hidden.size() % 16 != 0 || hidden.size() > kMaxHiddenPassword) {
        return unexpected(HidingError{HidingError::kBadLength, hidden.size()});
    }
    for (size_t off = 0; off < hidden.size(); off += 16) {
        const uint8_t* prev = off == 0 ? request_auth : hidden.data() + off - 16;
        xorBlock(secret, prev, 16, nullptr, 0, hidden.data() + off, out + off);
    }
    size_t len = hidden.size();
    while (len > 0 && out[len - 1] == 0)
        --len;
    return len;
}

Expected<size_t, HidingError> saltEncrypt(ByteSpan plain, const SharedSecret& secret,
                                          const uint8_t* request_auth, uint16_t salt,
                                          uint8_t* out) {
    if (plain.size() > kMaxSaltedPlain) {
        return unexpected(HidingError{HidingError::kTooLong, plain.size()});
    }
    const size_t n = saltedSize(plain.size());
    out[0] = static_cast<uint8_t>((salt >> 8) | 0x80);  // RFC 2868 3.5: high bit MUST be set
    out[1] = static_cast<uint8_t>(salt);
    // P = length octet + data, zero padded to 16.
    uint8_t p[256] = {};
    p[0] = static_cast<uint8_t>(plain.size());
    if (!plain.empty())
        std::memcpy(p + 1, plain.data(), plain.size());
    uint8_t* c = out + 2;
    for (size_t off = 0; off + 2 < n; off += 16) {
        if (off == 0) {
            xorBlock(secret, request_auth, 16, out, 2, p, c);
        } else {
            xorBlock(secret, c + off - 16, 16, nullptr, 0, p + off, c + off);
        }
    }
    return n;
}

Expected<size_t, HidingError> saltDecrypt(ByteSpan value, const SharedSecret& secret,
                                          const uint8_t* request_auth, uint8_t* out) {
    // Longer than any salted attribute can be: refuse before decrypting into p[256].
    if (value.size() < 18 || (value.size() - 2) % 16 != 0 ||
        value.size() > saltedSize(kMaxSaltedPlain)) {
        return unexpected(HidingError{HidingError::kBadLength, value.size()});
    }
    if ((value[0] & 0x80) == 0)
        return unexpected(HidingError{HidingError::kBadSalt, value.size()});
    const uint8_t* c = value.data() + 2;
    const size_t n = value.size() - 2;
    uint8_t p[256];
    for (size_t off = 0; off < n; off += 16) {
        if (off == 0) {
            xorBlock(secret, request_auth, 16, value.data(), 2, c, p);
        } else {
            xorBlock(secret, c + off - 16, 16, nullptr, 0, c + off, p + off);
        }
    }
    const size_t len = p[0];
    if (len > n - 1)
        return unexpected(HidingError{HidingError::kBadInnerLength, len});
    std::memcpy(out, p + 1, len);
    return len;
}

uint16_t nextSalt() {
    thread_local uint16_t t_counter = [] {
        uint16_t seed;
        randomBytes(reinterpret_cast<uint8_t*>(&seed), sizeof(seed));
        return seed;
    }();
    return static_cast<uint16_t>(++t_counter | 0x8000);
}

void randomBytes(uint8_t* out, size_t len) {
    if (RAND_bytes(out, static_cast<int>(len)) != 1) {
        // The CSPRNG failing is a broken invariant: an unpredictable authenticator is not optional.
        std::abort();
    }
}

}  // namespace gatehouse::crypto
