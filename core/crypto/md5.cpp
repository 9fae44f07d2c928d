// OpenSSL's low-level MD5 is deprecated in 3.0 but is the fast path: the EVP interface costs an
// allocation and a provider lookup per digest, which is most of the price of a 100-octet packet.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "core/crypto/md5.hpp"

#include <openssl/crypto.h>
#include <openssl/md5.h>

#include <cstring>

namespace gatehouse::crypto {

static_assert(sizeof(MD5_CTX) <= 96, "Md5::state_ too small for MD5_CTX");

namespace {
MD5_CTX* ctx(unsigned char* state) {
    return reinterpret_cast<MD5_CTX*>(state);
}
}  // namespace

Md5::Md5() {
    MD5_Init(ctx(state_));
}

void Md5::update(const void* data, size_t len) {
    MD5_Update(ctx(state_), data, len);
}

void Md5::finish(uint8_t* out16) {
    MD5_Final(out16, ctx(state_));
}

Digest16 md5(std::initializer_list<ByteSpan> parts) {
    Md5 h;
    for (ByteSpan p : parts)
        h.update(p);
    return h.finish();
}

HmacMd5Key::HmacMd5Key(ByteSpan key) {
    // RFC 2104: keys longer than the block are hashed first.
    uint8_t block[64] = {};
    if (key.size() > sizeof(block)) {
        Digest16 d = md5({key});
        std::memcpy(block, d.data(), d.size());
    } else if (!key.empty()) {
        std::memcpy(block, key.data(), key.size());
    }
    uint8_t pad[64];
    for (size_t i = 0; i < 64; ++i)
        pad[i] = block[i] ^ 0x36;
    inner_.update(pad, sizeof(pad));
    for (size_t i = 0; i < 64; ++i)
        pad[i] = block[i] ^ 0x5c;
    outer_.update(pad, sizeof(pad));
    OPENSSL_cleanse(block, sizeof(block));
    OPENSSL_cleanse(pad, sizeof(pad));
}

void HmacMd5Key::mac(std::initializer_list<ByteSpan> parts, uint8_t* out16) const {
    Md5 in = inner_;
    for (ByteSpan p : parts)
        in.update(p);
    uint8_t inner_digest[16];
    in.finish(inner_digest);
    Md5 out = outer_;
    out.update(inner_digest, sizeof(inner_digest));
    out.finish(out16);
}

SharedSecret::SharedSecret(std::string_view secret) : secret_(secret), hmac_(asBytes(secret)) {
    prefix_.update(asBytes(secret_));
}

bool equalConstantTime(const uint8_t* a, const uint8_t* b, size_t len) {
    return CRYPTO_memcmp(a, b, len) == 0;
}

}  // namespace gatehouse::crypto
