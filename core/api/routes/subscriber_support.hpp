#pragma once
// What the subscriber and session route groups share: store errors as ApiErrors, path ids,
// typed query parameters, pagination (docs/api.md "Lists") and the reseller scope of radacct
// rows. Internal to core/api/routes.
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>
#include <pqxx/transaction_base>

#include "core/api/http.hpp"
#include "core/api/permissions.hpp"
#include "core/store/error.hpp"
#include "core/util/expected.hpp"

namespace pqxx {
class field;
class row;
}  // namespace pqxx

namespace gatehouse::api::routes {

/// kInvalid/kUnknownReference: 400 naming the field; kDuplicate/kInUse: 409; kNotFound: 404;
/// a database error: a plain exception (the router logs it and answers 500).
[[noreturn]] void throwStoreError(const store::StoreError& e);

template <class T>
T valueOrThrow(Expected<T, store::StoreError> r) {
    if (!r)
        throwStoreError(r.error());
    return std::move(*r);
}
inline void okOrThrow(const Expected<void, store::StoreError>& r) {
    if (!r)
        throwStoreError(r.error());
}

/// The "{id}" of the path; 404 "<what> not found" when it is not a positive integer (like a
/// row that does not exist).
int64_t pathId(const HttpRequest& req, std::string_view what);

/// ?page= (from 1, default 1) and ?per_page= (1..500, default 50); 400 naming the parameter.
struct Page {
    int64_t page = 1;
    int64_t per_page = 50;
    int64_t offset() const { return (page - 1) * per_page; }
};
Page pageOf(const HttpRequest& req);
/// {"items": items, "total": total, "page": p, "per_page": n}.
nlohmann::json pageJson(nlohmann::json items, int64_t total, const Page& page);

/// ?name=true|false; nullopt when absent or empty; 400 naming it otherwise.
std::optional<bool> boolQuery(const HttpRequest& req, const std::string& name);
/// ?name= as an integer within [min, max], `fallback` when absent; 400 naming it otherwise.
int64_t intQuery(const HttpRequest& req, const std::string& name, int64_t fallback, int64_t min,
                 int64_t max);

/// 400 naming the first member of `body` not in `allowed`.
void onlyFields(const nlohmann::json& body, std::initializer_list<std::string_view> allowed);

/// `text` for a LIKE/ILIKE pattern: % _ and \ escaped, so a search means the characters typed.
std::string likeEscaped(std::string_view text);

/// SQL condition on radacct aliased `alias`: the session's subscriber is in the caller's scope
/// ("TRUE" for whole-ISP admins). Sessions of unknown users are nobody's reseller's.
std::string sessionScopeSql(const Caller& caller, std::string_view alias);

/// Unix seconds as ISO 8601 UTC, or null.
nlohmann::json isoOrNull(const pqxx::field& epoch_seconds);

/// The session list's columns over radacct r and its NAS n (the one the packets came from, else
/// the one registered at the reported NAS-IP-Address, as store::findOpenSessions); the caller
/// appends WHERE, ORDER BY and LIMIT.
extern const char* const kSessionSelect;
/// One row of kSessionSelect: id, username, subscriber_id, acct_session_id, nas, nas_id, nas_ip,
/// framed_ip, calling_station_id, start, last_update, stop, terminate_cause, input_octets,
/// output_octets, session_time, online.
nlohmann::json sessionJson(const pqxx::row& row);

/// The ISP's time zone (settings.timezone, an IANA name; "UTC" when unset): the usage tables'
/// days and months are counted in it (docs/accounting.md).
std::string ispTimezone(pqxx::transaction_base& txn);

}  // namespace gatehouse::api::routes
