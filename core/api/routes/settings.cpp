#include "core/api/routes/settings.hpp"

#include <fmt/core.h>

#include <array>
#include <map>
#include <optional>
#include <pqxx/pqxx>

#include "core/api/audit.hpp"
#include "core/api/permissions.hpp"
#include "core/api/routes/subscriber_support.hpp"
#include "core/store/pg_pool.hpp"
#include "core/store/validate.hpp"

namespace gatehouse::api {

namespace {

using nlohmann::json;

template <class T>
T checked(Expected<T, store::StoreError> r) {
    if (!r)
        throw ApiError::invalid(r.error().field, r.error().message);
    return *r;
}

// RFC 2869 5.16: Acct-Interim-Interval SHOULD NOT be below 60 seconds; 0 leaves it out of the
// Access-Accept (policies/default.lua). Stored in decimal, as store::loadSettings reads it.
std::string interimInterval(pqxx::transaction_base&, std::string_view key, const std::string& v) {
    const int64_t n = checked(store::parseInt(v, key, 0, 86400));
    if (n != 0 && n < 60)
        throw ApiError::invalid(std::string(key),
                                "interim_interval must be 0 (not sent) or 60..86400 seconds");
    return std::to_string(n);
}

// "auto" (one interim interval + 2 minutes), or minutes (0: never), as the configuration file's
// key of the same name; read by the accounting writer at each sweep (AccountingRepository::
// staleBound), so a change applies within a minute.
std::string staleMinutes(pqxx::transaction_base&, std::string_view key, const std::string& v) {
    if (v == "auto")
        return v;
    const int64_t n = checked(store::parseInt(v, key, 0, 525600));
    if (n != 0 && n < 5)
        throw ApiError::invalid(std::string(key),
                                "stale_session_minutes must be auto, 0 (never) or 5..525600");
    return std::to_string(n);
}

std::string boolean(pqxx::transaction_base&, std::string_view key, const std::string& v) {
    return checked(store::parseBool(v, key)) ? "true" : "false";
}

std::string expiredAction(pqxx::transaction_base&, std::string_view key, const std::string& v) {
    if (v != "reject" && v != "grace" && v != "walled_garden")
        throw ApiError::invalid(std::string(key),
                                fmt::format("{} must be reject, grace or walled_garden", key));
    return v;
}

std::string graceDays(pqxx::transaction_base&, std::string_view key, const std::string& v) {
    return std::to_string(checked(store::parseInt(v, key, 0, 3650)));
}

// "" (none) or a pool that exists: a typo would leave expired users without an address.
std::string poolName(pqxx::transaction_base& txn, std::string_view key, const std::string& v) {
    if (v.empty())
        return v;
    if (txn.exec_params("SELECT 1 FROM ip_pools WHERE name = $1", v).empty())
        throw ApiError::invalid(std::string(key), fmt::format("no pool named '{}'", v));
    return v;
}

std::string addressList(pqxx::transaction_base&, std::string_view key, const std::string& v) {
    if (v.empty() || v.size() > 63)
        throw ApiError::invalid(std::string(key), fmt::format("{} must be 1..63 characters", key));
    return v;
}

// policies/default.lua reads it with tonumber(): store plain bits/s, whatever was typed ("2M").
std::string rate(pqxx::transaction_base&, std::string_view key, const std::string& v) {
    return std::to_string(checked(store::parseRate(v, key)));
}

// An IANA name PostgreSQL knows: the usage tables count days in it (docs/accounting.md).
std::string timeZone(pqxx::transaction_base& txn, std::string_view key, const std::string& v) {
    if (v.empty() || txn.exec_params("SELECT 1 FROM pg_timezone_names WHERE name = $1", v).empty())
        throw ApiError::invalid(std::string(key),
                                fmt::format("unknown time zone '{}' (an IANA name)", v));
    return v;
}

// Defaults as policy::Settings (core/policy/model.hpp) and policies/default.lua.
constexpr std::array kCatalogue{
    SettingInfo{"interim_interval", "300",
                "Acct-Interim-Interval sent in every Access-Accept, seconds (0: not sent); also "
                "the period of the jobs that follow accounting",
                interimInterval},
    SettingInfo{"stale_session_minutes", "auto",
                "Open sessions with no update for longer are closed as Stale-Session: auto (one "
                "interim interval + 2 minutes), minutes, or 0 (never); overrides the server's "
                "configuration file",
                staleMinutes},
    SettingInfo{"hard_cut", "false",
                "End the session at expiry (Session-Timeout) rather than at the next login",
                boolean},
    SettingInfo{"expired_action", "reject",
                "What an expired subscriber gets: reject, grace (grace_days more) or "
                "walled_garden",
                expiredAction},
    SettingInfo{"grace_days", "0", "With expired_action grace: days after expiry still accepted",
                graceDays},
    SettingInfo{"walled_garden_pool", "",
                "With expired_action walled_garden: the pool expired users get addresses from",
                poolName},
    SettingInfo{"walled_garden_address_list", "expired",
                "With expired_action walled_garden: the MikroTik address list (and profile name "
                "on other BNGs)",
                addressList},
    SettingInfo{"walled_garden_bps", "256000",
                "With expired_action walled_garden: the speed, bits/s", rate},
    SettingInfo{"timezone", "UTC",
                "The ISP's time zone (IANA name): days and months of usage are counted in it",
                timeZone},
};

const SettingInfo* findSetting(std::string_view key) {
    for (const auto& s : kCatalogue)
        if (s.key == key)
            return &s;
    return nullptr;
}

struct SettingsState {
    store::PgPool* db = nullptr;
    std::shared_ptr<Authenticator> auth;

