// MPPE key derivation from MS-CHAPv2 (RFC 3079). SHA1's low-level API is deprecated in
// OpenSSL 3 but still in libcrypto, and avoids an EVP allocation per digest.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "core/crypto/mschap.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cstring>

namespace gatehouse::crypto {

namespace {

// RFC 3079 3.4 (without terminating NULs).
constexpr char kMasterMagic[] = "This is the MPPE Master Key";
constexpr char kMagic2[] =
    "On the client side, this is the send key; on the server side, it is the receive key.";
constexpr char kMagic3[] =
    "On the client side, this is the receive key; on the server side, it is the send key.";
static_assert(sizeof(kMasterMagic) - 1 == 27);
static_assert(sizeof(kMagic2) - 1 == 84 && sizeof(kMagic3) - 1 == 84);

// RFC 3079 3.4 SHSpad1 / SHSpad2: 40 octets each.
constexpr uint8_t kPad1[40] = {};
constexpr auto kPad2 = [] {
    std::array<uint8_t, 40> p{};
    p.fill(0xf2);
    return p;
}();

// SHA1(a + pad1 + b + pad2)[0..len], the shape of both GetAsymmetricStartKey and
// GetNewKeyFromSHA.
std::array<uint8_t, 16> padHash(const void* a, size_t a_len, const void* b, size_t b_len,
                                size_t len) {
    SHA_CTX ctx;
    SHA1_Init(&ctx);
    SHA1_Update(&ctx, a, a_len);
    SHA1_Update(&ctx, kPad1, sizeof(kPad1));
    SHA1_Update(&ctx, b, b_len);
    SHA1_Update(&ctx, kPad2.data(), kPad2.size());
    uint8_t digest[SHA_DIGEST_LENGTH];
    SHA1_Final(digest, &ctx);
    std::array<uint8_t, 16> out{};
    std::memcpy(out.data(), digest, len);
    OPENSSL_cleanse(digest, sizeof(digest));
    return out;
}

}  // namespace

std::array<uint8_t, 16> mppeMasterKey(const NtHash& password_hash_hash,
                                      const Response24& nt_response) {
    // RFC 3079 3.4 GetMasterKey.
    SHA_CTX ctx;
    SHA1_Init(&ctx);
    SHA1_Update(&ctx, password_hash_hash.data(), password_hash_hash.size());
    SHA1_Update(&ctx, nt_response.data(), nt_response.size());
    SHA1_Update(&ctx, kMasterMagic, sizeof(kMasterMagic) - 1);
    uint8_t digest[SHA_DIGEST_LENGTH];
    SHA1_Final(digest, &ctx);
    std::array<uint8_t, 16> out;
    std::memcpy(out.data(), digest, out.size());
    OPENSSL_cleanse(digest, sizeof(digest));
    return out;
}

std::array<uint8_t, 16> mppeStartKey(const std::array<uint8_t, 16>& master_key, size_t key_len,
                                     bool server_send) {
    // RFC 3079 3.4 GetAsymmetricStartKey with IsServer = TRUE: the server's send key uses
    // Magic3, its receive key Magic2 (a client derives them the other way round).
    const char* magic = server_send ? kMagic3 : kMagic2;
    return padHash(master_key.data(), master_key.size(), magic, sizeof(kMagic2) - 1,
                   std::min<size_t>(key_len, 16));
}

std::array<uint8_t, 16> mppeNewKey(const std::array<uint8_t, 16>& start_key,
                                   const std::array<uint8_t, 16>& session_key, size_t key_len) {
    // RFC 3079 3.1-3.3 GetNewKeyFromSHA: only the first key_len octets of each key are hashed.
    const size_t len = std::min<size_t>(key_len, 16);
    return padHash(start_key.data(), len, session_key.data(), len, len);
}

void mppeReduceKey(std::array<uint8_t, 16>& key, MppeStrength strength) {
    // RFC 3079 3.1 (40-bit) and 3.2 (56-bit): the leading octets are fixed, so only 40 / 56
    // bits stay secret.
    if (strength == MppeStrength::k40Bit) {
        key[0] = 0xd1;
        key[1] = 0x26;
        key[2] = 0x9e;
    } else if (strength == MppeStrength::k56Bit) {
        key[0] = 0xd1;
    }
}

std::array<uint8_t, 16> mppeInitialSessionKey(const std::array<uint8_t, 16>& start_key,
                                              MppeStrength strength) {
    std::array<uint8_t, 16> key = mppeNewKey(start_key, start_key, mppeKeyLength(strength));
    mppeReduceKey(key, strength);
    return key;
}

}  // namespace gatehouse::crypto
