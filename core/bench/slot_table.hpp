#pragma once
// The outstanding requests of one source port, indexed by Identifier (RFC 2865 3: a
// response is matched by source port and Identifier, so one port has at most 256 requests in
// flight). Each slot keeps the request as sent: its authenticator checks the response and its
// octets are what a retransmission resends. No socket code here, so tests drive it directly.
#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "core/bench/histogram.hpp"
#include "core/bench/report.hpp"
#include "core/bench/response_check.hpp"
#include "core/crypto/md5.hpp"
#include "core/radius/packet.hpp"
#include "core/radius/types.hpp"

namespace gatehouse::bench {

enum class SlotState : uint8_t { kFree, kInFlight, kAnswered, kTimedOut };

struct Slot {
    SlotState state = SlotState::kFree;
    uint8_t transmissions = 0;
    uint16_t length = 0;
    uint32_t tag = 0;  // the caller's (acct: which session)
    int64_t first_sent_ns = 0;
    int64_t deadline_ns = 0;
    /// Authenticator of the previous request that used this Identifier, to tell a late answer
    /// to it from a forged answer to the current one.
    std::array<uint8_t, radius::kAuthenticatorLength> previous_auth{};
    bool has_previous = false;
};

struct ResponseOutcome {
    bool completed = false;  // a request in flight got a valid answer
    uint8_t id = 0;
    Verdict verdict = Verdict::kMalformed;
};

class SlotTable {
  public:
    /// window: most requests in flight at once, 1..256.
    explicit SlotTable(uint32_t window);

    uint32_t window() const { return window_; }
    uint32_t inFlight() const { return in_flight_; }
    bool full() const { return in_flight_ >= window_; }

    /// The next Identifier not in flight (round robin, so a reused Identifier is the one idle
    /// longest), or -1 when the window is full. The slot keeps its old request until
    /// markSent(), so build into buffer(id) first.
    int acquire();
    std::span<uint8_t, radius::kMaxPacketLength> buffer(uint8_t id) {
        return std::span<uint8_t, radius::kMaxPacketLength>(
            buffers_.get() + size_t{id} * radius::kMaxPacketLength, radius::kMaxPacketLength);
    }
    /// Call before building a new request into buffer(id): remembers the old authenticator.
    void prepare(uint8_t id);
    /// The request in buffer(id) (length octets) was transmitted for the first time.
    void markSent(uint8_t id, size_t length, uint32_t tag, int64_t now_ns, int64_t deadline_ns);
    /// Sets the send time after building a batch, so latency starts at the system call.
    void setSendTime(uint8_t id, int64_t now_ns, int64_t deadline_ns) {
        slots_[id].first_sent_ns = now_ns;
        slots_[id].deadline_ns = deadline_ns;
    }
    const Slot& slot(uint8_t id) const { return slots_[id]; }
    ByteSpan request(uint8_t id) const {
        return {buffers_.get() + size_t{id} * radius::kMaxPacketLength, slots_[id].length};
    }

    /// Matches a datagram to its request, checks it and counts it: a completed answer updates
    /// `latency` and accepted/rejected/challenged; anything else one error counter.
    ResponseOutcome onResponse(ByteSpan datagram, int64_t now_ns,
                               const crypto::SharedSecret& secret, bool require_ma,
                               radius::Packet& scratch, Counters& counters,
                               LatencyHistogram& latency);

    /// Requests past their deadline: `retransmit(id)` while fewer than `transmissions` were
    /// sent (the caller resends request(id); the deadline moves to now + timeout), else the
    /// slot times out and `timed_out(id)` is called.
    template <class Retransmit, class TimedOut>
    void expire(int64_t now_ns, uint32_t transmissions, int64_t timeout_ns, Retransmit retransmit,
                TimedOut timed_out) {
        if (in_flight_ == 0)
            return;
        for (unsigned id = 0; id < 256; ++id) {
            Slot& s = slots_[id];
            if (s.state != SlotState::kInFlight || s.deadline_ns > now_ns)
                continue;
            if (s.transmissions < transmissions) {
                ++s.transmissions;
                s.deadline_ns = now_ns + timeout_ns;
                retransmit(static_cast<uint8_t>(id));
            } else {
                s.state = SlotState::kTimedOut;
                --in_flight_;
                timed_out(static_cast<uint8_t>(id));
            }
        }
    }

  private:
    static void countError(Verdict v, Counters& c);

    std::array<Slot, 256> slots_{};
    std::unique_ptr<uint8_t[]> buffers_;
    uint32_t window_;
    uint32_t in_flight_ = 0;
    uint8_t next_id_ = 0;
};

}  // namespace gatehouse::bench
