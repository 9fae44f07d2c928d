#pragma once
// What every resource route group shares: store errors as API errors, path ids, pagination
// (docs/api.md "Lists"), typed query parameters, LIKE patterns, and reading JSON bodies whose
// values the store takes as typed text ("20M", "3799").
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/api/authenticator.hpp"
#include "core/api/http.hpp"
#include "core/store/error.hpp"
#include "core/util/expected.hpp"

namespace gatehouse::api {

/// kInvalid and kUnknownReference: 400 "invalid"; kDuplicate (a taken name or address) and
/// kInUse: 409 "conflict"; both name the field, with the store's message. kNotFound: 404; an
/// unreachable database: 503; any other database error: a plain exception (the router logs it
/// and answers 500).
[[noreturn]] void throwStoreError(const store::StoreError& e);

template <class T>
T valueOrThrow(Expected<T, store::StoreError> r) {
    if (!r)
        throwStoreError(r.error());
    if constexpr (!std::is_void_v<T>)
        return std::move(*r);
}
inline void okOrThrow(const Expected<void, store::StoreError>& r) {
    if (!r)
        throwStoreError(r.error());
}

/// The caller, or 503 when the group was built without an authenticator (no database/Redis).
Caller authenticateOrUnavailable(const std::shared_ptr<Authenticator>& auth,
                                 const HttpRequest& req);

/// The "{id}" parameter; 404 "<what> not found" when it is not a positive integer, as for a
/// row that does not exist.
int64_t pathId(const HttpRequest& req, std::string_view what);

struct PageRequest {
    int64_t page = 1;
    int64_t per_page = 50;
    int64_t offset() const { return (page - 1) * per_page; }
};
inline constexpr int64_t kMaxPerPage = 500;
/// ?page= (1..1,000,000, default 1) and ?per_page= (1..500, default 50); 400 naming the
/// parameter.
PageRequest pageRequest(const HttpRequest& req);
/// {"items": items, "total": total, "page": p, "per_page": n}.
nlohmann::json pageJson(nlohmann::json items, int64_t total, const PageRequest& page);

/// ?name=true|false; nullopt when absent or empty; 400 naming it otherwise.
std::optional<bool> boolQuery(const HttpRequest& req, const std::string& name);
/// ?name= as an integer within [min, max], `fallback` when absent; 400 naming it otherwise.
int64_t intQuery(const HttpRequest& req, const std::string& name, int64_t fallback, int64_t min,
                 int64_t max);

/// `text` for a LIKE/ILIKE pattern: % _ and \ escaped, so a search means the characters typed.
std::string likeEscaped(std::string_view text);

/// 400 naming the first member of `body` not in `allowed`.
void onlyFields(const nlohmann::json& body, std::initializer_list<std::string_view> allowed);
/// A member as the text the store parses: strings as given, integers in decimal, booleans as
/// "yes"/"no". nullopt when absent; 400 naming it when null or of another type.
std::optional<std::string> textField(const nlohmann::json& body, std::string_view field);
/// A boolean member; nullopt when absent; 400 naming it when not true/false.
std::optional<bool> boolField(const nlohmann::json& body, std::string_view field);

}  // namespace gatehouse::api
