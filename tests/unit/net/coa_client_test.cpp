// CoaClient against a fake NAS on 127.0.0.1: packet layout, answer matching, retransmission.
#include "core/net/coa_client.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "core/radius/authenticator.hpp"
#include "core/radius/types.hpp"
#include "core/radius/writer.hpp"

namespace gatehouse::net {
namespace {

using radius::Code;

const radius::Dictionary& dict() {
    return radius::Dictionary::builtin();
}

int boundLoopbackSocket() {
    int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0)
        throw std::runtime_error("cannot bind 127.0.0.1");
    return fd;
}

uint16_t portOf(int fd) {
    sockaddr_in a{};
    socklen_t len = sizeof(a);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    return ntohs(a.sin_port);
}

// A NAS on an ephemeral port: a thread hands every datagram to `handler`, which may answer
// from the NAS's own socket (reply) or from another one (replyFromElsewhere).
class FakeNas {
  public:
    using Handler = std::function<void(FakeNas&, const Bytes&)>;

    explicit FakeNas(Handler handler)
        : fd_(boundLoopbackSocket()),
          other_fd_(boundLoopbackSocket()),
          handler_(std::move(handler)) {
        thread_ = std::thread([this] { run(); });
    }
    ~FakeNas() {
        stop_ = true;
        thread_.join();
        ::close(fd_);
        ::close(other_fd_);
    }
    uint16_t port() const { return port_of_; }
    void reply(const Bytes& b) { sendFrom(fd_, b); }
    void replyFromElsewhere(const Bytes& b) { sendFrom(other_fd_, b); }
    std::vector<Bytes> received() {
        std::lock_guard<std::mutex> g(mutex_);
        return received_;
    }

  private:
    void sendFrom(int fd, const Bytes& b) {
        ::sendto(fd, b.data(), b.size(), 0, reinterpret_cast<const sockaddr*>(&from_),
                 sizeof(from_));
    }
    void run() {
        std::array<uint8_t, 4096> buf{};
        while (!stop_) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 20) != 1)
                continue;
            socklen_t len = sizeof(from_);
            ssize_t n = ::recvfrom(fd_, buf.data(), buf.size(), 0,
                                   reinterpret_cast<sockaddr*>(&from_), &len);
            if (n <= 0)
                continue;
            Bytes datagram(buf.begin(), buf.begin() + n);
            {
                std::lock_guard<std::mutex> g(mutex_);
                received_.push_back(datagram);
            }
            handler_(*this, datagram);
        }
    }

    int fd_;
    int other_fd_;
    uint16_t port_of_ = portOf(fd_);
    Handler handler_;
    sockaddr_in from_{};
    std::atomic<bool> stop_{false};
    std::mutex mutex_;
    std::vector<Bytes> received_;
    std::thread thread_;
};

constexpr const char* kSecret = "coa-secret";

struct ReplySpec {
    Code code = Code::kDisconnectAck;
    uint32_t error_cause = 0;
    bool message_authenticator = true;
    int id_delta = 0;              // answer with another Identifier
    const char* secret = kSecret;  // sign with another secret
    bool corrupt_ma = false;       // flip a bit of the Message-Authenticator after signing
};

Bytes makeReply(const Bytes& request, const ReplySpec& spec) {
    std::array<uint8_t, radius::kMaxPacketLength> buf{};
    radius::PacketWriter w(buf, &dict());
    w.begin(spec.code, static_cast<uint8_t>(request[1] + spec.id_delta));
    if (spec.message_authenticator)
        w.addMessageAuthenticator();
    if (spec.error_cause != 0)
        w.addInteger(radius::attr::kErrorCause, spec.error_cause);
    auto wire = w.finishResponse(crypto::SharedSecret(spec.secret), request.data() + 4);
    EXPECT_TRUE(wire.has_value());
    Bytes out(wire->begin(), wire->end());
    if (spec.corrupt_ma) {
        // MA is the first attribute: its value starts at 22. Re-sign the header so only the
        // MA is wrong.
        out[22] ^= 1;
        radius::computePacketAuthenticator(out, request.data() + 4,
                                           crypto::SharedSecret(spec.secret), out.data() + 4);
    }
    return out;
}

