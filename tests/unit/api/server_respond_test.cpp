// ApiServer::respond and clientAddress (core/api/server.*): the adapter's rules without a
// socket. tests/integration/api_http_test.cpp checks the same over real HTTP.
#include <gtest/gtest.h>

#include <filesystem>

#include "core/api/server.hpp"

namespace gatehouse::api {
namespace {

std::string headerOf(const HttpResponse& r, std::string_view name) {
    for (const auto& [k, v] : r.headers)
        if (k == name)
            return v;
    return "<none>";
}

ApiServer echoServer(size_t max_body = 16) {
    Router router;
    router.add("GET", "/api/v1/echo/{id}", "Echo", [](const HttpRequest& r) {
        nlohmann::json query = nlohmann::json::object();
        for (const auto& [k, v] : r.query)
            query[k] = v;
        return HttpResponse::json(200, {{"path", r.path},
                                        {"id", r.params.at("id")},
                                        {"query", query},
                                        {"peer", r.peer_ip},
                                        {"agent", r.header("user-agent")}});
    });
    router.add("POST", "/api/v1/echo/{id}", "Echo a body", [](const HttpRequest& r) {
        return HttpResponse::json(200, {{"size", r.body.size()}});
    });
    ApiServerOptions options;
    options.web_dir = (std::filesystem::temp_directory_path() / "gh-no-such-dist").string();
    options.max_body = max_body;
    return ApiServer(options, std::move(router));
}

WireRequest wire(std::string method, std::string raw_path) {
    WireRequest w;
    w.method = std::move(method);
    w.raw_path = std::move(raw_path);
    w.tcp_peer = "192.0.2.10";
    return w;
}

TEST(ClientAddress, ForwardedForIsBelievedOnlyFromLoopback) {
    EXPECT_EQ(clientAddress("127.0.0.1", "203.0.113.5"), "203.0.113.5");
    EXPECT_EQ(clientAddress("127.8.9.1", " 203.0.113.5 , 10.0.0.1"), "203.0.113.5");
    EXPECT_EQ(clientAddress("::ffff:127.0.0.1", "2001:db8::7"), "2001:db8::7");
    EXPECT_EQ(clientAddress("192.0.2.10", "203.0.113.5"), "192.0.2.10");
    EXPECT_EQ(clientAddress("::1", "203.0.113.5"), "::1");
    EXPECT_EQ(clientAddress("127.0.0.1", ""), "127.0.0.1");
    EXPECT_EQ(clientAddress("127.0.0.1", "unknown"), "127.0.0.1");
    EXPECT_EQ(clientAddress("127.0.0.1", "203.0.113.5:443"), "127.0.0.1");
}

TEST(ApiServerRespond, DecodesPathAndQueryAndSetsApiHeaders) {
    ApiServer server = echoServer();
    WireRequest w = wire("GET", "/api/v1/echo/a%20b");
    w.raw_query.emplace("q", "x%2By+z");
    w.raw_query.emplace("na%6De", "1");
    w.headers["user-agent"] = "test";
    const HttpResponse r = server.respond(w);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(nlohmann::json::parse(r.body),
              nlohmann::json::parse(R"({"path":"/api/v1/echo/a b","id":"a b",
                  "query":{"q":"x+y z","name":"1"},"peer":"192.0.2.10","agent":"test"})"));
    EXPECT_EQ(headerOf(r, "Cache-Control"), "no-store");
    EXPECT_EQ(headerOf(r, "X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(headerOf(r, "Referrer-Policy"), "no-referrer");
}

TEST(ApiServerRespond, PeerIsTheForwardedClientBehindLoopbackNginx) {
    ApiServer server = echoServer();
    WireRequest w = wire("GET", "/api/v1/echo/1");
    w.tcp_peer = "127.0.0.1";
    w.headers["x-forwarded-for"] = "198.51.100.4";
    EXPECT_EQ(nlohmann::json::parse(server.respond(w).body)["peer"], "198.51.100.4");
}

TEST(ApiServerRespond, BodyOverTheLimitIs413NamingTheBody) {
    ApiServer server = echoServer(16);
    WireRequest w = wire("POST", "/api/v1/echo/1");
    w.body = std::string(16, 'a');
    EXPECT_EQ(server.respond(w).status, 200);
    w.body += 'a';
    const HttpResponse r = server.respond(w);
    EXPECT_EQ(r.status, 413);
    EXPECT_EQ(nlohmann::json::parse(r.body)["error"],
              nlohmann::json::parse(R"({"status":413,"code":"too_large","field":"body",
                  "message":"the body is 17 bytes; at most 16 are accepted"})"));
}

TEST(ApiServerRespond, MalformedEscapesAre400) {
    ApiServer server = echoServer();
    EXPECT_EQ(server.respond(wire("GET", "/api/v1/echo/%zz")).status, 400);
    WireRequest w = wire("GET", "/api/v1/echo/1");
    w.raw_query.emplace("q", "%");
    const HttpResponse r = server.respond(w);
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["field"], "query");
}

TEST(ApiServerRespond, UnknownApiPathIsJson404AndWrongMethod405WithAllow) {
    ApiServer server = echoServer();
    const HttpResponse missing = server.respond(wire("GET", "/api/v1/nope"));
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(nlohmann::json::parse(missing.body)["error"]["code"], "not_found");
    const HttpResponse wrong = server.respond(wire("DELETE", "/api/v1/echo/1"));
    EXPECT_EQ(wrong.status, 405);
    EXPECT_EQ(headerOf(wrong, "Allow"), "GET, POST");
}

TEST(ApiServerRespond, OutsideApiOnlyGetAndHeadAreAllowed) {
    ApiServer server = echoServer();
    const HttpResponse r = server.respond(wire("POST", "/nas/7"));
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(headerOf(r, "Allow"), "GET, HEAD");
    EXPECT_EQ(headerOf(r, "X-Content-Type-Options"), "nosniff");
}

TEST(ApiServerRespond, PanelPagesGetSecurityHeadersButNotNoStore) {
    ApiServer server = echoServer();
    // web_dir does not exist: the "not built" page, with its own Cache-Control.
    const HttpResponse r = server.respond(wire("GET", "/nas/7"));
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(headerOf(r, "X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(headerOf(r, "Referrer-Policy"), "no-referrer");
    int cache_headers = 0;
    for (const auto& h : r.headers)
        cache_headers += h.first == "Cache-Control";
    EXPECT_EQ(cache_headers, 1);
}

TEST(ApiServerRespond, HeadOnAnApiRouteHasNoBody) {
    ApiServer server = echoServer();
    const HttpResponse r = server.respond(wire("HEAD", "/api/v1/echo/1"));
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(r.body, "");
}

TEST(ApiServer, StopIsIdempotentAndSafeWithoutStart) {
    ApiServer server = echoServer();
    server.stop();
    server.stop();
    EXPECT_EQ(server.port(), 0);
}

}  // namespace
}  // namespace gatehouse::api
