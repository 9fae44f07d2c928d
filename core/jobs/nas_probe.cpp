#include "core/jobs/nas_probe.hpp"

#include <arpa/inet.h>
#include <fmt/core.h>

#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cctype>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include "core/crypto/hiding.hpp"
#include "core/crypto/md5.hpp"
#include "core/net/coa_client.hpp"
#include "core/radius/authenticator.hpp"
#include "core/radius/packet.hpp"
#include "core/radius/writer.hpp"

namespace gatehouse::jobs {
namespace {

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds since(Clock::time_point start) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

ProbeResult result(ProbeResult::Status status, Clock::time_point start, std::string detail) {
    ProbeResult r;
    r.status = status;
    r.elapsed = since(start);
    r.detail = std::move(detail);
    return r;
}

class Socket {
  public:
    Socket() : fd_(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {}
    ~Socket() {
        if (fd_ >= 0)
            ::close(fd_);
    }
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    int fd() const { return fd_; }

  private:
    int fd_;
};

bool parseIpv4(const std::string& text, in_addr& out) {
    return ::inet_pton(AF_INET, text.c_str(), &out) == 1;
}

// Binds `fd` to `address` (port 0); errno tells why not.
bool bindTo(int fd, const in_addr& address) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr = address;
    return ::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof(a)) == 0;
}

std::string localAddress(int fd) {
    sockaddr_in a{};
    socklen_t len = sizeof(a);
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0)
        return "?";
    char text[INET_ADDRSTRLEN] = {};
    ::inet_ntop(AF_INET, &a.sin_addr, text, sizeof(text));
    return text;
}

// Why an answer to our Status-Server is not taken; "" when it is.
std::string checkStatusAnswer(std::span<const uint8_t> reply, std::span<const uint8_t> request,
                              const crypto::SharedSecret& secret, const radius::Dictionary& dict) {
    if (reply.size() < 20)
        return "short datagram";
    if (reply[1] != request[1])
        return "wrong Identifier";
    const auto code = static_cast<radius::Code>(reply[0]);
    if (code != radius::Code::kAccessAccept && code != radius::Code::kAccountingResponse)
        return fmt::format("unexpected code {}", reply[0]);
    auto packet = radius::decodePacket(reply, dict);
    if (!packet)
        return "malformed answer";
    const uint8_t* request_auth = request.data() + 4;
    if (!radius::verifyResponseAuthenticator(packet->wire(), request_auth, secret))
        return "Response Authenticator does not verify with the NAS's secret";
    if (radius::checkResponseMessageAuthenticator(*packet, request_auth, secret) ==
        radius::MaCheck::kInvalid)
        return "Message-Authenticator does not verify with the NAS's secret";
    return {};
}

}  // namespace

const char* statusName(ProbeResult::Status s) {
    switch (s) {
        case ProbeResult::kOk:
            return "ok";
        case ProbeResult::kFail:
            return "FAIL";
        case ProbeResult::kSkipped:
            return "skip";
    }
    return "?";
}

