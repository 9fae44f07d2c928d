#pragma once
// Admins and roles (migration 010). It lives in core/api, not core/store, because it hashes
// passwords with api::hashPassword and store/ may not depend on api/ (dependencies point down).
// Every function works inside the caller's transaction, so the API can write the audit row in
// the same one (core/api/audit.hpp). Errors are store::StoreError naming the field.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <pqxx/transaction>

#include "core/api/password_hash.hpp"
#include "core/store/error.hpp"
#include "core/util/expected.hpp"

namespace gatehouse::api {

inline constexpr size_t kMinAdminPasswordBytes = 10;

struct RoleRow {
    int64_t id = 0;
    std::string name;
    std::string description;
    std::vector<std::string> permissions;  // sorted
    bool builtin = false;
};

struct AdminRow {
    int64_t id = 0;
    std::string username;
    int64_t role_id = 0;
    std::string role;
    std::vector<std::string> permissions;  // the role's, sorted
    std::optional<int64_t> reseller_id;
    std::string reseller;  // its name, "" for the whole ISP
    bool enabled = true;
    int64_t session_version = 1;
    std::string created_at, updated_at, last_login_at, last_login_ip;  // "" when never
};

/// What the API shows (and the audit log keeps) of an admin: never the hash. "reseller" is
/// null (the whole ISP) or {"id", "name"}.
nlohmann::json toJson(const AdminRow& row);
nlohmann::json toJson(const RoleRow& row);

struct AdminInput {
    std::string username;
    std::string password;
    std::string role;                    // a role name
    std::optional<int64_t> reseller_id;  // nullopt: the whole ISP
    bool enabled = true;
};

/// Only the members set change.
struct AdminPatch {
    std::optional<std::string> password;
    std::optional<std::string> role;
    std::optional<std::optional<int64_t>> reseller_id;  // set to nullopt: whole ISP
    std::optional<bool> enabled;
};

// Validation without the database: kInvalid with the field.
Expected<void, store::StoreError> validateAdminUsername(const std::string& username);
Expected<void, store::StoreError> validateAdminPassword(const std::string& password);

Expected<std::vector<RoleRow>, store::StoreError> listRoles(pqxx::work& txn);
Expected<RoleRow, store::StoreError> findRole(pqxx::work& txn, const std::string& name);
/// A reseller's id by name; kUnknownReference "reseller" when there is none.
Expected<int64_t, store::StoreError> findReseller(pqxx::work& txn, const std::string& name);

/// Validates (username 3..64 of [a-z0-9._-], password 10..1024 bytes, role and reseller exist),
/// hashes the password with `params` and inserts. Returns the new row.
Expected<AdminRow, store::StoreError> addAdmin(pqxx::work& txn, const AdminInput& in,
                                               const Argon2Params& params = kDefaultArgon2);

/// Reseller filter: only that reseller's admins; nullopt: all.
Expected<std::vector<AdminRow>, store::StoreError> listAdmins(
    pqxx::work& txn, std::optional<int64_t> reseller_filter = std::nullopt);
/// kNotFound when there is none.
Expected<AdminRow, store::StoreError> getAdmin(pqxx::work& txn, int64_t id);
/// By username, case-insensitively; kNotFound "username".
Expected<AdminRow, store::StoreError> getAdminByName(pqxx::work& txn, const std::string& username);

/// Applies the patch and returns the row after it. A new password, a disable, a role or a
/// reseller change bump session_version: the admin's tokens stop working.
Expected<AdminRow, store::StoreError> updateAdmin(pqxx::work& txn, int64_t id,
                                                  const AdminPatch& patch,
                                                  const Argon2Params& params = kDefaultArgon2);

/// "Log out everywhere": every token issued before is refused. Returns the new version.
Expected<int64_t, store::StoreError> bumpSessionVersion(pqxx::work& txn, int64_t id);

// For the login route.
struct LoginRecord {
    AdminRow admin;
    std::string password_hash;
};
/// nullopt when no admin has that username (any case).
std::optional<LoginRecord> findForLogin(pqxx::work& txn, const std::string& username);
void recordLogin(pqxx::work& txn, int64_t id, const std::string& peer_ip);
/// After a login with a hash made with other parameters (needsRehash).
void replaceHash(pqxx::work& txn, int64_t id, const std::string& password_hash);

}  // namespace gatehouse::api
