#include "core/store/subscriber_repository.hpp"

#include <pqxx/pqxx>

#include "core/store/coa_outbox_repository.hpp"
#include "core/store/ipam_repository.hpp"
#include "core/store/open_sessions.hpp"
#include "core/store/validate.hpp"

namespace gatehouse::store {
namespace {

Unexpected<StoreError> invalid(std::string field, std::string message) {
    return unexpected(
        StoreError{StoreErrorKind::kInvalid, std::move(field), std::move(message), 0});
}

Expected<void, StoreError> checkPassword(std::string_view password) {
    if (password.empty())
        return invalid("password", "must not be empty");
    if (password.size() > 128)
        return invalid("password", "longer than 128 octets (RFC 2865 5.2)");
    return {};
}

Expected<std::optional<int64_t>, StoreError> resolveService(const std::string& name,
                                                            const ServiceIndex& services) {
    if (name.empty())
        return std::optional<int64_t>{};
    auto it = services.find(name);
    if (it == services.end())
        return unexpected(StoreError{StoreErrorKind::kUnknownReference, "service",
                                     "unknown service '" + name + "'", 0});
    return std::optional<int64_t>(it->second);
}

Expected<std::optional<std::string>, StoreError> normaliseIp(const std::string& text) {
    if (text.empty())
        return std::optional<std::string>{};
    auto ip = parseIpv4(text, "static_ip");
    if (!ip)
        return unexpected(ip.error());
    return std::optional<std::string>(formatIpv4(*ip));
}

Expected<std::optional<std::string>, StoreError> normaliseMac(const std::string& text) {
    if (text.empty())
        return std::optional<std::string>{};
    auto mac = parseMac(text, "mac");
    if (!mac)
        return unexpected(mac.error());
    return std::optional<std::string>(*mac);
}

template <class T>
std::string literal(pqxx::transaction_base& txn, const std::optional<T>& v) {
    if (!v)
        return "NULL";
    if constexpr (std::is_same_v<T, std::string>)
        return txn.quote(*v);
    else
        return std::to_string(*v);
}

std::string expiresLiteral(const std::optional<int64_t>& v) {
    return v ? "to_timestamp(" + std::to_string(*v) + ")" : "NULL";
}

// What the sessions need to know about a row, before and after an update.
struct LiveFacts {
    std::optional<int64_t> service_id;
    bool enabled = true;
    bool expired = false;  // expires_at <= now(); a NULL expiry never expires
};

constexpr const char* kLiveFactsColumns =
    "service_id, enabled, COALESCE(expires_at <= now(), false)";

LiveFacts liveFactsOf(const pqxx::row& r, int first) {
    LiveFacts f;
    if (!r[first].is_null())
        f.service_id = r[first].as<int64_t>();
    f.enabled = r[first + 1].as<bool>();
    f.expired = r[first + 2].as<bool>();
    return f;
}

// The session change an update calls for (docs/coa.md "Plan change, renewal, disable,
// expiry"), in the update's transaction so the change and its job commit together. One job per
// update: a Disconnect ("disabled", then "renewal") also carries out a plan change, since the
// redial is authorised afresh. The job row is only written while the subscriber has an open
// session: without one the next login simply sees the new row.
void recordSessionChange(pqxx::work& txn, int64_t id, const LiveFacts& before,
                         const LiveFacts& after) {
    const bool plan = before.service_id != after.service_id;
    const bool disabled = before.enabled && !after.enabled;
    const bool renewed = before.expired && !after.expired;
    if (plan) {
        // The old plan's pool addresses go back unless a live session still uses one: that
        // one is released by the session's Stop (the fup_coa job disconnects a session whose
        // address belongs to another pool than the new plan's).
        releaseSubscriberIpsWithoutSession(txn, id);
    }
    const char* kind = disabled ? "disabled" : renewed ? "renewal" : plan ? "plan" : nullptr;
    if (kind == nullptr)
        return;
    const char* reason = disabled  ? "account disabled"
                         : renewed ? "expiry moved to the future"
                                   : "service changed";
    std::optional<int64_t> from_service;
    if (std::string_view(kind) == "plan")
        from_service = before.service_id;
    txn.exec_params(
        "INSERT INTO tier_change_jobs (subscriber_id, from_tier, to_tier, reason, kind,"
        " from_service_id) SELECT s.id, s.current_tier, s.current_tier, $2, $3, $4"
        " FROM subscribers s WHERE s.id = $1 AND EXISTS (SELECT 1 FROM radacct r"
        "  WHERE r.acctstoptime IS NULL AND r.subscriber_id = $1)",
        id, std::string(reason), std::string(kind), from_service);
}

}  // namespace

ServiceIndex loadServiceIndex(pqxx::connection& conn) {
    pqxx::read_transaction txn(conn);
    return loadServiceIndex(txn);
}

ServiceIndex loadServiceIndex(pqxx::transaction_base& txn) {
    ServiceIndex index;
    for (const auto& row : txn.exec("SELECT name, id FROM services"))
        index.emplace(row[0].as<std::string>(), row[1].as<int64_t>());
    return index;
}

Expected<SubscriberValues, StoreError> validateSubscriber(const SubscriberInput& in,
                                                          const ServiceIndex& services,
                                                          const crypto::SecretBox& box) {
    SubscriberValues v;
    auto username = checkUsername(in.username, "username");
    if (!username)
        return unexpected(username.error());
    v.username = std::move(*username);
    if (auto ok = checkPassword(in.password); !ok)
        return unexpected(ok.error());
    auto service = resolveService(in.service, services);
    if (!service)
        return unexpected(service.error());
    v.service_id = *service;
    auto ip = normaliseIp(in.static_ip);
    if (!ip)
        return unexpected(ip.error());
    v.static_ip = *ip;
    auto mac = normaliseMac(in.mac);
    if (!mac)
        return unexpected(mac.error());
    v.mac = *mac;
    auto expires = parseExpiry(in.expires, "expires");
    if (!expires)
        return unexpected(expires.error());
    v.expires_at = *expires;
    if (!in.enabled.empty()) {
        auto enabled = parseBool(in.enabled, "enabled");
        if (!enabled)
            return unexpected(enabled.error());
        v.enabled = *enabled;
    }
    // Sealed last: nothing is encrypted for a row that is refused anyway.
    v.password_enc = box.seal(in.password, v.username);
    return v;
}

Expected<int64_t, StoreError> addSubscriber(pqxx::connection& conn, const crypto::SecretBox& box,
                                            const SubscriberInput& in) {
    try {
        pqxx::work txn(conn);
        auto id = addSubscriber(txn, box, in);
        if (id)
            txn.commit();
        return id;
    } catch (const std::exception& e) {
        return unexpected(fromException(e));
    }
}

Expected<int64_t, StoreError> addSubscriber(pqxx::work& txn, const crypto::SecretBox& box,
                                            const SubscriberInput& in) {
    try {
        auto values = validateSubscriber(in, loadServiceIndex(txn), box);
        if (!values)
            return unexpected(values.error());
        const auto& v = *values;
        auto r = txn.exec(
            "INSERT INTO subscribers (username, password_enc, service_id, static_ip, mac,"
            " expires_at, enabled) VALUES (" +
            txn.quote(v.username) + ", " + txn.quote(v.password_enc) + ", " +
            literal(txn, v.service_id) + ", " + literal(txn, v.static_ip) + ", " +
            literal(txn, v.mac) + ", " + expiresLiteral(v.expires_at) + ", " +
            (v.enabled ? "true" : "false") + ") RETURNING id");
        return r[0][0].as<int64_t>();
    } catch (const std::exception& e) {
        return unexpected(fromException(e));
    }
}

Expected<void, StoreError> updateSubscriber(pqxx::connection& conn, const crypto::SecretBox* box,
                                            std::string_view username,
                                            const SubscriberPatch& patch) {
    try {
        pqxx::work txn(conn);
        auto done = updateSubscriber(txn, box, username, patch);
        if (done)
            txn.commit();
        return done;
    } catch (const std::exception& e) {
        return unexpected(fromException(e));
    }
}

Expected<void, StoreError> updateSubscriber(pqxx::work& txn, const crypto::SecretBox* box,
                                            std::string_view username,
                                            const SubscriberPatch& patch) {
    try {
        std::vector<std::string> sets;
        ServiceIndex services;
        if (patch.service && !patch.service->empty())
            services = loadServiceIndex(txn);
        if (patch.password) {
            if (auto ok = checkPassword(*patch.password); !ok)
                return unexpected(ok.error());
            if (box == nullptr)
                return invalid("password", "no key to encrypt it with");
            sets.push_back("password_enc = " + txn.quote(box->seal(*patch.password, username)));
        }
        if (patch.service) {
            auto service = resolveService(*patch.service, services);
            if (!service)
                return unexpected(service.error());
            sets.push_back("service_id = " + literal(txn, *service));
        }
        if (patch.static_ip) {
            auto ip = normaliseIp(*patch.static_ip);
            if (!ip)
                return unexpected(ip.error());
            sets.push_back("static_ip = " + literal(txn, *ip));
        }
        if (patch.mac) {
            auto mac = normaliseMac(*patch.mac);
            if (!mac)
                return unexpected(mac.error());
            sets.push_back("mac = " + literal(txn, *mac));
        }
        if (patch.expires) {
            auto expires = parseExpiry(*patch.expires, "expires");
            if (!expires)
                return unexpected(expires.error());
            sets.push_back("expires_at = " + expiresLiteral(*expires));
        }
        if (patch.enabled) {
            auto enabled = parseBool(*patch.enabled, "enabled");
            if (!enabled)
                return unexpected(enabled.error());
            sets.push_back(std::string("enabled = ") + (*enabled ? "true" : "false"));
        }
        if (sets.empty())
            return invalid("", "nothing to change (give at least one field)");
        // The row is locked before it is read, so two operators' updates see each other's
        // result and a change is turned into one job, not two or none.
        auto current = txn.exec_params(std::string("SELECT id, ") + kLiveFactsColumns +
                                           " FROM subscribers WHERE username = $1 FOR UPDATE",
                                       std::string(username));
        if (current.empty())
            return unexpected(StoreError{StoreErrorKind::kNotFound, "username",
                                         "no subscriber '" + std::string(username) + "'", 0});
        const int64_t id = current[0][0].as<int64_t>();
        std::string sql = "UPDATE subscribers SET ";
        for (size_t i = 0; i < sets.size(); ++i)
            sql += (i ? ", " : "") + sets[i];
        sql += " WHERE id = " + std::to_string(id) + " RETURNING " + kLiveFactsColumns;
        auto updated = txn.exec(sql);
        recordSessionChange(txn, id, liveFactsOf(current[0], 1), liveFactsOf(updated[0], 0));
        return {};
    } catch (const std::exception& e) {
        return unexpected(fromException(e));
    }
}

Expected<void, StoreError> deleteSubscriber(pqxx::connection& conn, std::string_view username) {
    try {
        pqxx::work txn(conn);
        auto done = deleteSubscriber(txn, username);
        if (done)
            txn.commit();
        return done;
    } catch (const std::exception& e) {
        return unexpected(fromException(e));
    }
}

Expected<void, StoreError> deleteSubscriber(pqxx::work& txn, std::string_view username) {
    try {
        auto current = txn.exec_params("SELECT id FROM subscribers WHERE username = $1 FOR UPDATE",
                                       std::string(username));
        if (current.empty())
            return unexpected(StoreError{StoreErrorKind::kNotFound, "username",
                                         "no subscriber '" + std::string(username) + "'", 0});
        const int64_t id = current[0][0].as<int64_t>();
        // A deleted account must not stay online. Its session change jobs cascade away with
        // the row, so the Disconnect goes straight into the outbox, in this transaction (the
        // outbox row's subscriber_id becomes NULL with the delete; the row stays).
        OpenSessionFilter filter;
        filter.subscriber_id = id;
        for (const OpenSession& s : findOpenSessions(txn, filter)) {
            if (!s.nas_id)
                continue;  // a NAS no longer registered: nobody to tell
            CoaEnqueue in;
            in.nas_id = *s.nas_id;
            in.subscriber_id = id;
            in.username = s.username;
            in.acct_session_id = s.acct_session_id;
            in.kind = "disconnect";
            in.attributes = identifySession(s);
            in.reason = "deleted";
            if (auto queued = enqueueCoa(txn, in); !queued)
                return unexpected(queued.error());
        }
        // Addresses a live session still uses are freed by its Stop or by the pool sync.
        releaseSubscriberIpsWithoutSession(txn, id);
        txn.exec_params("DELETE FROM subscribers WHERE id = $1", id);
        return {};
    } catch (const std::exception& e) {
        return unexpected(fromException(e));
    }
}

Expected<std::vector<SubscriberRow>, StoreError> listSubscribers(pqxx::connection& conn,
                                                                 const SubscriberFilter& filter) {
    try {
        pqxx::read_transaction txn(conn);
        std::string sql =
            "SELECT u.id, u.username, COALESCE(s.name, ''), COALESCE(host(u.static_ip), ''),"
            " COALESCE(upper(u.mac::text), ''), extract(epoch FROM u.expires_at)::bigint,"
            " u.enabled FROM subscribers u LEFT JOIN services s ON s.id = u.service_id WHERE true";
        if (!filter.service.empty())
            sql += " AND s.name = " + txn.quote(filter.service);
        if (!filter.username_prefix.empty())
            sql += " AND starts_with(u.username, " + txn.quote(filter.username_prefix) + ")";
        sql += " ORDER BY u.username";
        if (filter.limit != 0)
            sql += " LIMIT " + std::to_string(filter.limit);
        std::vector<SubscriberRow> rows;
        for (const auto& row : txn.exec(sql)) {
            SubscriberRow s;
            s.id = row[0].as<int64_t>();
            s.username = row[1].as<std::string>();
            s.service = row[2].as<std::string>();
            s.static_ip = row[3].as<std::string>();
            s.mac = row[4].as<std::string>();
            if (!row[5].is_null())
                s.expires_at = row[5].as<int64_t>();
            s.enabled = row[6].as<bool>();
            rows.push_back(std::move(s));
        }
        return rows;
    } catch (const std::exception& e) {
        return unexpected(fromException(e));
    }
}

}  // namespace gatehouse::store
