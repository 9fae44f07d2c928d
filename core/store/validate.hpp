#pragma once
// Parsing of operator input (CLI options, CSV cells) into the values the schema stores.
// Every error names the field it was given, so "static_ip: invalid IPv4 address" reaches the
// operator instead of a PostgreSQL message.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/store/error.hpp"
#include "core/util/expected.hpp"

namespace gatehouse::store {

/// Dotted quad, exactly four decimal octets (no leading "+", no octal): host byte order.
Expected<uint32_t, StoreError> parseIpv4(std::string_view text, std::string_view field);
std::string formatIpv4(uint32_t ip);
/// "20M", "512k", "1.5G", "1000000": bits per second, decimal multiples (k=1000).
Expected<uint64_t, StoreError> parseRate(std::string_view text, std::string_view field);
/// "aa:bb:cc:dd:ee:ff", "AA-BB-...", "aabb.ccdd.eeff" -> "AA:BB:CC:DD:EE:FF".
Expected<std::string, StoreError> parseMac(std::string_view text, std::string_view field);
/// "" or "never": no expiry. "YYYY-MM-DD": the end of that day, UTC. "YYYY-MM-DDTHH:MM[:SS]Z"
/// or "YYYY-MM-DD HH:MM[:SS]": that instant, UTC. Returns unix seconds.
Expected<std::optional<int64_t>, StoreError> parseExpiry(std::string_view text,
                                                         std::string_view field);
/// yes/no, true/false, 1/0, on/off, enabled/disabled.
Expected<bool, StoreError> parseBool(std::string_view text, std::string_view field);
/// A decimal integer within [min, max].
Expected<int64_t, StoreError> parseInt(std::string_view text, std::string_view field, int64_t min,
                                       int64_t max);
/// A RADIUS User-Name as we store it: 1..253 octets, no control characters, no spaces at the
/// ends (they are invisible in every list and never typed by a CPE).
Expected<std::string, StoreError> checkUsername(std::string_view text, std::string_view field);
/// ISO 8601 UTC, "2026-12-31T23:59:59Z".
std::string formatTime(int64_t unix_seconds);

}  // namespace gatehouse::store
