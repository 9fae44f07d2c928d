#pragma once
// RFC 5080 2.2.2 duplicate detection, per worker and per port. A retransmission carries the
// same source address and port, Identifier and Request Authenticator (radius-wire.md 11):
//   - still being worked on  -> dropped (no second evaluation);
//   - already answered       -> the cached answer, octet for octet (a recomputed one would
//                               differ: salts and MS-CHAP challenges are random);
//   - same (address, port, Identifier) with another authenticator -> a new request.
// Entries live kLifetimeMs (FreeRADIUS cleanup_delay = 5 s). Memory is bounded: a fixed table
// of slots indexed by a hash of (address, port, Identifier), each keeping its response buffer
// across uses, so after warm-up nothing is allocated. A collision evicts the older entry, so
// under extreme load a retransmission may be evaluated again: never a wrong answer, only work.
#include <array>
#include <cstdint>
#include <vector>

#include "core/util/bytes.hpp"

namespace gatehouse::process {

class DuplicateCache {
  public:
    static constexpr int64_t kLifetimeMs = 5000;

    struct Key {
        uint32_t ipv4 = 0;  // host order
        uint16_t port = 0;
        uint8_t id = 0;
        std::array<uint8_t, 16> authenticator{};
    };

    enum class State : uint8_t { kNew, kInProgress, kAnswered };

    struct Lookup {
        State state = State::kNew;
        ByteSpan response;  // kAnswered: the cached octets (valid until the next call)
        uint32_t slot = 0;  // kNew: pass to complete() / abandon()
        uint64_t stamp = 0;
    };

    /// `slots` is rounded up to a power of two.
    explicit DuplicateCache(size_t slots = 16384);

    /// Looks the request up; when it is new, claims a slot for it as "in progress".
    Lookup check(const Key& key, int64_t now_ms);
    /// Stores the answer of the request check() returned kNew for.
    void complete(const Lookup& claim, ByteSpan response, int64_t now_ms);
    /// The request was dropped after all: forget it, so a retransmission is evaluated.
    void abandon(const Lookup& claim);

    size_t slots() const { return slots_.size(); }
    uint64_t evictions() const { return evictions_; }

  private:
    struct Slot {
        Key key;
        State state = State::kNew;  // kNew: empty
        int64_t at_ms = 0;          // claimed (in progress) or answered
        uint64_t stamp = 0;         // so a stale claim cannot complete a reused slot
        Bytes response;
    };
    static bool sameSource(const Key& a, const Key& b) {
        return a.ipv4 == b.ipv4 && a.port == b.port && a.id == b.id;
    }

    std::vector<Slot> slots_;
    uint64_t next_stamp_ = 1;
    uint64_t evictions_ = 0;
};

}  // namespace gatehouse::process
