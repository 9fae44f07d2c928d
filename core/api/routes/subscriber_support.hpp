#pragma once
// What the subscriber, session and usage route groups share over and above route_support.hpp:
// the reseller scope of radacct rows, the session list's columns, times and the ISP's time
// zone. Internal to core/api/routes.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <pqxx/transaction_base>

#include "core/api/permissions.hpp"
#include "core/api/routes/route_support.hpp"

namespace pqxx {
class field;
class row;
}  // namespace pqxx

namespace gatehouse::api::routes {

/// SQL condition on radacct aliased `alias`: the session's subscriber is in the caller's scope
/// ("TRUE" for whole-ISP admins). Sessions of unknown users are nobody's reseller's.
std::string sessionScopeSql(const Caller& caller, std::string_view alias);

/// Unix seconds as ISO 8601 UTC, or null.
nlohmann::json isoOrNull(const pqxx::field& epoch_seconds);

/// The session list's columns over radacct r and its NAS n (the one the packets came from, else
/// the one registered at the reported NAS-IP-Address, as store::findOpenSessions); the caller
/// appends WHERE, ORDER BY and LIMIT.
extern const std::string kSessionSelect;
/// kSessionSelect over `rows`, a parenthesised SELECT of radacct rows (r.*) that already has its
/// WHERE, ORDER BY and LIMIT: the NAS is then matched for those rows only, where a join before
/// the LIMIT would match every open session's (scripts/bench api). `order` is applied again.
std::string sessionSelectOf(const std::string& rows, std::string_view order);
/// The sessions whose NAS (matched as in kSessionSelect) is `nas_id`, as a condition on radacct
/// r alone.
std::string sessionNasSql(int64_t nas_id);
/// One row of kSessionSelect: id, username, subscriber_id, acct_session_id, nas, nas_id, nas_ip,
/// framed_ip, calling_station_id, start, last_update, stop, terminate_cause, input_octets,
/// output_octets, session_time, online.
nlohmann::json sessionJson(const pqxx::row& row);

/// The ISP's time zone (settings.timezone, an IANA name; "UTC" when unset): the usage tables'
/// days and months are counted in it (docs/accounting.md).
std::string ispTimezone(pqxx::transaction_base& txn);

}  // namespace gatehouse::api::routes
