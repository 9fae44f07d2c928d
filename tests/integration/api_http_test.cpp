// The admin API over real HTTP (core/api/server.*): ApiServer on a free loopback port with the
// real router (buildRouter, no database) and a temporary web_dir, spoken to by a tiny raw-socket
// HTTP/1.1 client, so the test needs neither curl nor a browser.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "core/api/routes/all.hpp"
#include "core/api/server.hpp"

namespace gatehouse::api {
namespace {

namespace fs = std::filesystem;

struct Reply {
    int status = 0;
    std::map<std::string, std::string> headers;  // lower-cased names
    std::string body;
};

// One request per connection ("Connection: close"), read to EOF.
Reply exchange(uint16_t port, const std::string& raw) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        throw std::runtime_error("socket");
    timeval tv{10, 0};  // a hung server fails the test instead of hanging it
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        throw std::runtime_error("connect");
    }
    size_t sent = 0;
    while (sent < raw.size()) {
        const ssize_t n = ::send(fd, raw.data() + sent, raw.size() - sent, MSG_NOSIGNAL);
        if (n <= 0)
            break;  // the server may answer (413) and close before reading everything
        sent += static_cast<size_t>(n);
    }
    // Pistache keeps the connection open whatever we ask: read the head, then Content-Length
    // bytes of body, rather than waiting for EOF.
    std::string in;
    char buf[65536];
    size_t head_end = std::string::npos;
    size_t want = std::string::npos;
    Reply r;
    while (want == std::string::npos || in.size() < want) {
        const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
        if (n <= 0)
            break;
        in.append(buf, static_cast<size_t>(n));
        if (head_end != std::string::npos || (head_end = in.find("\r\n\r\n")) == std::string::npos)
            continue;
        if (in.compare(0, 9, "HTTP/1.1 ") != 0)
            break;
        r.status = std::stoi(in.substr(9, 3));
        size_t pos = in.find("\r\n") + 2;
        while (pos < head_end) {
            const size_t eol = in.find("\r\n", pos);
            const std::string line = in.substr(pos, eol - pos);
            const size_t colon = line.find(':');
            std::string name = line.substr(0, colon);
            for (char& c : name)
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            std::string value = line.substr(colon + 1);
            while (!value.empty() && value.front() == ' ')
                value.erase(0, 1);
            r.headers[name] = value;
            pos = eol + 2;
        }
        auto length = r.headers.find("content-length");
        want = head_end + 4 + (length == r.headers.end() ? 0 : std::stoul(length->second));
    }
    ::close(fd);
    if (head_end == std::string::npos || r.status == 0)
        throw std::runtime_error("no HTTP answer: [" + in + "]");
    r.body = in.substr(head_end + 4);
    return r;
}

std::string request(const std::string& method, const std::string& target,
                    const std::string& body = {}, const std::string& extra = {}) {
    std::string r = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n";
    r += extra;
    if (!body.empty() || method == "POST")
        r += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
             "\r\n";
    return r + "\r\n" + body;
}

class ApiHttp : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        std::string tmpl = (fs::temp_directory_path() / "gh-api-http-XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        base_ = new fs::path(tmpl);
        fs::create_directories(*base_ / "dist" / "assets");
        std::ofstream(*base_ / "dist" / "index.html") << "<!doctype html><title>panel</title>";
        std::ofstream(*base_ / "dist" / "assets" / "index-5e6f.js") << "export{}";
        std::ofstream(*base_ / "secret.txt") << "SECRET";

        ApiServerOptions options;
        options.port = 0;
        options.threads = 1;
        options.web_dir = (*base_ / "dist").string();
        options.max_body = 1024;
        ApiDeps deps;
        deps.health.version = "9.9.9";
        deps.health.database = [] { return false; };
        server_ = new ApiServer(options, buildRouter(deps));
        server_->start();
        ASSERT_NE(server_->port(), 0);
    }
    static void TearDownTestSuite() {
        delete server_;
        fs::remove_all(*base_);
        delete base_;
    }
    static Reply send(const std::string& raw) { return exchange(server_->port(), raw); }

    static inline ApiServer* server_ = nullptr;
    static inline fs::path* base_ = nullptr;
};

