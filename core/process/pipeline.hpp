#pragma once
// What the transport hands a pipeline and gets back. A pipeline is one per worker and per
// port; it owns its scratch (decoded Packet, duplicate cache) so a request allocates nothing
// of its own, and it never touches a socket: tests drive it with byte arrays.
#include <cstdint>
#include <optional>
#include <span>

#include "core/process/counters.hpp"
#include "core/process/duplicate_cache.hpp"
#include "core/process/unknown_nas_log.hpp"
#include "core/radius/dictionary.hpp"
#include "core/radius/packet.hpp"
#include "core/radius/types.hpp"
#include "core/radius/writer.hpp"
#include "core/store/snapshot.hpp"
#include "core/util/bytes.hpp"

namespace gatehouse::policy {
class WorkerPolicy;
}
namespace gatehouse::store {
class LiveState;
class LogWriter;
}  // namespace gatehouse::store

namespace gatehouse::process {

struct Datagram {
    ByteSpan bytes;
    uint32_t src_ipv4 = 0;  // host order
    uint16_t src_port = 0;
};

/// The caller's clocks, passed in so tests and replays are repeatable.
struct Now {
    int64_t steady_ms = 0;  // duplicate cache, rate-limited logs
    int64_t unix_s = 0;     // what policies see as `now`
    int64_t unix_ms = 0;    // radius_logs timestamps (0: the log writer's clock)
};
Now nowFromClocks();

using ReplyBuffer = std::span<uint8_t, radius::kMaxPacketLength>;

struct Outcome {
    bool reply = false;  // false: drop silently (already counted)
    ByteSpan bytes;      // the answer, in the ReplyBuffer given
    /// With reply: the answer may go out only once the pipeline's deferred record is durable
    /// (AccountingPipeline::takeDeferred); the transport keeps `bytes` until then.
    bool deferred = false;
    /// Without reply: an Access-Accept waits for a pool address (AccessPipeline::takeClaim);
    /// the transport hands the claim to the IpClaimer and finishes it with finishClaim().
    bool claim = false;
    static Outcome drop() { return {}; }
};

/// What every pipeline of one worker shares.
struct WorkerEnv {
    const radius::Dictionary& dict;
    policy::WorkerPolicy& policy;
    Counters& counters;
    UnknownNasLog& unknown_nas;
    /// Answer Accounting-Requests although nothing stores them yet (tests and benchmarks
    /// only). Off by default: an Accounting-Response tells the NAS the record is safe, and
    /// until the durable writer exists (next issue) it is not, so the NAS must keep it.
    bool ack_unstored_accounting = false;
    /// The accounting writer is there: Accounting-Requests are answered once durable
    /// (Outcome::deferred). false without a database.
    bool durable_accounting = false;
    /// Sessions and usage per subscriber (accounting); nullptr: the snapshot's values.
    const store::LiveState* live = nullptr;
    /// radius_logs: rejects and accounting events always, accepts when log_accepts; nullptr:
    /// no event log (no database).
    store::LogWriter* logs = nullptr;
    bool log_accepts = true;
    /// Pool addresses can be claimed (an IpClaimer is there): `ip = { pool = ... }` accepts
    /// wait for one (Outcome::claim). false: such accepts go out without an address, counted.
    bool ip_claims = false;
};

/// One radius_logs event, when env.logs is set (never blocks: a full queue drops and counts).
void logEvent(WorkerEnv& env, Now now, std::string_view event, std::string_view user,
              uint32_t nas_ip, std::string_view reason, std::string detail = {});

/// RFC 2865 5.33 / radius-wire.md 13: every Proxy-State of the request, unchanged, in order.
void echoProxyState(const radius::Packet& request, radius::PacketWriter& writer);

/// Steps shared by both ports: source address -> NAS row (unknown: drop, count, log once a
/// minute), then decode into `packet` (malformed: drop, count by kind). nullptr: dropped.
const store::NasEntry* admit(const Datagram& in, const store::Snapshot& snapshot, Now now,
                             WorkerEnv& env, radius::Packet& packet);

/// RFC 5080 2.2.2 for either port: looks the request up and claims a slot when it is new
/// (`seen`). A copy still in progress is dropped and counted; an answered one gets the cached
/// answer in `out`. nullopt: a new request, to be evaluated and then completed or abandoned.
std::optional<Outcome> checkDuplicate(DuplicateCache& cache, const Datagram& in,
                                      const radius::Packet& packet, Now now, Counters& counters,
                                      ReplyBuffer out, DuplicateCache::Lookup& seen);

/// Status-Server (RFC 5997): Message-Authenticator mandatory; answered with Access-Accept on
/// the auth port, Accounting-Response on the accounting port, MA first either way. Never
/// authenticates, never touches accounting state.
enum class Port : uint8_t { kAuth, kAcct };
Outcome answerStatusServer(const radius::Packet& request, const store::NasEntry& nas, Port port,
                           Counters& counters, ReplyBuffer out);

}  // namespace gatehouse::process
