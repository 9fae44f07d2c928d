// OpenSSL 3 keeps MD4, DES and SHA1's low-level functions in libcrypto (deprecated, but they
// need no legacy provider: tests/unit/crypto/mschap_test.cpp checks the RFC 1320 MD4 vectors).
// They also avoid the EVP path's allocation per digest.
#define OPENSSL_SUPPRESS_DEPRECATED
#include "core/crypto/mschap.hpp"

#include <openssl/crypto.h>
#include <openssl/des.h>
#include <openssl/md4.h>
#include <openssl/sha.h>

#include <cstring>

namespace gatehouse::crypto {

namespace {

// Feeds the UTF-16LE form of a UTF-8 string to MD4 in stack-sized chunks, so any password
// length works without allocating.
class Utf16leMd4 {
  public:
    Utf16leMd4() { MD4_Init(&ctx_); }
    ~Utf16leMd4() {
        OPENSSL_cleanse(buf_, sizeof(buf_));
        OPENSSL_cleanse(&ctx_, sizeof(ctx_));
    }
    void unit(uint16_t u) {
        if (len_ == sizeof(buf_))
            flush();
        buf_[len_++] = static_cast<uint8_t>(u);
        buf_[len_++] = static_cast<uint8_t>(u >> 8);
    }
    void codePoint(uint32_t cp) {
        if (cp < 0x10000) {
            unit(static_cast<uint16_t>(cp));
        } else {
            cp -= 0x10000;  // UTF-16 surrogate pair (RFC 2781 2.1)
            unit(static_cast<uint16_t>(0xd800 | (cp >> 10)));
            unit(static_cast<uint16_t>(0xdc00 | (cp & 0x3ff)));
        }
    }
    NtHash finish() {
        flush();
        NtHash out;
        MD4_Final(out.data(), &ctx_);
        return out;
    }

