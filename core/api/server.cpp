#include "core/api/server.hpp"

#include <arpa/inet.h>
#include <fmt/core.h>
#include <pistache/endpoint.h>
#include <pistache/http.h>

#include <cctype>
#include <cstdio>
#include <exception>
#include <ostream>
#include <stdexcept>
#include <utility>

namespace gatehouse::api {

namespace {

namespace Http = Pistache::Http;

// Pistache's own limit covers the whole request; headers get this much on top of max_body, so
// a body just over max_body reaches us and gets our JSON 413, not Pistache's plain-text one.
constexpr size_t kHeaderAllowance = 64u << 10;

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

bool isIpAddress(const std::string& text) {
    unsigned char buf[16];
    return inet_pton(AF_INET, text.c_str(), buf) == 1 ||
           inet_pton(AF_INET6, text.c_str(), buf) == 1;
}

bool isLoopbackV4(std::string_view peer) {
    if (peer.starts_with("::ffff:"))
        peer.remove_prefix(7);
    unsigned char buf[4];
    return inet_pton(AF_INET, std::string(peer).c_str(), buf) == 1 && buf[0] == 127;
}

bool isApiPath(std::string_view path) {
    return path == "/api" || path.starts_with("/api/");
}

// Pistache 0.0.5 writes only typed headers into a response (addRaw ones are dropped), so each
// of ours travels as one of these.
class NamedHeader : public Http::Header::Header {
  public:
    NamedHeader(std::string name, std::string value)
        : name_(std::move(name)), value_(std::move(value)) {}
    const char* name() const override { return name_.c_str(); }
    void write(std::ostream& os) const override { os << value_; }
#ifdef SAFE_HEADER_CAST
    uint64_t hash() const override {
        return Http::Header::detail::hash(name_.c_str());
    }
#endif

  private:
    std::string name_;
    std::string value_;
};

class PistacheHandler : public Http::Handler {
  public:
    HTTP_PROTOTYPE(PistacheHandler)

    explicit PistacheHandler(const ApiServer* server = nullptr) : server_(server) {}

    void onRequest(const Http::Request& request, Http::ResponseWriter writer) override {
        HttpResponse response;
        try {
            WireRequest wire;
            wire.method = Http::methodString(request.method());
            wire.raw_path = request.resource();
            const auto& query = request.query();
            for (auto it = query.parameters_begin(); it != query.parameters_end(); ++it)
                wire.raw_query.emplace(it->first, it->second);
            // rawList() holds every header as received, the typed ones (Host, Content-Type...)
            // included; the names are lower-cased here so lookups need no case folding.
            for (const auto& [name, raw] : request.headers().rawList()) {
                std::string key = name;
                for (char& c : key)
                    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                wire.headers[key] = raw.value();
            }
            wire.body = request.body();
            wire.tcp_peer = request.address().host();
            response = server_->respond(wire);
        } catch (const std::exception& e) {
            std::fprintf(stderr, "api.internal_error adapter error=\"%s\"\n", e.what());
            response = errorResponse(ApiError(500, "internal", "", "internal error (logged)"));
        }
        for (auto& [name, value] : response.headers)
            writer.headers().add(std::make_shared<NamedHeader>(name, value));
        writer.send(static_cast<Http::Code>(response.status), response.body);
    }

