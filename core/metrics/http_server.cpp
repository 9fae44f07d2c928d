// The /metrics listener and its client. HTTP here is the small subset Prometheus needs: one
// GET per connection, answered and closed (RFC 9112 9.6 "Connection: close"), so there is no
// keep-alive, no chunking and no request body to think about. Every connection is handled
// asynchronously on the listener's own io_context with a deadline, so a client that connects and
// says nothing holds one socket for a few seconds and blocks nobody.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>

#include <boost/asio.hpp>

#include "core/metrics/metrics.hpp"

namespace gatehouse::metrics {

namespace asio = boost::asio;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr size_t kMaxRequestHead = 8192;  // request line and headers; more: 431
constexpr auto kRequestTimeout = std::chrono::seconds(5);
constexpr size_t kMaxConnections = 64;  // a flood of idle sockets cannot exhaust our fds
constexpr size_t kMaxResponse = 64u << 20;

std::string hostPort(const std::string& host, uint16_t port) {
    bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

// "Connection refused" -> "connection refused": the message continues a sentence that starts
// with the address.
std::string reason(const error_code& ec) {
    std::string m = ec.message();
    if (!m.empty())
        m[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(m[0])));
    return m;
}

using HeadIterator = asio::buffers_iterator<asio::streambuf::const_buffers_type>;

// The head ends at the first empty line; bare LF line ends are accepted too (RFC 9112 2.2).
std::pair<HeadIterator, bool> headEnd(HeadIterator begin, HeadIterator end) {
    for (HeadIterator i = begin; i != end; ++i) {
        if (*i != '\n')
            continue;
        HeadIterator j = i;
        ++j;
        if (j != end && *j == '\r')
            ++j;
        if (j != end && *j == '\n')
            return {++j, true};
    }
    return {begin, false};
}

std::string response(std::string_view status, std::string_view content_type, std::string_view body,
                     std::string_view extra_header = {}) {
    std::string r = "HTTP/1.1 ";
    r += status;
    r += "\r\nContent-Type: ";
    r += content_type;
    r += "\r\nContent-Length: " + std::to_string(body.size());
    r += "\r\n";
    r += extra_header;
    r += "Connection: close\r\n\r\n";
    r += body;
    return r;
}

std::string plain(std::string_view status, std::string_view body,
                  std::string_view extra_header = {}) {
    return response(status, "text/plain; charset=utf-8", body, extra_header);
}

}  // namespace

struct MetricsHttpServer::Impl {
    Impl(std::string b, uint16_t p, Source s) : bind(std::move(b)), port(p), source(std::move(s)) {}

    class Session : public std::enable_shared_from_this<Session> {
      public:
        Session(Impl& server, tcp::socket socket)
            : server_(server),
              socket_(std::move(socket)),
              timer_(socket_.get_executor()),
              buffer_(kMaxRequestHead) {
            ++server_.active;
        }
        ~Session() { --server_.active; }

        void start() {
            auto self = shared_from_this();
            timer_.expires_after(kRequestTimeout);
            timer_.async_wait([self](const error_code& ec) {
                if (!ec)
                    self->close();  // the pending read or write ends with an error
            });
            asio::async_read_until(socket_, buffer_, headEnd,
                                   [self](const error_code& ec, size_t) { self->onHead(ec); });
        }

      private:
        void onHead(const error_code& ec) {
            if (ec == asio::error::not_found) {  // streambuf full: the head is over 8 KiB
                send(plain("431 Request Header Fields Too Large", "request head too large\n"));
                return;
            }
            if (ec) {
                close();
                return;
            }
            auto data = buffer_.data();
            std::string head(asio::buffers_begin(data), asio::buffers_end(data));
            std::string line = head.substr(0, head.find('\n'));
            if (!line.empty() && line.back() == '\r')
                line.pop_back();
            send(answer(line));
        }

        std::string answer(const std::string& line) {
            size_t sp1 = line.find(' ');
            size_t sp2 = sp1 == std::string::npos ? sp1 : line.find(' ', sp1 + 1);
            if (sp1 == std::string::npos || sp2 == std::string::npos ||
                line.compare(sp2 + 1, 5, "HTTP/") != 0)
                return plain("400 Bad Request", "bad request line\n");
            std::string method = line.substr(0, sp1);
            std::string target = line.substr(sp1 + 1, sp2 - sp1 - 1);
            std::string path = target.substr(0, target.find('?'));
            if (method != "GET")
                return plain("405 Method Not Allowed", "only GET\n", "Allow: GET\r\n");
            if (path == "/metrics") {
                try {
                    MetricsSnapshot snapshot;
                    if (server_.source)
                        server_.source(snapshot);
                    return response("200 OK", "text/plain; version=0.0.4; charset=utf-8",
                                    renderMetrics(snapshot));
                } catch (const std::exception& e) {
                    return plain("500 Internal Server Error", std::string(e.what()) + "\n");
                }
            }
            if (path == "/healthz")
                return plain("200 OK", "ok\n");
            return plain("404 Not Found", "not found\n");
        }

        void send(std::string r) {
            response_ = std::move(r);
            auto self = shared_from_this();
            asio::async_write(socket_, asio::buffer(response_),
                              [self](const error_code&, size_t) { self->close(); });
        }

        void close() {
            error_code ignored;
            socket_.shutdown(tcp::socket::shutdown_both, ignored);
            socket_.close(ignored);
            timer_.cancel();
        }

        Impl& server_;
        tcp::socket socket_;
        asio::steady_timer timer_;
        asio::streambuf buffer_;
        std::string response_;
    };

