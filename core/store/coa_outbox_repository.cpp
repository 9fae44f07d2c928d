#include "core/store/coa_outbox_repository.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

namespace gatehouse::store {
namespace {

Unexpected<StoreError> invalid(std::string field, std::string message) {
    return unexpected(
        StoreError{StoreErrorKind::kInvalid, std::move(field), std::move(message), 0});
}

std::string attributesJson(const CoaAttributeList& attributes) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& [name, value] : attributes)
        a.push_back(nlohmann::json::array({name, value}));
    return a.dump();
}

CoaAttributeList parseAttributes(const std::string& text) {
    CoaAttributeList out;
    auto j = nlohmann::json::parse(text);
    for (const auto& pair : j) {
        if (pair.is_array() && pair.size() == 2 && pair[0].is_string() && pair[1].is_string())
            out.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
        else
            // Written by hand into the table: kept visible so the send fails (a build error,
            // status failed) instead of silently sending fewer attributes.
            out.emplace_back(pair.dump(), "");
    }
    return out;
}

std::string seconds(std::chrono::seconds s) {
    return "make_interval(secs => " + std::to_string(s.count()) + ")";
}

constexpr const char* kClaimColumns =
    "c.id, c.nas_id, n.name, host(n.ip), n.coa_port, n.secret, n.type, c.username,"
    " c.acct_session_id, c.kind, c.attributes::text, c.reason, c.attempts";

ClaimedCoa claimedFrom(const pqxx::row& r) {
    ClaimedCoa c;
    c.id = r[0].as<int64_t>();
    c.nas_id = r[1].as<int64_t>();
    c.nas_name = r[2].as<std::string>();
    c.nas_ip = r[3].as<std::string>();
    c.coa_port = r[4].as<int>();
    c.secret = r[5].as<std::string>();
    c.nas_type = r[6].as<std::string>();
    c.username = r[7].as<std::string>();
    c.acct_session_id = r[8].as<std::string>();
    c.kind = r[9].as<std::string>();
    c.attributes = parseAttributes(r[10].as<std::string>());
    c.reason = r[11].as<std::string>();
    c.attempts = r[12].as<int>();
    return c;
}

std::string idArray(const std::vector<int64_t>& ids) {
    std::string s = "'{";
    for (size_t i = 0; i < ids.size(); ++i) {
        if (i > 0)
            s += ',';
        s += std::to_string(ids[i]);
    }
    return s + "}'::bigint[]";
}

// Locks the due rows (skipping rows another claimer holds), expires the late ones and claims
// the rest, in one transaction.
std::vector<ClaimedCoa> claim(pqxx::work& txn, const std::string& extra_where, size_t limit,
                              const CoaOutboxPolicy& policy) {
    auto due = txn.exec(
        "SELECT id, deadline <= now() FROM coa_requests"
        " WHERE status IN ('pending', 'sending') AND next_attempt_at <= now()" +
        extra_where + " ORDER BY next_attempt_at, id LIMIT " + std::to_string(limit) +
        " FOR UPDATE SKIP LOCKED");
    std::vector<int64_t> late;
    std::vector<int64_t> take;
    for (const auto& r : due)
        (r[1].as<bool>() ? late : take).push_back(r[0].as<int64_t>());
    if (!late.empty())
        txn.exec(
            "UPDATE coa_requests SET status = 'expired', done_at = now(),"
            " last_error = COALESCE(last_error, 'deadline passed before it could be sent')"
            " WHERE id = ANY(" +
            idArray(late) + ")");
    std::vector<ClaimedCoa> out;
    if (take.empty())
        return out;
    auto claimed = txn.exec(
        "UPDATE coa_requests c SET status = 'sending', attempts = c.attempts + 1,"
        " next_attempt_at = now() + " +
        seconds(policy.lease) + " FROM nas_devices n WHERE n.id = c.nas_id AND c.id = ANY(" +
        idArray(take) + ") RETURNING " + kClaimColumns);
    for (const auto& r : claimed)
        out.push_back(claimedFrom(r));
    std::sort(out.begin(), out.end(),
              [](const ClaimedCoa& a, const ClaimedCoa& b) { return a.id < b.id; });
    return out;
}

// The guard every outcome shares: the row is still in the hands of this claim.
std::string ownedBy(const ClaimedCoa& row) {
    return " WHERE id = " + std::to_string(row.id) +
           " AND status = 'sending' AND attempts = " + std::to_string(row.attempts);
}

Expected<bool, StoreError> execOwned(pqxx::connection& conn, const std::string& statement) {
    try {
        pqxx::work txn(conn);
        auto r = txn.exec(statement);
        txn.commit();
        return r.affected_rows() == 1;
    } catch (const std::exception& e) {
        return unexpected(fromException(e));
    }
}

std::string causeSql(std::optional<uint32_t> cause) {
    return cause ? std::to_string(*cause) : "NULL";
}

