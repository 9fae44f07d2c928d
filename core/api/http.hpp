#pragma once
// The admin API's own request, response and router types (docs/api.md). Handlers are written
// against these, not against Pistache, so every route is tested without a socket (as process/
// keeps the RADIUS pipelines apart from net/); core/api/server.* adapts Pistache to them.
//
// Errors: a handler throws ApiError; the router turns it (and any other exception) into
//   {"error": {"status": 400, "code": "invalid", "field": "name", "message": "..."}}
// so every failure the panel sees has the same shape and, for bad input, names the field.
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace gatehouse::api {

struct HttpRequest {
    std::string method;                          // "GET", "POST", "PUT", "PATCH", "DELETE"
    std::string path;                            // "/api/v1/nas/7", without the query string
    std::map<std::string, std::string> query;    // decoded
    std::map<std::string, std::string> headers;  // names lower-cased
    std::map<std::string, std::string> params;   // from the route pattern: "{id}" -> "7"
    std::string body;
    std::string peer_ip;  // the TCP peer (nginx in front: see docs/api.md on X-Forwarded-For)

    /// The header's value or "" (name in lower case).
    std::string header(std::string_view name) const;
    /// The query parameter or `fallback`.
    std::string queryOr(std::string_view name, std::string_view fallback = {}) const;
    /// The body parsed as a JSON object; ApiError 400 "body" when it is not one.
    nlohmann::json jsonBody() const;
};

struct HttpResponse {
    int status = 200;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // Content-Type included

    static HttpResponse json(int status, const nlohmann::json& value);
    static HttpResponse noContent();  // 204
};

/// What a handler throws for a 4xx/5xx. `code` is a stable machine word ("invalid",
/// "not_found", "unauthorized", "forbidden", "conflict", "rate_limited", "unavailable",
/// "internal"); `field` names the offending input ("" when none); `message` is for people.
class ApiError : public std::runtime_error {
  public:
    ApiError(int status, std::string code, std::string field, const std::string& message)
        : std::runtime_error(message),
          status_(status),
          code_(std::move(code)),
          field_(std::move(field)) {}
    int status() const { return status_; }
    const std::string& code() const { return code_; }
    const std::string& field() const { return field_; }
    /// Extra headers for the answer (Retry-After for 429 and 503, WWW-Authenticate for 401).
    std::vector<std::pair<std::string, std::string>> headers;

    static ApiError invalid(std::string field, const std::string& message) {
        return ApiError(400, "invalid", std::move(field), message);
    }
    static ApiError notFound(const std::string& message) {
        return ApiError(404, "not_found", "", message);
    }

  private:
    int status_;
    std::string code_;
    std::string field_;
};

/// 503 "unavailable" with Retry-After: PostgreSQL could not be reached for this request.
ApiError databaseUnreachable();

/// The error body for `e` (see the header comment).
HttpResponse errorResponse(const ApiError& e);

using Handler = std::function<HttpResponse(const HttpRequest&)>;

struct RouteInfo {
    std::string method;
    std::string pattern;  // OpenAPI style: "/api/v1/nas/{id}"
    std::string summary;  // one line, for docs and `gatehouse api routes`
};

/// Routes by method and path pattern. Patterns are literal segments and "{name}" segments
/// (one whole segment each): "/api/v1/nas/{id}". The first route added that matches wins, so
/// add "/api/v1/nas/{id}/test" and literal siblings like "/api/v1/nas/bulk" before
/// "/api/v1/nas/{id}" when they could collide.
class Router {
  public:
    void add(std::string method, std::string pattern, std::string summary, Handler handler);

    /// Runs the matching handler with `params` filled in. No route for the path: 404; the path
    /// is known but not the method: 405 with an Allow header. ApiError becomes its response;
    /// any other exception a 500 "internal" whose message is logged, not sent.
    HttpResponse dispatch(HttpRequest request) const;

    /// True when some route's pattern matches `path` (whatever the method).
    bool knows(std::string_view path) const;

    /// Every route, in the order added (the OpenAPI check compares these with the spec).
    std::vector<RouteInfo> routes() const;

  private:
    struct Route {
        RouteInfo info;
        std::vector<std::string> segments;  // "{name}" for a parameter
        Handler handler;
    };
    static bool match(const Route& r, const std::vector<std::string_view>& path,
                      std::map<std::string, std::string>* params);
    std::vector<Route> routes_;
};

}  // namespace gatehouse::api
