#include "core/process/unknown_nas_log.hpp"

#include <fmt/core.h>

#include <cstdio>

namespace gatehouse::process {

void logToStderr(std::string_view line) {
    std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
}

std::string ipv4Text(uint32_t ip) {
    return fmt::format("{}.{}.{}.{}", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
}

bool UnknownNasLog::dropped(uint32_t ipv4, int64_t now_ms) {
    std::lock_guard lock(mu_);
    auto it = seen_.find(ipv4);
    if (it == seen_.end()) {
        // A flood from spoofed sources must not grow this without bound: forget the ones
        // whose minute is over, and if that is not enough, everything (at worst an address is
        // then logged twice in a minute).
        if (seen_.size() >= kMaxAddresses) {
            std::erase_if(
                seen_, [&](const auto& kv) { return now_ms - kv.second.logged_ms >= kIntervalMs; });
            if (seen_.size() >= kMaxAddresses)
                seen_.clear();
        }
        seen_.emplace(ipv4, Entry{now_ms, 0});
        if (log_)
            log_(fmt::format("radius.drop.unknown_nas nas={} dropped=1", ipv4Text(ipv4)));
        return true;
    }
    Entry& e = it->second;
    ++e.dropped;
    if (now_ms - e.logged_ms < kIntervalMs)
        return false;
    if (log_)
        log_(fmt::format("radius.drop.unknown_nas nas={} dropped={}", ipv4Text(ipv4), e.dropped));
    e.logged_ms = now_ms;
    e.dropped = 0;
    return true;
}

}  // namespace gatehouse::process
