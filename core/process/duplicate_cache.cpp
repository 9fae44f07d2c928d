#include "core/process/duplicate_cache.hpp"

#include <bit>

namespace gatehouse::process {

namespace {
uint32_t slotHash(uint32_t ip, uint16_t port, uint8_t id) {
    uint64_t x = (uint64_t{ip} << 24) ^ (uint64_t{port} << 8) ^ id;
    x *= 0x9e3779b97f4a7c15ULL;  // Fibonacci hashing: spreads neighbouring ports and ids
    return static_cast<uint32_t>(x >> 32);
}
}  // namespace

DuplicateCache::DuplicateCache(size_t slots)
    : slots_(std::bit_ceil(slots < 2 ? size_t{2} : slots)) {}

DuplicateCache::Lookup DuplicateCache::check(const Key& key, int64_t now_ms) {
    const uint32_t index = slotHash(key.ipv4, key.port, key.id) & (slots_.size() - 1);
    Slot& s = slots_[index];
    const bool live = s.state != State::kNew && now_ms - s.at_ms < kLifetimeMs;
    if (live && sameSource(s.key, key) && s.key.authenticator == key.authenticator) {
        Lookup hit{s.state, {}, index, s.stamp};
        if (s.state == State::kAnswered)
            hit.response = s.response;
        return hit;
    }
    // RFC 5080 2.2.2: the same Identifier with a new authenticator is a new request, and a
    // live entry of another source in this slot is evicted (counted).
    if (live && !sameSource(s.key, key))
        ++evictions_;
    s.key = key;
    s.state = State::kInProgress;
    s.at_ms = now_ms;
    s.stamp = next_stamp_++;
    s.response.clear();  // keeps its capacity
    return Lookup{State::kNew, {}, index, s.stamp};
}

void DuplicateCache::complete(const Lookup& claim, ByteSpan response, int64_t now_ms) {
    Slot& s = slots_[claim.slot];
    if (s.stamp != claim.stamp)
        return;  // evicted meanwhile
    s.response.assign(response.begin(), response.end());
    s.state = State::kAnswered;
    s.at_ms = now_ms;
}

void DuplicateCache::abandon(const Lookup& claim) {
    Slot& s = slots_[claim.slot];
    if (s.stamp == claim.stamp)
        s.state = State::kNew;
}

}  // namespace gatehouse::process