  private:
    const ApiServer* server_;
};

}  // namespace

std::string clientAddress(std::string_view tcp_peer, std::string_view x_forwarded_for) {
    if (x_forwarded_for.empty() || !isLoopbackV4(tcp_peer))
        return std::string(tcp_peer);
    const std::string first(trim(x_forwarded_for.substr(0, x_forwarded_for.find(','))));
    return isIpAddress(first) ? first : std::string(tcp_peer);
}

struct ApiServer::Endpoint {
    std::unique_ptr<Http::Endpoint> http;
    bool running = false;
};

ApiServer::ApiServer(ApiServerOptions options, Router router)
    : options_(std::move(options)),
      router_(std::move(router)),
      static_files_(options_.web_dir),
      endpoint_(std::make_unique<Endpoint>()) {}

ApiServer::~ApiServer() {
    stop();
}

void ApiServer::start() {
    if (endpoint_->running)
        return;
    const std::string where = options_.bind.find(':') != std::string::npos
                                  ? fmt::format("[{}]:{}", options_.bind, options_.port)
                                  : fmt::format("{}:{}", options_.bind, options_.port);
    try {
        auto http = std::make_unique<Http::Endpoint>(
            Pistache::Address(options_.bind, Pistache::Port(options_.port)));
        http->init(Http::Endpoint::options()
                       .threads(static_cast<int>(options_.threads == 0 ? 1 : options_.threads))
                       .threadsName("gh-api")
                       .flags(Pistache::Tcp::Options::ReuseAddr)
                       .maxRequestSize(options_.max_body + kHeaderAllowance)
                       .headerTimeout(options_.request_timeout)
                       .bodyTimeout(options_.request_timeout));
        http->setHandler(Http::make_handler<PistacheHandler>(this));
        // serveThreaded() binds (an earlier bind() would leave a second, dead socket behind).
        http->serveThreaded();
        port_ = static_cast<uint16_t>(http->getPort());
        endpoint_->http = std::move(http);
        endpoint_->running = true;
    } catch (const std::exception& e) {
        throw std::runtime_error(fmt::format("api: cannot listen on {}: {}", where, e.what()));
    }
}

void ApiServer::stop() {
    if (!endpoint_ || !endpoint_->running)
        return;
    endpoint_->running = false;
    endpoint_->http->shutdown();
    endpoint_->http.reset();
}

HttpResponse ApiServer::respond(const WireRequest& wire) const {
    const bool api = isApiPath(wire.raw_path);
    HttpResponse response = [&]() -> HttpResponse {
        if (!api) {
            if (wire.method == "GET" || wire.method == "HEAD")
                return static_files_.serve(wire.method, wire.raw_path, wire.headers);
            ApiError e(405, "method_not_allowed", "",
                       fmt::format("{} is not allowed here (allowed: GET, HEAD)", wire.method));
            e.headers.emplace_back("Allow", "GET, HEAD");
            return errorResponse(e);
        }
        if (wire.body.size() > options_.max_body) {
            return errorResponse(
                ApiError(413, "too_large", "body",
                         fmt::format("the body is {} bytes; at most {} are accepted",
                                     wire.body.size(), options_.max_body)));
        }
        HttpRequest request;
        request.method = wire.method;
        auto path = percentDecode(wire.raw_path, false);
        if (!path || path->find('\0') != std::string::npos)
            return errorResponse(ApiError::invalid("path", "malformed %-escape in the path"));
        request.path = std::move(*path);
        for (const auto& [raw_name, raw_value] : wire.raw_query) {
            auto name = percentDecode(raw_name, true);
            auto value = percentDecode(raw_value, true);
            if (!name || !value)
                return errorResponse(
                    ApiError::invalid("query", "malformed %-escape in the query string"));
            request.query.emplace(std::move(*name), std::move(*value));
        }
        request.headers = wire.headers;
        request.body = wire.body;
        auto xff = wire.headers.find("x-forwarded-for");
        request.peer_ip =
            clientAddress(wire.tcp_peer, xff == wire.headers.end() ? "" : xff->second);
        return router_.dispatch(std::move(request));
    }();
    // Every answer: the browser must not guess types (a JSON error sniffed as HTML) nor send
    // panel URLs (which carry ids) to other sites.
    response.headers.emplace_back("X-Content-Type-Options", "nosniff");
    response.headers.emplace_back("Referrer-Policy", "no-referrer");
    // API answers hold subscriber data and tokens: never stored by a browser or a proxy.
    if (api)
        response.headers.emplace_back("Cache-Control", "no-store");
    if (wire.method == "HEAD")
        response.body.clear();
    return response;
}

}  // namespace gatehouse::api