std::vector<CoaAttribute> sessionAttrs() {
    return {{"User-Name", "alice"},
            {"Acct-Session-Id", "81a0000f"},
            {"Framed-IP-Address", "10.0.0.5"},
            {"NAS-IP-Address", "127.0.0.1"}};
}

CoaClientOptions quick(int first_ms, int attempts, int cap_ms) {
    CoaClientOptions o;
    o.retry.first_timeout = std::chrono::milliseconds(first_ms);
    o.retry.attempts = attempts;
    o.retry.max_timeout = std::chrono::milliseconds(cap_ms);
    return o;
}

CoaTarget targetOf(const FakeNas& nas) {
    return CoaTarget{"127.0.0.1", nas.port(), kSecret};
}

TEST(CoaBuild, DisconnectHasMessageAuthenticatorFirstAndVerifies) {
    const crypto::SharedSecret secret(kSecret);
    auto attrs = sessionAttrs();
    auto wire = buildCoaRequest(CoaKind::kDisconnect, 7, attrs, secret, dict(), 1700000000);
    ASSERT_TRUE(wire.has_value()) << wire.error();
    auto p = radius::decodePacket(*wire, dict());
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->code(), Code::kDisconnectRequest);
    EXPECT_EQ(p->id(), 7);
    ASSERT_EQ(p->attributes().size(), 6u);
    EXPECT_EQ(p->attributes()[0].type, radius::attr::kMessageAuthenticator);
    EXPECT_EQ(p->text(*p->find(0, radius::attr::kUserName)), "alice");
    EXPECT_EQ(p->text(*p->find(0, radius::attr::kAcctSessionId)), "81a0000f");
    EXPECT_EQ(toHex(p->value(*p->find(0, radius::attr::kFramedIpAddress))), "0a000005");
    EXPECT_EQ(toHex(p->value(*p->find(0, radius::attr::kNasIpAddress))), "7f000001");
    EXPECT_EQ(loadBe32(p->value(*p->find(0, radius::attr::kEventTimestamp)).data()), 1700000000u);
    // RFC 5176 3.5 authenticator, and the MA over the zeroed authenticator (RFC 5176 3.3).
    EXPECT_TRUE(radius::verifyRequestAuthenticator(*p, secret));
    EXPECT_EQ(radius::checkRequestMessageAuthenticator(*p, secret), radius::MaCheck::kValid);
    EXPECT_FALSE(radius::verifyRequestAuthenticator(*p, crypto::SharedSecret("other")));
}

TEST(CoaBuild, CoaCarriesVendorAttributesAndTheCallersTimestamp) {
    const crypto::SharedSecret secret(kSecret);
    std::vector<CoaAttribute> attrs = {{"User-Name", "alice"},
                                       {"Mikrotik-Rate-Limit", "2M/4M"},
                                       {"ERX-Service-Activate:2", "svc(10m)"},
                                       {"Event-Timestamp", "42"}};
    auto wire = buildCoaRequest(CoaKind::kCoa, 1, attrs, secret, dict(), 1700000000);
    ASSERT_TRUE(wire.has_value()) << wire.error();
    auto p = radius::decodePacket(*wire, dict());
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->code(), Code::kCoaRequest);
    EXPECT_EQ(p->text(*p->find(radius::vendor::kMikrotik, 8)), "2M/4M");
    // Tagged string: the tag is the first value octet (RFC 2868 3).
    auto erx = p->value(*p->find(radius::vendor::kErx, 65));
    EXPECT_EQ(erx[0], 2);
    EXPECT_EQ(asChars(erx.subspan(1)), "svc(10m)");
    EXPECT_EQ(p->count(0, radius::attr::kEventTimestamp), 1u);
    EXPECT_EQ(loadBe32(p->value(*p->find(0, radius::attr::kEventTimestamp)).data()), 42u);
    EXPECT_TRUE(radius::verifyRequestAuthenticator(*p, secret));
}

