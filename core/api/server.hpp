#pragma once
// The admin API's HTTP server (docs/api.md): Pistache's Http::Endpoint with one Http::Handler
// that turns every request into our HttpRequest, lets our Router (under /api/) or StaticFiles
// (the built panel, GET/HEAD elsewhere) answer, and writes the HttpResponse back. Handlers never
// see Pistache. TLS is nginx's job in front of it.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/api/http.hpp"
#include "core/api/static_files.hpp"

namespace gatehouse::api {

struct ApiServerOptions {
    std::string bind = "127.0.0.1";  // nginx in front: loopback unless api nodes are remote
    uint16_t port = 8080;            // 0: any free port, port() tells which
    unsigned threads = 2;            // Pistache reactor threads; handlers run on them
    std::string web_dir = "web/dist";
    size_t max_body = 1u << 20;                        // larger request bodies: 413
    std::chrono::milliseconds request_timeout{30000};  // headers and body must arrive by then
};

/// The TCP peer, or the client nginx names: the first X-Forwarded-For hop is believed only
/// when the peer is on 127.0.0.0/8 (the nginx of docs/api.md overwrites the header with its
/// own $remote_addr) and only when it is an IP address; otherwise the peer.
std::string clientAddress(std::string_view tcp_peer, std::string_view x_forwarded_for);

/// A request as it came off the wire, before any decoding: what ApiServer::respond needs.
struct WireRequest {
    std::string method;
    std::string raw_path;                               // %-encoded, no query
    std::multimap<std::string, std::string> raw_query;  // %-encoded names and values
    std::map<std::string, std::string> headers;         // names lower-cased
    std::string body;
    std::string tcp_peer;
};

class ApiServer {
  public:
    ApiServer(ApiServerOptions options, Router router);
    ~ApiServer();
    ApiServer(const ApiServer&) = delete;
    ApiServer& operator=(const ApiServer&) = delete;

    /// Listens and serves on the options' threads. Throws std::runtime_error naming the address
    /// ("api: cannot listen on 127.0.0.1:8080: Address already in use").
    void start();
    /// The port listened on (the chosen one when options.port was 0); 0 before start().
    uint16_t port() const { return port_; }
    /// Stops listening and joins the threads. Safe to call twice, or without start().
    void stop();

    /// Everything except the socket: /api/ to the Router, GET/HEAD elsewhere to StaticFiles,
    /// size and method checks, the security headers. Called by the Pistache handler.
    HttpResponse respond(const WireRequest& wire) const;

  private:
    struct Endpoint;
    ApiServerOptions options_;
    Router router_;
    StaticFiles static_files_;
    std::unique_ptr<Endpoint> endpoint_;
    uint16_t port_ = 0;
};

}  // namespace gatehouse::api
