#pragma once
// The key the API signs its JWTs with, derived from the secret box key file (GATEHOUSE_KEY_FILE,
// crypto::SecretBox) with HKDF-SHA256 (RFC 5869), so there is no second secret to create, back
// up and share between api nodes. A separate `info` keeps the two uses apart: a JWT key never
// opens a sealed password and knowing one reveals nothing of the other (RFC 5869 3.2).
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/util/expected.hpp"

namespace gatehouse::api {

inline constexpr std::string_view kJwtKeyInfo = "gatehouse api jwt v1";

/// HKDF-SHA256 with no salt (the input is already a uniformly random 256-bit key, RFC 5869
/// 3.1), info kJwtKeyInfo, 32 bytes out. Throws std::runtime_error only if OpenSSL fails.
std::string deriveJwtKey(const std::array<uint8_t, 32>& box_key);

/// Reads (or creates, as crypto::SecretBox::loadOrCreate does: 0600, refused when readable by
/// others) the key file and derives the JWT key. The error is a sentence naming the path.
Expected<std::string, std::string> loadJwtKey(const std::string& key_file);

}  // namespace gatehouse::api
