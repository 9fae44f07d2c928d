#pragma once
// /api/v1/settings: the ISP's settings (table settings, read into policy::Settings by
// store::loadSettings and by the jobs). Each key is checked here as the server reads it; the
// table's trigger NOTIFYs gh_settings, so running servers reload within a second (docs/api.md
// "Pools, logs, dashboard, settings").
#include <span>
#include <string>
#include <string_view>

#include <pqxx/transaction_base>

#include "core/api/http.hpp"
#include "core/api/routes/auth.hpp"

namespace gatehouse::api {

struct SettingInfo {
    std::string_view key;
    std::string_view fallback;  // the built-in default (policy::Settings, policies/default.lua)
    std::string_view description;
    /// The value to store for `text`, or ApiError 400 naming the key.
    std::string (*canonical)(pqxx::transaction_base& txn, std::string_view key,
                             const std::string& text);
};

/// Every key the API lists and changes, in display order.
std::span<const SettingInfo> settingCatalogue();

/// Adds the routes; they use the auth group's database and authenticator.
void addSettingRoutes(Router& router, const AuthDeps& auth);

}  // namespace gatehouse::api
