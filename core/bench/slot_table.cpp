#include "core/bench/slot_table.hpp"

#include <algorithm>
#include <cstring>

#include "core/radius/authenticator.hpp"

namespace gatehouse::bench {

namespace {

// RFC 2865 5.8: Framed-IP-Address is 4 octets. 0.0.0.0 is what the server's held Accept carries
// before the claimed address is written in, so it must not count as an address.
bool carriesFramedIp(const radius::Packet& p) {
    if (p.code() != radius::Code::kAccessAccept)
        return false;
    const radius::AttrRef* a = p.find(0, radius::attr::kFramedIpAddress);
    if (a == nullptr || a->value_length != 4)
        return false;
    const ByteSpan v = p.value(*a);
    return (v[0] | v[1] | v[2] | v[3]) != 0;
}

}  // namespace

SlotTable::SlotTable(uint32_t window)
    : buffers_(new uint8_t[256 * radius::kMaxPacketLength]),
      window_(std::clamp<uint32_t>(window, 1, 256)) {}

int SlotTable::acquire() {
    if (full())
        return -1;
    for (unsigned n = 0; n < 256; ++n) {
        const uint8_t id = next_id_++;
        if (slots_[id].state != SlotState::kInFlight)
            return id;
    }
    return -1;
}

void SlotTable::prepare(uint8_t id) {
    Slot& s = slots_[id];
    s.has_previous = s.state != SlotState::kFree && s.length >= radius::kHeaderLength;
    if (s.has_previous)
        std::memcpy(s.previous_auth.data(), request(id).data() + 4, 16);
}

void SlotTable::markSent(uint8_t id, size_t length, uint32_t tag, int64_t now_ns,
                         int64_t deadline_ns) {
    Slot& s = slots_[id];
    s.state = SlotState::kInFlight;
    s.transmissions = 1;
    s.length = static_cast<uint16_t>(length);
    s.tag = tag;
    s.first_sent_ns = now_ns;
    s.deadline_ns = deadline_ns;
    ++in_flight_;
}

void SlotTable::countError(Verdict v, Counters& c) {
    switch (v) {
        case Verdict::kMalformed:
        case Verdict::kWrongId:
            ++c.malformed;
            break;
        case Verdict::kBadAuthenticator:
            ++c.bad_authenticator;
            break;
        case Verdict::kBadMessageAuthenticator:
            ++c.bad_message_authenticator;
            break;
        case Verdict::kMissingMessageAuthenticator:
            ++c.missing_message_authenticator;
            break;
        case Verdict::kUnexpectedCode:
            ++c.unexpected_code;
            break;
        default:
            break;
    }
}

ResponseOutcome SlotTable::onResponse(ByteSpan datagram, int64_t now_ns,
                                      const crypto::SharedSecret& secret, bool require_ma,
                                      radius::Packet& scratch, Counters& counters,
                                      LatencyHistogram& latency) {
    ResponseOutcome out;
    if (datagram.size() < radius::kHeaderLength) {
        ++counters.malformed;
        return out;
    }
    out.id = datagram[1];
    Slot& s = slots_[out.id];
    if (s.state == SlotState::kFree) {
        ++counters.unmatched;
        out.verdict = Verdict::kWrongId;
        return out;
    }
    const CheckResult r = checkResponse(datagram, request(out.id), secret, require_ma, scratch);
    out.verdict = r.verdict;
    if (!isAnswer(r.verdict)) {
        // An answer to the previous request on this Identifier that came after we gave up on
        // it and reused the Identifier: late, not forged.
        if (r.verdict == Verdict::kBadAuthenticator && s.has_previous &&
            radius::verifyResponseAuthenticator(scratch.wire(), s.previous_auth.data(), secret)) {
            ++counters.late;
        } else {
            countError(r.verdict, counters);
        }
        return out;
    }
    if (s.state == SlotState::kAnswered) {
        ++counters.duplicate;
        return out;
    }
    if (s.state == SlotState::kTimedOut) {
        ++counters.late;
        return out;
    }
    s.state = SlotState::kAnswered;
    --in_flight_;
    out.completed = true;
    if (!r.has_message_authenticator &&
        static_cast<radius::Code>(request(out.id)[0]) != radius::Code::kAccountingRequest) {
        ++counters.without_message_authenticator;
    }
    switch (r.verdict) {
        case Verdict::kAccept:
            ++counters.accepted;
            if (carriesFramedIp(scratch))
                ++counters.accepted_with_framed_ip;
            break;
        case Verdict::kReject:
            ++counters.rejected;
            break;
        default:
            ++counters.challenged;
            break;
    }
    const int64_t took = now_ns - s.first_sent_ns;
    latency.record(took > 0 ? static_cast<uint64_t>(took) : 0);
    return out;
}

}  // namespace gatehouse::bench
