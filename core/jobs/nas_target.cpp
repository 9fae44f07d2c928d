#include "core/jobs/nas_target.hpp"

#include <arpa/inet.h>

#include <pqxx/pqxx>

namespace gatehouse::jobs {
namespace {

constexpr const char* kColumns =
    "SELECT id, name, host(ip), type, secret, enabled, coa_port, api_username,"
    " COALESCE(api_password_enc, ''), api_port, api_ssl_port, api_use_ssl FROM nas_devices";

NasTarget fromRow(const pqxx::row& r) {
    NasTarget t;
    t.id = r[0].as<int64_t>();
    t.name = r[1].as<std::string>();
    t.ip = r[2].as<std::string>();
    t.type = r[3].as<std::string>();
    t.secret = r[4].as<std::string>();
    t.enabled = r[5].as<bool>();
    t.coa_port = r[6].as<int>();
    t.api_username = r[7].as<std::string>();
    t.api_password_enc = r[8].as<std::string>();
    t.api_port = r[9].as<int>();
    t.api_ssl_port = r[10].as<int>();
    t.api_use_ssl = r[11].as<bool>();
    return t;
}

bool isIpv4(std::string_view text) {
    in_addr a{};
    return ::inet_pton(AF_INET, std::string(text).c_str(), &a) == 1;
}

}  // namespace

bool openApiPassword(const crypto::SecretBox& box, NasTarget& target, std::string& error) {
    auto opened = box.open(target.api_password_enc, apiPasswordAssociatedData(target.id));
    if (!opened) {
        error = std::string("the API password does not open with the key file: ") +
                crypto::toString(opened.error());
        return false;
    }
    target.api_password = std::move(*opened);
    return true;
}

std::optional<NasTarget> loadNasTarget(pqxx::connection& conn, std::string_view name_or_ip) {
    pqxx::read_transaction txn(conn);
    const std::string key(name_or_ip);
    auto r = isIpv4(key) ? txn.exec_params(std::string(kColumns) + " WHERE ip = $1::inet", key)
                         : txn.exec_params(std::string(kColumns) + " WHERE name = $1", key);
    if (r.empty())
        return std::nullopt;
    return fromRow(r[0]);
}

std::vector<NasTarget> loadEnabledNasTargets(pqxx::connection& conn) {
    pqxx::read_transaction txn(conn);
    auto r = txn.exec(std::string(kColumns) + " WHERE enabled ORDER BY name");
    std::vector<NasTarget> out;
    out.reserve(r.size());
    for (const auto& row : r)
        out.push_back(fromRow(row));
    return out;
}

}  // namespace gatehouse::jobs
