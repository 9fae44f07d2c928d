#include "core/api/admin_repository.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <pqxx/pqxx>

namespace gatehouse::api {

namespace {

using store::StoreError;
using store::StoreErrorKind;

constexpr const char* kAdminColumns = R"(
    a.id, a.username, a.role_id, r.name, array_to_json(r.permissions)::text,
    COALESCE(a.reseller_id, 0), COALESCE(rs.name, ''), a.enabled, a.session_version,
    to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
    to_char(a.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
    COALESCE(to_char(a.last_login_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'), ''),
    COALESCE(host(a.last_login_ip), ''), a.password_hash
  FROM admins a JOIN roles r ON r.id = a.role_id LEFT JOIN resellers rs ON rs.id = a.reseller_id
)";

std::vector<std::string> parsePermissions(const std::string& json_text) {
    std::vector<std::string> out;
    for (const auto& p : nlohmann::json::parse(json_text))
        out.push_back(p.get<std::string>());
    std::sort(out.begin(), out.end());
    return out;
}

AdminRow adminFrom(const pqxx::row& row) {
    AdminRow a;
    a.id = row[0].as<int64_t>();
    a.username = row[1].as<std::string>();
    a.role_id = row[2].as<int64_t>();
    a.role = row[3].as<std::string>();
    a.permissions = parsePermissions(row[4].as<std::string>());
    if (const auto reseller = row[5].as<int64_t>(); reseller != 0)
        a.reseller_id = reseller;
    a.reseller = row[6].as<std::string>();
    a.enabled = row[7].as<bool>();
    a.session_version = row[8].as<int64_t>();
    a.created_at = row[9].as<std::string>();
    a.updated_at = row[10].as<std::string>();
    a.last_login_at = row[11].as<std::string>();
    a.last_login_ip = row[12].as<std::string>();
    return a;
}

StoreError invalid(std::string field, std::string message) {
    return StoreError{StoreErrorKind::kInvalid, std::move(field), std::move(message), 0};
}

Expected<void, StoreError> checkReseller(pqxx::work& txn, const std::optional<int64_t>& id) {
    if (!id)
        return {};
    if (txn.exec_params("SELECT 1 FROM resellers WHERE id = $1", *id).empty())
        return unexpected(StoreError{StoreErrorKind::kUnknownReference, "reseller_id",
                                     fmt::format("no reseller with id {}", *id), 0});
    return {};
}

Expected<std::string, StoreError> hashFor(const std::string& password, const Argon2Params& params) {
    if (auto ok = validateAdminPassword(password); !ok)
        return unexpected(ok.error());
    auto hashed = hashPassword(password, params);
    if (!hashed)
        return unexpected(
            StoreError{StoreErrorKind::kDatabase, "password", hashed.error().message, 0});
    return *hashed;
}

template <class F>
auto guardedStore(F&& body) -> decltype(body()) {
    try {
        return body();
    } catch (const std::exception& e) {
        return unexpected(store::fromException(e));
    }
}

}  // namespace

nlohmann::json toJson(const AdminRow& row) {
    nlohmann::json j = {
        {"id", row.id},
        {"username", row.username},
        {"role", row.role},
        {"permissions", row.permissions},
        {"reseller", row.reseller_id ? nlohmann::json::object(
                                           {{"id", *row.reseller_id}, {"name", row.reseller}})
                                     : nlohmann::json()},
        {"enabled", row.enabled},
        {"created_at", row.created_at},
        {"updated_at", row.updated_at},
        {"last_login_at",
         row.last_login_at.empty() ? nlohmann::json() : nlohmann::json(row.last_login_at)},
        {"last_login_ip",
         row.last_login_ip.empty() ? nlohmann::json() : nlohmann::json(row.last_login_ip)},
    };
    return j;
}

nlohmann::json toJson(const RoleRow& row) {
    return {{"id", row.id},
            {"name", row.name},
            {"description", row.description},
            {"permissions", row.permissions},
            {"builtin", row.builtin}};
}

Expected<void, StoreError> validateAdminUsername(const std::string& username) {
    if (username.size() < 3 || username.size() > 64)
        return unexpected(invalid("username", "must be 3 to 64 characters"));
    for (char c : username) {
        const bool ok =
            (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        if (!ok)
            return unexpected(
                invalid("username", "may only hold a-z, 0-9, '.', '_' and '-' (lower case)"));
    }
    return {};
}

Expected<void, StoreError> validateAdminPassword(const std::string& password) {
    if (password.size() < kMinAdminPasswordBytes)
        return unexpected(invalid(
            "password", fmt::format("must be at least {} characters", kMinAdminPasswordBytes)));
    if (password.size() > kMaxPasswordBytes)
        return unexpected(
            invalid("password", fmt::format("must be at most {} bytes", kMaxPasswordBytes)));
    return {};
}

Expected<std::vector<RoleRow>, StoreError> listRoles(pqxx::work& txn) {
    return guardedStore([&]() -> Expected<std::vector<RoleRow>, StoreError> {
        std::vector<RoleRow> out;
        for (const auto& row :
             txn.exec("SELECT id, name, description, array_to_json(permissions)::text, builtin "
                      "FROM roles ORDER BY id")) {
            RoleRow r;
            r.id = row[0].as<int64_t>();
            r.name = row[1].as<std::string>();
            r.description = row[2].as<std::string>();
            r.permissions = parsePermissions(row[3].as<std::string>());
            r.builtin = row[4].as<bool>();
            out.push_back(std::move(r));
        }
        return out;
    });
}

Expected<RoleRow, StoreError> findRole(pqxx::work& txn, const std::string& name) {
    auto roles = listRoles(txn);
    if (!roles)
        return unexpected(roles.error());
    for (auto& r : *roles)
        if (r.name == name)
            return std::move(r);
    return unexpected(StoreError{StoreErrorKind::kUnknownReference, "role",
                                 fmt::format("no role named '{}'", name), 0});
}

Expected<int64_t, StoreError> findReseller(pqxx::work& txn, const std::string& name) {
    return guardedStore([&]() -> Expected<int64_t, StoreError> {
        auto r = txn.exec_params("SELECT id FROM resellers WHERE name = $1", name);
        if (r.empty())
            return unexpected(StoreError{StoreErrorKind::kUnknownReference, "reseller",
                                         fmt::format("no reseller named '{}'", name), 0});
        return r[0][0].as<int64_t>();
    });
}

Expected<AdminRow, StoreError> addAdmin(pqxx::work& txn, const AdminInput& in,
                                        const Argon2Params& params) {
    if (auto ok = validateAdminUsername(in.username); !ok)
        return unexpected(ok.error());
    if (auto ok = validateAdminPassword(in.password); !ok)
        return unexpected(ok.error());
    return guardedStore([&]() -> Expected<AdminRow, StoreError> {
        auto role = findRole(txn, in.role);
        if (!role)
            return unexpected(role.error());
        if (auto ok = checkReseller(txn, in.reseller_id); !ok)
            return unexpected(ok.error());
        if (!txn.exec_params("SELECT 1 FROM admins WHERE lower(username) = lower($1)", in.username)
                 .empty())
            return unexpected(StoreError{StoreErrorKind::kDuplicate, "username",
                                         "an admin with this username exists", 0});
        auto hash = hashFor(in.password, params);
        if (!hash)
            return unexpected(hash.error());
        auto id = txn.exec_params1(
                         "INSERT INTO admins (username, password_hash, role_id, reseller_id, "
                         "enabled) VALUES ($1, $2, $3, NULLIF($4, 0), $5) RETURNING id",
                         in.username, *hash, role->id, in.reseller_id.value_or(0), in.enabled)[0]
                      .as<int64_t>();
        return getAdmin(txn, id);
    });
}

Expected<std::vector<AdminRow>, StoreError> listAdmins(pqxx::work& txn,
                                                       std::optional<int64_t> reseller_filter) {
    return guardedStore([&]() -> Expected<std::vector<AdminRow>, StoreError> {
        std::vector<AdminRow> out;
        const std::string where =
            reseller_filter ? fmt::format("WHERE a.reseller_id = {}", *reseller_filter) : "";
        for (const auto& row :
             txn.exec(fmt::format("SELECT {} {} ORDER BY a.id", kAdminColumns, where)))
            out.push_back(adminFrom(row));
        return out;
    });
}

Expected<AdminRow, StoreError> getAdmin(pqxx::work& txn, int64_t id) {
    return guardedStore([&]() -> Expected<AdminRow, StoreError> {
        auto r = txn.exec_params(fmt::format("SELECT {} WHERE a.id = $1", kAdminColumns), id);
        if (r.empty())
            return unexpected(StoreError{StoreErrorKind::kNotFound, "id", "admin not found", 0});
        return adminFrom(r[0]);
    });
}

Expected<AdminRow, StoreError> getAdminByName(pqxx::work& txn, const std::string& username) {
    return guardedStore([&]() -> Expected<AdminRow, StoreError> {
        auto r = txn.exec_params(
            fmt::format("SELECT {} WHERE lower(a.username) = lower($1)", kAdminColumns), username);
        if (r.empty())
            return unexpected(StoreError{StoreErrorKind::kNotFound, "username",
                                         fmt::format("no admin named '{}'", username), 0});
        return adminFrom(r[0]);
    });
}

Expected<AdminRow, StoreError> updateAdmin(pqxx::work& txn, int64_t id, const AdminPatch& patch,
                                           const Argon2Params& params) {
    return guardedStore([&]() -> Expected<AdminRow, StoreError> {
        auto before = getAdmin(txn, id);
        if (!before)
            return unexpected(before.error());
        bool bump = false;
        if (patch.role) {
            auto role = findRole(txn, *patch.role);
            if (!role)
                return unexpected(role.error());
            if (role->id != before->role_id) {
                txn.exec_params("UPDATE admins SET role_id = $2 WHERE id = $1", id, role->id);
                bump = true;
            }
        }
        if (patch.reseller_id) {
            if (auto ok = checkReseller(txn, *patch.reseller_id); !ok)
                return unexpected(ok.error());
            if (*patch.reseller_id != before->reseller_id) {
                txn.exec_params("UPDATE admins SET reseller_id = NULLIF($2, 0) WHERE id = $1", id,
                                patch.reseller_id->value_or(0));
                bump = true;
            }
        }
        if (patch.enabled && *patch.enabled != before->enabled) {
            txn.exec_params("UPDATE admins SET enabled = $2 WHERE id = $1", id, *patch.enabled);
            bump = bump || !*patch.enabled;
        }
        if (patch.password) {
            auto hash = hashFor(*patch.password, params);
            if (!hash)
                return unexpected(hash.error());
            txn.exec_params("UPDATE admins SET password_hash = $2 WHERE id = $1", id, *hash);
            bump = true;
        }
        // A token names the role's permissions at the time it was checked against the row; a
        // new password or a narrower scope must end the sessions opened before it.
        txn.exec_params(
            "UPDATE admins SET updated_at = now(), session_version = session_version + $2 "
            "WHERE id = $1",
            id, bump ? 1 : 0);
        return getAdmin(txn, id);
    });
}

Expected<int64_t, StoreError> bumpSessionVersion(pqxx::work& txn, int64_t id) {
    return guardedStore([&]() -> Expected<int64_t, StoreError> {
        auto r = txn.exec_params(
            "UPDATE admins SET session_version = session_version + 1, updated_at = now() "
            "WHERE id = $1 RETURNING session_version",
            id);
        if (r.empty())
            return unexpected(StoreError{StoreErrorKind::kNotFound, "id", "admin not found", 0});
        return r[0][0].as<int64_t>();
    });
}

std::optional<LoginRecord> findForLogin(pqxx::work& txn, const std::string& username) {
    auto r = txn.exec_params(
        fmt::format("SELECT {} WHERE lower(a.username) = lower($1)", kAdminColumns), username);
    if (r.empty())
        return std::nullopt;
    return LoginRecord{adminFrom(r[0]), r[0][13].as<std::string>()};
}

void recordLogin(pqxx::work& txn, int64_t id, const std::string& peer_ip) {
    txn.exec_params(
        "UPDATE admins SET last_login_at = now(), last_login_ip = NULLIF($2, '')::inet "
        "WHERE id = $1",
        id, peer_ip);
}

void replaceHash(pqxx::work& txn, int64_t id, const std::string& password_hash) {
    txn.exec_params("UPDATE admins SET password_hash = $2 WHERE id = $1", id, password_hash);
}

}  // namespace gatehouse::api
