#pragma once
// One Accounting-Request as the store keeps it: plain owned values, taken out of the packet by
// the worker (process/accounting_extract) so the packet buffer can be reused at once. The same
// struct is what the group-commit writer batches, what the spool serialises, and what the
// repository applies to radacct and the usage counters.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/util/bytes.hpp"
#include "core/util/expected.hpp"

namespace gatehouse::store {

/// Acct-Status-Type values we store (RFC 2866 5.1, RFC 2866 Accounting-On/Off).
enum class AcctStatus : uint8_t {
    kStart = 1,
    kStop = 2,
    kInterimUpdate = 3,
    kAccountingOn = 7,
    kAccountingOff = 8,
};

struct AccountingRecord {
    AcctStatus status = AcctStatus::kStart;
    /// When the event happened at the NAS (unix s, UTC): Event-Timestamp when sent, else the
    /// arrival time minus Acct-Delay-Time.
    int64_t event_time = 0;
    int64_t received_at = 0;  // arrival, unix s
    std::string session_id;   // Acct-Session-Id ("" for Accounting-On/Off)
    /// Derived (process/accounting_extract) from NAS address, Acct-Session-Id, NAS-Port-Id /
    /// NAS-Port and User-Name, so a session has one key however often it is reported.
    std::string unique_id;
    std::string username;
    int64_t subscriber_id = 0;  // 0: not a known subscriber (stored anyway)
    int64_t nas_id = 0;
    uint32_t nas_ip = 0;  // the NAS row's address (source IPv4, host order)
    std::string nas_port_id;
    std::string nas_port_type;          // dictionary name of NAS-Port-Type ("Ethernet"), "" absent
    std::optional<uint32_t> framed_ip;  // host order
    std::string calling_station_id;     // usually the subscriber's MAC
    std::string called_station_id;
    uint32_t session_time = 0;      // Acct-Session-Time, s
    uint64_t input_octets = 0;      // Acct-Input-Octets + 2^32 * Acct-Input-Gigawords (upload)
    uint64_t output_octets = 0;     // Acct-Output-Octets + 2^32 * Acct-Output-Gigawords (download)
    std::string terminate_cause;    // dictionary name of Acct-Terminate-Cause, "" absent
    std::vector<std::string> tags;  // the policy's accounting() tags

    bool operator==(const AccountingRecord&) const = default;
};

/// Binary form for the spool (little-endian, length-prefixed strings, a version octet first).
/// Deterministic: the same record always gives the same bytes.
void serialize(const AccountingRecord& record, Bytes& out);  // appends to out
/// Reads one record at `in`, advancing it; an error names what was wrong ("truncated
/// session_id", "unknown version 9").
Expected<AccountingRecord, std::string> deserialize(std::span<const uint8_t>& in);

}  // namespace gatehouse::store
