#pragma once
// Who is calling the admin API and what they may do (docs/api-auth.md "Roles and permissions").
// A permission is "<resource>.<verb>"; roles (table roles, migration 010) group them; an admin
// with a reseller_id sees only that reseller's rows. Every route checks both: require() for the
// verb, the scope helpers below for the rows.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/transaction_base>

namespace gatehouse::api {

struct PermissionInfo {
    std::string_view name;         // "nas.view"
    std::string_view description;  // for the roles page and the docs
};

/// Every permission the API knows, in display order. The superadmin role holds all of them.
std::span<const PermissionInfo> permissionCatalogue();
bool isKnownPermission(std::string_view name);

/// The authenticated admin behind one request (core/api/authenticator.hpp).
struct Caller {
    int64_t admin_id = 0;  // 0: nobody (a failed login's audit row)
    std::string username;
    std::string role;
    std::vector<std::string> permissions;  // sorted
    std::optional<int64_t> reseller_id;    // nullopt: the whole ISP
    int64_t session_version = 0;
    std::string jti;  // the access token's
    int64_t exp = 0;  // idem, unix seconds
    std::string peer_ip;

    bool can(std::string_view permission) const;
    /// ApiError 403 "forbidden" naming the permission when the caller lacks it.
    void require(std::string_view permission) const;
    /// The permissions of `wanted` that the caller does not hold (sorted), e.g. for "nobody
    /// grants what they do not have".
    std::vector<std::string> missing(const std::vector<std::string>& wanted) const;
};

// Row scope, as SQL conditions to AND into a query. The reseller id is an integer formatted
// by us, so the text is safe to splice. "TRUE" for whole-ISP admins.
/// subscribers aliased `alias`: its reseller_id is the caller's.
std::string subscriberScopeSql(const Caller& caller, std::string_view alias);
/// nas_devices aliased `alias`: assigned to the caller's reseller in reseller_nas.
std::string nasScopeSql(const Caller& caller, std::string_view alias);
/// admins aliased `alias`: the same reseller as the caller.
std::string adminScopeSql(const Caller& caller, std::string_view alias);

// One row by id: ApiError 404 when it does not exist *or* is outside the caller's scope, with
// the same message, so guessing ids tells a reseller nothing about other resellers' rows.
void ensureSubscriberVisible(pqxx::transaction_base& txn, const Caller& caller, int64_t id);
void ensureNasVisible(pqxx::transaction_base& txn, const Caller& caller, int64_t id);
void ensureAdminVisible(pqxx::transaction_base& txn, const Caller& caller, int64_t id);

}  // namespace gatehouse::api
