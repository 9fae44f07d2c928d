#pragma once
// Options of `gatehouse bench` (the RADIUS load generator), independent of the CLI so that
// tests drive the engine directly.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gatehouse::bench {

enum class Mode : uint8_t { kPap, kChap, kMsChapV2, kAcct, kStatus };

std::string_view modeName(Mode m);  // "pap", "chap", "mschapv2", "acct", "status"
std::optional<Mode> parseMode(std::string_view name);

inline constexpr uint32_t kMaxWindowPerSocket = 256;  // the Identifier is one octet

struct Options {
    Mode mode = Mode::kPap;
    std::string server = "127.0.0.1";
    uint16_t port = 0;  // 0: 1812, or 1813 for acct
    std::string secret = "testing123";
    uint64_t count = 100000;  // requests (first transmissions); ignored when duration_s > 0
    double duration_s = 0;    // > 0: send new requests for this long, then drain
    uint32_t window = 256;    // outstanding requests, over all sockets and threads
    uint32_t sockets = 4;     // source ports
    uint32_t threads = 1;
    uint32_t users = 10000;  // population cycled through
    std::string user_pattern = "user%06d";
    std::string password_pattern = "pass%06d";
    uint32_t timeout_ms = 1000;
    uint32_t retries = 0;
    uint32_t interims = 1;              // acct: Interim-Updates between Start and Stop
    bool message_authenticator = true;  // send MA first in every Access-Request (BlastRADIUS)
    bool require_ma = false;            // Access responses without a valid MA are errors
    bool gso = true;  // UDP_SEGMENT for runs of equal-sized requests (Linux; falls back)
    bool json = false;
    std::string nas_ip = "127.0.0.1";
};

uint16_t effectivePort(const Options& o);

/// Empty when the options are usable, else a message naming the option.
std::string validate(const Options& o);

}  // namespace gatehouse::bench
