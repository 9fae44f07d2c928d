#include "core/store/coa_verify_repository.hpp"

#include <pqxx/pqxx>

namespace gatehouse::store {
namespace {

Expected<bool, StoreError> execOne(pqxx::connection& conn, const std::string& statement) {
    try {
        pqxx::work txn(conn);
        auto r = txn.exec(statement);
        txn.commit();
        return r.affected_rows() == 1;
    } catch (const std::exception& e) {
        return unexpected(fromException(e));
    }
}

std::string quoted(pqxx::connection& conn, const std::string& text) {
    return conn.quote(text);
}

}  // namespace

Expected<bool, StoreError> recordCoaDoneViaApi(pqxx::connection& conn, const ClaimedCoa& row,
                                               std::optional<uint32_t> error_cause,
                                               const std::string& radius_outcome,
                                               const std::string& result) {
    return execOne(conn,
                   "UPDATE coa_requests SET status = 'acked', done_at = now(), done_via = 'api',"
                   " error_cause = " +
                       (error_cause ? std::to_string(*error_cause) : std::string("NULL")) +
                       ", last_error = " + quoted(conn, radius_outcome) + ", fallback_result = " +
                       quoted(conn, result) + " WHERE id = " + std::to_string(row.id) +
                       " AND status = 'sending' AND attempts = " + std::to_string(row.attempts));
}

Expected<bool, StoreError> noteCoaFallback(pqxx::connection& conn, int64_t id,
                                           const std::string& result) {
    return execOne(conn, "UPDATE coa_requests SET fallback_result = " + quoted(conn, result) +
                             " WHERE id = " + std::to_string(id));
}

Expected<std::vector<CoaToVerify>, StoreError> listCoaToVerify(pqxx::connection& conn, size_t limit,
                                                               std::chrono::seconds window,
                                                               std::chrono::seconds max_age) {
    try {
        pqxx::read_transaction txn(conn);
        // The open-session test walks radacct_open_by_user. A session is matched on the NAS
        // by nas_id, or by address for rows the writer could not tie to a NAS row; only
        // sessions started before the ACK count (a redial afterwards is a new session).
        auto r = txn.exec(
            "SELECT c.id, c.nas_id, n.name, n.type, c.kind, c.username, c.acct_session_id,"
            " COALESCE((SELECT p->>1 FROM jsonb_array_elements(c.attributes) p"
            "  WHERE p->>0 = 'Framed-IP-Address' LIMIT 1), ''),"
            " c.done_via,"
            " EXISTS (SELECT 1 FROM radacct a WHERE a.acctstoptime IS NULL"
            "  AND a.username = c.username"
            "  AND (c.acct_session_id = '' OR a.acctsessionid = c.acct_session_id)"
            "  AND (a.nas_id = c.nas_id OR (a.nas_id IS NULL AND a.nasipaddress = n.ip))"
            "  AND a.acctstarttime <= c.done_at),"
            " c.done_at + make_interval(secs => " +
            std::to_string(window.count()) +
            ") <= now(),"
            " COALESCE((SELECT p->>1 FROM jsonb_array_elements(c.attributes) p"
            "  WHERE p->>0 = 'Mikrotik-Rate-Limit' LIMIT 1), '')"
            " FROM coa_requests c JOIN nas_devices n ON n.id = c.nas_id"
            " WHERE c.status = 'acked' AND c.verified_at IS NULL"
            " AND c.done_at > now() - make_interval(secs => " +
            std::to_string(max_age.count()) + ") ORDER BY c.done_at, c.id LIMIT " +
            std::to_string(limit));
        std::vector<CoaToVerify> out;
        out.reserve(r.size());
        for (const auto& row : r) {
            CoaToVerify v;
            v.id = row[0].as<int64_t>();
            v.nas_id = row[1].as<int64_t>();
            v.nas_name = row[2].as<std::string>();
            v.nas_type = row[3].as<std::string>();
            v.kind = row[4].as<std::string>();
            v.username = row[5].as<std::string>();
            v.acct_session_id = row[6].as<std::string>();
            v.framed_ip = row[7].as<std::string>();
            v.done_via = row[8].as<std::string>();
            v.accounting_open = row[9].as<bool>();
            v.past_window = row[10].as<bool>();
            v.rate_limit = row[11].as<std::string>();
            out.push_back(std::move(v));
        }
        return out;
    } catch (const std::exception& e) {
        return unexpected(fromException(e));
    }
}

Expected<bool, StoreError> recordCoaVerification(pqxx::connection& conn, int64_t id,
                                                 const std::string& result,
                                                 const std::string& detail) {
    if (result != "verified" && result != "unverified" && result != "skipped")
        return unexpected(StoreError{StoreErrorKind::kInvalid, "verify_result",
                                     "must be verified, unverified or skipped", 0});
    return execOne(conn, "UPDATE coa_requests SET verified_at = now(), verify_result = " +
                             quoted(conn, result) + ", verify_detail = " + quoted(conn, detail) +
                             " WHERE id = " + std::to_string(id) +
                             " AND status = 'acked' AND verified_at IS NULL");
}

}  // namespace gatehouse::store
