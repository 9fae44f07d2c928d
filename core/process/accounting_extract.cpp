#include "core/process/accounting_extract.hpp"

#include <charconv>

#include "core/crypto/md5.hpp"

namespace gatehouse::process {

namespace {

std::optional<uint32_t> u32(const radius::Packet& p, uint8_t type) {
    const radius::AttrRef* a = p.find(0, type);
    if (a == nullptr || a->value_length != 4)
        return std::nullopt;
    return loadBe32(p.value(*a).data());
}

std::string text(const radius::Packet& p, uint8_t type) {
    const radius::AttrRef* a = p.find(0, type);
    return a == nullptr ? std::string{} : std::string(p.text(*a));
}

/// The dictionary's name for an enumerated value ("User-Request"), or the number.
std::string enumName(const radius::Packet& p, const radius::Dictionary& dict, uint8_t type) {
    const radius::AttrRef* a = p.find(0, type);
    if (a == nullptr || a->value_length != 4)
        return {};
    const uint32_t v = loadBe32(p.value(*a).data());
    if (a->def != nullptr) {
        std::string_view name = dict.valueName(*a->def, v);
        if (!name.empty())
            return std::string(name);
    }
    return std::to_string(v);
}

}  // namespace

std::string deriveUniqueId(uint32_t nas_ip, std::string_view session_id, std::string_view port,
                           std::string_view username) {
    uint8_t ip[5] = {static_cast<uint8_t>(nas_ip >> 24), static_cast<uint8_t>(nas_ip >> 16),
                     static_cast<uint8_t>(nas_ip >> 8), static_cast<uint8_t>(nas_ip), 0};
    static constexpr uint8_t kZero[1] = {0};
    const crypto::Digest16 d =
        crypto::md5({ByteSpan(ip, 5), asBytes(session_id), ByteSpan(kZero, 1), asBytes(port),
                     ByteSpan(kZero, 1), asBytes(username)});
    return toHex(d);
}

Expected<store::AccountingRecord, std::string> extractAccountingRecord(
    const radius::Packet& packet, const radius::Dictionary& dict, const store::NasEntry& nas,
    uint32_t nas_ip, const store::SubscriberEntry* subscriber, Now now) {
    const std::optional<uint32_t> status = u32(packet, radius::attr::kAcctStatusType);
    if (!status)
        return unexpected(std::string("no Acct-Status-Type"));
    store::AccountingRecord r;
    switch (*status) {
        case 1:
            r.status = store::AcctStatus::kStart;
            break;
        case 2:
            r.status = store::AcctStatus::kStop;
            break;
        case 3:
            r.status = store::AcctStatus::kInterimUpdate;
            break;
        case 7:
            r.status = store::AcctStatus::kAccountingOn;
            break;
        case 8:
            r.status = store::AcctStatus::kAccountingOff;
            break;
        default:
            return unexpected("Acct-Status-Type " + std::to_string(*status) + " not stored");
    }
    r.received_at = now.unix_s;
    // RFC 2869 5.3 Event-Timestamp is the NAS's clock; without it RFC 2866 5.2 Acct-Delay-Time
    // says how long ago the event was. A NAS without NTP (a router booted at 1970) sends
    // nonsense: a timestamp more than kMaxClockAhead in the future or kMaxEventAge in the past
    // is ignored, or the stale-session sweep would close its sessions at once and usage would
    // land on the wrong day.
    const int64_t delayed =
        now.unix_s - static_cast<int64_t>(u32(packet, radius::attr::kAcctDelayTime).value_or(0));
    r.event_time = delayed;
    if (auto ts = u32(packet, radius::attr::kEventTimestamp)) {
        const int64_t t = *ts;
        if (t <= now.unix_s + kMaxClockAhead && t >= now.unix_s - kMaxEventAge)
            r.event_time = t;
    }
    r.nas_id = nas.nas.id;
    r.nas_ip = nas_ip;
    r.session_id = text(packet, radius::attr::kAcctSessionId);
    r.username = text(packet, radius::attr::kUserName);
    if (subscriber != nullptr)
        r.subscriber_id = subscriber->subscriber->id;
    r.nas_port_id = text(packet, radius::attr::kNasPortId);
    std::string port = r.nas_port_id;
    if (port.empty()) {
        if (auto n = u32(packet, radius::attr::kNasPort))
            port = std::to_string(*n);
    }
    r.unique_id = deriveUniqueId(nas_ip, r.session_id, port, r.username);
    r.nas_port_type = enumName(packet, dict, radius::attr::kNasPortType);
    r.framed_ip = u32(packet, radius::attr::kFramedIpAddress);
    r.calling_station_id = text(packet, radius::attr::kCallingStationId);
    r.called_station_id = text(packet, radius::attr::kCalledStationId);
    r.session_time = u32(packet, radius::attr::kAcctSessionTime).value_or(0);
    // RFC 2869 5.1/5.2: Gigawords count the 2^32 wraps of the octet counters.
    r.input_octets = (uint64_t{u32(packet, radius::attr::kAcctInputGigawords).value_or(0)} << 32) |
                     u32(packet, radius::attr::kAcctInputOctets).value_or(0);
    r.output_octets =
        (uint64_t{u32(packet, radius::attr::kAcctOutputGigawords).value_or(0)} << 32) |
        u32(packet, radius::attr::kAcctOutputOctets).value_or(0);
    r.terminate_cause = enumName(packet, dict, radius::attr::kAcctTerminateCause);
    return r;
}

}  // namespace gatehouse::process
