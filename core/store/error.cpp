#include "core/store/error.hpp"

#include <pqxx/pqxx>

#include <string_view>

namespace gatehouse::store {
namespace {

std::string between(std::string_view text, std::string_view open, std::string_view close) {
    auto a = text.find(open);
    if (a == std::string_view::npos)
        return {};
    a += open.size();
    auto b = text.find(close, a);
    if (b == std::string_view::npos)
        return {};
    return std::string(text.substr(a, b - a));
}

struct ConstraintField {
    std::string_view constraint;
    std::string_view field;
};

// Constraint names from migrations/*.sql that do not follow <table>_<column>_<suffix>.
constexpr ConstraintField kNamed[] = {
    {"subscribers_active_static_ip", "static_ip"}, {"subscribers_service_id_fkey", "service"},
    {"subscribers_reseller_id_fkey", "reseller"},  {"radreply_framed_ip", "Framed-IP-Address"},
    {"ip_pool_one_per_subscriber", "subscriber"},
};

constexpr std::string_view kTables[] = {
    "nas_devices_",       "services_", "subscribers_", "ip_pool_assignments_",
    "service_fup_tiers_", "radreply_", "resellers_",   "settings_"};

std::string fieldOf(std::string_view constraint) {
    for (const auto& n : kNamed) {
        if (n.constraint == constraint)
            return std::string(n.field);
    }
    std::string_view f = constraint;
    for (auto t : kTables) {
        if (f.substr(0, t.size()) == t) {
            f.remove_prefix(t.size());
            break;
        }
    }
    for (std::string_view suffix : {"_fkey", "_key", "_check", "_pkey"}) {
        if (f.size() > suffix.size() && f.substr(f.size() - suffix.size()) == suffix) {
            f.remove_suffix(suffix.size());
            break;
        }
    }
    return std::string(f);
}

}  // namespace

const char* toString(StoreErrorKind k) {
    switch (k) {
        case StoreErrorKind::kInvalid:
            return "invalid";
        case StoreErrorKind::kDuplicate:
            return "duplicate";
        case StoreErrorKind::kNotFound:
            return "not found";
        case StoreErrorKind::kUnknownReference:
            return "unknown reference";
        case StoreErrorKind::kInUse:
            return "in use";
        case StoreErrorKind::kDatabase:
            return "database error";
    }
    return "error";
}

std::string describe(const StoreError& e) {
    std::string out;
    if (e.line != 0)
        out += "line " + std::to_string(e.line) + ": ";
    if (!e.field.empty())
        out += e.field + ": ";
    out += e.message;
    return out;
}

StoreError fromException(const std::exception& e) {
    std::string_view what = e.what();
    if (dynamic_cast<const pqxx::broken_connection*>(&e) != nullptr) {
        std::string msg = "PostgreSQL unreachable: " + std::string(what);
        while (!msg.empty() && msg.back() == '\n')
            msg.pop_back();
        return {StoreErrorKind::kDatabase, "", msg, 0, true};
    }
    std::string constraint = between(what, "constraint \"", "\"");
    std::string key = between(what, ")=(", ")");
    if (dynamic_cast<const pqxx::unique_violation*>(&e) != nullptr) {
        std::string field = fieldOf(constraint);
        std::string msg = "already exists";
        if (!key.empty())
            msg = "'" + key + "' " +
                  (field == "static_ip" ? "is already the static IP of an "
                                          "active subscriber"
                                        : "already exists");
        return {StoreErrorKind::kDuplicate, field, msg, 0};
    }
    if (dynamic_cast<const pqxx::foreign_key_violation*>(&e) != nullptr) {
        if (what.find("still referenced") != std::string_view::npos ||
            what.find("update or delete") != std::string_view::npos)
            return {StoreErrorKind::kInUse, fieldOf(constraint), "still in use", 0};
        return {StoreErrorKind::kUnknownReference, fieldOf(constraint), "does not exist", 0};
    }
    if (dynamic_cast<const pqxx::check_violation*>(&e) != nullptr ||
        dynamic_cast<const pqxx::not_null_violation*>(&e) != nullptr)
        return {StoreErrorKind::kInvalid, fieldOf(constraint), "value refused by the schema", 0};
    if (dynamic_cast<const pqxx::data_exception*>(&e) != nullptr)
        return {StoreErrorKind::kInvalid, "", std::string(what), 0};
    std::string msg(what);
    while (!msg.empty() && msg.back() == '\n')
        msg.pop_back();
    return {StoreErrorKind::kDatabase, "", msg, 0};
}

}  // namespace gatehouse::store
