#pragma once
// MD5 and HMAC-MD5 as RADIUS uses them, with the secret's work precomputed once per NAS:
// a SharedSecret keeps the HMAC inner/outer states so each Message-Authenticator costs
// two compressions less.
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "core/util/bytes.hpp"

namespace gatehouse::crypto {

using Digest16 = std::array<uint8_t, 16>;

/// Incremental MD5 (OpenSSL's implementation). Copyable: copying a half-fed state is how
/// prefixes are precomputed.
class Md5 {
  public:
    Md5();
    void update(const void* data, size_t len);
    void update(ByteSpan data) { update(data.data(), data.size()); }
    void finish(uint8_t* out16);
    Digest16 finish() {
        Digest16 d;
        finish(d.data());
        return d;
    }

  private:
    alignas(8) unsigned char state_[96];  // an MD5_CTX; size checked in md5.cpp
};

Digest16 md5(std::initializer_list<ByteSpan> parts);

class HmacMd5Key {
  public:
    explicit HmacMd5Key(ByteSpan key);
    void mac(std::initializer_list<ByteSpan> parts, uint8_t* out16) const;
    Digest16 mac(ByteSpan message) const {
        Digest16 d;
        mac({message}, d.data());
        return d;
    }

  private:
    Md5 inner_;  // state after absorbing key XOR ipad
    Md5 outer_;  // state after absorbing key XOR opad
};

/// A RADIUS shared secret with its precomputed hashing state. Never logged.
class SharedSecret {
  public:
    explicit SharedSecret(std::string_view secret);
    ByteSpan bytes() const { return asBytes(secret_); }
    const HmacMd5Key& hmac() const { return hmac_; }
    /// MD5 state after absorbing the secret: the start of every MD5(S + ...) of RFC 2865 5.2.
    const Md5& md5Prefix() const { return prefix_; }

  private:
    std::string secret_;
    HmacMd5Key hmac_;
    Md5 prefix_;
};

/// Constant-time comparison for authenticators and responses.
bool equalConstantTime(const uint8_t* a, const uint8_t* b, size_t len);

}  // namespace gatehouse::crypto
