#pragma once
// NAS rows (nas_devices) for the operator CLI and the panel. Input arrives as text, as typed;
// validation names the field. The secret is written, never read back: lists carry has_secret.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/connection>

#include "core/store/error.hpp"
#include "core/util/expected.hpp"

namespace gatehouse::store {

struct NasInput {
    std::string name;
    std::string ip;
    std::string secret;
    std::string type = "mikrotik";  // mikrotik|generic|cisco|juniper|huawei
    std::string coa_port;           // "": 1700 for mikrotik (RouterOS default), 3799 otherwise
    std::string description;
    bool enabled = true;
    bool require_message_authenticator = true;
};

struct NasRow {
    int64_t id = 0;
    std::string name;
    std::string ip;
    std::string type;
    int coa_port = 0;
    bool enabled = true;
    bool has_secret = false;
    bool require_message_authenticator = true;
    std::string description;
};

/// The NAS types a vendor module exists for.
bool isKnownNasType(std::string_view type);

Expected<int64_t, StoreError> addNas(pqxx::connection& conn, const NasInput& in);
Expected<std::vector<NasRow>, StoreError> listNas(pqxx::connection& conn);
/// By name, or by IP when the argument parses as one.
Expected<void, StoreError> deleteNas(pqxx::connection& conn, std::string_view name_or_ip);

}  // namespace gatehouse::store
