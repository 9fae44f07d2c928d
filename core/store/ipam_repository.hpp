#pragma once
// IP address management over ip_pools and ip_pool_assignments (migration 005, docs/ipam.md):
// pool definitions, the atomic claim and release of one address, the reconciliation of pool
// rows with open radacct sessions, and usage for the panel.
//
// claimIp() and releaseIp() are what the Access path calls after Lua returns, from a store I/O
// thread with a PgPool lease (never a worker thread): each is one short transaction, and the
// claim is collision-free between any number of Gatehouse nodes because PostgreSQL decides it.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <pqxx/connection>
#include <pqxx/transaction>

#include "core/store/error.hpp"
#include "core/util/expected.hpp"

namespace gatehouse::store {

/// Inclusive range of IPv4 addresses, host byte order.
struct IpRange {
    uint32_t first = 0;
    uint32_t last = 0;
    uint64_t size() const { return uint64_t{last} - first + 1; }
    bool operator==(const IpRange&) const = default;
};

/// At most this many addresses per pool (a /16): one row each, and the panel lists them.
inline constexpr uint64_t kMaxPoolAddresses = 65536;

/// A pool definition in RouterOS /ip/pool "ranges" syntax: a comma list of
///   "10.0.0.0/24"            the usable hosts of the prefix: network and broadcast addresses
///                            are left out up to /30; a /31 (RFC 3021) gives both, a /32 one;
///                            host bits set ("10.0.0.5/24") are refused as a likely typo;
///   "10.0.0.10-10.0.0.200"   every address from the first to the last, both included;
///   "10.0.0.7"               one address.
/// Refuses overlaps inside the list and more than kMaxPoolAddresses in all. Errors are kInvalid
/// and name `field` and the offending item. Sorted by first address.
Expected<std::vector<IpRange>, StoreError> parsePoolRanges(std::string_view text,
                                                           std::string_view field = "ranges");
/// "10.0.0.1-10.0.0.254,10.0.1.5": the canonical text of parsed ranges.
std::string formatPoolRanges(const std::vector<IpRange>& ranges);

struct PoolInput {
    std::string name;
    std::string ranges;             // as typed or as RouterOS returns it
    std::string nas;                // NAS name; "": the pool serves any NAS
    std::string source = "manual";  // manual|mikrotik
};

struct PoolChange {
    bool created = false;  // false: an existing pool was redefined
    uint64_t size = 0;     // addresses in the new definition
    uint64_t added = 0;    // address rows inserted
    uint64_t removed = 0;  // address rows deleted (available, reserved or retired-and-free)
    /// In use but outside the new ranges: kept, never handed out again, removed once released.
    std::vector<std::string> retired_in_use;
};

/// Creates the pool or replaces its definition, in one transaction, serialised with every other
/// pool change by an advisory lock. Refused (kDuplicate, field "ranges") when an address is
/// already in another pool; kUnknownReference "nas" for an unknown NAS.
Expected<PoolChange, StoreError> upsertPool(pqxx::connection& conn, const PoolInput& in);
/// Refused (kInUse, field "pool") while any of its addresses is in use; kNotFound without it.
Expected<void, StoreError> deletePool(pqxx::connection& conn, std::string_view name);
/// The same two inside the caller's transaction (the admin API audits in it, core/api/audit.hpp);
/// the caller commits only on success, as an error leaves the change half made.
Expected<PoolChange, StoreError> upsertPool(pqxx::work& txn, const PoolInput& in);
Expected<void, StoreError> deletePool(pqxx::work& txn, std::string_view name);

enum class ClaimSource : uint8_t {
    kCurrent,  // the address the subscriber already holds in this pool
    kLast,     // the address it held last, still free (sticky)
    kNew,      // any free address
};

struct IpClaim {
    std::string ip;  // dotted quad
    ClaimSource source = ClaimSource::kNew;
};

enum class ClaimErrorKind : uint8_t {
    kExhausted,    // no free address (free ones colliding with a static IP do not count)
    kUnknownPool,  // no pool of that name
    kWrongNas,     // the pool is bound to another NAS
    kNotFree,      // claimIpExact: the address is not in the pool, or someone else's
    kDatabase,     // PostgreSQL failed: nothing was claimed, or the claim is undone by
                   // syncFromSessions when the commit's fate is unknown
};

struct ClaimError {
    ClaimErrorKind kind = ClaimErrorKind::kDatabase;
    std::string pool;
    std::string message;  // "pool 'home': exhausted"
};
const char* toString(ClaimErrorKind k);

/// Claims an address of `pool` for `subscriber_id`, asked for by NAS `nas_id` (nullopt when
/// unknown). Sticky: the subscriber's current address of the pool, else its last one if still
/// free, else the free address released longest ago (never-used first). Addresses that are an
/// active subscriber's static IP, another subscriber's radreply Framed-IP-Address or another
/// subscriber's open session are skipped. One transaction, committed on return.
Expected<IpClaim, ClaimError> claimIp(pqxx::connection& conn, std::string_view pool,
                                      int64_t subscriber_id, std::optional<int64_t> nas_id);

/// Exactly `ip` of `pool` (a policy naming the address): the subscriber's already (kCurrent),
/// or free and colliding with nothing claimIp() avoids (kNew; the address the subscriber held
/// in that pool before is released, one per pool). kNotFree otherwise; nothing changes then.
/// Same locks as claimIp(), so it is as collision-free.
Expected<IpClaim, ClaimError> claimIpExact(pqxx::connection& conn, std::string_view pool,
                                           int64_t subscriber_id, std::optional<int64_t> nas_id,
                                           std::string_view ip);

/// Frees `ip` if `subscriber_id` holds it (status available, no owner, as the accounting writer
/// does on Stop); the address remembers its last owner for stickiness. False: nothing held.
Expected<bool, StoreError> releaseIp(pqxx::connection& conn, int64_t subscriber_id,
                                     std::string_view ip);
/// Frees every address `subscriber_id` holds (of `pool` only, when given): plan change, account
/// deletion. Returns how many.
Expected<uint64_t, StoreError> releaseSubscriberIps(pqxx::connection& conn, int64_t subscriber_id,
                                                    std::string_view pool = {});
/// Inside the caller's transaction (a plan change, committed with it): frees the addresses
/// `subscriber_id` holds that no open radacct session uses; an address a live session still has
/// stays until its Stop. Returns how many. A database error throws.
uint64_t releaseSubscriberIpsWithoutSession(pqxx::work& txn, int64_t subscriber_id);

struct SyncChange {
    enum class Kind : uint8_t {
        kAdopted,   // an open session uses it: now in_use, owned by the session's subscriber
        kReleased,  // in_use, no open session uses it, claimed longer ago than the grace time
        kRemoved,   // retired (outside its pool's ranges) and free: deleted
        kConflict,  // an open session uses it but it cannot be given to that subscriber
    };
    Kind kind = Kind::kAdopted;
    std::string pool;
    std::string ip;
    /// kAdopted: the new owner (none: the session's subscriber is unknown); kReleased: the old
    /// owner; kConflict: the session's subscriber.
    std::optional<int64_t> subscriber_id;
    std::string reason;  // kConflict: why ("held by subscriber 7", "reserved", ...)
};
const char* toString(SyncChange::Kind k);

/// Reconciles pool rows with radacct's open sessions (acctstoptime IS NULL): frees in_use
/// addresses no open session holds whose last claim is older than `grace` (a claim is followed
/// by Access-Accept and the Start within seconds; the grace covers that gap), removes retired
/// free rows, then adopts addresses open sessions hold. One transaction. Returns every change.
Expected<std::vector<SyncChange>, StoreError> syncFromSessions(pqxx::connection& conn,
                                                               std::chrono::minutes grace);

struct PoolUsage {
    std::string name;
    std::string ranges;
    std::string nas;  // "": any NAS
    std::string source;
    uint64_t size = 0;       // addresses of the current definition
    uint64_t in_use = 0;     // of those, held
    uint64_t available = 0;  // of those, free
    uint64_t reserved = 0;   // of those, set aside by the operator
    uint64_t retiring = 0;   // outside the definition, still held until released
};
Expected<std::vector<PoolUsage>, StoreError> poolUsage(pqxx::connection& conn);

struct PoolAddress {
    std::string ip;
    std::string status;  // available|in_use|reserved
    std::optional<int64_t> subscriber_id;
    std::string username;     // "" without an owner
    std::string assigned_at;  // ISO 8601 UTC, "" when free
    std::string last_username;
    bool retired = false;
};
/// The pool's definition and addresses in address order; kNotFound without it.
Expected<std::pair<PoolUsage, std::vector<PoolAddress>>, StoreError> showPool(
    pqxx::connection& conn, std::string_view name);

}  // namespace gatehouse::store