    void accept() {
        acceptor.async_accept([this](const error_code& ec, tcp::socket socket) {
            if (ec == asio::error::operation_aborted || !acceptor.is_open())
                return;
            if (ec) {
                // EMFILE and friends: pause instead of failing in a tight loop.
                retry.expires_after(std::chrono::milliseconds(100));
                retry.async_wait([this](const error_code& wait_ec) {
                    if (!wait_ec)
                        accept();
                });
                return;
            }
            if (active < kMaxConnections)
                std::make_shared<Session>(*this, std::move(socket))->start();
            accept();  // over the limit: `socket` closes as it goes out of scope
        });
    }

    std::string bind;
    uint16_t port;
    Source source;
    size_t active = 0;  // sessions alive; touched only on the listener thread
    uint16_t bound_port = 0;
    // Declared after what sessions use: destroying the io_context destroys pending handlers,
    // and with them the sessions.
    asio::io_context io;
    tcp::acceptor acceptor{io};
    asio::steady_timer retry{io};
    std::thread thread;
};

MetricsHttpServer::MetricsHttpServer(std::string bind, uint16_t port, Source source)
    : impl_(std::make_unique<Impl>(std::move(bind), port, std::move(source))) {}

MetricsHttpServer::~MetricsHttpServer() {
    stop();
}

Expected<void, std::string> MetricsHttpServer::start() {
    Impl& d = *impl_;
    if (d.thread.joinable())
        return {};
    std::string where = hostPort(d.bind, d.port);
    error_code ec;
    tcp::endpoint endpoint;
    asio::ip::address address = asio::ip::make_address(d.bind, ec);
    if (!ec) {
        endpoint = tcp::endpoint(address, d.port);
    } else {
        tcp::resolver resolver(d.io);
        auto results = resolver.resolve(d.bind, std::to_string(d.port), ec);
        if (ec || results.empty())
            return unexpected("metrics: cannot resolve " + where + ": " +
                              (ec ? reason(ec) : std::string("no address")));
        endpoint = results.begin()->endpoint();
    }
    d.acceptor.open(endpoint.protocol(), ec);
    if (!ec)
        d.acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec)
        d.acceptor.bind(endpoint, ec);
    if (!ec)
        d.acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        error_code ignored;
        d.acceptor.close(ignored);
        return unexpected("metrics: cannot listen on " + where + ": " + reason(ec));
    }
    d.bound_port = d.acceptor.local_endpoint(ec).port();
    d.accept();
    d.thread = std::thread([&d] { d.io.run(); });
    return {};
}

void MetricsHttpServer::stop() {
    Impl& d = *impl_;
    if (!d.thread.joinable())
        return;
    d.io.stop();
    d.thread.join();
    error_code ignored;
    d.acceptor.close(ignored);
}

uint16_t MetricsHttpServer::port() const {
    return impl_->bound_port;
}

Expected<std::string, std::string> fetchMetrics(const std::string& host, uint16_t port,
                                                int timeout_ms) {
    const std::string where = hostPort(host, port);
    asio::io_context io;
    tcp::resolver resolver(io);
    tcp::socket socket(io);
    asio::steady_timer timer(io);
    std::string error;
    std::string raw;
    const std::string request = "GET /metrics HTTP/1.0\r\nHost: " + where +
                                "\r\nAccept: text/plain\r\nUser-Agent: gatehouse\r\n\r\n";
    bool timed_out = false;

    auto fail = [&](const error_code& ec) {
        if (error.empty())
            error = reason(ec);
        timer.cancel();
        error_code ignored;
        socket.close(ignored);
    };
    timer.expires_after(std::chrono::milliseconds(std::max(timeout_ms, 1)));
    timer.async_wait([&](const error_code& ec) {
        if (ec)
            return;
        timed_out = true;
        resolver.cancel();
        error_code ignored;
        socket.close(ignored);
    });
    resolver.async_resolve(host, std::to_string(port), [&](const error_code& rec, auto results) {
        if (rec)
            return fail(rec);
        asio::async_connect(socket, results, [&](const error_code& cec, const tcp::endpoint&) {
            if (cec)
                return fail(cec);
            asio::async_write(socket, asio::buffer(request), [&](const error_code& wec, size_t) {
                if (wec)
                    return fail(wec);
                asio::async_read(socket, asio::dynamic_buffer(raw, kMaxResponse),
                                 [&](const error_code& ec, size_t) {
                                     if (ec && ec != asio::error::eof)
                                         return fail(ec);
                                     timer.cancel();
                                 });
            });
        });
    });
    io.run();

    if (timed_out)
        return unexpected(where + ": timed out after " + std::to_string(timeout_ms) + " ms");
    if (!error.empty())
        return unexpected(where + ": " + error);
    // "HTTP/1.1 200 OK\r\n...\r\n\r\nbody"
    size_t line_end = raw.find("\r\n");
    size_t head_end = raw.find("\r\n\r\n");
    if (raw.compare(0, 5, "HTTP/") != 0 || line_end == std::string::npos ||
        head_end == std::string::npos)
        return unexpected(where + ": not an HTTP response");
    std::string status_line = raw.substr(0, line_end);
    size_t sp = status_line.find(' ');
    std::string status = sp == std::string::npos ? "" : status_line.substr(sp + 1);
    if (status.compare(0, 3, "200") != 0)
        return unexpected(where + ": HTTP " + status);
    return raw.substr(head_end + 4);
}

}  // namespace gatehouse::metrics