    Caller authenticate(const HttpRequest& req) {
        if (!auth || db == nullptr)
            throw unavailable("the settings routes are not configured (no database or Redis)", 5);
        return auth->authenticate(req);
    }
};

struct Stored {
    std::string value;
    std::string updated_at;
};

std::map<std::string, Stored> storedSettings(pqxx::transaction_base& txn) {
    std::map<std::string, Stored> out;
    for (const auto& r :
         txn.exec("SELECT key, value, extract(epoch FROM updated_at)::bigint FROM settings"))
        out[r[0].as<std::string>()] =
            Stored{r[1].as<std::string>(), routes::isoOrNull(r[2]).get<std::string>()};
    return out;
}

json settingsJson(pqxx::transaction_base& txn) {
    const auto stored = storedSettings(txn);
    json items = json::array();
    for (const auto& s : kCatalogue) {
        auto it = stored.find(std::string(s.key));
        const bool is_set = it != stored.end();
        items.push_back({{"key", s.key},
                         {"value", is_set ? it->second.value : std::string(s.fallback)},
                         {"default", s.fallback},
                         {"is_set", is_set},
                         {"description", s.description},
                         {"updated_at", is_set ? json(it->second.updated_at) : json(nullptr)}});
    }
    return {{"items", items}};
}

HttpResponse getRoute(SettingsState& s, const HttpRequest& req) {
    const Caller caller = s.authenticate(req);
    caller.require("settings.view");
    auto lease = s.db->acquire();
    pqxx::read_transaction txn(*lease);
    json out = settingsJson(txn);
    txn.commit();
    return HttpResponse::json(200, out);
}

// A JSON value as the text the key's parser takes; nullopt for null (back to the default).
std::optional<std::string> valueText(const std::string& key, const json& v) {
    if (v.is_null())
        return std::nullopt;
    if (v.is_string())
        return v.get<std::string>();
    if (v.is_boolean())
        return v.get<bool>() ? "true" : "false";
    if (v.is_number_integer())
        return v.dump();
    throw ApiError::invalid(key,
                            fmt::format("{} must be a string, an integer, a boolean or null", key));
}

HttpResponse putRoute(SettingsState& s, const HttpRequest& req) {
    const Caller caller = s.authenticate(req);
    caller.require("settings.edit");
    const json body = req.jsonBody();
    auto lease = s.db->acquire();
    pqxx::work txn(*lease);
    // Every key is checked before any is written: one bad value refuses the whole body.
    std::map<std::string, std::optional<std::string>> wanted;
    for (const auto& [key, value] : body.items()) {
        const SettingInfo* info = findSetting(key);
        if (info == nullptr)
            throw ApiError::invalid(key, fmt::format("unknown setting '{}'", key));
        auto text = valueText(key, value);
        wanted[key] = text ? std::optional(info->canonical(txn, key, *text)) : std::nullopt;
    }
    const auto stored = storedSettings(txn);
    for (const auto& [key, value] : wanted) {
        auto it = stored.find(key);
        const json before = it == stored.end() ? json(nullptr) : json{{"value", it->second.value}};
        if (value) {
            if (it != stored.end() && it->second.value == *value)
                continue;
            // The trigger settings_notify tells every running server (gh_settings).
            txn.exec_params(
                "INSERT INTO settings (key, value) VALUES ($1, $2)"
                " ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                key, *value);
            recordAudit(txn, caller, "update", "setting", key, before, {{"value", *value}});
        } else if (it != stored.end()) {
            txn.exec_params("DELETE FROM settings WHERE key = $1", key);
            recordAudit(txn, caller, "delete", "setting", key, before, nullptr);
        }
    }
    json out = settingsJson(txn);
    txn.commit();
    return HttpResponse::json(200, out);
}

}  // namespace

std::span<const SettingInfo> settingCatalogue() {
    return kCatalogue;
}

void addSettingRoutes(Router& router, const AuthDeps& auth) {
    auto s = std::make_shared<SettingsState>();
    s->db = auth.db;
    s->auth = makeAuthenticator(auth);
    router.add("GET", "/api/v1/settings", "The ISP's settings (settings.view)",
               [s](const HttpRequest& req) { return getRoute(*s, req); });
    router.add("PUT", "/api/v1/settings", "Change the ISP's settings (settings.edit)",
               [s](const HttpRequest& req) { return putRoute(*s, req); });
}

}  // namespace gatehouse::api
