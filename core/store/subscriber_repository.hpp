#pragma once
// Subscribers: validation shared by the CLI, the CSV import and the panel; the password is
// sealed with the secret box (associated data: the username) before it reaches SQL.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <pqxx/connection>
#include <pqxx/transaction>

#include "core/crypto/secret_box.hpp"
#include "core/store/error.hpp"
#include "core/util/expected.hpp"

namespace gatehouse::store {

/// As typed; "" leaves a field unset (no service, no static IP, no MAC, never expires, enabled).
struct SubscriberInput {
    std::string username;
    std::string password;
    std::string service;    // service name
    std::string static_ip;  // IPv4
    std::string mac;        // Calling-Station-Id binding
    std::string expires;    // YYYY-MM-DD (end of that day, UTC) or YYYY-MM-DDTHH:MM:SSZ
    std::string enabled;    // yes|no ("" : yes)
};

/// `subscriber set`: only the fields present change; "" clears service, static_ip, mac and
/// expires.
struct SubscriberPatch {
    std::optional<std::string> password, service, static_ip, mac, expires, enabled;
};

/// A validated row, ready for SQL (password already sealed).
struct SubscriberValues {
    std::string username;
    std::string password_enc;
    std::optional<int64_t> service_id;
    std::optional<std::string> static_ip;
    std::optional<std::string> mac;
    std::optional<int64_t> expires_at;
    bool enabled = true;
};

struct SubscriberRow {
    int64_t id = 0;
    std::string username;
    std::string service;  // "" : none
    std::string static_ip;
    std::string mac;
    std::optional<int64_t> expires_at;
    bool enabled = true;
};

struct SubscriberFilter {
    std::string service;          // only this service's subscribers ("" : all)
    std::string username_prefix;  // "" : all
    size_t limit = 0;             // 0 : no limit
};

/// Service name -> id, loaded once per command or import.
using ServiceIndex = std::unordered_map<std::string, int64_t>;
ServiceIndex loadServiceIndex(pqxx::connection& conn);
ServiceIndex loadServiceIndex(pqxx::transaction_base& txn);

/// Passwords: 1..128 octets (RFC 2865 5.2 User-Password).
Expected<SubscriberValues, StoreError> validateSubscriber(const SubscriberInput& in,
                                                          const ServiceIndex& services,
                                                          const crypto::SecretBox& box);

Expected<int64_t, StoreError> addSubscriber(pqxx::connection& conn, const crypto::SecretBox& box,
                                            const SubscriberInput& in);
/// box may be null when the patch holds no password.
Expected<void, StoreError> updateSubscriber(pqxx::connection& conn, const crypto::SecretBox* box,
                                            std::string_view username,
                                            const SubscriberPatch& patch);
Expected<void, StoreError> deleteSubscriber(pqxx::connection& conn, std::string_view username);
// The same inside the caller's transaction, left uncommitted (the admin API writes its audit
// row in it, core/api/audit.hpp); the session change jobs are written in it too. After an
// error the transaction must be rolled back.
Expected<int64_t, StoreError> addSubscriber(pqxx::work& txn, const crypto::SecretBox& box,
                                            const SubscriberInput& in);
Expected<void, StoreError> updateSubscriber(pqxx::work& txn, const crypto::SecretBox* box,
                                            std::string_view username,
                                            const SubscriberPatch& patch);
Expected<void, StoreError> deleteSubscriber(pqxx::work& txn, std::string_view username);
Expected<std::vector<SubscriberRow>, StoreError> listSubscribers(pqxx::connection& conn,
                                                                 const SubscriberFilter& filter);

}  // namespace gatehouse::store
