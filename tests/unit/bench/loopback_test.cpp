// End-to-end runs of the engine over loopback against a responder in this process (whose
// behaviour each test chooses) and against the real null_responder binary. Assert behaviour
// and counts only, never timing.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "core/bench/engine.hpp"
#include "core/bench/report.hpp"
#include "core/radius/authenticator.hpp"
#include "core/radius/dictionary.hpp"
#include "core/radius/packet.hpp"
#include "core/radius/writer.hpp"

namespace gatehouse::bench {
namespace {

using radius::Code;

struct Behaviour {
    std::string secret = "testing123";
    Code access_answer = Code::kAccessAccept;
    bool drop_first_transmission_of_odd = false;  // by the authenticator's first octet
    bool answer_twice = false;
};

// A single-threaded responder that also checks what the bench sends: every request
// authenticator / Message-Authenticator, and the order of each accounting session.
class Responder {
  public:
    explicit Responder(Behaviour b) : b_(std::move(b)), secret_(b_.secret) {
        fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
        socklen_t len = sizeof(addr);
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        thread_ = std::thread([this] { loop(); });
    }
    ~Responder() {
        finish();
        close(fd_);
    }
    /// Stops the thread, after which its counters may be read.
    void finish() {
        stop_ = true;
        if (thread_.joinable())
            thread_.join();
    }
    uint16_t port() const { return port_; }

    // Read after finish().
    uint64_t received = 0, dropped = 0, bad_request = 0, acct_order_errors = 0;
    uint64_t complete_sessions = 0;
    uint64_t sessions_seen = 0;  // distinct Acct-Session-Ids

  private:
    void loop() {
        const radius::Dictionary& dict = radius::Dictionary::builtin();
        radius::Packet req;
        std::array<uint8_t, radius::kMaxPacketLength> in{}, out{};
        while (!stop_) {
            pollfd p{fd_, POLLIN, 0};
            if (poll(&p, 1, 20) <= 0)
                continue;
            sockaddr_in peer{};
            socklen_t peer_len = sizeof(peer);
            const ssize_t n = recvfrom(fd_, in.data(), in.size(), 0,
                                       reinterpret_cast<sockaddr*>(&peer), &peer_len);
            if (n <= 0)
                continue;
            ++received;
            if (!radius::decodeInto(ByteSpan(in.data(), static_cast<size_t>(n)), dict, req)) {
                ++bad_request;
                continue;
            }
            if (b_.drop_first_transmission_of_odd && (req.authenticator()[0] & 1)) {
                const std::string key(reinterpret_cast<const char*>(req.authenticator()), 16);
                if (seen_.insert(key).second) {
                    ++dropped;
                    continue;
                }
            }
            radius::PacketWriter w(out);
            if (req.code() == Code::kAccountingRequest) {
                if (!radius::verifyRequestAuthenticator(req, secret_))
                    ++bad_request;
                checkSessionOrder(req);
                w.begin(Code::kAccountingResponse, req.id());
            } else {
                if (radius::checkRequestMessageAuthenticator(req, secret_) !=
                    radius::MaCheck::kValid) {
                    ++bad_request;
                }
                w.begin(req.code() == Code::kStatusServer ? Code::kAccessAccept : b_.access_answer,
                        req.id());
                w.addMessageAuthenticator();
            }
            auto done = w.finishResponse(secret_, req.authenticator());
            if (!done)
                continue;
            for (int copies = b_.answer_twice ? 2 : 1; copies > 0; --copies) {
                sendto(fd_, done->data(), done->size(), 0, reinterpret_cast<sockaddr*>(&peer),
                       peer_len);
            }
        }
    }

