#pragma once
// What happens to a CoA / Disconnect after the RADIUS answer (migration 007, docs/coa.md
// "Fallback" and "Verification"): the MikroTik API fallback's outcome on the row, and the
// coa_verify job's scan of acked rows and its verdicts.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <pqxx/connection>

#include "core/store/coa_outbox_repository.hpp"
#include "core/store/error.hpp"
#include "core/util/expected.hpp"

namespace gatehouse::store {

/// The API fallback ended a claimed request: status 'acked', done_via 'api', done_at now.
/// `radius_outcome` (why the fallback ran: "timeout after 3 sends", "nak 503 ...") goes to
/// last_error, `result` ("removed *80000001") to fallback_result. Only while the row is still
/// this claim's (as recordCoaAck): false when the lease was lost.
Expected<bool, StoreError> recordCoaDoneViaApi(pqxx::connection& conn, const ClaimedCoa& row,
                                               std::optional<uint32_t> error_cause,
                                               const std::string& radius_outcome,
                                               const std::string& result);

/// Sets fallback_result of a row whose RADIUS outcome was already recorded (the fallback ran
/// but could not end the session). False when no such row.
Expected<bool, StoreError> noteCoaFallback(pqxx::connection& conn, int64_t id,
                                           const std::string& result);

/// An acked row not yet looked at again, with what the verifier needs.
struct CoaToVerify {
    int64_t id = 0;
    int64_t nas_id = 0;
    std::string nas_name;
    std::string nas_type;
    std::string kind;  // coa|disconnect
    std::string username;
    std::string acct_session_id;
    std::string framed_ip;   // the Framed-IP-Address attribute sent, "" when none
    std::string rate_limit;  // the Mikrotik-Rate-Limit attribute sent, "" when none
    std::string done_via;    // radius|api
    /// radacct still has an open session (acctstoptime NULL) on this NAS that the request
    /// named: same user, same Acct-Session-Id when the row has one, started before the ACK.
    bool accounting_open = false;
    /// The ACK is older than the window: a check that still finds the session open is final.
    bool past_window = false;
};

/// Acked, unverified rows whose ACK is within `max_age`, oldest ACK first, at most `limit`.
/// Rows older than max_age are left alone (the panel shows them as neither).
Expected<std::vector<CoaToVerify>, StoreError> listCoaToVerify(
    pqxx::connection& conn, size_t limit, std::chrono::seconds window,
    std::chrono::seconds max_age = std::chrono::hours(24));

/// Records a verdict: `result` is verified|unverified|skipped, `detail` the reason. Applies
/// only to an acked row without a verdict: false otherwise (someone else got there first).
Expected<bool, StoreError> recordCoaVerification(pqxx::connection& conn, int64_t id,
                                                 const std::string& result,
                                                 const std::string& detail);

}  // namespace gatehouse::store
