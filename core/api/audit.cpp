#include "core/api/audit.hpp"

#include <pqxx/pqxx>

namespace gatehouse::api {

namespace {

bool isSecretName(std::string_view key) {
    constexpr std::string_view kHash = "_hash";
    return key == "password" || key == "secret" || key == "api_password" ||
           (key.size() > kHash.size() && key.substr(key.size() - kHash.size()) == kHash);
}

}  // namespace

nlohmann::json maskSecrets(nlohmann::json value) {
    if (value.is_object()) {
        for (auto it = value.begin(); it != value.end(); ++it) {
            if (isSecretName(it.key()))
                it.value() = "***";
            else
                it.value() = maskSecrets(std::move(it.value()));
        }
    } else if (value.is_array()) {
        for (auto& element : value)
            element = maskSecrets(std::move(element));
    }
    return value;
}

void recordAudit(pqxx::work& txn, const Caller& caller, std::string_view action,
                 std::string_view resource, std::string_view resource_id,
                 const nlohmann::json& before, const nlohmann::json& after) {
    auto text = [](const nlohmann::json& j) {
        // "" becomes NULL below: a create has no before, a delete no after.
        return j.is_null()
                   ? std::string{}
                   : maskSecrets(j).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    };
    txn.exec_params(
        "INSERT INTO audit_log (admin_id, admin_username, action, resource, resource_id, before, "
        "after, peer_ip) VALUES (NULLIF($1, 0), $2, $3, $4, $5, NULLIF($6, '')::jsonb, "
        "NULLIF($7, '')::jsonb, NULLIF($8, '')::inet)",
        caller.admin_id, caller.username, std::string(action), std::string(resource),
        std::string(resource_id), text(before), text(after), caller.peer_ip);
}

}  // namespace gatehouse::api
