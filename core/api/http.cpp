#include "core/api/http.hpp"

#include <fmt/core.h>

#include <cstdio>
#include <pqxx/except>

#include "core/util/one_line.hpp"

namespace gatehouse::api {

namespace {

std::vector<std::string_view> splitPath(std::string_view path) {
    std::vector<std::string_view> out;
    size_t pos = 0;
    while (pos < path.size()) {
        if (path[pos] == '/') {
            ++pos;
            continue;
        }
        const size_t end = path.find('/', pos);
        const size_t stop = end == std::string_view::npos ? path.size() : end;
        out.push_back(path.substr(pos, stop - pos));
        pos = stop;
    }
    return out;
}

bool isParam(std::string_view segment) {
    return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

std::string HttpRequest::header(std::string_view name) const {
    auto it = headers.find(std::string(name));
    return it == headers.end() ? std::string{} : it->second;
}

std::string HttpRequest::queryOr(std::string_view name, std::string_view fallback) const {
    auto it = query.find(std::string(name));
    return it == query.end() ? std::string(fallback) : it->second;
}

nlohmann::json HttpRequest::jsonBody() const {
    nlohmann::json value;
    try {
        value = nlohmann::json::parse(body.empty() ? std::string("{}") : body);
    } catch (const nlohmann::json::parse_error& e) {
        // e.byte is where the parser gave up: enough for a person to find the typo.
        throw ApiError::invalid("body", fmt::format("not valid JSON (at byte {})", e.byte));
    }
    if (!value.is_object())
        throw ApiError::invalid("body", "must be a JSON object");
    return value;
}

HttpResponse HttpResponse::json(int status, const nlohmann::json& value) {
    HttpResponse r;
    r.status = status;
    // Replace, not throw, on invalid UTF-8 in stored text (a NAS's odd User-Name).
    r.body = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    r.headers.emplace_back("Content-Type", "application/json");
    return r;
}

HttpResponse HttpResponse::noContent() {
    HttpResponse r;
    r.status = 204;
    return r;
}

ApiError databaseUnreachable() {
    ApiError e(503, "unavailable", "", "the database cannot be reached; try again shortly");
    e.headers.emplace_back("Retry-After", "5");
    return e;
}

HttpResponse errorResponse(const ApiError& e) {
    nlohmann::json error = {{"status", e.status()}, {"code", e.code()}, {"message", e.what()}};
    if (!e.field().empty())
        error["field"] = e.field();
    HttpResponse r = HttpResponse::json(e.status(), {{"error", error}});
    for (const auto& h : e.headers)
        r.headers.push_back(h);
    return r;
}

void Router::add(std::string method, std::string pattern, std::string summary, Handler handler) {
    Route r;
    for (std::string_view s : splitPath(pattern))
        r.segments.emplace_back(s);
    r.info = RouteInfo{std::move(method), std::move(pattern), std::move(summary)};
    r.handler = std::move(handler);
    routes_.push_back(std::move(r));
}

bool Router::match(const Route& r, const std::vector<std::string_view>& path,
                   std::map<std::string, std::string>* params) {
    if (r.segments.size() != path.size())
        return false;
    for (size_t i = 0; i < path.size(); ++i) {
        const std::string& want = r.segments[i];
        if (isParam(want)) {
            if (params != nullptr)
                (*params)[want.substr(1, want.size() - 2)] = std::string(path[i]);
        } else if (want != path[i]) {
            return false;
        }
    }
    return true;
}

bool Router::knows(std::string_view path) const {
    const auto segments = splitPath(path);
    for (const Route& r : routes_)
        if (match(r, segments, nullptr))
            return true;
    return false;
}

HttpResponse Router::dispatch(HttpRequest request) const {
    const auto segments = splitPath(request.path);
    std::string allow;
    for (const Route& r : routes_) {
        std::map<std::string, std::string> params;
        if (!match(r, segments, &params))
            continue;
        if (r.info.method != request.method) {
            if (allow.find(r.info.method) == std::string::npos)
                allow += (allow.empty() ? "" : ", ") + r.info.method;
            continue;
        }
        request.params = std::move(params);
        try {
            return r.handler(request);
        } catch (const ApiError& e) {
            return errorResponse(e);
        } catch (const pqxx::broken_connection& e) {
            std::fprintf(stderr, "api.database_unreachable method=%s path=%s error=\"%s\"\n",
                         request.method.c_str(), request.path.c_str(), oneLine(e.what()).c_str());
            return errorResponse(databaseUnreachable());
        } catch (const std::exception& e) {
            // The message may hold SQL or internals: logged here, not sent.
            std::fprintf(stderr, "api.internal_error method=%s path=%s error=\"%s\"\n",
                         request.method.c_str(), request.path.c_str(), e.what());
            return errorResponse(ApiError(500, "internal", "", "internal error (logged)"));
        }
    }
    if (!allow.empty()) {
        ApiError e(405, "method_not_allowed", "",
                   fmt::format("{} is not allowed here (allowed: {})", request.method, allow));
        e.headers.emplace_back("Allow", allow);
        return errorResponse(e);
    }
    return errorResponse(ApiError::notFound("no such route: " + request.path));
}

std::vector<RouteInfo> Router::routes() const {
    std::vector<RouteInfo> out;
    out.reserve(routes_.size());
    for (const Route& r : routes_)
        out.push_back(r.info);
    return out;
}

}  // namespace gatehouse::api