ProbeResult probeRadius(const NasTarget& nas, const RadiusProbeOptions& options,
                        const radius::Dictionary& dict) {
    const auto start = Clock::now();
    const std::string server = fmt::format("{}:{}", options.server_host, options.server_port);
    in_addr server_addr{};
    if (!parseIpv4(options.server_host, server_addr))
        return result(ProbeResult::kFail, start,
                      "server: not an IPv4 address: " + options.server_host);
    Socket sock;
    if (sock.fd() < 0)
        return result(ProbeResult::kFail, start, std::string("socket: ") + std::strerror(errno));

    // Sent from the NAS's address the server sees the NAS itself; an address that is not ours
    // cannot be bound (EADDRNOTAVAIL), and then the probe goes out from our own address.
    bool as_nas = false;
    in_addr source{};
    if (!options.source.empty()) {
        if (!parseIpv4(options.source, source) || !bindTo(sock.fd(), source))
            return result(
                ProbeResult::kFail, start,
                fmt::format("cannot send from {}: {}", options.source, std::strerror(errno)));
        as_nas = options.source == nas.ip;
    } else if (parseIpv4(nas.ip, source) && bindTo(sock.fd(), source)) {
        as_nas = true;
    }
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(options.server_port);
    to.sin_addr = server_addr;
    // Connected: only the server's datagrams arrive, and an ICMP port unreachable surfaces as
    // ECONNREFUSED instead of a silent timeout.
    if (::connect(sock.fd(), reinterpret_cast<const sockaddr*>(&to), sizeof(to)) != 0)
        return result(ProbeResult::kFail, start,
                      fmt::format("{}: {}", server, std::strerror(errno)));
    const std::string from = localAddress(sock.fd());
    const std::string sender =
        as_nas ? fmt::format("as {}", from)
               : fmt::format(
                     "from {} (not the NAS address {}: the server must know {} as a NAS "
                     "with this secret)",
                     from, nas.ip, from);

    const crypto::SharedSecret secret(nas.secret);
    std::array<uint8_t, radius::kMaxPacketLength> buffer{};
    radius::PacketWriter writer(buffer, &dict);
    uint8_t id = 0;
    crypto::randomBytes(&id, 1);
    writer.begin(radius::Code::kStatusServer, id);
    writer.addMessageAuthenticator();  // RFC 5997 3: mandatory
    auto built = writer.finishRequest(secret);
    if (!built)
        return result(ProbeResult::kFail, start, "encode: " + radius::describe(built.error()));
    const std::vector<uint8_t> request(built->begin(), built->end());

    std::string ignored;
    std::array<uint8_t, radius::kMaxPacketLength> reply{};
    for (int attempt = 0; attempt < std::max(1, options.attempts); ++attempt) {
        if (::send(sock.fd(), request.data(), request.size(), 0) < 0) {
            const int err = errno;
            if (err == ECONNREFUSED)
                return result(
                    ProbeResult::kFail, start,
                    fmt::format("{} refused (ICMP port unreachable): no server there", server));
            return result(ProbeResult::kFail, start,
                          fmt::format("send to {}: {}", server, std::strerror(err)));
        }
        const auto deadline = Clock::now() + std::chrono::milliseconds(options.timeout_ms);
        while (Clock::now() < deadline) {
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            pollfd p{sock.fd(), POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(std::max<int64_t>(1, left.count()))) <= 0)
                continue;
            const ssize_t n = ::recv(sock.fd(), reply.data(), reply.size(), 0);
            if (n < 0) {
                if (errno == ECONNREFUSED)
                    return result(
                        ProbeResult::kFail, start,
                        fmt::format("{} refused (ICMP port unreachable): no server there", server));
                continue;
            }
            std::span<const uint8_t> answer(reply.data(), static_cast<size_t>(n));
            std::string why = checkStatusAnswer(answer, request, secret, dict);
            if (why.empty())
                return result(ProbeResult::kOk, start,
                              fmt::format("Status-Server to {} {}: answered, authenticators "
                                          "verified with the NAS's secret",
                                          server, sender));
            ignored = why;
        }
    }
    std::string detail = fmt::format("Status-Server to {} {}: no answer after {} sends", server,
                                     sender, std::max(1, options.attempts));
    if (!ignored.empty())
        detail += " (an answer was dropped: " + ignored + ")";
    else
        detail +=
            " (server down, this address unknown to it as a NAS, or a secret that differs: a "
            "Message-Authenticator that does not verify is dropped silently)";
    return result(ProbeResult::kFail, start, detail);
}

