#include "core/store/nas_repository.hpp"

#include <pqxx/pqxx>

#include "core/store/validate.hpp"

namespace gatehouse::store {
namespace {

constexpr std::string_view kTypes[] = {"mikrotik", "generic", "cisco", "juniper", "huawei"};

Unexpected<StoreError> invalid(std::string field, std::string message) {
    return unexpected(
        StoreError{StoreErrorKind::kInvalid, std::move(field), std::move(message), 0});
}

}  // namespace

bool isKnownNasType(std::string_view type) {
    for (auto t : kTypes)
        if (t == type)
            return true;
    return false;
}

Expected<int64_t, StoreError> addNas(pqxx::connection& conn, const NasInput& in) {
    if (in.name.empty())
        return invalid("name", "must not be empty");
    auto ip = parseIpv4(in.ip, "ip");
    if (!ip)
        return unexpected(ip.error());
    // RFC 2865 3: the secret must not be empty; 128 octets is what every BNG accepts.
    if (in.secret.empty())
        return invalid("secret", "must not be empty");
    if (in.secret.size() > 128)
        return invalid("secret", "longer than 128 characters");
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
    try {
        pqxx::work txn(conn);
        auto r = txn.exec(
            "INSERT INTO nas_devices (name, ip, secret, type, coa_port, description, enabled,"
            " require_message_authenticator) VALUES (" +
            txn.quote(in.name) + ", " + txn.quote(formatIpv4(*ip)) + ", " + txn.quote(in.secret) +
            ", " + txn.quote(in.type) + ", " + std::to_string(coa_port) + ", " +
            txn.quote(in.description) + ", " + (in.enabled ? "true" : "false") + ", " +
            (in.require_message_authenticator ? "true" : "false") + ") RETURNING id");
        txn.commit();
        return r[0][0].as<int64_t>();
    } catch (const std::exception& e) {
        return unexpected(fromException(e));
    }
}

Expected<std::vector<NasRow>, StoreError> listNas(pqxx::connection& conn) {
    try {
        pqxx::read_transaction txn(conn);
        auto r = txn.exec(
            "SELECT id, name, host(ip), type, coa_port, enabled, secret <> '',"
            " require_message_authenticator, description FROM nas_devices ORDER BY name");
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
            rows.push_back(std::move(n));
        }
        return rows;
    } catch (const std::exception& e) {
        return unexpected(fromException(e));
    }
}

Expected<void, StoreError> deleteNas(pqxx::connection& conn, std::string_view name_or_ip) {
    try {
        pqxx::work txn(conn);
        std::string where;
        if (auto ip = parseIpv4(name_or_ip, "ip"))
            where = "ip = " + txn.quote(formatIpv4(*ip));
        else
            where = "name = " + txn.quote(std::string(name_or_ip));
        auto r = txn.exec("DELETE FROM nas_devices WHERE " + where);
        if (r.affected_rows() == 0)
            return unexpected(StoreError{StoreErrorKind::kNotFound, "name",
                                         "no NAS named '" + std::string(name_or_ip) + "'", 0});
        txn.commit();
        return {};
    } catch (const std::exception& e) {
        return unexpected(fromException(e));
    }
}

}  // namespace gatehouse::store