    // Start, then Interim-Updates, then Stop, per Acct-Session-Id; never out of order.
    void checkSessionOrder(const radius::Packet& req) {
        const radius::AttrRef* sid = req.find(0, radius::attr::kAcctSessionId);
        const radius::AttrRef* st = req.find(0, radius::attr::kAcctStatusType);
        if (sid == nullptr || st == nullptr) {
            ++acct_order_errors;
            return;
        }
        const uint32_t status = loadBe32(req.value(*st).data());
        // Map Start=1, Interim=3, Stop=2 to phases 0, 1, 2.
        const int phase = status == 1 ? 0 : status == 3 ? 1 : status == 2 ? 2 : -1;
        auto [it, fresh] = phase_.try_emplace(std::string(req.text(*sid)), -1);
        if (fresh)
            ++sessions_seen;
        if (phase < 0 || (fresh && phase != 0) || (!fresh && phase < it->second) ||
            (!fresh && phase == 0)) {
            ++acct_order_errors;
        }
        it->second = phase;
        if (phase == 2)
            ++complete_sessions;
    }

    Behaviour b_;
    crypto::SharedSecret secret_;
    int fd_ = -1;
    uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::thread thread_;
    std::set<std::string> seen_;
    std::map<std::string, int> phase_;
};

Options shortRun(Mode mode, uint16_t port) {
    Options o;
    o.mode = mode;
    o.port = port;
    o.count = 2000;
    o.window = 32;
    o.sockets = 2;
    o.timeout_ms = 2000;
    return o;
}

Report run(const Options& o) {
    auto r = runBench(o);
    EXPECT_TRUE(r.has_value()) << (r.has_value() ? "" : r.error());
    return r.has_value() ? *r : Report{};
}

class EveryMode : public ::testing::TestWithParam<Mode> {};

TEST_P(EveryMode, AllRequestsAcceptedNoneTimedOutAndEveryRequestVerifies) {
    Responder responder({});
    Options o = shortRun(GetParam(), responder.port());
    const Report r = run(o);
    responder.finish();
    EXPECT_EQ(r.counters.sent, 2000u);
    EXPECT_EQ(r.counters.accepted, 2000u);
    EXPECT_EQ(r.counters.timed_out, 0u);
    EXPECT_EQ(r.counters.errors(), 0u);
    EXPECT_EQ(r.counters.retransmits, 0u);
    EXPECT_EQ(r.latency.count(), 2000u);
    EXPECT_EQ(responder.received, 2000u);
    EXPECT_EQ(responder.bad_request, 0u);
    EXPECT_EQ(responder.acct_order_errors, 0u);
    if (GetParam() == Mode::kAcct) {
        EXPECT_GT(responder.complete_sessions, 0u);
    }
}

INSTANTIATE_TEST_SUITE_P(Loopback, EveryMode,
                         ::testing::Values(Mode::kPap, Mode::kChap, Mode::kMsChapV2, Mode::kAcct,
                                           Mode::kStatus),
                         [](const ::testing::TestParamInfo<Mode>& p) {
                             return std::string(modeName(p.param));
                         });

TEST(Loopback, WithoutGsoEveryModeStillVerifies) {
    for (Mode m : {Mode::kPap, Mode::kAcct}) {
        Responder responder({});
        Options o = shortRun(m, responder.port());
        o.gso = false;
        const Report r = run(o);
        responder.finish();
        EXPECT_EQ(r.counters.accepted, 2000u) << modeName(m);
        EXPECT_EQ(r.counters.errors(), 0u) << modeName(m);
        EXPECT_EQ(responder.received, 2000u) << modeName(m);
        EXPECT_EQ(responder.bad_request, 0u) << modeName(m);
        EXPECT_EQ(responder.acct_order_errors, 0u) << modeName(m);
    }
}

TEST(Loopback, AccountingWithSeveralInterimsKeepsSessionOrder) {
    // Start, Interim and Stop differ in size, so GSO runs end and restart inside a batch.
    Responder responder({});
    Options o = shortRun(Mode::kAcct, responder.port());
    o.interims = 3;
    o.window = 64;
    const Report r = run(o);
    responder.finish();
    EXPECT_EQ(r.counters.accepted, 2000u);
    EXPECT_EQ(responder.bad_request, 0u);
    EXPECT_EQ(responder.acct_order_errors, 0u);
    EXPECT_GT(responder.complete_sessions, 0u);
}

TEST(Loopback, AccountingCountsEveryStartSentAndAnswered) {
    // scripts/bench acct compares these with the sessions a server stored.
    Responder responder({});
    Options o = shortRun(Mode::kAcct, responder.port());
    o.interims = 2;  // 4 requests per session: 500 sessions, some cut short by the count
    const Report r = run(o);
    responder.finish();
    EXPECT_EQ(r.counters.accepted, 2000u);
    EXPECT_EQ(r.counters.acct_starts, responder.sessions_seen);
    EXPECT_EQ(r.counters.acct_starts_answered, r.counters.acct_starts);
    EXPECT_GE(r.counters.acct_starts, 500u);
    const std::string n = std::to_string(r.counters.acct_starts);
    EXPECT_NE(formatJson(r).find("\"acct_starts\":" + n + ",\"acct_starts_answered\":" + n + ","),
              std::string::npos);
}

TEST(Loopback, AccessModesCountNoStarts) {
    Responder responder({});
    const Report r = run(shortRun(Mode::kPap, responder.port()));
    responder.finish();
    EXPECT_EQ(r.counters.acct_starts, 0u);
    EXPECT_EQ(r.counters.acct_starts_answered, 0u);
}

TEST(Loopback, TwoThreadsSplitTheCountExactly) {
    Responder responder({});
    Options o = shortRun(Mode::kPap, responder.port());
    o.threads = 2;
    o.sockets = 3;
    o.window = 33;
    o.count = 2001;
    const Report r = run(o);
    responder.finish();
    EXPECT_EQ(r.counters.sent, 2001u);
    EXPECT_EQ(r.counters.accepted, 2001u);
    EXPECT_EQ(responder.bad_request, 0u);
}

TEST(Loopback, WrongSecretOnTheServerMeansZeroAcceptedAndEveryAnswerBad) {
    Behaviour b;
    b.secret = "not-testing123";
    Responder responder(b);
    Options o = shortRun(Mode::kPap, responder.port());
    o.count = 128;
    o.timeout_ms = 200;
    const Report r = run(o);
    responder.finish();
    EXPECT_EQ(r.counters.accepted, 0u);
    EXPECT_EQ(r.counters.bad_authenticator, 128u);
    EXPECT_EQ(r.counters.timed_out, 128u);
    EXPECT_EQ(r.latency.count(), 0u);
}

TEST(Loopback, RejectsAreCountedAsRejected) {
    Behaviour b;
    b.access_answer = Code::kAccessReject;
    Responder responder(b);
    const Report r = run(shortRun(Mode::kChap, responder.port()));
    responder.finish();
    EXPECT_EQ(r.counters.accepted, 0u);
    EXPECT_EQ(r.counters.rejected, 2000u);
    EXPECT_EQ(r.counters.errors(), 0u);
}

TEST(Loopback, LostRequestsAreRetransmittedWithTheSameAuthenticator) {
    Behaviour b;
    b.drop_first_transmission_of_odd = true;  // answered only when the same octets come again
    Responder responder(b);
    Options o = shortRun(Mode::kPap, responder.port());
    // The timeout is far above any scheduling delay, so only dropped requests expire.
    o.count = 200;
    o.window = 64;
    o.timeout_ms = 250;
    o.retries = 2;
    const Report r = run(o);
    responder.finish();
    EXPECT_GT(responder.dropped, 0u);
    EXPECT_EQ(r.counters.retransmits, responder.dropped);
    EXPECT_EQ(r.counters.accepted, 200u);
    EXPECT_EQ(r.counters.timed_out, 0u);
    EXPECT_EQ(r.counters.errors(), 0u);
}

TEST(Loopback, WithoutRetriesLostRequestsTimeOut) {
    Behaviour b;
    b.drop_first_transmission_of_odd = true;
    Responder responder(b);
    Options o = shortRun(Mode::kPap, responder.port());
    // The timeout is far above any scheduling delay, so only dropped requests expire.
    o.count = 200;
    o.window = 64;
    o.timeout_ms = 250;
    const Report r = run(o);
    responder.finish();
    EXPECT_GT(r.counters.timed_out, 0u);
    EXPECT_EQ(r.counters.timed_out, responder.dropped);
    EXPECT_EQ(r.counters.accepted + r.counters.timed_out, 200u);
    EXPECT_EQ(r.counters.retransmits, 0u);
}

TEST(Loopback, SecondCopyOfEveryAnswerIsDuplicateNotAccept) {
    Behaviour b;
    b.answer_twice = true;
    Responder responder(b);
    const Report r = run(shortRun(Mode::kPap, responder.port()));
    responder.finish();
    EXPECT_EQ(r.counters.accepted, 2000u);
    EXPECT_EQ(r.counters.errors(), r.counters.duplicate);
    // The run ends with the last first copy, so up to a window of second copies may arrive
    // after it; every one that is read is a duplicate, never a second accept.
    EXPECT_LE(r.counters.duplicate, 2000u);
    EXPECT_GE(r.counters.duplicate, 2000u - 32u);
}

TEST(Loopback, DurationRunStopsAndDrains) {
    Responder responder({});
    Options o = shortRun(Mode::kPap, responder.port());
    o.duration_s = 0.2;
    const Report r = run(o);
    responder.finish();
    EXPECT_GT(r.counters.sent, 0u);
    EXPECT_EQ(r.counters.accepted, r.counters.sent);
    EXPECT_EQ(r.counters.timed_out, 0u);
}

// The real do-nothing responder, as scripts/bench will run it.
class NullResponderBinary : public ::testing::Test {
  protected:
    void SetUp() override {
        const std::string path = std::string(GH_BINARY_DIR) + "/tests/bench/null_responder";
        if (access(path.c_str(), X_OK) != 0)
            GTEST_SKIP() << "not built: " << path;
        int out[2];
        ASSERT_EQ(pipe(out), 0);
        pid_ = fork();
        ASSERT_GE(pid_, 0);
        if (pid_ == 0) {
            dup2(out[1], 1);
            close(out[0]);
            execl(path.c_str(), path.c_str(), "--port", "0", "--threads", "1", "--secret",
                  "testing123", static_cast<char*>(nullptr));
            _exit(127);
        }
        close(out[1]);
        FILE* f = fdopen(out[0], "r");
        char addr[64];
        unsigned port = 0;
        ASSERT_EQ(std::fscanf(f, "listening %63s %u", addr, &port), 2);
        std::fclose(f);
        port_ = static_cast<uint16_t>(port);
    }
    void TearDown() override {
        if (pid_ > 0) {
            kill(pid_, SIGTERM);
            int status = 0;
            waitpid(pid_, &status, 0);
            EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        }
    }
    pid_t pid_ = -1;
    uint16_t port_ = 0;
};

TEST_F(NullResponderBinary, AnswersEveryModeWithValidAccepts) {
    for (Mode m : {Mode::kPap, Mode::kChap, Mode::kMsChapV2, Mode::kAcct, Mode::kStatus}) {
        Options o = shortRun(m, port_);
        o.require_ma = true;  // the responder puts MA first in every Access-Accept
        const Report r = run(o);
        EXPECT_EQ(r.counters.accepted, 2000u) << modeName(m);
        EXPECT_EQ(r.counters.timed_out, 0u) << modeName(m);
        EXPECT_EQ(r.counters.errors(), 0u) << modeName(m);
    }
}

TEST_F(NullResponderBinary, WrongSecretGivesOnlyBadAuthenticators) {
    Options o = shortRun(Mode::kPap, port_);
    o.secret = "other-secret";
    o.count = 64;
    o.timeout_ms = 200;
    const Report r = run(o);
    EXPECT_EQ(r.counters.accepted, 0u);
    EXPECT_EQ(r.counters.bad_authenticator, 64u);
    EXPECT_EQ(r.counters.timed_out, 64u);
}

}  // namespace
}  // namespace gatehouse::bench
