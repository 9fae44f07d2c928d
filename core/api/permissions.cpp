#include "core/api/permissions.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <pqxx/pqxx>

#include "core/api/http.hpp"

namespace gatehouse::api {

namespace {

// The seeds name nas/subscribers/services/sessions/settings/admins with view/create/edit/delete;
// sessions are never created or edited by hand (BNGs open them), so they get view and
// disconnect; settings exist once, so view and edit. Keep migration 010's superadmin in step.
constexpr std::array kCatalogue{
    PermissionInfo{"dashboard.view", "See the dashboard figures"},
    PermissionInfo{"nas.view", "List and open NAS devices"},
    PermissionInfo{"nas.create", "Add a NAS"},
    PermissionInfo{"nas.edit", "Change a NAS, test and sync it"},
    PermissionInfo{"nas.delete", "Delete a NAS (refused while sessions are open)"},
    PermissionInfo{"subscribers.view", "List, search and open subscribers"},
    PermissionInfo{"subscribers.create", "Create subscribers"},
    PermissionInfo{"subscribers.edit", "Change, enable and disable subscribers"},
    PermissionInfo{"subscribers.delete", "Delete subscribers"},
    PermissionInfo{"services.view", "List services and FUP tiers"},
    PermissionInfo{"services.create", "Create services"},
    PermissionInfo{"services.edit", "Change services and FUP tiers"},
    PermissionInfo{"services.delete", "Delete services"},
    PermissionInfo{"sessions.view", "See online sessions, history and usage"},
    PermissionInfo{"sessions.disconnect", "Disconnect a session (Disconnect-Request)"},
    PermissionInfo{"pools.view", "See IP pools and their addresses"},
    PermissionInfo{"pools.edit", "Change IP pools"},
    PermissionInfo{"logs.view", "Read the RADIUS logs"},
    PermissionInfo{"policies.view", "Read the Lua policies"},
    PermissionInfo{"policies.reload", "Reload the policies"},
    PermissionInfo{"policies.eval", "Run a request through the policy (dry run)"},
    PermissionInfo{"settings.view", "See the server settings"},
    PermissionInfo{"settings.edit", "Change the server settings"},
    PermissionInfo{"resellers.view", "See resellers and their NAS assignments"},
    PermissionInfo{"resellers.edit", "Change resellers and their NAS assignments"},
    PermissionInfo{"admins.view", "See admins and roles"},
    PermissionInfo{"admins.create", "Create admins"},
    PermissionInfo{"admins.edit", "Change admins: role, password, enabled"},
    PermissionInfo{"admins.delete", "Delete admins"},
};

ApiError notFound(std::string_view what) {
    return ApiError::notFound(fmt::format("{} not found", what));
}

void ensureVisible(pqxx::transaction_base& txn, const std::string& sql, std::string_view what) {
    if (txn.exec(sql).empty())
        throw notFound(what);
}

}  // namespace

std::span<const PermissionInfo> permissionCatalogue() {
    return kCatalogue;
}

bool isKnownPermission(std::string_view name) {
    return std::any_of(kCatalogue.begin(), kCatalogue.end(),
                       [&](const PermissionInfo& p) { return p.name == name; });
}

bool Caller::can(std::string_view permission) const {
    return std::binary_search(permissions.begin(), permissions.end(), permission,
                              [](std::string_view a, std::string_view b) { return a < b; });
}

void Caller::require(std::string_view permission) const {
    if (!can(permission))
        throw ApiError(403, "forbidden", "", fmt::format("permission {} is required", permission));
}

std::vector<std::string> Caller::missing(const std::vector<std::string>& wanted) const {
    std::vector<std::string> out;
    for (const auto& p : wanted)
        if (!can(p))
            out.push_back(p);
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

std::string subscriberScopeSql(const Caller& caller, std::string_view alias) {
    if (!caller.reseller_id)
        return "TRUE";
    return fmt::format("{}.reseller_id = {}", alias, *caller.reseller_id);
}

std::string nasScopeSql(const Caller& caller, std::string_view alias) {
    if (!caller.reseller_id)
        return "TRUE";
    // The seeds: "Resellers without any rows in this table see an empty NAS list."
    return fmt::format("{}.id IN (SELECT nas_id FROM reseller_nas WHERE reseller_id = {})", alias,
                       *caller.reseller_id);
}

std::string adminScopeSql(const Caller& caller, std::string_view alias) {
    if (!caller.reseller_id)
        return "TRUE";
    return fmt::format("{}.reseller_id = {}", alias, *caller.reseller_id);
}

void ensureSubscriberVisible(pqxx::transaction_base& txn, const Caller& caller, int64_t id) {
    ensureVisible(txn,
                  fmt::format("SELECT 1 FROM subscribers s WHERE s.id = {} AND {}", id,
                              subscriberScopeSql(caller, "s")),
                  "subscriber");
}

void ensureNasVisible(pqxx::transaction_base& txn, const Caller& caller, int64_t id) {
    ensureVisible(txn,
                  fmt::format("SELECT 1 FROM nas_devices n WHERE n.id = {} AND {}", id,
                              nasScopeSql(caller, "n")),
                  "NAS");
}

void ensureAdminVisible(pqxx::transaction_base& txn, const Caller& caller, int64_t id) {
    ensureVisible(txn,
                  fmt::format("SELECT 1 FROM admins a WHERE a.id = {} AND {}", id,
                              adminScopeSql(caller, "a")),
                  "admin");
}

}  // namespace gatehouse::api
