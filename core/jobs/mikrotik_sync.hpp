#pragma once
// Pools and sessions from a MikroTik NAS (docs/ipam.md "Pools from MikroTik"), a job of the
// jobs leader and `gatehouse pool import`:
//   - importPools: /ip/pool/print becomes Gatehouse pools (source mikrotik, bound to the NAS);
//   - syncActive: /ppp/active/print is the truth about what the router has: its addresses are
//     marked in use for the subscriber of the session's user name, and sessions radacct still
//     has open on that NAS which the router no longer lists are closed ('NAS-Reconcile') and
//     their address released, so a lost Stop never blocks a login until the stale sweep.
// Blocking (API and PostgreSQL): never on a RADIUS worker.
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/connection>

#include "core/crypto/secret_box.hpp"
#include "core/jobs/nas_probe.hpp"
#include "core/jobs/nas_target.hpp"
#include "core/jobs/scheduler.hpp"
#include "core/net/routeros_client.hpp"
#include "core/util/expected.hpp"

namespace gatehouse::jobs {

struct MikrotikChange {
    enum class Kind : uint8_t {
        kPoolCreated,  // a router pool new to Gatehouse
        kPoolUpdated,  // its ranges changed on the router
        kPoolDeleted,  // gone from the router, none of its addresses in use
        kPoolKept,     // gone from the router, but addresses still in use: kept until released
        kPoolSkipped,  // not imported: unparsable, too large, overlapping, name taken
        kAdopted,      // a /ppp/active address: now in use by that session's subscriber
        kConflict,     // a /ppp/active address that cannot be given to that subscriber
        kClosed,       // open in radacct, not on the router: closed, address released
    };
    Kind kind = Kind::kPoolCreated;
    std::string subject;  // the pool name; the address (kAdopted, kConflict); the user (kClosed)
    std::string reason;   // what and why, one line
    bool operator==(const MikrotikChange&) const = default;
};
/// "pool_created", "pool_updated", "pool_deleted", "pool_kept", "pool_skipped", "adopted",
/// "conflict", "closed".
const char* toString(MikrotikChange::Kind kind);

/// A session the router started may reach radacct (the Start) after the print that would miss
/// it: only sessions that started longer ago than this are closed.
inline constexpr std::chrono::seconds kDefaultReconcileGrace{120};

/// The Gatehouse side of importPools(), given what /ip/pool/print returned. A pool the router
/// has is created or redefined (an unchanged one is left alone and not reported); one that is
/// unparsable, over kMaxPoolAddresses, overlapping another pool, or whose name is taken by a
/// manual pool or another NAS's pool is reported as kPoolSkipped. A mikrotik pool of this NAS
/// that the router no longer has is deleted, or kept while an address of it is in use.
/// The error: PostgreSQL failed (what was done before stays done: each pool is a transaction).
Expected<std::vector<MikrotikChange>, std::string> applyPools(
    pqxx::connection& conn, const NasTarget& nas,
    const std::vector<net::RouterOsClient::Pool>& pools);

/// The Gatehouse side of syncActive(), given what /ppp/active/print returned; one transaction.
/// First closes radacct's open sessions of this NAS (its nas_id; without one, its address as
/// nasipaddress) that started before now - grace and that the router does not list (neither
/// its session-id, "0x" and case ignored, nor its user name with the same address), releasing
/// their pool address; then every
/// listed address that is a pool address becomes in use by the subscriber of that user name
/// (none when no subscriber has it), unless reserved, held by another subscriber, or the
/// subscriber already holds another address of that pool (kConflict, nothing changed).
/// Addresses already right have their claim time refreshed (so the ipam sync does not free an
/// address the router uses) and are not reported.
Expected<std::vector<MikrotikChange>, std::string> applyActive(
    pqxx::connection& conn, const NasTarget& nas,
    const std::vector<net::RouterOsClient::ActiveSession>& sessions, std::chrono::seconds grace);

/// /ip/pool/print on `client` (logged in to `nas`), then applyPools.
Expected<std::vector<MikrotikChange>, std::string> importPools(pqxx::connection& conn,
                                                               net::RouterOsClient& client,
                                                               const NasTarget& nas);
/// /ppp/active/print on `client`, then applyActive. Nothing is closed when the print fails.
Expected<std::vector<MikrotikChange>, std::string> syncActive(
    pqxx::connection& conn, net::RouterOsClient& client, const NasTarget& nas,
    std::chrono::seconds grace = kDefaultReconcileGrace);

/// Logs in to the NAS (api_password must be open: openApiPassword) and runs importPools, then
/// syncActive. The error names the step ("/ip/pool/print: ...").
Expected<std::vector<MikrotikChange>, std::string> syncNas(
    pqxx::connection& conn, const NasTarget& nas, const ApiCheckOptions& api,
    std::chrono::seconds grace = kDefaultReconcileGrace);

struct MikrotikSyncOptions {
    std::string conninfo;
    std::chrono::milliseconds interval{std::chrono::minutes(5)};  // the interim interval
    std::chrono::seconds grace = kDefaultReconcileGrace;
    ApiCheckOptions api;
    /// One line per change and per failing NAS, and a run summary; stderr when empty.
    std::function<void(std::string_view)> log;
};

struct MikrotikSyncRun {
    size_t nas_ok = 0;
    size_t nas_failed = 0;
    size_t changes = 0;
    bool cancelled = false;
};

/// The "mikrotik_sync" job: syncNas for every enabled NAS with API credentials, one at a time.
class MikrotikSyncJob {
  public:
    /// `box` opens the API passwords; nullopt: every NAS fails with "no key file".
    MikrotikSyncJob(MikrotikSyncOptions options, std::optional<crypto::SecretBox> box);
    /// Throws what libpqxx throws when connecting (the scheduler logs it).
    MikrotikSyncRun runOnce(const JobContext& context);
    Job job();

  private:
    void say(const std::string& line);

    MikrotikSyncOptions options_;
    std::optional<crypto::SecretBox> box_;
};

}  // namespace gatehouse::jobs
