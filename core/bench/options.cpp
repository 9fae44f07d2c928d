#include "core/bench/options.hpp"

#include <arpa/inet.h>

#include "core/bench/user_pattern.hpp"

namespace gatehouse::bench {

std::string_view modeName(Mode m) {
    switch (m) {
        case Mode::kPap:
            return "pap";
        case Mode::kChap:
            return "chap";
        case Mode::kMsChapV2:
            return "mschapv2";
        case Mode::kAcct:
            return "acct";
        case Mode::kStatus:
            return "status";
    }
    return "unknown";
}

std::optional<Mode> parseMode(std::string_view name) {
    for (Mode m : {Mode::kPap, Mode::kChap, Mode::kMsChapV2, Mode::kAcct, Mode::kStatus}) {
        if (modeName(m) == name)
            return m;
    }
    return std::nullopt;
}

uint16_t effectivePort(const Options& o) {
    if (o.port != 0)
        return o.port;
    return o.mode == Mode::kAcct ? 1813 : 1812;
}

std::string validate(const Options& o) {
    in_addr addr{};
    if (inet_pton(AF_INET, o.server.c_str(), &addr) != 1) {
        return "--server: '" + o.server + "' is not an IPv4 address";
    }
    if (inet_pton(AF_INET, o.nas_ip.c_str(), &addr) != 1) {
        return "--nas-ip: '" + o.nas_ip + "' is not an IPv4 address";
    }
    if (o.duration_s <= 0 && o.count == 0)
        return "--count or --duration must be positive";
    if (o.duration_s > 0 && o.duration_s > 86400)
        return "--duration: at most 86400 s";
    if (o.threads == 0)
        return "--threads must be at least 1";
    if (o.sockets < o.threads)
        return "--sockets must be at least --threads";
    if (o.window < o.sockets)
        return "--window must be at least --sockets (one per source port)";
    if (o.window > uint64_t{o.sockets} * kMaxWindowPerSocket) {
        return "--window " + std::to_string(o.window) + " needs at least " +
               std::to_string((o.window + kMaxWindowPerSocket - 1) / kMaxWindowPerSocket) +
               " --sockets: at most 256 requests are outstanding per source port";
    }
    if (o.users == 0)
        return "--users must be at least 1";
    if (o.timeout_ms == 0)
        return "--timeout must be positive";
    if (o.retries > 10)
        return "--retries: at most 10";
    if (o.secret.empty())
        return "--secret must not be empty";
    if (auto e = UserPattern::check(o.user_pattern); !e.empty())
        return "--user-pattern: " + e;
    if (auto e = UserPattern::check(o.password_pattern); !e.empty()) {
        return "--password-pattern: " + e;
    }
    if (UserPattern(o.user_pattern).maxLength() > 253)
        return "--user-pattern: too long";
    if (UserPattern(o.password_pattern).maxLength() > 128) {
        return "--password-pattern: passwords are at most 128 octets (RFC 2865 5.2)";
    }
    return {};
}

}  // namespace gatehouse::bench
