#include "core/net/coa_client.hpp"

#include <arpa/inet.h>
#include <fmt/core.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <ctime>
#include <random>

#include "core/radius/authenticator.hpp"
#include "core/radius/types.hpp"
#include "core/radius/value.hpp"
#include "core/radius/writer.hpp"

namespace gatehouse::net {
namespace {

using Clock = std::chrono::steady_clock;

// Closes the socket on every return path.
class Fd {
  public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0)
            ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return fd_; }

  private:
    int fd_;
};

std::string errnoText(const char* what) {
    return fmt::format("{}: {}", what, std::strerror(errno));
}

radius::Code requestCode(CoaKind kind) {
    return kind == CoaKind::kCoa ? radius::Code::kCoaRequest : radius::Code::kDisconnectRequest;
}

}  // namespace

std::string_view coaKindName(CoaKind k) {
    return k == CoaKind::kCoa ? "coa" : "disconnect";
}

std::chrono::milliseconds attemptTimeout(const CoaRetryPolicy& policy, int attempt) {
    auto t = policy.first_timeout;
    for (int i = 0; i < attempt && t < policy.max_timeout; ++i)
        t *= 2;
    return std::min(t, policy.max_timeout);
}

std::chrono::milliseconds maxSendDuration(const CoaRetryPolicy& policy) {
    std::chrono::milliseconds total{0};
    for (int i = 0; i < std::max(1, policy.attempts); ++i)
        total += attemptTimeout(policy, i);
    return total;
}

std::string_view coaResultName(CoaResult r) {
    switch (r) {
        case CoaResult::kAck:
            return "ack";
        case CoaResult::kNak:
            return "nak";
        case CoaResult::kTimeout:
            return "timeout";
        case CoaResult::kSendError:
            return "send_error";
        case CoaResult::kBuildError:
            return "build_error";
    }
    return "unknown";
}

std::string_view errorCauseName(uint32_t cause) {
    switch (cause) {
        case 201:
            return "Residual-Context-Removed";
        case 202:
            return "Invalid-EAP-Packet";
        case 401:
            return "Unsupported-Attribute";
        case 402:
            return "Missing-Attribute";
        case 403:
            return "NAS-Identification-Mismatch";
        case 404:
            return "Invalid-Request";
        case 405:
            return "Unsupported-Service";
        case 406:
            return "Unsupported-Extension";
        case 407:
            return "Invalid-Attribute-Value";
        case 501:
            return "Administratively-Prohibited";
        case 502:
            return "Request-Not-Routable";
        case 503:
            return "Session-Context-Not-Found";
        case 504:
            return "Session-Context-Not-Removable";
        case 505:
            return "Proxy-Processing-Error";
        case 506:
            return "Resources-Unavailable";
        case 507:
            return "Request-Initiated";
        case 508:
            return "Multiple-Session-Selection-Unsupported";
        case 509:
            return "Location-Info-Required";  // RFC 5580
        case 510:
            return "Missing-Message-Authenticator";  // BlastRADIUS draft
        case 601:
            return "Response-Too-Big";  // RFC 7930
        default:
            return "";
    }
}

std::string describe(const CoaOutcome& o) {
    switch (o.result) {
        case CoaResult::kAck:
            if (o.error_cause != 0)
                return fmt::format("ack ({} {})", o.error_cause, errorCauseName(o.error_cause));
            return "ack";
        case CoaResult::kNak:
            if (o.error_cause == 0)
                return "nak (no Error-Cause)";
            return fmt::format("nak {} {}", o.error_cause, errorCauseName(o.error_cause));
        case CoaResult::kTimeout:
            return fmt::format("timeout after {} send{}", o.sends, o.sends == 1 ? "" : "s");
        case CoaResult::kSendError:
            return "send error: " + o.detail;
        case CoaResult::kBuildError:
            return "build error: " + o.detail;
    }
    return "unknown";
}

std::string_view replyCheckName(ReplyCheck c) {
    switch (c) {
        case ReplyCheck::kAccepted:
            return "accepted";
        case ReplyCheck::kMalformed:
            return "malformed";
        case ReplyCheck::kWrongId:
            return "wrong_id";
        case ReplyCheck::kWrongCode:
            return "wrong_code";
        case ReplyCheck::kBadAuthenticator:
            return "bad_authenticator";
        case ReplyCheck::kBadMessageAuthenticator:
            return "bad_message_authenticator";
    }
    return "unknown";
}