std::optional<int64_t> optionalInt(const pqxx::field& f) {
    if (f.is_null())
        return std::nullopt;
    return f.as<int64_t>();
}

}  // namespace

std::chrono::seconds outboxRetryDelay(const CoaOutboxPolicy& policy, int attempts) {
    auto d = policy.first_retry;
    for (int i = 1; i < attempts && d < policy.max_retry; ++i)
        d *= 2;
    return std::min(d, policy.max_retry);
}

Expected<int64_t, StoreError> enqueueCoa(pqxx::work& txn, const CoaEnqueue& in) {
    if (in.kind != "coa" && in.kind != "disconnect")
        return invalid("kind", "must be coa or disconnect, not '" + in.kind + "'");
    if (in.reason.empty())
        return invalid("reason", "must not be empty");
    if (in.lifetime.count() <= 0)
        return invalid("lifetime", "must be positive");
    auto r = txn.exec(
        "INSERT INTO coa_requests (nas_id, subscriber_id, username, acct_session_id, kind,"
        " attributes, reason, deadline) VALUES (" +
        std::to_string(in.nas_id) + ", " +
        (in.subscriber_id ? std::to_string(*in.subscriber_id) : std::string("NULL")) + ", " +
        txn.quote(in.username) + ", " + txn.quote(in.acct_session_id) + ", " + txn.quote(in.kind) +
        ", " + txn.quote(attributesJson(in.attributes)) + "::jsonb, " + txn.quote(in.reason) +
        ", now() + " + seconds(in.lifetime) + ") RETURNING id");
    return r[0][0].as<int64_t>();
}

Expected<int64_t, StoreError> enqueueCoa(pqxx::connection& conn, const CoaEnqueue& in) {
    try {
        pqxx::work txn(conn);
        auto id = enqueueCoa(txn, in);
        if (id)
            txn.commit();
        return id;
    } catch (const pqxx::foreign_key_violation& e) {
        std::string what = e.what();
        if (what.find("nas_id") != std::string::npos)
            return unexpected(StoreError{StoreErrorKind::kUnknownReference, "nas_id",
                                         "no NAS with id " + std::to_string(in.nas_id), 0});
        return unexpected(StoreError{StoreErrorKind::kUnknownReference, "subscriber_id",
                                     "no such subscriber", 0});
    } catch (const std::exception& e) {
        return unexpected(fromException(e));
    }
}

Expected<std::vector<ClaimedCoa>, StoreError> claimDueCoa(pqxx::connection& conn, size_t limit,
                                                          const CoaOutboxPolicy& policy) {
    if (limit == 0)
        return std::vector<ClaimedCoa>{};
    try {
        pqxx::work txn(conn);
        auto out = claim(txn, "", limit, policy);
        txn.commit();
        return out;
    } catch (const std::exception& e) {
        return unexpected(fromException(e));
    }
}

Expected<std::optional<ClaimedCoa>, StoreError> claimCoaById(pqxx::connection& conn, int64_t id,
                                                             const CoaOutboxPolicy& policy) {
    try {
        pqxx::work txn(conn);
        auto out = claim(txn, " AND id = " + std::to_string(id), 1, policy);
        txn.commit();
        if (out.empty())
            return std::optional<ClaimedCoa>{};
        return std::optional<ClaimedCoa>{std::move(out.front())};
    } catch (const std::exception& e) {
        return unexpected(fromException(e));
    }
}

Expected<bool, StoreError> recordCoaAck(pqxx::connection& conn, const ClaimedCoa& row,
                                        std::optional<uint32_t> error_cause) {
    return execOwned(conn,
                     "UPDATE coa_requests SET status = 'acked', done_at = now(), error_cause = " +
                         causeSql(error_cause) + ", last_error = NULL" + ownedBy(row));
}

Expected<bool, StoreError> recordCoaNak(pqxx::connection& conn, const ClaimedCoa& row,
                                        std::optional<uint32_t> error_cause,
                                        const std::string& detail) {
    std::string text = detail;
    if (text.empty()) {
        text = "nak";
        if (error_cause)
            text += " " + std::to_string(*error_cause);
    }
    try {
        pqxx::work txn(conn);
        auto r =
            txn.exec("UPDATE coa_requests SET status = 'naked', done_at = now(), error_cause = " +
                     causeSql(error_cause) + ", last_error = " + txn.quote(text) + ownedBy(row));
        txn.commit();
        return r.affected_rows() == 1;
    } catch (const std::exception& e) {
        return unexpected(fromException(e));
    }
}

Expected<bool, StoreError> recordCoaRetry(pqxx::connection& conn, const ClaimedCoa& row,
                                          const std::string& error, const CoaOutboxPolicy& policy) {
    const std::string next = "now() + " + seconds(outboxRetryDelay(policy, row.attempts));
    try {
        pqxx::work txn(conn);
        auto r = txn.exec("UPDATE coa_requests SET status = CASE WHEN " + next +
                          " >= deadline THEN 'expired' ELSE 'pending' END,"
                          " done_at = CASE WHEN " +
                          next + " >= deadline THEN now() END, next_attempt_at = " + next +
                          ", last_error = " + txn.quote(error) + ownedBy(row));
        txn.commit();
        return r.affected_rows() == 1;
    } catch (const std::exception& e) {
        return unexpected(fromException(e));
    }
}

