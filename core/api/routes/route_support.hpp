#pragma once
// What the resource route groups (NAS, services) share: store errors as API errors, path ids,
// pagination (docs/api.md "Lists"), and reading JSON bodies whose values the store takes as
// typed text ("20M", "3799").
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

/// kInvalid, kDuplicate and kUnknownReference: 400 "invalid" naming the field (a taken name
/// is bad input like a malformed one); kInUse: 409 "conflict"; kNotFound: 404; else 500.
[[noreturn]] void throwStoreError(const store::StoreError& e);

template <class T>
T valueOrThrow(Expected<T, store::StoreError> r) {
    if (!r)
        throwStoreError(r.error());
    if constexpr (!std::is_void_v<T>)
        return std::move(*r);
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
/// ?page= (from 1) and ?per_page= (1..500, default 50); 400 naming the parameter.
PageRequest pageRequest(const HttpRequest& req);
/// {"items": items, "total": total, "page": p, "per_page": n}.
nlohmann::json pageJson(nlohmann::json items, int64_t total, const PageRequest& page);

/// 400 naming the first member of `body` not in `allowed`.
void onlyFields(const nlohmann::json& body, std::initializer_list<std::string_view> allowed);
/// A member as the text the store parses: strings as given, integers in decimal, booleans as
/// "yes"/"no". nullopt when absent; 400 naming it when null or of another type.
std::optional<std::string> textField(const nlohmann::json& body, std::string_view field);
/// A boolean member; nullopt when absent; 400 naming it when not true/false.
std::optional<bool> boolField(const nlohmann::json& body, std::string_view field);

}  // namespace gatehouse::api