TEST(CoaBuild, RefusesUnknownAttributeBadValueAndHiddenAttribute) {
    const crypto::SharedSecret secret(kSecret);
    std::vector<CoaAttribute> unknown = {{"No-Such-Attribute", "x"}};
    auto a = buildCoaRequest(CoaKind::kCoa, 1, unknown, secret, dict(), 0);
    ASSERT_FALSE(a.has_value());
    EXPECT_EQ(a.error(), "unknown attribute 'No-Such-Attribute'");
    std::vector<CoaAttribute> bad_ip = {{"Framed-IP-Address", "10.0.0"}};
    auto b = buildCoaRequest(CoaKind::kCoa, 1, bad_ip, secret, dict(), 0);
    ASSERT_FALSE(b.has_value());
    EXPECT_NE(b.error().find("Framed-IP-Address"), std::string::npos) << b.error();
    std::vector<CoaAttribute> hidden = {{"User-Password", "x"}};
    auto c = buildCoaRequest(CoaKind::kCoa, 1, hidden, secret, dict(), 0);
    ASSERT_FALSE(c.has_value());
    EXPECT_EQ(c.error(), "User-Password: encrypted attributes are not sent in CoA");
}

TEST(CoaRetry, TimeoutDoublesUpToTheCap) {
    CoaRetryPolicy p;
    p.first_timeout = std::chrono::milliseconds(100);
    p.max_timeout = std::chrono::milliseconds(350);
    EXPECT_EQ(attemptTimeout(p, 0).count(), 100);
    EXPECT_EQ(attemptTimeout(p, 1).count(), 200);
    EXPECT_EQ(attemptTimeout(p, 2).count(), 350);
    EXPECT_EQ(attemptTimeout(p, 3).count(), 350);
    EXPECT_EQ(attemptTimeout(p, 30).count(), 350);
    CoaRetryPolicy defaults;
    EXPECT_EQ(attemptTimeout(defaults, 0).count(), 1000);
    EXPECT_EQ(attemptTimeout(defaults, 1).count(), 2000);
    EXPECT_EQ(attemptTimeout(defaults, 2).count(), 4000);
}

TEST(CoaRetry, MaxSendDurationAddsEveryAttempt) {
    CoaRetryPolicy p;
    EXPECT_EQ(maxSendDuration(p).count(), 7000);  // 1 + 2 + 4 s
    p.attempts = 5;
    p.max_timeout = std::chrono::milliseconds(3000);
    EXPECT_EQ(maxSendDuration(p).count(), 1000 + 2000 + 3000 + 3000 + 3000);
}

TEST(ErrorCause, NamesFollowRfc5176) {
    EXPECT_EQ(errorCauseName(503), "Session-Context-Not-Found");
    EXPECT_EQ(errorCauseName(201), "Residual-Context-Removed");
    EXPECT_EQ(errorCauseName(402), "Missing-Attribute");
    EXPECT_EQ(errorCauseName(508), "Multiple-Session-Selection-Unsupported");
    EXPECT_EQ(errorCauseName(999), "");
}

TEST(CoaClientSend, DisconnectAckIsAccepted) {
    FakeNas nas([](FakeNas& n, const Bytes& req) { n.reply(makeReply(req, {})); });
    CoaClient client(dict(), quick(2000, 3, 8000));
    auto attrs = sessionAttrs();
    auto out = client.send(targetOf(nas), CoaKind::kDisconnect, attrs);
    EXPECT_EQ(out.result, CoaResult::kAck) << describe(out);
    EXPECT_EQ(out.sends, 1);
    EXPECT_EQ(out.ignored, 0);
    EXPECT_EQ(describe(out), "ack");
    auto got = nas.received();
    ASSERT_EQ(got.size(), 1u);
    auto p = radius::decodePacket(got[0], dict());
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->id(), out.id);
    EXPECT_TRUE(radius::verifyRequestAuthenticator(*p, crypto::SharedSecret(kSecret)));
}