Expected<bool, StoreError> recordCoaFailure(pqxx::connection& conn, const ClaimedCoa& row,
                                            const std::string& error) {
    try {
        pqxx::work txn(conn);
        auto r =
            txn.exec("UPDATE coa_requests SET status = 'failed', done_at = now(), last_error = " +
                     txn.quote(error) + ownedBy(row));
        txn.commit();
        return r.affected_rows() == 1;
    } catch (const std::exception& e) {
        return unexpected(fromException(e));
    }
}

Expected<CoaRequestRow, StoreError> getCoaRequest(pqxx::connection& conn, int64_t id) {
    try {
        pqxx::read_transaction txn(conn);
        auto r = txn.exec(
            "SELECT id, nas_id, kind, status, reason, username, acct_session_id, attempts,"
            " error_cause, COALESCE(last_error, ''), attributes::text FROM coa_requests"
            " WHERE id = " +
            std::to_string(id));
        if (r.empty())
            return unexpected(StoreError{StoreErrorKind::kNotFound, "id",
                                         "no CoA request " + std::to_string(id), 0});
        const auto& row = r[0];
        CoaRequestRow out;
        out.id = row[0].as<int64_t>();
        out.nas_id = row[1].as<int64_t>();
        out.kind = row[2].as<std::string>();
        out.status = row[3].as<std::string>();
        out.reason = row[4].as<std::string>();
        out.username = row[5].as<std::string>();
        out.acct_session_id = row[6].as<std::string>();
        out.attempts = row[7].as<int>();
        if (!row[8].is_null())
            out.error_cause = row[8].as<int>();
        out.last_error = row[9].as<std::string>();
        out.attributes = parseAttributes(row[10].as<std::string>());
        return out;
    } catch (const std::exception& e) {
        return unexpected(fromException(e));
    }
}

Expected<std::vector<CoaNasHealth>, StoreError> coaHealthByNas(pqxx::connection& conn) {
    try {
        pqxx::read_transaction txn(conn);
        auto r = txn.exec(
            "SELECT n.id, n.name, host(n.ip),"
            " count(c.id) FILTER (WHERE c.status IN ('pending', 'sending')),"
            " count(c.id) FILTER (WHERE c.status = 'acked'),"
            " count(c.id) FILTER (WHERE c.status = 'naked'),"
            " count(c.id) FILTER (WHERE c.status = 'failed'),"
            " count(c.id) FILTER (WHERE c.status = 'expired'),"
            " extract(epoch FROM max(c.done_at) FILTER (WHERE c.status = 'acked'))::bigint,"
            " extract(epoch FROM lf.done_at)::bigint, COALESCE(lf.what, ''),"
            " count(c.id) FILTER (WHERE c.status = 'acked' AND c.done_via = 'api'),"
            " count(c.id) FILTER (WHERE c.verify_result = 'verified'),"
            " count(c.id) FILTER (WHERE c.verify_result = 'unverified')"
            " FROM nas_devices n"
            " LEFT JOIN coa_requests c ON c.nas_id = n.id"
            "  AND c.created_at > now() - interval '24 hours'"
            " LEFT JOIN LATERAL (SELECT f.done_at, COALESCE(f.last_error, f.status) AS what"
            "  FROM coa_requests f WHERE f.nas_id = n.id"
            "  AND f.status IN ('naked', 'failed', 'expired')"
            "  AND f.created_at > now() - interval '24 hours'"
            "  ORDER BY f.done_at DESC, f.id DESC LIMIT 1) lf ON true"
            " GROUP BY n.id, n.name, n.ip, lf.done_at, lf.what ORDER BY n.name");
        std::vector<CoaNasHealth> out;
        out.reserve(r.size());
        for (const auto& row : r) {
            CoaNasHealth h;
            h.nas_id = row[0].as<int64_t>();
            h.nas_name = row[1].as<std::string>();
            h.nas_ip = row[2].as<std::string>();
            h.pending = row[3].as<int64_t>();
            h.acked = row[4].as<int64_t>();
            h.naked = row[5].as<int64_t>();
            h.failed = row[6].as<int64_t>();
            h.expired = row[7].as<int64_t>();
            h.last_ack_at = optionalInt(row[8]);
            h.last_failure_at = optionalInt(row[9]);
            h.last_failure = row[10].as<std::string>();
            h.acked_via_api = row[11].as<int64_t>();
            h.verified = row[12].as<int64_t>();
            h.unverified = row[13].as<int64_t>();
            out.push_back(std::move(h));
        }
        return out;
    } catch (const std::exception& e) {
        return unexpected(fromException(e));
    }
}

}  // namespace gatehouse::store
