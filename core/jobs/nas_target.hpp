#pragma once
// A NAS as the jobs role and `gatehouse nas test` reach it: addresses, ports, the RADIUS secret
// and the RouterOS API credentials (password opened from its sealed form). Loaded from
// nas_devices; never cached (each poll and each test reads the current row).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/connection>

#include "core/crypto/secret_box.hpp"
#include "core/store/nas_repository.hpp"

namespace gatehouse::jobs {

struct NasTarget {
    int64_t id = 0;
    std::string name;
    std::string ip;
    std::string type;
    std::string secret;  // RADIUS shared secret, in clear (the server signs with it)
    bool enabled = true;
    int coa_port = 3799;
    std::string api_username;
    std::string api_password_enc;             // "gh1:..." or "" when unset
    std::optional<std::string> api_password;  // opened; nullopt until openApiPassword()
    int api_port = 8728;
    int api_ssl_port = 8729;
    bool api_use_ssl = false;

    /// Both a user name and a sealed password: the API is used (checked, polled).
    bool hasApi() const { return !api_username.empty() && !api_password_enc.empty(); }
    int apiPort() const { return api_use_ssl ? api_ssl_port : api_port; }
};

/// Sealing lives in the store (the CLI and the panel write the column); the jobs open it.
using store::apiPasswordAssociatedData;
using store::sealApiPassword;

/// Fills target.api_password; the error is a sentence for logs and `nas test`.
bool openApiPassword(const crypto::SecretBox& box, NasTarget& target, std::string& error);

/// One NAS by name, or by address when the argument is an IPv4 address; nullopt when none.
/// Throws what libpqxx throws.
std::optional<NasTarget> loadNasTarget(pqxx::connection& conn, std::string_view name_or_ip);
/// Every enabled NAS, by name.
std::vector<NasTarget> loadEnabledNasTargets(pqxx::connection& conn);

}  // namespace gatehouse::jobs
