#pragma once
// Drains the CoA outbox (store/coa_outbox_repository.hpp): claim due rows, send each with
// CoaClient, record the outcome. The jobs role loops it; the CLI sends one row at once.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "core/net/coa_client.hpp"
#include "core/store/coa_outbox_repository.hpp"
#include "core/store/pg_pool.hpp"

namespace gatehouse::net {

/// What a fallback did for a Disconnect the NAS did not carry out (docs/coa.md "Fallback").
struct CoaFallbackResult {
    enum Kind : uint8_t {
        kNotTried,  // nothing to fall back on (not a MikroTik, no API credentials)
        kEnded,     // the session is gone from the NAS: the row becomes acked, done_via 'api'
        kFailed,    // tried and could not: the RADIUS outcome is recorded as usual
    };
    Kind kind = kNotTried;
    std::string detail;  // fallback_result ("removed *80000001", "api: connect: ...")
};
/// Called (with no database connection held) for a claimed 'disconnect' whose send ended in
/// a timeout (after all retransmissions) or a NAK. The jobs role installs the MikroTik API
/// fallback (core/jobs/coa_fallback.hpp); core/net knows nothing of NAS credentials.
using CoaFallback = std::function<CoaFallbackResult(const store::ClaimedCoa&, const CoaOutcome&)>;

struct CoaSenderOptions {
    size_t batch = 32;  // rows claimed per pass (at most what one lease covers, see claimLimit)
    CoaClientOptions client;
    store::CoaOutboxPolicy outbox;
    std::chrono::milliseconds idle_wait{1000};  // loop(): pause after a pass with nothing due
    CoaFallback fallback;                       // empty: no fallback
    /// The longest one fallback call takes (API connect, print, remove); counted against the
    /// lease by claimLimit() when a fallback is set.
    std::chrono::milliseconds fallback_max{15000};
};

struct CoaPassStats {
    size_t claimed = 0;
    size_t acked = 0;
    size_t naked = 0;
    size_t retried = 0;  // no answer / send error: pending again (or expired by the deadline)
    size_t failed = 0;   // could not be encoded
    size_t lost = 0;     // the lease went to another sender before the outcome was recorded
    size_t via_api = 0;  // of acked: ended by the fallback after a timeout or NAK
};

class CoaSender {
  public:
    CoaSender(store::PgPool& pool, const radius::Dictionary& dict, CoaSenderOptions options = {});

    /// One pass. Rows are sent one after another: a NAS that never answers costs one
    /// CoaClient::send (all retransmissions) per row in the pass.
    Expected<CoaPassStats, store::StoreError> runOnce();

    /// Sends one row now if it is due and nobody holds it (the CLI's path); the outcome is
    /// recorded as runOnce() would. Empty when the row was not claimable.
    Expected<std::optional<CoaOutcome>, store::StoreError> sendNow(int64_t id);

    /// runOnce() until `stop`; pauses idle_wait when nothing was due or the database failed.
    void loop(const std::atomic<bool>& stop);

    /// Sends a claimed row and records its outcome; `stats` counts it.
    Expected<CoaOutcome, store::StoreError> process(const store::ClaimedCoa& row,
                                                    CoaPassStats& stats);

    CoaClient& client() { return client_; }
    /// Rows claimed per pass: batch, lowered so that sending them all one after another at
    /// maxSendDuration each stays within the outbox lease; at least 1.
    size_t claimLimit() const;

  private:
    store::PgPool& pool_;
    CoaClient client_;
    CoaSenderOptions options_;
};

}  // namespace gatehouse::net