Expected<Bytes, std::string> buildCoaRequest(CoaKind kind, uint8_t id,
                                             std::span<const CoaAttribute> attributes,
                                             const crypto::SharedSecret& secret,
                                             const radius::Dictionary& dict, uint32_t now) {
    std::array<uint8_t, radius::kMaxPacketLength> buf{};
    radius::PacketWriter writer(buf, &dict);
    writer.begin(requestCode(kind), id);
    // Not required by RFC 5176, but harmless and what a BlastRADIUS-hardened NAS may demand.
    writer.addMessageAuthenticator();
    bool has_timestamp = false;
    for (const CoaAttribute& a : attributes) {
        std::string_view name = a.name;
        uint8_t tag = 0;
        if (auto colon = name.rfind(':'); colon != std::string_view::npos) {
            int t = 0;
            auto [p, ec] = std::from_chars(name.data() + colon + 1, name.data() + name.size(), t);
            if (ec != std::errc() || p != name.data() + name.size() || t < 1 || t > 31)
                return unexpected(a.name + ": tag after ':' must be 1..31");
            tag = static_cast<uint8_t>(t);
            name = name.substr(0, colon);
        }
        const radius::AttrDef* def = dict.byName(name);
        if (def == nullptr)
            return unexpected("unknown attribute '" + std::string(name) + "'");
        if (def->vendor == 0 && def->number == radius::attr::kMessageAuthenticator)
            continue;  // always added above, exactly once
        // RFC 5176 3.5 leaves hiding with a request authenticator that is itself a hash of the
        // packet undefined in practice; no CoA attribute we send needs it.
        if (def->encrypt != radius::Encrypt::kNone)
            return unexpected(std::string(name) + ": encrypted attributes are not sent in CoA");
        auto wire = radius::parseValue(dict, *def, a.value);
        if (!wire)
            return unexpected(wire.error().message);
        if (!writer.add(*def, *wire, secret, nullptr, tag))
            return unexpected(radius::describe(writer.error()));
        if (def->vendor == 0 && def->number == radius::attr::kEventTimestamp)
            has_timestamp = true;
    }
    if (!has_timestamp && !writer.addInteger(radius::attr::kEventTimestamp, now))
        return unexpected(radius::describe(writer.error()));
    auto finished = writer.finishRequest(secret);
    if (!finished)
        return unexpected(radius::describe(finished.error()));
    return Bytes(finished->begin(), finished->end());
}

ReplyCheck checkCoaReply(ByteSpan reply, ByteSpan request, const crypto::SharedSecret& secret,
                         const radius::Dictionary& dict, uint32_t& error_cause, bool& is_ack) {
    auto decoded = radius::decodePacket(reply, dict);
    if (!decoded)
        return ReplyCheck::kMalformed;
    const radius::Packet& p = *decoded;
    if (p.id() != request[1])
        return ReplyCheck::kWrongId;
    const auto req_code = static_cast<radius::Code>(request[0]);
    const auto ack = req_code == radius::Code::kCoaRequest ? radius::Code::kCoaAck
                                                           : radius::Code::kDisconnectAck;
    const auto nak = req_code == radius::Code::kCoaRequest ? radius::Code::kCoaNak
                                                           : radius::Code::kDisconnectNak;
    if (p.code() != ack && p.code() != nak)
        return ReplyCheck::kWrongCode;
    const uint8_t* request_auth = request.data() + 4;
    if (!radius::verifyResponseAuthenticator(p.wire(), request_auth, secret))
        return ReplyCheck::kBadAuthenticator;
    if (radius::checkResponseMessageAuthenticator(p, request_auth, secret) ==
        radius::MaCheck::kInvalid)
        return ReplyCheck::kBadMessageAuthenticator;
    error_cause = 0;
    if (const radius::AttrRef* ec = p.find(0, radius::attr::kErrorCause);
        ec != nullptr && ec->value_length == 4)
        error_cause = loadBe32(p.value(*ec).data());
    is_ack = p.code() == ack;
    return ReplyCheck::kAccepted;
}

