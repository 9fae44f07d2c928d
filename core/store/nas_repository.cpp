#include "core/store/nas_repository.hpp"

#include <pqxx/pqxx>
#include <vector>

#include "core/store/validate.hpp"

namespace gatehouse::store {
namespace {

constexpr std::string_view kTypes[] = {"mikrotik", "generic", "cisco", "juniper", "huawei"};

Unexpected<StoreError> invalid(std::string field, std::string message) {
    return unexpected(
        StoreError{StoreErrorKind::kInvalid, std::move(field), std::move(message), 0});
}

// RFC 2865 3: the secret must not be empty; 128 octets is what every BNG accepts.
Expected<void, StoreError> checkSecret(const std::string& secret) {
    if (secret.empty())
        return invalid("secret", "must not be empty");
    if (secret.size() > 128)
        return invalid("secret", "longer than 128 characters");
    return {};
}

Expected<void, StoreError> checkApiPassword(const std::string& password,
                                            const crypto::SecretBox* box) {
    if (password.empty())
        return invalid("api_password", "must not be empty");
    if (box == nullptr)
        return invalid("api_password", "no key to encrypt it with");
    return {};
}

std::string whereNameOrIp(pqxx::transaction_base& txn, std::string_view name_or_ip) {
    if (auto ip = parseIpv4(name_or_ip, "ip"))
        return "ip = " + txn.quote(formatIpv4(*ip));
    return "name = " + txn.quote(std::string(name_or_ip));
}

// Runs `change` in a transaction of its own, committed only when it succeeded.
template <class F>
auto inOwnTransaction(pqxx::connection& conn, F&& change)
    -> decltype(change(std::declval<pqxx::work&>())) {
    try {
        pqxx::work txn(conn);
        auto result = change(txn);
        if (result)
            txn.commit();
        return result;
    } catch (const std::exception& e) {
        return unexpected(fromException(e));
    }
}

Unexpected<StoreError> noSuchNas(std::string_view name_or_ip) {
    return unexpected(StoreError{StoreErrorKind::kNotFound, "name",
                                 "no NAS named '" + std::string(name_or_ip) + "'", 0});
}

}  // namespace

std::string apiPasswordAssociatedData(int64_t nas_id) {
    return "nas:" + std::to_string(nas_id);
}

std::string sealApiPassword(const crypto::SecretBox& box, int64_t nas_id,
                            std::string_view password) {
    return box.seal(password, apiPasswordAssociatedData(nas_id));
}

bool isKnownNasType(std::string_view type) {
    for (auto t : kTypes)
        if (t == type)
            return true;
    return false;
}

Expected<int64_t, StoreError> addNas(pqxx::work& txn, const NasInput& in,
                                     const crypto::SecretBox* box) {
    if (in.name.empty())
        return invalid("name", "must not be empty");
    auto ip = parseIpv4(in.ip, "ip");
    if (!ip)
        return unexpected(ip.error());
    if (auto ok = checkSecret(in.secret); !ok)
        return unexpected(ok.error());
    if (!isKnownNasType(in.type))
        return invalid("type", "unknown NAS type '" + in.type +
                                   "' (expected mikrotik, generic, cisco, juniper or huawei)");
    int64_t coa_port = in.type == "mikrotik" ? 1700 : 3799;
    if (!in.coa_port.empty()) {
        auto p = parseInt(in.coa_port, "coa_port", 1, 65535);
        if (!p)
            return unexpected(p.error());
        coa_port = *p;
    }
    // The API: a user without a password (or the reverse) could log in nowhere.
    if (!in.api_password.empty() && in.api_username.empty())
        return invalid("api_user", "required with an API password");
    if (!in.api_username.empty()) {
        if (auto ok = checkApiPassword(in.api_password, box); !ok)
            return unexpected(ok.error());
    }
    int64_t api_port = 8728;
    int64_t api_ssl_port = 8729;
    if (!in.api_port.empty()) {
        auto p = parseInt(in.api_port, "api_port", 1, 65535);
        if (!p)
            return unexpected(p.error());
        api_port = *p;
    }
    if (!in.api_ssl_port.empty()) {
        auto p = parseInt(in.api_ssl_port, "api_ssl_port", 1, 65535);
        if (!p)
            return unexpected(p.error());
        api_ssl_port = *p;
    }
    try {
        auto r = txn.exec(
            "INSERT INTO nas_devices (name, ip, secret, type, coa_port, description, enabled,"
            " require_message_authenticator, api_username, api_port, api_ssl_port, api_use_ssl)"
            " VALUES (" +
            txn.quote(in.name) + ", " + txn.quote(formatIpv4(*ip)) + ", " + txn.quote(in.secret) +
            ", " + txn.quote(in.type) + ", " + std::to_string(coa_port) + ", " +
            txn.quote(in.description) + ", " + (in.enabled ? "true" : "false") + ", " +
            (in.require_message_authenticator ? "true" : "false") + ", " +
            txn.quote(in.api_username) + ", " + std::to_string(api_port) + ", " +
            std::to_string(api_ssl_port) + ", " + (in.api_tls ? "true" : "false") +
            ") RETURNING id");
        const int64_t id = r[0][0].as<int64_t>();
        // The associated data is the row id, known only now: sealed in the same transaction,
        // so no NAS is ever visible with a user but no password.
        if (!in.api_username.empty())
            txn.exec("UPDATE nas_devices SET api_password_enc = " +
                     txn.quote(sealApiPassword(*box, id, in.api_password)) +
                     " WHERE id = " + std::to_string(id));
        return id;
    } catch (const std::exception& e) {
        return unexpected(fromException(e));
    }
}

Expected<void, StoreError> updateNas(pqxx::work& txn, const crypto::SecretBox* box,
                                     std::string_view name_or_ip, const NasPatch& patch) {
    try {
        auto found = txn.exec(
            "SELECT id, api_username, api_password_enc IS NOT NULL"
            " FROM nas_devices WHERE " +
            whereNameOrIp(txn, name_or_ip) + " FOR UPDATE");
        if (found.empty())
            return noSuchNas(name_or_ip);
        const int64_t id = found[0][0].as<int64_t>();
        const std::string old_user = found[0][1].as<std::string>();
        const bool old_password = found[0][2].as<bool>();

        std::vector<std::string> sets;
        if (patch.name) {
            if (patch.name->empty())
                return invalid("name", "must not be empty");
            sets.push_back("name = " + txn.quote(*patch.name));
        }
        if (patch.ip) {
            auto ip = parseIpv4(*patch.ip, "ip");
            if (!ip)
                return unexpected(ip.error());
            sets.push_back("ip = " + txn.quote(formatIpv4(*ip)));
        }
        if (patch.type) {
            if (!isKnownNasType(*patch.type))
                return invalid("type",
                               "unknown NAS type '" + *patch.type +
                                   "' (expected mikrotik, generic, cisco, juniper or huawei)");
            sets.push_back("type = " + txn.quote(*patch.type));
        }
        if (patch.secret) {
            if (auto ok = checkSecret(*patch.secret); !ok)
                return unexpected(ok.error());
            sets.push_back("secret = " + txn.quote(*patch.secret));
        }
        if (patch.coa_port) {
            auto p = parseInt(*patch.coa_port, "coa_port", 1, 65535);
            if (!p)
                return unexpected(p.error());
            sets.push_back("coa_port = " + std::to_string(*p));
        }
        if (patch.description)
            sets.push_back("description = " + txn.quote(*patch.description));
        if (patch.enabled) {
            auto on = parseBool(*patch.enabled, "enabled");
            if (!on)
                return unexpected(on.error());
            sets.push_back(std::string("enabled = ") + (*on ? "true" : "false"));
        }
        // The API credentials stay a pair: "" as the user removes both; a new user needs a
        // password, given now or kept from before.
        const bool removing = patch.api_username && patch.api_username->empty();
        if (removing) {
            if (patch.api_password)
                return invalid("api_password", "given while an empty API user removes the API");
            sets.push_back("api_username = '', api_password_enc = NULL");
        } else {
            const std::string user = patch.api_username ? *patch.api_username : old_user;
            if (patch.api_password && user.empty())
                return invalid("api_user", "required with an API password (this NAS has none)");
            if (patch.api_username && !patch.api_password && !old_password)
                return invalid("api_password", "required: this NAS has no API password yet");
            if (patch.api_username)
                sets.push_back("api_username = " + txn.quote(*patch.api_username));
            if (patch.api_password) {
                if (auto ok = checkApiPassword(*patch.api_password, box); !ok)
                    return unexpected(ok.error());
                sets.push_back("api_password_enc = " +
                               txn.quote(sealApiPassword(*box, id, *patch.api_password)));
            }
        }
        if (patch.api_port) {
            auto p = parseInt(*patch.api_port, "api_port", 1, 65535);
            if (!p)
                return unexpected(p.error());
            sets.push_back("api_port = " + std::to_string(*p));
        }
        if (patch.api_ssl_port) {
            auto p = parseInt(*patch.api_ssl_port, "api_ssl_port", 1, 65535);
            if (!p)
                return unexpected(p.error());
            sets.push_back("api_ssl_port = " + std::to_string(*p));
        }
        if (patch.api_tls) {
            auto on = parseBool(*patch.api_tls, "api_tls");
            if (!on)
                return unexpected(on.error());
            sets.push_back(std::string("api_use_ssl = ") + (*on ? "true" : "false"));
        }
        if (sets.empty())
            return invalid("", "nothing to change (give at least one field)");
        std::string sql = "UPDATE nas_devices SET ";
        for (size_t i = 0; i < sets.size(); ++i)
            sql += (i ? ", " : "") + sets[i];
        txn.exec(sql + " WHERE id = " + std::to_string(id));
        return {};
    } catch (const std::exception& e) {
        return unexpected(fromException(e));
    }
}

Expected<std::vector<NasRow>, StoreError> listNas(pqxx::connection& conn) {
    try {
        pqxx::read_transaction txn(conn);
        auto r = txn.exec(
            "SELECT id, name, host(ip), type, coa_port, enabled, secret <> '',"
            " require_message_authenticator, description,"
            " api_username <> '' AND api_password_enc IS NOT NULL, api_use_ssl"
            " FROM nas_devices ORDER BY name");
        std::vector<NasRow> rows;
        rows.reserve(r.size());
        for (const auto& row : r) {
            NasRow n;
            n.id = row[0].as<int64_t>();
            n.name = row[1].as<std::string>();
            n.ip = row[2].as<std::string>();
            n.type = row[3].as<std::string>();
            n.coa_port = row[4].as<int>();
            n.enabled = row[5].as<bool>();
            n.has_secret = row[6].as<bool>();
            n.require_message_authenticator = row[7].as<bool>();
            n.description = row[8].as<std::string>();
            n.has_api = row[9].as<bool>();
            n.api_tls = row[10].as<bool>();
            rows.push_back(std::move(n));
        }
        return rows;
    } catch (const std::exception& e) {
        return unexpected(fromException(e));
    }
}

Expected<void, StoreError> deleteNas(pqxx::work& txn, std::string_view name_or_ip) {
    try {
        auto r = txn.exec("DELETE FROM nas_devices WHERE " + whereNameOrIp(txn, name_or_ip));
        if (r.affected_rows() == 0)
            return noSuchNas(name_or_ip);
        return {};
    } catch (const std::exception& e) {
        return unexpected(fromException(e));
    }
}

// The connection forms: one transaction each, committed when the change succeeded.
Expected<int64_t, StoreError> addNas(pqxx::connection& conn, const NasInput& in,
                                     const crypto::SecretBox* box) {
    return inOwnTransaction(conn, [&](pqxx::work& txn) { return addNas(txn, in, box); });
}

Expected<void, StoreError> updateNas(pqxx::connection& conn, const crypto::SecretBox* box,
                                     std::string_view name_or_ip, const NasPatch& patch) {
    return inOwnTransaction(
        conn, [&](pqxx::work& txn) { return updateNas(txn, box, name_or_ip, patch); });
}

Expected<void, StoreError> deleteNas(pqxx::connection& conn, std::string_view name_or_ip) {
    return inOwnTransaction(conn, [&](pqxx::work& txn) { return deleteNas(txn, name_or_ip); });
}

}  // namespace gatehouse::store
