// The API's router and error shape (core/api/http.*), without a socket.
#include "core/api/http.hpp"

#include <gtest/gtest.h>

namespace gatehouse::api {
namespace {

HttpRequest request(std::string method, std::string path, std::string body = {}) {
    HttpRequest r;
    r.method = std::move(method);
    r.path = std::move(path);
    r.body = std::move(body);
    return r;
}

nlohmann::json bodyOf(const HttpResponse& r) {
    return nlohmann::json::parse(r.body);
}

Router sample() {
    Router router;
    router.add("GET", "/api/v1/nas", "List NAS",
               [](const HttpRequest&) { return HttpResponse::json(200, nlohmann::json::array()); });
    router.add("GET", "/api/v1/nas/{id}", "One NAS", [](const HttpRequest& r) {
        return HttpResponse::json(200, {{"id", r.params.at("id")}});
    });
    router.add("DELETE", "/api/v1/nas/{id}", "Delete a NAS", [](const HttpRequest&) {
        throw ApiError(409, "conflict", "id", "nas has 3 open sessions");
        return HttpResponse::noContent();
    });
    router.add("POST", "/api/v1/nas", "Add a NAS", [](const HttpRequest& r) {
        auto body = r.jsonBody();
        if (!body.contains("name"))
            throw ApiError::invalid("name", "is required");
        return HttpResponse::json(201, body);
    });
    router.add("GET", "/api/v1/boom", "Fails", [](const HttpRequest&) -> HttpResponse {
        throw std::runtime_error("SELECT secret FROM somewhere failed");
    });
    return router;
}

TEST(Router, PathParametersAreFilledIn) {
    const HttpResponse r = sample().dispatch(request("GET", "/api/v1/nas/42"));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(bodyOf(r)["id"], "42");
}

TEST(Router, TrailingAndDoubleSlashesDoNotMatter) {
    EXPECT_EQ(sample().dispatch(request("GET", "/api/v1/nas/")).status, 200);
    EXPECT_EQ(sample().dispatch(request("GET", "//api/v1//nas")).status, 200);
}

TEST(Router, ApiErrorBecomesItsStatusWithCodeFieldAndMessage) {
    const HttpResponse r = sample().dispatch(request("DELETE", "/api/v1/nas/7"));
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(bodyOf(r), nlohmann::json::parse(R"({"error":{"status":409,"code":"conflict",
        "field":"id","message":"nas has 3 open sessions"}})"));
}

TEST(Router, BadJsonAndMissingFieldsAreA400NamingTheField) {
    const HttpResponse bad = sample().dispatch(request("POST", "/api/v1/nas", "{\"name\": "));
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(bodyOf(bad)["error"]["field"], "body");
    const HttpResponse array = sample().dispatch(request("POST", "/api/v1/nas", "[1]"));
    EXPECT_EQ(bodyOf(array)["error"]["message"], "must be a JSON object");
    const HttpResponse missing = sample().dispatch(request("POST", "/api/v1/nas", "{}"));
    EXPECT_EQ(missing.status, 400);
    EXPECT_EQ(bodyOf(missing)["error"]["field"], "name");
    EXPECT_EQ(bodyOf(missing)["error"]["message"], "is required");
}

TEST(Router, UnknownPathIs404AndWrongMethodIs405WithAllow) {
    const HttpResponse missing = sample().dispatch(request("GET", "/api/v1/nope"));
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(bodyOf(missing)["error"]["code"], "not_found");
    const HttpResponse wrong = sample().dispatch(request("PATCH", "/api/v1/nas/7"));
    EXPECT_EQ(wrong.status, 405);
    ASSERT_EQ(wrong.headers.size(), 2u);
    EXPECT_EQ(wrong.headers[1], (std::pair<std::string, std::string>{"Allow", "GET, DELETE"}));
}

TEST(Router, OtherExceptionsAre500WithoutTheirMessage) {
    const HttpResponse r = sample().dispatch(request("GET", "/api/v1/boom"));
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(bodyOf(r)["error"]["message"], "internal error (logged)");
    EXPECT_EQ(r.body.find("SELECT"), std::string::npos);
}

TEST(Router, RoutesAreListedInOrderForTheSpecCheck) {
    const auto routes = sample().routes();
    ASSERT_EQ(routes.size(), 5u);
    EXPECT_EQ(routes[1].method, "GET");
    EXPECT_EQ(routes[1].pattern, "/api/v1/nas/{id}");
    EXPECT_EQ(routes[1].summary, "One NAS");
    EXPECT_TRUE(sample().knows("/api/v1/nas/9"));
    EXPECT_FALSE(sample().knows("/api/v1/nas/9/extra"));
}

}  // namespace
}  // namespace gatehouse::api
