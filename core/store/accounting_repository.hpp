#pragma once
// radacct and the usage counters, written in the caller's transaction (the group-commit writer
// makes one per batch). Set-based: a batch of any size costs a fixed handful of statements, so
// throughput grows with batch size. Idempotent: applying the same record twice changes nothing
// the second time (counters only move forward, a repeated Stop is ignored), which is what lets
// the spool replay after a crash without double billing.
//
// Rules (issue 5):
//  - Start opens the session (acctuniqueid); Interim-Update and Stop update it; an Interim or
//    Stop before its Start opens it (start time = event_time - session_time).
//  - Counters and session time never go backwards (GREATEST); a Stop closes once: a repeated
//    or late Stop, or an Interim after the Stop, changes nothing.
//  - Accounting-On / Accounting-Off close every open session of that NAS (stop time = event
//    time, terminate cause "NAS-Reboot"), and release their managed pool IPs.
//  - A session Gatehouse closed itself (stale sweep "Stale-Session", MikroTik reconciler
//    "NAS-Reconcile") is reopened by an Interim, or closed properly by a Stop, whose event
//    time is after the recorded stop; tagged 'reopened' (docs/accounting.md).
//  - Usage: the bytes a record adds over what radacct already had (the delta, never negative)
//    are added to the subscriber's daily and monthly counters for the day / month of the
//    event in the ISP's time zone (settings.timezone, an IANA name).
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/transaction>

#include "core/policy/model.hpp"
#include "core/store/accounting_record.hpp"
#include "core/store/known_sessions.hpp"

namespace gatehouse::store {

/// A subscriber the batch touched, as it stands after the batch (inside the transaction).
struct SubscriberLiveState {
    int64_t subscriber_id = 0;
    policy::Usage usage;  // today's and this month's, in the ISP's time zone
    uint32_t open_sessions = 0;
    int current_tier = 0;  // subscribers.current_tier (what the NAS was last told)
};

/// A session an Interim reopened whose pool address was not free to take back: left as it is,
/// for an operator to look at (the NAS and someone else may now use the same address).
struct ReopenConflict {
    enum class Why : int {
        kHeld = 1,         // another subscriber holds it (holder; 0: in use without an owner)
        kReserved = 2,     // the address is reserved
        kHoldsAnother = 3  // the subscriber holds another address of that pool already
    };
    uint32_t ip = 0;
    std::string session_id;  // Acct-Session-Id
    std::string unique_id;   // acctuniqueid
    std::string username;
    int64_t holder = 0;  // ip_pool_assignments.subscriber_id; 0: none
    Why why = Why::kHeld;
};

struct ApplyResult {
    uint64_t opened = 0;   // sessions created (Start, or an Interim/Stop without Start)
    uint64_t updated = 0;  // sessions whose counters or times moved
    uint64_t closed = 0;   // sessions a Stop (or NAS On/Off) closed
    uint64_t ignored = 0;  // repeats and late packets that changed nothing
    /// Sessions Gatehouse had closed itself (Stale-Session, NAS-Reconcile) that a later
    /// Interim reopened or a later Stop closed with the NAS's own time and cause; also counted
    /// in updated / closed.
    uint64_t reopened = 0;
    uint64_t addresses_reclaimed = 0;  // pool addresses reopened sessions took back
    std::vector<ReopenConflict> reopen_conflicts;
    std::vector<SubscriberLiveState> touched;  // one per subscriber_id != 0 in the batch
    /// The batch's session keys, all in acct_sessions once the transaction commits (for the
    /// caller's KnownSessions).
    std::vector<std::string> session_keys;
};

struct StaleResult {
    uint64_t closed = 0;
    uint64_t addresses_released = 0;
};

/// What the caller already holds for a subscriber as it stood before the batch (the writer's
/// LiveState); nullopt when it holds nothing.
using KnownLiveState = std::function<std::optional<SubscriberLiveState>(int64_t subscriber_id)>;

class AccountingRepository {
  public:
    /// Applies the records in order (several records of one session in one batch are fine).
    ///
    /// ApplyResult::touched is each touched subscriber after the batch. Without `known` it is
    /// read back from the database. With `known`, a subscriber it holds is NOT read back (that
    /// read cost more than the batch's writes): open_sessions = known + the sessions the batch
    /// opened - those it closed (as the statements report them); usage today / this month and
    /// current_tier as the batch's usage upserts return them, else known's. Only subscribers
    /// `known` does not hold, and those with a reopened session (known may still count a
    /// session the MikroTik reconciler closed as open), are read back. So `known` must be the state
    /// before this batch (the writer updates LiveState only after its commit, on its own thread).
    /// Sessions another radius node opened or closed are not seen this way; they show up at the
    /// next full load (start, a new day, the stale sweep) or a spool replay (which passes no
    /// `known`).
    ///
    /// `sessions`: keys known to exist already; those are not offered for creation.
    static ApplyResult apply(pqxx::work& txn, std::span<const AccountingRecord> records,
                             std::string_view timezone, const KnownLiveState& known = {},
                             const KnownSessions* sessions = nullptr);

    /// Spool replay bookkeeping, in the same transaction as apply().
    static bool spoolBatchApplied(pqxx::work& txn, std::string_view spool_id, uint64_t seq);
    static void markSpoolBatchApplied(pqxx::work& txn, std::string_view spool_id, uint64_t seq);

    /// A FUP tier change the jobs leader must carry out (CoA, NAS-integration issue):
    /// inserts a pending tier_change_jobs row and sets subscribers.current_tier.
    static void recordTierChange(pqxx::work& txn, int64_t subscriber_id, int from_tier, int to_tier,
                                 std::string_view reason);

    /// Closes sessions with no update for longer than `bound_s` (terminate cause
    /// "Stale-Session", stop time = last update) and releases their managed pool IPs.
    static StaleResult closeStaleSessions(pqxx::work& txn, int64_t bound_s, int64_t now_unix);
    /// The stale bound that follows the interim interval (stale_session_minutes = auto, the
    /// default): settings.interim_interval (300 s when unset or not digits; bounded to
    /// 60 s..15 min) + 120 s for Acct-Delay-Time and the NAS's timer drift. A session that
    /// missed one Interim-Update is closed; if it was alive after all, its next Interim
    /// reopens it ("Sessions we closed that come back"), so the guess costs nothing.
    static int64_t autoStaleBound(pqxx::work& txn);
    /// The bound a sweep uses, in seconds (0: stale sessions are never closed): the
    /// stale_session_minutes setting (the panel's; "auto", or minutes, 0 = never) when it is
    /// set, else `configured_s` (the configuration file's; kStaleAuto = -1 for auto).
    static int64_t staleBound(pqxx::work& txn, int64_t configured_s);

    /// Every subscriber with an open session, usage this month or a tier (current_tier != 0):
    /// what the server loads at start so simultaneous-use and FUP are right from the first
    /// request. Anyone it leaves out has none of the three (the writer's `known` relies on it).
    static std::vector<SubscriberLiveState> loadLiveState(pqxx::work& txn,
                                                          std::string_view timezone,
                                                          int64_t now_unix);
};

}  // namespace gatehouse::store
