#include "core/api/base64.hpp"

#include <array>

namespace gatehouse::api {
namespace {

constexpr std::string_view kStandardChars =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrlChars =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<int8_t, 256> reverseTable(std::string_view chars) {
    std::array<int8_t, 256> table{};
    for (auto& v : table)
        v = -1;
    for (size_t i = 0; i < chars.size(); ++i)
        table[static_cast<uint8_t>(chars[i])] = static_cast<int8_t>(i);
    return table;
}

constexpr auto kStandardReverse = reverseTable(kStandardChars);
constexpr auto kUrlReverse = reverseTable(kUrlChars);

}  // namespace

std::string encodeBase64(std::span<const uint8_t> bytes, Base64Alphabet alphabet) {
    const std::string_view chars = alphabet == Base64Alphabet::kUrl ? kUrlChars : kStandardChars;
    std::string out;
    out.reserve((bytes.size() * 4 + 2) / 3);
    size_t i = 0;
    for (; bytes.size() - i >= 3; i += 3) {
        const uint32_t n =
            (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
        out.push_back(chars[(n >> 18) & 63]);
        out.push_back(chars[(n >> 12) & 63]);
        out.push_back(chars[(n >> 6) & 63]);
        out.push_back(chars[n & 63]);
    }
    const size_t rest = bytes.size() - i;
    if (rest == 1) {
        const uint32_t n = uint32_t{bytes[i]} << 16;
        out.push_back(chars[(n >> 18) & 63]);
        out.push_back(chars[(n >> 12) & 63]);
    } else if (rest == 2) {
        const uint32_t n = (uint32_t{bytes[i]} << 16) | (uint32_t{bytes[i + 1]} << 8);
        out.push_back(chars[(n >> 18) & 63]);
        out.push_back(chars[(n >> 12) & 63]);
        out.push_back(chars[(n >> 6) & 63]);
    }
    return out;
}

std::optional<std::vector<uint8_t>> decodeBase64(std::string_view text, Base64Alphabet alphabet) {
    const auto& reverse = alphabet == Base64Alphabet::kUrl ? kUrlReverse : kStandardReverse;
    // 4n+1 characters carry 6 bits past a whole byte: no encoder produces that.
    if (text.size() % 4 == 1)
        return std::nullopt;
    std::vector<uint8_t> out;
    out.reserve(text.size() * 3 / 4);
    uint32_t acc = 0;
    int bits = 0;
    for (char c : text) {
        const int8_t v = reverse[static_cast<uint8_t>(c)];
        if (v < 0)
            return std::nullopt;  // includes '=' padding
        acc = (acc << 6) | static_cast<uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<uint8_t>(acc >> bits));
            acc &= (1u << bits) - 1;
        }
    }
    // The leftover bits (2 or 4) of the last character must be zero (RFC 4648 3.5), or two
    // spellings would decode to the same bytes.
    if (acc != 0)
        return std::nullopt;
    return out;
}

}  // namespace gatehouse::api