std::string mikrotikSessionKey(std::string_view id) {
    if (id.size() > 2 && id[0] == '0' && (id[1] == 'x' || id[1] == 'X'))
        id.remove_prefix(2);
    std::string out;
    for (char c : id)
        out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

Expected<void, std::string> connectApi(const NasTarget& nas, const ApiCheckOptions& options,
                                       net::RouterOsClient& client) {
    if (!nas.api_password)
        return unexpected(std::string("the API password is not open"));
    net::RosConnectOptions o;
    o.host = nas.ip;
    o.port = static_cast<uint16_t>(nas.apiPort());
    o.tls = nas.api_use_ssl;
    o.username = nas.api_username;
    o.password = *nas.api_password;
    o.timeout_ms = options.timeout_ms;
    o.tls_options = options.tls;
    if (auto c = client.connect(o); !c)
        return unexpected(
            fmt::format("{}:{}{}: {}", o.host, o.port, o.tls ? " (TLS)" : "", c.error().text()));
    return {};
}

Expected<ApiStatus, std::string> readApiStatus(const NasTarget& nas,
                                               const ApiCheckOptions& options) {
    net::RouterOsClient client;
    if (auto c = connectApi(nas, options, client); !c)
        return unexpected(c.error());
    const std::string where =
        fmt::format("{}:{}{}", nas.ip, nas.apiPort(), nas.api_use_ssl ? " (TLS)" : "");
    ApiStatus status;
    status.tls_cipher = client.tlsCipher();
    auto identity = client.identity();
    if (!identity)
        return unexpected(fmt::format("{}: /system/identity: {}", where, identity.error().text()));
    status.identity = std::move(*identity);
    auto resource = client.resource();
    if (!resource)
        return unexpected(fmt::format("{}: /system/resource: {}", where, resource.error().text()));
    status.version = std::move(resource->version);
    status.uptime = std::move(resource->uptime);
    status.board_name = std::move(resource->board_name);
    return status;
}

ProbeResult probeApi(const NasTarget& nas, const ApiCheckOptions& options) {
    const auto start = Clock::now();
    if (!nas.hasApi())
        return result(
            ProbeResult::kSkipped, start,
            nas.type == "mikrotik"
                ? "no API credentials (set api_username and the API password)"
                : fmt::format("no API credentials ({} NAS: RADIUS and CoA only)", nas.type));
    auto status = readApiStatus(nas, options);
    if (!status)
        return result(ProbeResult::kFail, start, status.error());
    std::string detail = fmt::format("identity {}, RouterOS {}, uptime {}", status->identity,
                                     status->version, status->uptime);
    if (!status->board_name.empty())
        detail += ", " + status->board_name;
    detail += fmt::format(" ({}:{}", nas.ip, nas.apiPort());
    if (!status->tls_cipher.empty())
        detail += ", TLS " + status->tls_cipher;
    detail += ")";
    return result(ProbeResult::kOk, start, detail);
}

ProbeResult probeCoa(const NasTarget& nas, const CoaProbeOptions& options,
                     const radius::Dictionary& dict) {
    const auto start = Clock::now();
    net::CoaClientOptions co;
    co.retry.first_timeout = std::chrono::milliseconds(options.timeout_ms);
    co.retry.attempts = std::max(1, options.attempts);
    co.retry.max_timeout = std::chrono::milliseconds(options.timeout_ms) * 2;
    co.source_address = options.source;
    net::CoaClient client(dict, co);
    net::CoaTarget target;
    target.ip = nas.ip;
    target.port = static_cast<uint16_t>(nas.coa_port);
    target.secret = nas.secret;
    const std::vector<net::CoaAttribute> attributes{{"User-Name", kProbeUserName},
                                                    {"Acct-Session-Id", kProbeSessionId}};
    const net::CoaOutcome outcome = client.send(target, net::CoaKind::kDisconnect, attributes);
    const std::string where = fmt::format("Disconnect-Request to {}:{}", nas.ip, nas.coa_port);
    switch (outcome.result) {
        case net::CoaResult::kNak:
        case net::CoaResult::kAck:
            return result(ProbeResult::kOk, start,
                          fmt::format("{}: {} (verified: port open, secret right)", where,
                                      net::describe(outcome)));
        case net::CoaResult::kTimeout: {
            std::string detail = fmt::format("{}: {}", where, net::describe(outcome));
            if (outcome.ignored > 0)
                detail +=
                    fmt::format(" ({} answer(s) dropped: {})", outcome.ignored, outcome.detail);
            else
                detail +=
                    " (port closed or filtered, our address not allowed by the NAS, or "
                    "a wrong secret: a NAS drops what it cannot verify)";
            return result(ProbeResult::kFail, start, detail);
        }
        case net::CoaResult::kSendError:
        case net::CoaResult::kBuildError:
            break;
    }
    return result(ProbeResult::kFail, start, fmt::format("{}: {}", where, net::describe(outcome)));
}

}  // namespace gatehouse::jobs