TEST_F(ApiHttp, HealthAnswersJsonWithSecurityAndNoStoreHeaders) {
    const Reply r = send(request("GET", "/api/v1/health"));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(nlohmann::json::parse(r.body),
              nlohmann::json::parse(
                  R"({"status":"ok","version":"9.9.9","database":"down","redis":"off"})"));
    EXPECT_EQ(r.headers.at("content-type"), "application/json");
    EXPECT_EQ(r.headers.at("cache-control"), "no-store");
    EXPECT_EQ(r.headers.at("x-content-type-options"), "nosniff");
    EXPECT_EQ(r.headers.at("referrer-policy"), "no-referrer");
}

TEST_F(ApiHttp, UnknownApiPathIsJson404) {
    const Reply r = send(request("GET", "/api/v1/nope?x=1"));
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(nlohmann::json::parse(r.body)["error"],
              nlohmann::json::parse(
                  R"({"status":404,"code":"not_found","message":"no such route: /api/v1/nope"})"));
}

TEST_F(ApiHttp, WrongMethodIs405WithAllow) {
    const Reply r = send(request("POST", "/api/v1/health", "{}"));
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(r.headers.at("allow"), "GET");
    EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["code"], "method_not_allowed");
}

TEST_F(ApiHttp, BodyOverTheLimitIs413) {
    const Reply r = send(request("POST", "/api/v1/health", std::string(1025, 'x')));
    EXPECT_EQ(r.status, 413);
    EXPECT_EQ(nlohmann::json::parse(r.body)["error"]["field"], "body");
    // Far over the limit, Pistache refuses it before our handler (plain text, same status).
    EXPECT_EQ(send(request("POST", "/api/v1/health", std::string(200000, 'x'))).status, 413);
}

TEST_F(ApiHttp, ClientSideRouteGetsIndexHtml) {
    const Reply r = send(request("GET", "/nas/7"));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "<!doctype html><title>panel</title>");
    EXPECT_EQ(r.headers.at("content-type"), "text/html; charset=utf-8");
    EXPECT_EQ(r.headers.at("cache-control"), "no-cache");
    EXPECT_EQ(r.headers.at("x-content-type-options"), "nosniff");
}

TEST_F(ApiHttp, HashedAssetIsImmutable) {
    const Reply r = send(request("GET", "/assets/index-5e6f.js"));
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "export{}");
    EXPECT_EQ(r.headers.at("content-type"), "text/javascript; charset=utf-8");
    EXPECT_EQ(r.headers.at("cache-control"), "public, max-age=31536000, immutable");
    const Reply again = send(request("GET", "/assets/index-5e6f.js", {},
                                     "If-None-Match: " + r.headers.at("etag") + "\r\n"));
    EXPECT_EQ(again.status, 304);
    EXPECT_EQ(again.body, "");
}

TEST_F(ApiHttp, TraversalIsRefused) {
    for (const char* target : {"/../secret.txt", "/%2e%2e/secret.txt",
                               "/assets/..%2F..%2Fsecret.txt", "/..%5csecret.txt"}) {
        SCOPED_TRACE(target);
        const Reply r = send(request("GET", target));
        EXPECT_EQ(r.status, 400);
        EXPECT_EQ(r.body.find("SECRET"), std::string::npos);
    }
}

TEST_F(ApiHttp, SecondServerOnTheSamePortFailsWithAClearMessage) {
    ApiServerOptions options;
    options.port = server_->port();
    ApiServer second(options, Router{});
    try {
        second.start();
        FAIL() << "the port was taken";
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()),
                  "api: cannot listen on 127.0.0.1:" + std::to_string(server_->port()) +
                      ": Address already in use");
    }
    second.stop();
}

}  // namespace
}  // namespace gatehouse::api
