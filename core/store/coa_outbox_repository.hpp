#pragma once
// The CoA / Disconnect outbox (coa_requests, migration 004): every request is a row first, a
// sender claims due rows, sends them and records the outcome (docs/coa.md). Network I/O never
// happens inside a transaction here: claim commits, the caller sends, record* commits.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <pqxx/connection>
#include <pqxx/transaction>

#include "core/store/error.hpp"
#include "core/util/expected.hpp"

namespace gatehouse::store {

using CoaAttributeList = std::vector<std::pair<std::string, std::string>>;  // name, value

struct CoaEnqueue {
    int64_t nas_id = 0;
    std::optional<int64_t> subscriber_id;
    std::string username;
    std::string acct_session_id;
    std::string kind = "disconnect";  // coa|disconnect
    CoaAttributeList attributes;
    std::string reason = "operator";  // fup, plan-change, expiry, operator, ...
    /// Retried until created_at + lifetime, then expired: a tier change an hour late is wrong.
    std::chrono::seconds lifetime{3600};
};

/// When the outbox tries a row again after a claim that got no answer.
struct CoaOutboxPolicy {
    std::chrono::seconds first_retry{30};  // after the 1st claim; doubles after each
    std::chrono::seconds max_retry{600};
    /// How long a claim holds a row in 'sending' before another sender may take it over
    /// (the sender died). Longer than one CoaClient::send with all its retransmissions.
    std::chrono::seconds lease{120};
};

/// Delay before the next claim of a row claimed `attempts` times (>= 1): first_retry doubled
/// per earlier claim, capped at max_retry.
std::chrono::seconds outboxRetryDelay(const CoaOutboxPolicy& policy, int attempts);

/// A claimed row with what it takes to send it.
struct ClaimedCoa {
    int64_t id = 0;
    int64_t nas_id = 0;
    std::string nas_name;
    std::string nas_ip;
    int coa_port = 0;
    std::string secret;
    std::string nas_type;
    std::string username;
    std::string acct_session_id;
    std::string kind;
    CoaAttributeList attributes;
    std::string reason;
    int attempts = 0;  // including this claim; record* use it to detect a lost lease
};

Expected<int64_t, StoreError> enqueueCoa(pqxx::connection& conn, const CoaEnqueue& in);
/// The same inside the caller's transaction (committed with it; a database error throws).
Expected<int64_t, StoreError> enqueueCoa(pqxx::work& txn, const CoaEnqueue& in);

/// Claims up to `limit` due rows (pending, or sending with an expired lease), oldest first:
/// status 'sending', attempts + 1, lease until now + policy.lease. Rows whose deadline has
/// passed are marked expired instead of being returned. FOR UPDATE SKIP LOCKED: concurrent
/// claimers get disjoint rows.
Expected<std::vector<ClaimedCoa>, StoreError> claimDueCoa(pqxx::connection& conn, size_t limit,
                                                          const CoaOutboxPolicy& policy);
/// The same for one row (the CLI sends what it just enqueued); empty when not due or taken.
Expected<std::optional<ClaimedCoa>, StoreError> claimCoaById(pqxx::connection& conn, int64_t id,
                                                             const CoaOutboxPolicy& policy);

/// Outcomes. Each applies only while the row is still this claim's (status 'sending', same
/// attempts): false when the lease was lost to another sender, which then owns the row.
Expected<bool, StoreError> recordCoaAck(pqxx::connection& conn, const ClaimedCoa& row,
                                        std::optional<uint32_t> error_cause);
/// `detail` ("nak 503 Session-Context-Not-Found") goes to last_error; "nak 503" when empty.
Expected<bool, StoreError> recordCoaNak(pqxx::connection& conn, const ClaimedCoa& row,
                                        std::optional<uint32_t> error_cause,
                                        const std::string& detail = "");
/// No answer, or a send error: pending again after outboxRetryDelay, or expired when that
/// would pass the deadline. `error` goes to last_error.
Expected<bool, StoreError> recordCoaRetry(pqxx::connection& conn, const ClaimedCoa& row,
                                          const std::string& error, const CoaOutboxPolicy& policy);
/// A request that can never be sent as stored (unknown attribute, bad value): failed.
Expected<bool, StoreError> recordCoaFailure(pqxx::connection& conn, const ClaimedCoa& row,
                                            const std::string& error);

struct CoaRequestRow {
    int64_t id = 0;
    int64_t nas_id = 0;
    std::string kind;
    std::string status;
    std::string reason;
    std::string username;
    std::string acct_session_id;
    int attempts = 0;
    std::optional<int> error_cause;
    std::string last_error;
    CoaAttributeList attributes;
};
Expected<CoaRequestRow, StoreError> getCoaRequest(pqxx::connection& conn, int64_t id);

/// Per NAS over the last 24 hours (by created_at), for the panel.
struct CoaNasHealth {
    int64_t nas_id = 0;
    std::string nas_name;
    std::string nas_ip;
    int64_t pending = 0;  // pending + sending
    int64_t acked = 0;
    int64_t naked = 0;
    int64_t failed = 0;
    int64_t expired = 0;
    // Of the acked (migration 007, docs/coa.md "Verification"): ended by the API fallback,
    // and the coa_verify job's verdicts so far.
    int64_t acked_via_api = 0;
    int64_t verified = 0;
    int64_t unverified = 0;
    std::optional<int64_t> last_ack_at;      // epoch seconds
    std::optional<int64_t> last_failure_at;  // naked, failed or expired
    std::string last_failure;                // "nak 503", or last_error
};
/// Every NAS, including those with no requests (all counts 0), ordered by name.
Expected<std::vector<CoaNasHealth>, StoreError> coaHealthByNas(pqxx::connection& conn);

}  // namespace gatehouse::store
