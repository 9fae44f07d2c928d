#pragma once
// AES-256-GCM for secrets kept at rest (subscriber passwords, NAS API passwords): a random
// 96-bit nonce per message (NIST SP 800-38D 8.2.2), the 128-bit tag appended, and the owner's
// name as associated data so a ciphertext copied to another row does not open there.
// The key lives in a key file created 0600 on first use.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/util/expected.hpp"

namespace gatehouse::crypto {

enum class SecretBoxError : uint8_t {
    kFormat,      // not "gh1:" + hex, or shorter than nonce + tag
    kAuthFailed,  // wrong key, wrong associated data, or tampered ciphertext
    kInternal,    // OpenSSL refused an operation
};

class SecretBox {
  public:
    static constexpr size_t kKeySize = 32;
    static constexpr size_t kNonceSize = 12;
    static constexpr size_t kTagSize = 16;
    /// The text form stored in the database: kPrefix + hex(nonce || ciphertext || tag).
    static constexpr std::string_view kPrefix = "gh1:";

    using Key = std::array<uint8_t, kKeySize>;

    explicit SecretBox(const Key& key) : key_(key) {}
    ~SecretBox();
    SecretBox(const SecretBox&) = default;
    SecretBox& operator=(const SecretBox&) = default;

    /// Reads the key file (64 hex digits), or creates it with a fresh random key and mode 0600
    /// when it does not exist (its directory too). Refuses a key file readable by group or
    /// others. The error is a sentence naming the path.
    static Expected<SecretBox, std::string> loadOrCreate(const std::string& path);

    /// Encrypts; the result is printable ("gh1:..."). Throws std::runtime_error only if
    /// OpenSSL fails (out of memory, no entropy).
    std::string seal(std::string_view plaintext, std::string_view associated = {}) const;
    Expected<std::string, SecretBoxError> open(std::string_view sealed,
                                               std::string_view associated = {}) const;

  private:
    Key key_;
};

const char* toString(SecretBoxError e);

}  // namespace gatehouse::crypto
