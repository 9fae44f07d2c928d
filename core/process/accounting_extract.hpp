#pragma once
// Accounting-Request -> store::AccountingRecord: the values the store keeps, copied out of the
// packet so the worker's buffers can be reused before the record is durable.
#include <string>

#include "core/process/pipeline.hpp"
#include "core/store/accounting_record.hpp"
#include "core/util/expected.hpp"

namespace gatehouse::process {

/// Event-Timestamp further from the arrival time than these is the NAS clock's error, not
/// the event's time: the arrival time minus Acct-Delay-Time is used instead.
inline constexpr int64_t kMaxClockAhead = 300;          // 5 minutes in the future
inline constexpr int64_t kMaxEventAge = 7 * 24 * 3600;  // a week of NAS-side buffering

/// nullopt-like error: the packet is not a kind we store (no Acct-Status-Type, or a status
/// other than Start, Stop, Interim-Update, Accounting-On, Accounting-Off — e.g. Failed or the
/// tunnel statuses of RFC 2867). It is still acknowledged; the string says why for the log.
Expected<store::AccountingRecord, std::string> extractAccountingRecord(
    const radius::Packet& packet, const radius::Dictionary& dict, const store::NasEntry& nas,
    uint32_t nas_ip, const store::SubscriberEntry* subscriber, Now now);

/// Acct-Unique-Session-Id when the NAS sends none: hex MD5 over NAS address, Acct-Session-Id,
/// NAS-Port-Id (or NAS-Port) and User-Name, each followed by a 0 octet so fields cannot run
/// into each other. Stable for every packet of one session.
std::string deriveUniqueId(uint32_t nas_ip, std::string_view session_id, std::string_view port,
                           std::string_view username);

}  // namespace gatehouse::process
