#pragma once
// NAS rows (nas_devices) for the operator CLI and the panel. Input arrives as text, as typed;
// validation names the field. The secret and the API password are written, never read back:
// lists carry has_secret and has_api.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/connection>
#include <pqxx/transaction>

#include "core/crypto/secret_box.hpp"
#include "core/store/error.hpp"
#include "core/util/expected.hpp"

namespace gatehouse::store {

/// The associated data the RouterOS API password of NAS `id` is sealed with: "nas:<id>". The row
/// id (not the name or address, which operators edit) ties a sealed value to its row, so one
/// copied onto another NAS does not open there (as the username does for subscribers).
std::string apiPasswordAssociatedData(int64_t nas_id);
/// What api_password_enc holds: `password` sealed with `box` under apiPasswordAssociatedData.
std::string sealApiPassword(const crypto::SecretBox& box, int64_t nas_id,
                            std::string_view password);

struct NasInput {
    std::string name;
    std::string ip;
    std::string secret;
    std::string type = "mikrotik";  // mikrotik|generic|cisco|juniper|huawei
    std::string coa_port;           // "": 1700 for mikrotik (RouterOS default), 3799 otherwise
    std::string description;
    bool enabled = true;
    bool require_message_authenticator = true;
    // RouterOS API (docs/jobs.md): user and password together or neither; the password is
    // sealed (needs the key), the ports default to 8728 / 8729, api_tls uses the second.
    std::string api_username;
    std::string api_password;
    std::string api_port;      // "": 8728
    std::string api_ssl_port;  // "": 8729
    bool api_tls = false;
};

/// `gatehouse nas set`: only what is given changes. api_username "" removes the API
/// credentials (user and password); api_password "" is refused.
struct NasPatch {
    std::optional<std::string> secret, coa_port, description, enabled;  // enabled: yes|no
    std::optional<std::string> api_username, api_password, api_port, api_ssl_port, api_tls;
    /// The panel's NAS edit (issue 7). The snapshot loader follows by id (NOTIFY), so a new
    /// address takes effect for RADIUS at once; a taken name or address is kDuplicate.
    std::optional<std::string> name, ip, type;
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
    bool has_api = false;  // API user and sealed password both set
    bool api_tls = false;
};

/// The NAS types a vendor module exists for.
bool isKnownNasType(std::string_view type);

/// `box` seals in.api_password; it may be null when no password is given. The row is inserted
/// and its password sealed with the new id in one transaction.
Expected<int64_t, StoreError> addNas(pqxx::connection& conn, const NasInput& in,
                                     const crypto::SecretBox* box = nullptr);
/// By name, or by IP when the argument parses as one. `box` as for addNas.
Expected<void, StoreError> updateNas(pqxx::connection& conn, const crypto::SecretBox* box,
                                     std::string_view name_or_ip, const NasPatch& patch);
Expected<std::vector<NasRow>, StoreError> listNas(pqxx::connection& conn);
// The same inside the caller's transaction, left uncommitted (the admin API writes its audit
// row in it, core/api/audit.hpp). After an error the transaction must be rolled back.
Expected<int64_t, StoreError> addNas(pqxx::work& txn, const NasInput& in,
                                     const crypto::SecretBox* box = nullptr);
Expected<void, StoreError> updateNas(pqxx::work& txn, const crypto::SecretBox* box,
                                     std::string_view name_or_ip, const NasPatch& patch);
Expected<void, StoreError> deleteNas(pqxx::work& txn, std::string_view name_or_ip);
/// By name, or by IP when the argument parses as one.
Expected<void, StoreError> deleteNas(pqxx::connection& conn, std::string_view name_or_ip);

}  // namespace gatehouse::store
