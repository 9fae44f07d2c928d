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
        case store::StoreErrorKind::kDuplicate:
        case store::StoreErrorKind::kUnknownReference:
            throw ApiError::invalid(e.field,
                                    e.field.empty() ? e.message : e.field + ": " + e.message);
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

std::optional<int64_t> parsePositive(std::string_view text) {
    int64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || end != text.data() + text.size() || v <= 0)
        return std::nullopt;
    return v;
}

}  // namespace

int64_t pathId(const HttpRequest& req, std::string_view what) {
    auto it = req.params.find("id");
    auto id = parsePositive(it == req.params.end() ? std::string_view() : it->second);
    if (!id)
        throw ApiError::notFound(fmt::format("{} not found", what));
    return *id;
}

PageRequest pageRequest(const HttpRequest& req) {
    PageRequest p;
    if (auto text = req.queryOr("page"); !text.empty()) {
        auto v = parsePositive(text);
        if (!v)
            throw ApiError::invalid("page", "page must be a positive integer");
        p.page = *v;
    }
    if (auto text = req.queryOr("per_page"); !text.empty()) {
        auto v = parsePositive(text);
        if (!v || *v > kMaxPerPage)
            throw ApiError::invalid("per_page", fmt::format("per_page must be 1..{}", kMaxPerPage));
        p.per_page = *v;
    }
    // Past this the offset would overflow; no list is that long.
    if (p.page > 1'000'000'000)
        throw ApiError::invalid("page", "page is too large");
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
