#include "core/api/routes/subscriber_support.hpp"

#include "core/store/validate.hpp"

#include <fmt/core.h>

#include <pqxx/pqxx>

namespace gatehouse::api::routes {

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

namespace {

constexpr std::string_view kSessionColumns =
    "SELECT r.radacctid, r.username, r.subscriber_id, r.acctsessionid, n.name, n.id,"
    " host(r.nasipaddress), host(r.framedipaddress), r.callingstationid,"
    " extract(epoch FROM r.acctstarttime)::bigint, extract(epoch FROM r.acctupdatetime)::bigint,"
    " extract(epoch FROM r.acctstoptime)::bigint, r.acctterminatecause, r.acctinputoctets,"
    " r.acctoutputoctets, r.acctsessiontime";
constexpr std::string_view kSessionNasJoin =
    " LEFT JOIN nas_devices n ON (r.nas_id IS NOT NULL AND n.id = r.nas_id)"
    "  OR (r.nas_id IS NULL AND n.ip = r.nasipaddress)";

}  // namespace

const std::string kSessionSelect =
    fmt::format("{} FROM radacct r{}", kSessionColumns, kSessionNasJoin);

std::string sessionSelectOf(const std::string& rows, std::string_view order) {
    return fmt::format("{} FROM {} r{}{}", kSessionColumns, rows, kSessionNasJoin, order);
}

std::string sessionNasSql(int64_t nas_id) {
    return fmt::format(
        "(r.nas_id = {0} OR (r.nas_id IS NULL AND r.nasipaddress ="
        " (SELECT ip FROM nas_devices WHERE id = {0})))",
        nas_id);
}

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

}  // namespace gatehouse::api::routes