TEST(CoaClientSend, CoaNakCarriesErrorCause) {
    FakeNas nas([](FakeNas& n, const Bytes& req) {
        ReplySpec s;
        s.code = Code::kCoaNak;
        s.error_cause = 503;
        n.reply(makeReply(req, s));
    });
    CoaClient client(dict(), quick(2000, 3, 8000));
    std::vector<CoaAttribute> attrs = {{"User-Name", "alice"}, {"Mikrotik-Rate-Limit", "1M/1M"}};
    auto out = client.send(targetOf(nas), CoaKind::kCoa, attrs);
    EXPECT_EQ(out.result, CoaResult::kNak);
    EXPECT_EQ(out.error_cause, 503u);
    EXPECT_EQ(describe(out), "nak 503 Session-Context-Not-Found");
}

TEST(CoaClientSend, NakWithoutMessageAuthenticatorIsAccepted) {
    // RFC 5176 allows answers without MA (FreeRADIUS 3.2 sends none).
    FakeNas nas([](FakeNas& n, const Bytes& req) {
        ReplySpec s;
        s.code = Code::kDisconnectNak;
        s.error_cause = 402;
        s.message_authenticator = false;
        n.reply(makeReply(req, s));
    });
    CoaClient client(dict(), quick(2000, 3, 8000));
    auto attrs = sessionAttrs();
    auto out = client.send(targetOf(nas), CoaKind::kDisconnect, attrs);
    EXPECT_EQ(out.result, CoaResult::kNak);
    EXPECT_EQ(out.error_cause, 402u);
}

// Every bad answer first, then the good one: only the good one counts.
TEST(CoaClientSend, AnswersThatDoNotVerifyAreIgnored) {
    FakeNas nas([](FakeNas& n, const Bytes& req) {
        ReplySpec wrong_secret;
        wrong_secret.secret = "not-the-secret";
        n.reply(makeReply(req, wrong_secret));
        ReplySpec wrong_id;
        wrong_id.id_delta = 1;
        n.reply(makeReply(req, wrong_id));
        ReplySpec wrong_code;
        wrong_code.code = Code::kCoaAck;  // the answer to a CoA, not to this Disconnect
        n.reply(makeReply(req, wrong_code));
        ReplySpec bad_ma;
        bad_ma.corrupt_ma = true;
        n.reply(makeReply(req, bad_ma));
        n.replyFromElsewhere(makeReply(req, {}));  // right bytes, wrong source port
        n.reply(Bytes{0x29, req[1], 0x00});        // not RADIUS
        ReplySpec good;
        good.error_cause = 201;
        n.reply(makeReply(req, good));
    });
    CoaClient client(dict(), quick(2000, 3, 8000));
    auto attrs = sessionAttrs();
    auto out = client.send(targetOf(nas), CoaKind::kDisconnect, attrs);
    EXPECT_EQ(out.result, CoaResult::kAck) << describe(out);
    EXPECT_EQ(out.error_cause, 201u);
    EXPECT_EQ(out.ignored, 6);
    EXPECT_EQ(client.ignoredTotal(), 6u);
    EXPECT_EQ(out.sends, 1);
}

TEST(CoaClientSend, OnlyForgedAnswersMeansTimeout) {
    FakeNas nas([](FakeNas& n, const Bytes& req) {
        ReplySpec forged;
        forged.secret = "guess";
        n.reply(makeReply(req, forged));
    });
    CoaClient client(dict(), quick(30, 2, 60));
    auto attrs = sessionAttrs();
    auto out = client.send(targetOf(nas), CoaKind::kDisconnect, attrs);
    EXPECT_EQ(out.result, CoaResult::kTimeout);
    EXPECT_EQ(out.sends, 2);
    EXPECT_EQ(out.ignored, 2);
    EXPECT_EQ(out.detail, "bad_authenticator");
}