  private:
    void flush() {
        MD4_Update(&ctx_, buf_, len_);
        len_ = 0;
    }
    MD4_CTX ctx_;
    uint8_t buf_[128];
    size_t len_ = 0;
};

// Decodes one UTF-8 sequence at s[i] (RFC 3629 4). Returns its length, or 0 when the octets
// are not a valid, shortest-form, non-surrogate sequence.
size_t decodeUtf8(std::string_view s, size_t i, uint32_t& cp) {
    const auto c0 = static_cast<uint8_t>(s[i]);
    size_t n;
    uint32_t min;
    if (c0 < 0x80) {
        cp = c0;
        return 1;
    } else if ((c0 & 0xe0) == 0xc0) {
        n = 2, min = 0x80, cp = c0 & 0x1f;
    } else if ((c0 & 0xf0) == 0xe0) {
        n = 3, min = 0x800, cp = c0 & 0x0f;
    } else if ((c0 & 0xf8) == 0xf0) {
        n = 4, min = 0x10000, cp = c0 & 0x07;
    } else {
        return 0;
    }
    if (n > s.size() - i)
        return 0;
    for (size_t k = 1; k < n; ++k) {
        const auto c = static_cast<uint8_t>(s[i + k]);
        if ((c & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return n;
}

void desEncrypt(const uint8_t* clear8, const uint8_t* key7, uint8_t* out8) {
    const std::array<uint8_t, 8> key = desKeyFrom7(key7);
    DES_cblock k;
    std::memcpy(k, key.data(), sizeof(k));
    DES_key_schedule ks;
    // The parity is set by desKeyFrom7; "unchecked" skips the weak-key refusal, which would
    // make some passwords fail for no reason a client would share.
    DES_set_key_unchecked(&k, &ks);
    DES_cblock in;
    DES_cblock out;
    std::memcpy(in, clear8, sizeof(in));
    DES_ecb_encrypt(&in, &out, &ks, DES_ENCRYPT);
    std::memcpy(out8, out, sizeof(out));
    OPENSSL_cleanse(&ks, sizeof(ks));
    OPENSSL_cleanse(k, sizeof(k));
}

// RFC 2759 8.7 Magic1 / Magic2 (without the terminating NUL).
constexpr char kAuthMagic1[] = "Magic server to client signing constant";
constexpr char kAuthMagic2[] = "Pad to make it do more than one iteration";
static_assert(sizeof(kAuthMagic1) - 1 == 39 && sizeof(kAuthMagic2) - 1 == 41);

std::string_view bareUserName(std::string_view user_name) {
    // RFC 2759 8.2: the name "excluding any prepended domain name". Windows names cannot
    // contain a backslash, so the first one ends the domain.
    const size_t slash = user_name.find('\\');
    return slash == std::string_view::npos ? user_name : user_name.substr(slash + 1);
}

}  // namespace

NtHash ntPasswordHash(std::string_view password_utf8) {
    Utf16leMd4 h;
    for (size_t i = 0; i < password_utf8.size();) {
        uint32_t cp = 0;
        size_t n = decodeUtf8(password_utf8, i, cp);
        if (n == 0) {
            // Not UTF-8: take the octet as Latin-1 (U+0000-U+00FF), as a Windows client on a
            // legacy code page would have typed it.
            cp = static_cast<uint8_t>(password_utf8[i]);
            n = 1;
        }
        h.codePoint(cp);
        i += n;
    }
    return h.finish();
}

std::array<uint8_t, 16> md4(ByteSpan data) {
    std::array<uint8_t, 16> out;
    MD4(data.data(), data.size(), out.data());
    return out;
}

NtHash hashNtPasswordHash(const NtHash& hash) {
    return md4(hash);
}

std::array<uint8_t, 8> desKeyFrom7(const uint8_t* key7) {
    uint64_t bits = 0;
    for (size_t i = 0; i < 7; ++i)
        bits = (bits << 8) | key7[i];
    std::array<uint8_t, 8> key;
    for (size_t i = 0; i < 8; ++i) {
        // Octet i takes key bits 7i..7i+6 (from the top) in its upper 7 bits.
        auto octet = static_cast<uint8_t>(((bits >> (49 - 7 * i)) & 0x7f) << 1);
        // DES ignores the low bit; set it so every octet has odd parity, as RFC 2759 8.6 does.
        if ((__builtin_popcount(octet) & 1) == 0)
            octet |= 1;
        key[i] = octet;
    }
    return key;
}

std::array<uint8_t, 8> challengeHash(ByteSpan peer_challenge16, ByteSpan auth_challenge16,
                                     std::string_view user_name) {
    const std::string_view name = bareUserName(user_name);
    SHA_CTX ctx;
    SHA1_Init(&ctx);
    SHA1_Update(&ctx, peer_challenge16.data(), peer_challenge16.size());
    SHA1_Update(&ctx, auth_challenge16.data(), auth_challenge16.size());
    SHA1_Update(&ctx, name.data(), name.size());
    uint8_t digest[SHA_DIGEST_LENGTH];
    SHA1_Final(digest, &ctx);
    std::array<uint8_t, 8> out;
    std::memcpy(out.data(), digest, out.size());
    return out;
}

Response24 challengeResponse(const uint8_t* challenge8, const NtHash& hash) {
    // RFC 2759 8.5: the hash is zero-padded to 21 octets and cut into three 7-octet DES keys.
    uint8_t z[21] = {};
    std::memcpy(z, hash.data(), hash.size());
    Response24 out;
    desEncrypt(challenge8, z, out.data());
    desEncrypt(challenge8, z + 7, out.data() + 8);
    desEncrypt(challenge8, z + 14, out.data() + 16);
    OPENSSL_cleanse(z, sizeof(z));
    return out;
}

Response24 generateNtResponse(ByteSpan auth_challenge16, ByteSpan peer_challenge16,
                              std::string_view user_name, const NtHash& hash) {
    const std::array<uint8_t, 8> challenge =
        challengeHash(peer_challenge16, auth_challenge16, user_name);
    return challengeResponse(challenge.data(), hash);
}

std::string authenticatorResponse(const NtHash& hash, const Response24& nt_response,
                                  ByteSpan peer_challenge16, ByteSpan auth_challenge16,
                                  std::string_view user_name) {
    // RFC 2759 8.7 GenerateAuthenticatorResponse.
    const NtHash hash_hash = hashNtPasswordHash(hash);
    uint8_t digest[SHA_DIGEST_LENGTH];
    SHA_CTX ctx;
    SHA1_Init(&ctx);
    SHA1_Update(&ctx, hash_hash.data(), hash_hash.size());
    SHA1_Update(&ctx, nt_response.data(), nt_response.size());
    SHA1_Update(&ctx, kAuthMagic1, sizeof(kAuthMagic1) - 1);
    SHA1_Final(digest, &ctx);

    const std::array<uint8_t, 8> challenge =
        challengeHash(peer_challenge16, auth_challenge16, user_name);
    SHA1_Init(&ctx);
    SHA1_Update(&ctx, digest, sizeof(digest));
    SHA1_Update(&ctx, challenge.data(), challenge.size());
    SHA1_Update(&ctx, kAuthMagic2, sizeof(kAuthMagic2) - 1);
    SHA1_Final(digest, &ctx);

    // RFC 2759 8.7: "S=" then the digest in uppercase hex; clients compare it as text.
    static constexpr char kUpperHex[] = "0123456789ABCDEF";
    std::string out = "S=";
    out.reserve(2 + 2 * sizeof(digest));
    for (uint8_t b : digest) {
        out.push_back(kUpperHex[b >> 4]);
        out.push_back(kUpperHex[b & 15]);
    }
    return out;
}

MsChapV2Result verifyMsChapV2(ByteSpan ms_chap2_response, ByteSpan ms_chap_challenge,
                              std::string_view user_name, const NtHash& hash) {
    MsChapV2Result result;
    // RFC 2548 2.3.2 MS-CHAP2-Response: Ident 1, Flags 1, Peer-Challenge 16, Reserved 8,
    // Response 24. RFC 2548 2.3.3 MS-CHAP-Challenge for v2: 16 octets.
    if (ms_chap2_response.size() != 50 || ms_chap_challenge.size() != 16) {
        result.status = MsChapStatus::kBadLength;
        return result;
    }
    const uint8_t ident = ms_chap2_response[0];
    const ByteSpan peer_challenge = ms_chap2_response.subspan(2, 16);
    const ByteSpan reserved = ms_chap2_response.subspan(18, 8);
    const ByteSpan received = ms_chap2_response.subspan(26, 24);
    uint8_t reserved_bits = 0;
    for (uint8_t b : reserved)
        reserved_bits |= b;
    if (reserved_bits != 0) {
        result.status = MsChapStatus::kBadReserved;
        return result;
    }
    const Response24 expected =
        generateNtResponse(ms_chap_challenge, peer_challenge, user_name, hash);
    if (!equalConstantTime(expected.data(), received.data(), expected.size())) {
        result.status = MsChapStatus::kWrongResponse;
        return result;
    }
    result.ok = true;
    result.status = MsChapStatus::kOk;
    // RFC 2548 2.3.3 MS-CHAP2-Success: the Ident of the response, then the 42-character
    // authenticator response the peer checks to authenticate us.
    result.success.reserve(43);
    result.success.push_back(static_cast<char>(ident));
    result.success +=
        authenticatorResponse(hash, expected, peer_challenge, ms_chap_challenge, user_name);
    // RFC 3079 3.5, server's view; RADIUS carries the 16-octet start keys (RFC 2548 2.4.2-3).
    const std::array<uint8_t, 16> master = mppeMasterKey(hashNtPasswordHash(hash), expected);
    result.send_key = mppeStartKey(master, 16, true);
    result.recv_key = mppeStartKey(master, 16, false);
    return result;
}

MsChapV1Result verifyMsChapV1(ByteSpan ms_chap_response, ByteSpan ms_chap_challenge,
                              const NtHash& hash) {
    MsChapV1Result result;
    // RFC 2548 2.1.3 MS-CHAP-Response: Ident 1, Flags 1, LM-Response 24, NT-Response 24;
    // MS-CHAP-Challenge for v1 is 8 octets (RFC 2433 5).
    if (ms_chap_response.size() != 50 || ms_chap_challenge.size() != 8) {
        result.status = MsChapStatus::kBadLength;
        return result;
    }
    // RFC 2548 2.1.3: Flags bit 0 set means "use the NT-Response". Without it only the LM
    // response is meaningful, and no LM hash is stored.
    if ((ms_chap_response[1] & 1) == 0) {
        result.status = MsChapStatus::kLmOnly;
        return result;
    }
    const Response24 expected = challengeResponse(ms_chap_challenge.data(), hash);
    if (!equalConstantTime(expected.data(), ms_chap_response.data() + 26, expected.size())) {
        result.status = MsChapStatus::kWrongResponse;
        return result;
    }
    result.ok = true;
    result.status = MsChapStatus::kOk;
    // RFC 2548 2.4.1 MS-CHAP-MPPE-Keys: LM key (8, zero: no LM hash) + NT key. The NT key is
    // the PasswordHashHash (RFC 3079 2.1 uses it as the MS-CHAPv1 key material; FreeRADIUS
    // sends the same, test-vectors.md 6).
    const NtHash nt_key = hashNtPasswordHash(hash);
    std::memcpy(result.mppe_keys.data() + 8, nt_key.data(), nt_key.size());
    return result;
}

std::string msChapError(uint8_t ident, MsChapErrorCode code, bool retry, ByteSpan new_challenge16,
                        std::string_view message) {
    // RFC 2759 6: "E=eeeeeeeeee R=r C=cccccccccccccccccccccccccccccccc V=vvvvvvvvvv M=<msg>".
    std::string out;
    out.reserve(1 + 40 + 2 * new_challenge16.size() + message.size());
    out.push_back(static_cast<char>(ident));
    out += "E=";
    out += std::to_string(static_cast<unsigned>(code));
    out += retry ? " R=1 C=" : " R=0 C=";
    out += toHex(new_challenge16);
    out += " V=3 M=";
    out += message;
    return out;
}

}  // namespace gatehouse::crypto
