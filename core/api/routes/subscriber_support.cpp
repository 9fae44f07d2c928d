#include "core/api/routes/subscriber_support.hpp"

#include "core/store/validate.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <pqxx/pqxx>
#include <stdexcept>

namespace gatehouse::api::routes {

namespace {

constexpr int64_t kMaxPerPage = 500;

std::optional<int64_t> parseInt64(std::string_view text) {
    int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

}  // namespace

void throwStoreError(const store::StoreError& e) {
    switch (e.kind) {
        case store::StoreErrorKind::kInvalid:
        case store::StoreErrorKind::kUnknownReference:
            throw ApiError::invalid(e.field, e.message);
        case store::StoreErrorKind::kDuplicate:
        case store::StoreErrorKind::kInUse:
            throw ApiError(409, "conflict", e.field, e.message);
        case store::StoreErrorKind::kNotFound:
            throw ApiError::notFound(e.message);
        case store::StoreErrorKind::kDatabase:
            if (e.unreachable)
                throw databaseUnreachable();
            break;
    }
    throw std::runtime_error(store::describe(e));
}

int64_t pathId(const HttpRequest& req, std::string_view what) {
    auto it = req.params.find("id");
    auto id =
        parseInt64(it == req.params.end() ? std::string_view{} : std::string_view(it->second));
    if (!id || *id <= 0)
        throw ApiError::notFound(fmt::format("{} not found", what));
    return *id;
}

int64_t intQuery(const HttpRequest& req, const std::string& name, int64_t fallback, int64_t min,
                 int64_t max) {
    const std::string text = req.queryOr(name);
    if (text.empty())
        return fallback;
    auto value = parseInt64(text);
    if (!value || *value < min || *value > max)
        throw ApiError::invalid(name,
                                fmt::format("{} must be an integer from {} to {}", name, min, max));
    return *value;
}

Page pageOf(const HttpRequest& req) {
    Page p;
    // An offset past what any table holds is refused rather than multiplied into an overflow.
    p.page = intQuery(req, "page", 1, 1, 1'000'000);
    p.per_page = intQuery(req, "per_page", 50, 1, kMaxPerPage);
    return p;
}

nlohmann::json pageJson(nlohmann::json items, int64_t total, const Page& page) {
    return {{"items", std::move(items)},
            {"total", total},
            {"page", page.page},
            {"per_page", page.per_page}};
}

std::optional<bool> boolQuery(const HttpRequest& req, const std::string& name) {
    const std::string text = req.queryOr(name);
    if (text.empty())
        return std::nullopt;
    if (text == "true")
        return true;
    if (text == "false")
        return false;
    throw ApiError::invalid(name, fmt::format("{} must be true or false", name));
}

void onlyFields(const nlohmann::json& body, std::initializer_list<std::string_view> allowed) {
    for (auto it = body.begin(); it != body.end(); ++it)
        if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end())
            throw ApiError::invalid(it.key(), fmt::format("unknown field {}", it.key()));
}

std::string sessionScopeSql(const Caller& caller, std::string_view alias) {
    if (!caller.reseller_id)
        return "TRUE";
    return fmt::format("{}.subscriber_id IN (SELECT s.id FROM subscribers s WHERE {})", alias,
                       subscriberScopeSql(caller, "s"));
}

nlohmann::json isoOrNull(const pqxx::field& epoch_seconds) {
    if (epoch_seconds.is_null())
        return nullptr;
    return store::formatTime(epoch_seconds.as<int64_t>());
}

const char* const kSessionSelect =
    "SELECT r.radacctid, r.username, r.subscriber_id, r.acctsessionid, n.name, n.id,"
    " host(r.nasipaddress), host(r.framedipaddress), r.callingstationid,"
    " extract(epoch FROM r.acctstarttime)::bigint, extract(epoch FROM r.acctupdatetime)::bigint,"
    " extract(epoch FROM r.acctstoptime)::bigint, r.acctterminatecause, r.acctinputoctets,"
    " r.acctoutputoctets, r.acctsessiontime"
    " FROM radacct r LEFT JOIN nas_devices n ON (r.nas_id IS NOT NULL AND n.id = r.nas_id)"
    "  OR (r.nas_id IS NULL AND n.ip = r.nasipaddress)";

nlohmann::json sessionJson(const pqxx::row& row) {
    auto text = [](const pqxx::field& f) -> nlohmann::json {
        return f.is_null() ? nlohmann::json(nullptr) : nlohmann::json(f.as<std::string>());
    };
    auto number = [](const pqxx::field& f) -> nlohmann::json {
        return f.is_null() ? nlohmann::json(nullptr) : nlohmann::json(f.as<int64_t>());
    };
    // upload = Acct-Input-Octets (from the subscriber), download = Acct-Output-Octets
    // (RFC 2866 5.3, 5.4; docs/accounting.md).
    return {{"id", row[0].as<int64_t>()},
            {"username", row[1].as<std::string>()},
            {"subscriber_id", number(row[2])},
            {"acct_session_id", row[3].as<std::string>()},
            {"nas", text(row[4])},
            {"nas_id", number(row[5])},
            {"nas_ip", text(row[6])},
            {"framed_ip", text(row[7])},
            {"calling_station_id", text(row[8])},
            {"start", isoOrNull(row[9])},
            {"last_update", isoOrNull(row[10])},
            {"stop", isoOrNull(row[11])},
            {"terminate_cause", text(row[12])},
            {"input_octets", row[13].as<int64_t>()},
            {"output_octets", row[14].as<int64_t>()},
            {"session_time", row[15].as<int64_t>()},
            {"online", row[11].is_null()}};
}

std::string ispTimezone(pqxx::transaction_base& txn) {
    auto r = txn.exec("SELECT value FROM settings WHERE key = 'timezone' AND value <> ''");
    return r.empty() ? std::string("UTC") : r[0][0].as<std::string>();
}

std::string likeEscaped(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '%' || c == '_' || c == '\\')
            out += '\\';
        out += c;
    }
    return out;
}

}  // namespace gatehouse::api::routes
