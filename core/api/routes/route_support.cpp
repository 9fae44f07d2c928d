#include "core/api/routes/route_support.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <stdexcept>

namespace gatehouse::api {

using nlohmann::json;

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
    throw std::runtime_error(store::describe(e));  // logged by the router, sent as 500
}

Caller authenticateOrUnavailable(const std::shared_ptr<Authenticator>& auth,
                                 const HttpRequest& req) {
    if (!auth)
        throw unavailable("the API is not configured with a database and Redis", 5);
    return auth->authenticate(req);
}

namespace {

std::optional<int64_t> parseInt64(std::string_view text) {
    int64_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

}  // namespace

int64_t pathId(const HttpRequest& req, std::string_view what) {
    auto it = req.params.find("id");
    auto id = parseInt64(it == req.params.end() ? std::string_view() : it->second);
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

PageRequest pageRequest(const HttpRequest& req) {
    PageRequest p;
    // An offset past what any table holds is refused rather than multiplied into an overflow.
    p.page = intQuery(req, "page", 1, 1, 1'000'000);
    p.per_page = intQuery(req, "per_page", 50, 1, kMaxPerPage);
    return p;
}

json pageJson(json items, int64_t total, const PageRequest& page) {
    return {{"items", std::move(items)},
            {"total", total},
            {"page", page.page},
            {"per_page", page.per_page}};
}

void onlyFields(const json& body, std::initializer_list<std::string_view> allowed) {
    for (auto it = body.begin(); it != body.end(); ++it)
        if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end())
            throw ApiError::invalid(it.key(), fmt::format("unknown field {}", it.key()));
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

std::optional<std::string> textField(const json& body, std::string_view field) {
    auto it = body.find(field);
    if (it == body.end())
        return std::nullopt;
    if (it->is_string())
        return it->get<std::string>();
    if (it->is_number_integer())
        return std::to_string(it->get<int64_t>());
    if (it->is_boolean())
        return it->get<bool>() ? "yes" : "no";
    throw ApiError::invalid(std::string(field), fmt::format("{} must be a string", field));
}

std::optional<bool> boolField(const json& body, std::string_view field) {
    auto it = body.find(field);
    if (it == body.end())
        return std::nullopt;
    if (!it->is_boolean())
        throw ApiError::invalid(std::string(field), fmt::format("{} must be true or false", field));
    return it->get<bool>();
}

}  // namespace gatehouse::api
