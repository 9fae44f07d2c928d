#pragma once
// Unpadded base64, the two alphabets our formats use: base64url (RFC 4648 5) for JWT segments
// (RFC 7515 2, "Base64url Encoding") and the standard alphabet without '=' for PHC strings.
// Decoding is strict: one text per byte string, so a token cannot be re-spelled.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace gatehouse::api {

enum class Base64Alphabet { kStandard, kUrl };

std::string encodeBase64(std::span<const uint8_t> bytes, Base64Alphabet alphabet);

/// nullopt on padding ('='), a character outside the alphabet, a length of 4n+1, or non-zero
/// unused bits in the last character (non-canonical: RFC 4648 3.5).
std::optional<std::vector<uint8_t>> decodeBase64(std::string_view text, Base64Alphabet alphabet);

}  // namespace gatehouse::api
