#pragma once
// Rates as RouterOS writes them, for checking that a CoA's Mikrotik-Rate-Limit reached the
// session's dynamic queue (docs/coa.md "Verification"). Pure: no I/O.
//
// Both sides name the subscriber's upload first: Mikrotik-Rate-Limit is "rx/tx" seen from the
// router (rx = what it receives = upload), a simple queue's max-limit is "upload/download" seen
// from the target (reference: vendors.md "Mikrotik-Rate-Limit format", routeros-api.md
// "/queue/simple"). So the first numbers compare with each other, and so do the second.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/util/expected.hpp"

namespace gatehouse::jobs {

/// Bits per second, upload first.
struct RatePair {
    uint64_t upload = 0;
    uint64_t download = 0;
    friend bool operator==(const RatePair&, const RatePair&) = default;
};

/// One rate: digits with an optional k, M or G suffix (decimal: 2M = 2000000; K is taken as
/// k). The reference states integers with k and M only; fractions ("1.5M") are refused.
Expected<uint64_t, std::string> parseRosRate(std::string_view text);

/// "rx[/tx]" (a missing tx equals rx, as RouterOS reads it): the shared grammar of the two
/// functions below.
Expected<RatePair, std::string> parseRosRatePair(std::string_view text);

/// The rate pair at the start of a Mikrotik-Rate-Limit value
/// ("rx[/tx] [burst[/..] [threshold[/..] [time[/..] [priority] [min[/..]]]]]"): the rest is
/// ignored, since a queue's max-limit carries only this pair.
Expected<RatePair, std::string> parseRateLimitAttribute(std::string_view value);

/// A simple queue's max-limit as /queue/simple/print shows it: "2000000/4000000" or "2M/4M"
/// depending on the RouterOS version.
Expected<RatePair, std::string> parseQueueMaxLimit(std::string_view value);

/// "2M", "512k", "1500000", "1000M": the shortest exact form in k or M (the suffixes the
/// reference documents for Mikrotik-Rate-Limit).
std::string formatRosRate(uint64_t bps);
/// "2M/4M".
std::string formatRosRatePair(const RatePair& pair);

}  // namespace gatehouse::jobs