TEST(CoaClientSend, SilentNasGetsTheSameDatagramEachAttemptThenTimeout) {
    FakeNas nas([](FakeNas&, const Bytes&) {});
    CoaClient client(dict(), quick(20, 4, 80));
    auto attrs = sessionAttrs();
    auto out = client.send(targetOf(nas), CoaKind::kDisconnect, attrs);
    EXPECT_EQ(out.result, CoaResult::kTimeout);
    EXPECT_EQ(out.sends, 4);
    EXPECT_EQ(describe(out), "timeout after 4 sends");
    // Give the NAS thread a moment to read the last datagram (bounded wait, not a timing check).
    std::vector<Bytes> got;
    for (int i = 0; i < 100 && (got = nas.received()).size() < 4; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ASSERT_EQ(got.size(), 4u);
    for (const auto& d : got)
        EXPECT_EQ(d, got[0]);  // same Identifier and authenticator: RFC 5080 duplicate detection
}

TEST(CoaClientSend, RetransmissionThatIsAnsweredSucceeds) {
    std::atomic<int> seen{0};
    FakeNas nas([&seen](FakeNas& n, const Bytes& req) {
        if (++seen == 2)
            n.reply(makeReply(req, {}));
    });
    CoaClient client(dict(), quick(30, 5, 2000));
    auto attrs = sessionAttrs();
    auto out = client.send(targetOf(nas), CoaKind::kDisconnect, attrs);
    EXPECT_EQ(out.result, CoaResult::kAck);
    EXPECT_EQ(out.sends, 2);
}

TEST(CoaClientSend, BadAttributeIsABuildErrorAndNothingIsSent) {
    FakeNas nas([](FakeNas&, const Bytes&) {});
    CoaClient client(dict(), quick(20, 1, 20));
    std::vector<CoaAttribute> attrs = {{"Bogus", "1"}};
    auto out = client.send(targetOf(nas), CoaKind::kCoa, attrs);
    EXPECT_EQ(out.result, CoaResult::kBuildError);
    EXPECT_EQ(out.sends, 0);
    EXPECT_EQ(describe(out), "build error: unknown attribute 'Bogus'");
}

TEST(CoaClientSend, BadAddressIsASendError) {
    CoaClient client(dict(), quick(20, 1, 20));
    auto attrs = sessionAttrs();
    auto out = client.send(CoaTarget{"10.0.0", 3799, kSecret}, CoaKind::kDisconnect, attrs);
    EXPECT_EQ(out.result, CoaResult::kSendError);
    EXPECT_EQ(out.detail, "bad NAS address 10.0.0:3799");
}

TEST(CoaReply, CheckNamesTheFirstFailure) {
    const crypto::SharedSecret secret(kSecret);
    auto attrs = sessionAttrs();
    auto req = buildCoaRequest(CoaKind::kDisconnect, 9, attrs, secret, dict(), 0);
    ASSERT_TRUE(req.has_value());
    uint32_t cause = 0;
    bool ack = false;
    EXPECT_EQ(checkCoaReply(makeReply(*req, {}), *req, secret, dict(), cause, ack),
              ReplyCheck::kAccepted);
    EXPECT_TRUE(ack);
    ReplySpec nak;
    nak.code = Code::kDisconnectNak;
    nak.error_cause = 504;
    EXPECT_EQ(checkCoaReply(makeReply(*req, nak), *req, secret, dict(), cause, ack),
              ReplyCheck::kAccepted);
    EXPECT_FALSE(ack);
    EXPECT_EQ(cause, 504u);
    ReplySpec s;
    s.secret = "x";
    EXPECT_EQ(checkCoaReply(makeReply(*req, s), *req, secret, dict(), cause, ack),
              ReplyCheck::kBadAuthenticator);
    ReplySpec m;
    m.corrupt_ma = true;
    EXPECT_EQ(checkCoaReply(makeReply(*req, m), *req, secret, dict(), cause, ack),
              ReplyCheck::kBadMessageAuthenticator);
    EXPECT_EQ(checkCoaReply(Bytes{1, 2}, *req, secret, dict(), cause, ack), ReplyCheck::kMalformed);
}

}  // namespace
}  // namespace gatehouse::net