CoaClient::CoaClient(const radius::Dictionary& dict, CoaClientOptions options)
    : dict_(dict), options_(std::move(options)) {
    // Each request has a socket (and so a source port) of its own, so Identifiers only need to
    // differ between retries of the outbox, not be unique across NASes.
    next_id_.store(static_cast<uint8_t>(std::random_device{}()));
}

CoaOutcome CoaClient::send(const CoaTarget& target, CoaKind kind,
                           std::span<const CoaAttribute> attributes) {
    CoaOutcome out;
    out.id = next_id_.fetch_add(1, std::memory_order_relaxed);

    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(target.port);
    if (::inet_pton(AF_INET, target.ip.c_str(), &to.sin_addr) != 1 || target.port == 0) {
        out.result = CoaResult::kSendError;
        out.detail = fmt::format("bad NAS address {}:{}", target.ip, target.port);
        return out;
    }
    const crypto::SharedSecret secret(target.secret);
    auto request = buildCoaRequest(kind, out.id, attributes, secret, dict_,
                                   static_cast<uint32_t>(std::time(nullptr)));
    if (!request) {
        out.result = CoaResult::kBuildError;
        out.detail = request.error();
        return out;
    }

    Fd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) {
        out.result = CoaResult::kSendError;
        out.detail = errnoText("socket");
        return out;
    }
    sockaddr_in from_addr{};
    from_addr.sin_family = AF_INET;
    if (!options_.source_address.empty() &&
        ::inet_pton(AF_INET, options_.source_address.c_str(), &from_addr.sin_addr) != 1) {
        out.result = CoaResult::kSendError;
        out.detail = "bad source address " + options_.source_address;
        return out;
    }
    if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&from_addr), sizeof(from_addr)) != 0) {
        out.result = CoaResult::kSendError;
        out.detail = errnoText("bind");
        return out;
    }

    std::array<uint8_t, radius::kMaxPacketLength + 1> buf{};
    const int attempts = std::max(1, options_.retry.attempts);
    for (int attempt = 0; attempt < attempts; ++attempt) {
        if (::sendto(fd.get(), request->data(), request->size(), 0,
                     reinterpret_cast<const sockaddr*>(&to), sizeof(to)) < 0) {
            out.result = CoaResult::kSendError;
            out.detail = errnoText("sendto");
            return out;
        }
        ++out.sends;
        const auto deadline = Clock::now() + attemptTimeout(options_.retry, attempt);
        for (;;) {
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (left.count() <= 0)
                break;
            pollfd pfd{fd.get(), POLLIN, 0};
            int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
            if (ready < 0 && errno == EINTR)
                continue;
            if (ready <= 0)
                break;
            sockaddr_in src{};
            socklen_t src_len = sizeof(src);
            ssize_t n = ::recvfrom(fd.get(), buf.data(), buf.size(), 0,
                                   reinterpret_cast<sockaddr*>(&src), &src_len);
            if (n < 0)
                continue;  // e.g. an ICMP error queued on the socket: keep waiting
            // RFC 5176 3.5 / RFC 2865 3: the answer must come from where the request went.
            if (src.sin_addr.s_addr != to.sin_addr.s_addr || src.sin_port != to.sin_port) {
                ++out.ignored;
                ignored_total_.fetch_add(1, std::memory_order_relaxed);
                out.detail = "answer from an unexpected address";
                continue;
            }
            uint32_t cause = 0;
            bool is_ack = false;
            ReplyCheck check = checkCoaReply(ByteSpan(buf.data(), static_cast<size_t>(n)), *request,
                                             secret, dict_, cause, is_ack);
            if (check != ReplyCheck::kAccepted) {
                ++out.ignored;
                ignored_total_.fetch_add(1, std::memory_order_relaxed);
                out.detail = std::string(replyCheckName(check));
                continue;
            }
            out.result = is_ack ? CoaResult::kAck : CoaResult::kNak;
            out.error_cause = cause;
            return out;
        }
    }
    out.result = CoaResult::kTimeout;
    return out;
}

}  // namespace gatehouse::net
