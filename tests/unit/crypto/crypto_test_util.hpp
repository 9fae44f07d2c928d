#pragma once
// Helpers shared by the crypto unit tests: hex literals and a minimal attribute walker to pull
// values out of the captured packets in test-vectors.md (the codec has its own tests).
#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "core/util/bytes.hpp"

namespace gatehouse::crypto::test {

/// Hex to bytes; a typo in a vector aborts the test binary rather than testing nothing.
inline Bytes hex(std::string_view text) {
    auto b = fromHex(text);
    if (!b)
        std::abort();
    return *b;
}

template <class C>
std::string hexOf(const C& c) {
    return toHex(ByteSpan(reinterpret_cast<const uint8_t*>(c.data()), c.size()));
}

/// Value of the first standard attribute `type` in a RADIUS packet.
inline std::optional<Bytes> attribute(const Bytes& packet, uint8_t type) {
    for (size_t off = 20; off + 2 <= packet.size();) {
        const size_t len = packet[off + 1];
        if (len < 2 || len > packet.size() - off)
            return std::nullopt;
        if (packet[off] == type)
            return Bytes(packet.begin() + off + 2, packet.begin() + off + len);
        off += len;
    }
    return std::nullopt;
}

/// Value of the first Vendor-Specific sub-attribute vendor/type (one sub-attribute per VSA,
/// as every packet in test-vectors.md has).
inline std::optional<Bytes> vsa(const Bytes& packet, uint32_t vendor, uint8_t type) {
    for (size_t off = 20; off + 2 <= packet.size();) {
        const size_t len = packet[off + 1];
        if (len < 2 || len > packet.size() - off)
            return std::nullopt;
        if (packet[off] == 26 && len >= 8 && loadBe32(&packet[off + 2]) == vendor &&
            packet[off + 6] == type) {
            const size_t sub_len = packet[off + 7];
            if (sub_len < 2 || sub_len > len - 6)
                return std::nullopt;
            return Bytes(packet.begin() + off + 8, packet.begin() + off + 6 + sub_len);
        }
        off += len;
    }
    return std::nullopt;
}

inline constexpr uint32_t kMicrosoft = 311;

}  // namespace gatehouse::crypto::test
