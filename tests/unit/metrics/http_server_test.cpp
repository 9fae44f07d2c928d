#include <gtest/gtest.h>

#include <string>

#include <boost/asio.hpp>

#include "core/metrics/metrics.hpp"

namespace gatehouse::metrics {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

void source(MetricsSnapshot& m) {
    m.received = 7;
    m.workers = 2;
    m.totals.accept();
    m.totals.policyReject("no \"plan\"");
}

std::string expectedBody() {
    MetricsSnapshot m;
    source(m);
    return renderMetrics(m);
}

// Sends `request` on a plain blocking socket and reads until the server closes.
std::string rawExchange(uint16_t port, const std::string& request) {
    asio::io_context io;
    tcp::socket socket(io);
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    asio::write(socket, asio::buffer(request));
    std::string reply;
    boost::system::error_code ec;
    asio::read(socket, asio::dynamic_buffer(reply), ec);  // eof (or reset) ends it
    return reply;
}

class MetricsHttp : public ::testing::Test {
  protected:
    void SetUp() override { ASSERT_TRUE(server_.start()); }
    uint16_t port() const { return server_.port(); }
    MetricsHttpServer server_{"127.0.0.1", 0, source};
};

TEST_F(MetricsHttp, FetchReturnsTheRenderedBody) {
    ASSERT_NE(port(), 0);
    auto body = fetchMetrics("127.0.0.1", port());
    ASSERT_TRUE(body) << body.error();
    EXPECT_EQ(*body, expectedBody());
}

TEST_F(MetricsHttp, RawGetGets200WithPrometheusContentType) {
    std::string body = expectedBody();
    std::string reply = rawExchange(port(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(reply,
              "HTTP/1.1 200 OK\r\n"
              "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
              "Content-Length: " +
                  std::to_string(body.size()) +
                  "\r\n"
                  "Connection: close\r\n\r\n" +
                  body);
}

TEST_F(MetricsHttp, QueryStringIsIgnored) {
    std::string reply = rawExchange(port(), "GET /metrics?x=1 HTTP/1.0\r\n\r\n");
    EXPECT_EQ(reply.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << reply;
}

TEST_F(MetricsHttp, HealthzSaysOk) {
    std::string reply = rawExchange(port(), "GET /healthz HTTP/1.0\r\n\r\n");
    EXPECT_EQ(reply,
              "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\n"
              "Content-Length: 3\r\nConnection: close\r\n\r\nok\n");
}

TEST_F(MetricsHttp, UnknownPathIs404) {
    std::string reply = rawExchange(port(), "GET /nope HTTP/1.0\r\n\r\n");
    EXPECT_EQ(reply.rfind("HTTP/1.1 404 Not Found\r\n", 0), 0u) << reply;
}

TEST_F(MetricsHttp, OtherMethodIs405) {
    std::string reply = rawExchange(port(), "POST /metrics HTTP/1.0\r\nContent-Length: 0\r\n\r\n");
    EXPECT_EQ(reply.rfind("HTTP/1.1 405 Method Not Allowed\r\n", 0), 0u) << reply;
    EXPECT_NE(reply.find("\r\nAllow: GET\r\n"), std::string::npos) << reply;
}

TEST_F(MetricsHttp, GarbageRequestLineIs400) {
    std::string reply = rawExchange(port(), "hello\r\n\r\n");
    EXPECT_EQ(reply.rfind("HTTP/1.1 400 Bad Request\r\n", 0), 0u) << reply;
}

TEST_F(MetricsHttp, OversizedRequestGets431OrAClosedConnection) {
    std::string request = "GET /" + std::string(9000, 'a') + " HTTP/1.0\r\n\r\n";
    std::string reply;
    try {
        reply = rawExchange(port(), request);
    } catch (const boost::system::system_error&) {
        reply.clear();  // the server closed before we finished writing: also acceptable
    }
    if (!reply.empty()) {
        EXPECT_EQ(reply.rfind("HTTP/1.1 431 ", 0), 0u) << reply.substr(0, 80);
    }
    // And the server is still there for the next client.
    EXPECT_TRUE(fetchMetrics("127.0.0.1", port()));
}

TEST_F(MetricsHttp, SilentClientDoesNotBlockAScrape) {
    asio::io_context io;
    tcp::socket silent(io);
    silent.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port()));
    tcp::socket half(io);  // sent half a request line, then nothing
    half.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port()));
    asio::write(half, asio::buffer(std::string("GET /met")));
    auto body = fetchMetrics("127.0.0.1", port(), 2000);
    ASSERT_TRUE(body) << body.error();
    EXPECT_EQ(*body, expectedBody());
}

TEST_F(MetricsHttp, FetchNamesTheAddressOnHttpError) {
    // fetchMetrics always asks for /metrics; a server whose source throws answers 500.
    MetricsHttpServer broken("127.0.0.1", 0,
                             [](MetricsSnapshot&) { throw std::runtime_error("no data"); });
    ASSERT_TRUE(broken.start());
    auto r = fetchMetrics("127.0.0.1", broken.port());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(),
              "127.0.0.1:" + std::to_string(broken.port()) + ": HTTP 500 Internal Server Error");
}

TEST_F(MetricsHttp, StoppedServerRefusesConnections) {
    uint16_t p = port();
    server_.stop();
    auto r = fetchMetrics("127.0.0.1", p);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), "127.0.0.1:" + std::to_string(p) + ": connection refused");
}

TEST_F(MetricsHttp, StartOnABusyPortNamesTheAddress) {
    MetricsHttpServer second("127.0.0.1", port(), source);
    auto r = second.start();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), "metrics: cannot listen on 127.0.0.1:" + std::to_string(port()) +
                             ": address already in use");
}

TEST(FetchMetrics, ClosedPortNamesTheAddress) {
    uint16_t closed = 0;
    {
        asio::io_context io;
        tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
        closed = a.local_endpoint().port();
    }  // closed again: nothing listens there now
    auto r = fetchMetrics("127.0.0.1", closed, 1000);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), "127.0.0.1:" + std::to_string(closed) + ": connection refused");
}

}  // namespace
}  // namespace gatehouse::metrics
