// The MikroTik API fallback for Disconnect and the coa_verify job end to end: CoaSender with
// the jobs role's fallback hook against a NAS whose CoA port drops everything and
// tests/nas/routeros_responder.py as its API; the verifier against radacct and the responder.
// PostgreSQL from the ctest fixture (tests/unit/store/pg_fixture.hpp).
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "core/crypto/secret_box.hpp"
#include "core/jobs/coa_fallback.hpp"
#include "core/jobs/coa_verify.hpp"
#include "core/jobs/nas_target.hpp"
#include "core/net/coa_sender.hpp"
#include "core/radius/dictionary.hpp"
#include "core/store/coa_verify_repository.hpp"
#include "core/store/pg_pool.hpp"
#include "tests/integration/process.hpp"
#include "tests/unit/store/pg_fixture.hpp"

namespace gatehouse::jobs {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// routeros_responder.py with the shared seed (alice *80000001 0x81000001 10.0.0.5, bob,
// carol), its stderr to `err_file`.
struct Responder : gatehouse::testing::RouterOsResponder {
    explicit Responder(const fs::path& err_file) : RouterOsResponder({}, "", err_file.string()) {}
};

// A CoA port that takes every datagram and never answers.
class DeafPort {
  public:
    DeafPort() {
        fd_ = socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
        if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0)
            throw std::runtime_error("DeafPort: cannot bind");
        socklen_t len = sizeof(a);
        getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
    }
    ~DeafPort() { ::close(fd_); }
    uint16_t port() const { return port_; }

  private:
    int fd_ = -1;
    uint16_t port_ = 0;
};

class CoaFallbackTest : public store::testing::PgTest {
  protected:
    void SetUp() override {
        PgTest::SetUp();
        dir_ = fs::temp_directory_path() /
               ("gh-coa-fallback-" + std::to_string(getpid()) + "-" + std::to_string(counter_++));
        fs::create_directories(dir_);
        box_.emplace(crypto::SecretBox::loadOrCreate((dir_ / "gatehouse.key").string()).value());
    }
    void TearDown() override {
        fs::remove_all(dir_);
        PgTest::TearDown();
    }

    int64_t addNas(const std::string& name, const std::string& ip, const std::string& type,
                   uint16_t coa_port, uint16_t api_port) {
        const int64_t id =
            sql("INSERT INTO nas_devices (name, ip, secret, type, coa_port) VALUES ('" + name +
                "', '" + ip + "', 'nas-secret', '" + type + "', " + std::to_string(coa_port) +
                ") RETURNING id")[0][0]
                .as<int64_t>();
        if (api_port != 0)
            sql("UPDATE nas_devices SET api_username = 'admin', api_password_enc = '" +
                sealApiPassword(*box_, id, "secret") + "', api_port = " + std::to_string(api_port) +
                " WHERE id = " + std::to_string(id));
        return id;
    }

    int64_t enqueue(int64_t nas, const std::string& user, const std::string& session,
                    const std::string& ip, const std::string& kind = "disconnect",
                    const std::string& rate = "2M/4M") {
        store::CoaEnqueue in;
        in.nas_id = nas;
        in.username = user;
        in.acct_session_id = session;
        in.kind = kind;
        in.attributes = {{"User-Name", user}, {"Acct-Session-Id", session}};
        if (!ip.empty())
            in.attributes.emplace_back("Framed-IP-Address", ip);
        if (kind == "coa" && !rate.empty())
            in.attributes.emplace_back("Mikrotik-Rate-Limit", rate);
        return store::enqueueCoa(conn(), in).value();
    }

    // An acked row, as if the NAS had answered ACK.
    int64_t acked(int64_t nas, const std::string& user, const std::string& session,
                  const std::string& ip, const std::string& kind = "disconnect",
                  const std::string& rate = "2M/4M") {
        const int64_t id = enqueue(nas, user, session, ip, kind, rate);
        auto c = store::claimCoaById(conn(), id, {}).value().value();
        EXPECT_TRUE(store::recordCoaAck(conn(), c, std::nullopt).value_or(false));
        return id;
    }

    void openSession(int64_t nas, const std::string& user, const std::string& session) {
        sql("INSERT INTO radacct (acctsessionid, acctuniqueid, username, nas_id, nasipaddress,"
            " acctstarttime, acctupdatetime) VALUES ('" +
            session + "', 'u-" + session + "', '" + user + "', " + std::to_string(nas) +
            ", '127.0.0.1', now() - interval '1 hour', now())");
    }

    std::string col(int64_t id, const std::string& column) {
        return sql("SELECT COALESCE(" + column +
                   "::text, '') FROM coa_requests WHERE id = " + std::to_string(id))[0][0]
            .as<std::string>();
    }

    net::CoaSenderOptions senderOptions(MikrotikDisconnectFallback& fallback) {
        net::CoaSenderOptions o;
        o.client.retry.first_timeout = 30ms;
        o.client.retry.attempts = 2;
        o.client.retry.max_timeout = 60ms;
        o.fallback = fallback.hook();
        return o;
    }

    MikrotikDisconnectFallback fallback() {
        CoaFallbackOptions o;
        o.conninfo = conninfo();
        o.log = [this](std::string_view line) { lines_.emplace_back(line); };
        return MikrotikDisconnectFallback(std::move(o), box_);
    }

    CoaVerifyRun verify() {
        CoaVerifyOptions o;
        o.conninfo = conninfo();
        o.window = 600s;
        o.log = [this](std::string_view line) { lines_.emplace_back(line); };
        CoaVerifier verifier(std::move(o), box_);
        std::atomic<bool> leader{true}, stopping{false};
        return verifier.runOnce(JobContext(leader, stopping));
    }

    std::vector<std::string> listed(uint16_t api_port, const std::string& user) {
        net::RouterOsClient client;
        EXPECT_TRUE(client.connect("127.0.0.1", api_port, false, "admin", "secret", 5000));
        std::vector<std::string> ids;
        auto sessions = client.activeSessions(user);
        EXPECT_TRUE(sessions.has_value());
        if (sessions)
            for (const auto& s : *sessions)
                ids.push_back(s.id);
        return ids;
    }

    // The responder's test control (tests/nas/routeros_responder.py): what a CoA would do to
    // a session's dynamic queue on a real router.
    void control(uint16_t api_port, const std::string& command,
                 const std::vector<std::string>& attributes) {
        net::RouterOsClient client;
        ASSERT_TRUE(client.connect("127.0.0.1", api_port, false, "admin", "secret", 5000));
        auto done = client.run(command, attributes);
        ASSERT_TRUE(done.has_value()) << command << ": " << done.error().text();
    }

    fs::path dir_;
    std::optional<crypto::SecretBox> box_;
    std::vector<std::string> lines_;
    static inline int counter_ = 0;
};

TEST_F(CoaFallbackTest, UnansweredDisconnectIsRemovedOverTheApiAndTheRowSaysSo) {
    Responder ros(dir_ / "responder.log");
    ASSERT_NE(ros.port(), 0);
    DeafPort deaf;
    const int64_t nas = addNas("edge", "127.0.0.1", "mikrotik", deaf.port(), ros.port());
    const int64_t id = enqueue(nas, "alice", "81000001", "10.0.0.5");
    ASSERT_EQ(listed(ros.port(), "alice"), std::vector<std::string>{"*80000001"});

    auto fb = fallback();
    store::PgPool pool(conninfo(), 1);
    net::CoaSender sender(pool, radius::Dictionary::builtin(), senderOptions(fb));
    auto pass = sender.runOnce();
    ASSERT_TRUE(pass.has_value());
    EXPECT_EQ(pass->claimed, 1u);
    EXPECT_EQ(pass->acked, 1u);
    EXPECT_EQ(pass->via_api, 1u);
    EXPECT_EQ(pass->retried, 0u);

    EXPECT_EQ(col(id, "status"), "acked");
    EXPECT_EQ(col(id, "done_via"), "api");
    EXPECT_EQ(col(id, "fallback_result"), "removed *80000001");
    EXPECT_EQ(col(id, "last_error").rfind("timeout", 0), 0u) << col(id, "last_error");
    // The next /ppp/active/print lacks her; bob is untouched.
    EXPECT_TRUE(listed(ros.port(), "alice").empty());
    EXPECT_EQ(listed(ros.port(), "bob"), std::vector<std::string>{"*80000002"});
    ASSERT_EQ(lines_.size(), 1u);
    EXPECT_NE(lines_[0].find("coa.fallback id=" + std::to_string(id) + " nas=edge user=alice"),
              std::string::npos)
        << lines_[0];
    EXPECT_NE(lines_[0].find("ended=\"removed *80000001\""), std::string::npos) << lines_[0];
}

TEST_F(CoaFallbackTest, FallbackRemovesOnlyTheNamedSessionAndNeverACoa) {
    Responder ros(dir_ / "responder.log");
    ASSERT_NE(ros.port(), 0);
    DeafPort deaf;
    const int64_t nas = addNas("edge", "127.0.0.1", "mikrotik", deaf.port(), ros.port());
    // bob's request names a session id the router does not have (a later dial-in).
    const int64_t stale = enqueue(nas, "bob", "8100ffff", "10.0.0.6");
    const int64_t coa = enqueue(nas, "alice", "81000001", "10.0.0.5", "coa");
    auto fb = fallback();
    store::PgPool pool(conninfo(), 1);
    net::CoaSender sender(pool, radius::Dictionary::builtin(), senderOptions(fb));
    auto pass = sender.runOnce();
    ASSERT_TRUE(pass.has_value());
    EXPECT_EQ(pass->claimed, 2u);
    EXPECT_EQ(pass->via_api, 1u);
    EXPECT_EQ(col(stale, "status"), "acked");
    EXPECT_EQ(col(stale, "fallback_result"), "not listed in /ppp/active");
    EXPECT_EQ(listed(ros.port(), "bob"), std::vector<std::string>{"*80000002"});
    // The CoA timed out and stays queued; its session is not touched.
    EXPECT_EQ(col(coa, "status"), "pending");
    EXPECT_EQ(col(coa, "fallback_result"), "");
    EXPECT_EQ(listed(ros.port(), "alice"), std::vector<std::string>{"*80000001"});
}

TEST_F(CoaFallbackTest, NoFallbackWithoutApiAndAFailedOneIsNoted) {
    DeafPort deaf;
    const int64_t generic = addNas("plain", "127.0.0.2", "mikrotik", deaf.port(), 0);
    // API credentials, but nothing listens on the API port.
    const int64_t broken = addNas("broken", "127.0.0.1", "mikrotik", deaf.port(), 1);
    const int64_t a = enqueue(generic, "alice", "81000001", "10.0.0.5");
    const int64_t b = enqueue(broken, "alice", "81000001", "10.0.0.5");
    auto fb = fallback();
    store::PgPool pool(conninfo(), 1);
    net::CoaSender sender(pool, radius::Dictionary::builtin(), senderOptions(fb));
    auto pass = sender.runOnce();
    ASSERT_TRUE(pass.has_value());
    EXPECT_EQ(pass->retried, 2u);
    EXPECT_EQ(pass->via_api, 0u);
    EXPECT_EQ(col(a, "status"), "pending");
    EXPECT_EQ(col(a, "fallback_result"), "");
    EXPECT_EQ(col(b, "status"), "pending");
    EXPECT_EQ(col(b, "done_via"), "radius");
    EXPECT_EQ(col(b, "fallback_result").rfind("api: 127.0.0.1:1: ", 0), 0u)
        << col(b, "fallback_result");
}

TEST_F(CoaFallbackTest, DisconnectIsVerifiedWhenTheStopArrives) {
    DeafPort deaf;
    const int64_t nas = addNas("plain", "127.0.0.2", "generic", deaf.port(), 0);
    openSession(nas, "alice", "81000001");
    const int64_t id = acked(nas, "alice", "81000001", "10.0.0.5");
    auto first = verify();
    EXPECT_EQ(first.waiting, 1u);
    EXPECT_EQ(col(id, "verify_result"), "");
    sql("UPDATE radacct SET acctstoptime = now(), acctterminatecause = 'Admin-Reset'"
        " WHERE acctsessionid = '81000001'");
    auto second = verify();
    EXPECT_EQ(second.verified, 1u);
    EXPECT_EQ(col(id, "verify_result"), "verified");
    EXPECT_EQ(col(id, "verify_detail"), "radacct: session closed (Stop)");
    EXPECT_NE(col(id, "verified_at"), "");
}

TEST_F(CoaFallbackTest, DisconnectStillOpenAfterTheWindowIsUnverified) {
    Responder ros(dir_ / "responder.log");
    ASSERT_NE(ros.port(), 0);
    DeafPort deaf;
    const int64_t api = addNas("edge", "127.0.0.1", "mikrotik", deaf.port(), ros.port());
    const int64_t plain = addNas("plain", "127.0.0.2", "generic", deaf.port(), 0);
    openSession(api, "alice", "81000001");
    openSession(plain, "bob", "81000002");
    const int64_t a = acked(api, "alice", "81000001", "10.0.0.5");
    const int64_t b = acked(plain, "bob", "81000002", "");
    EXPECT_EQ(verify().waiting, 2u);  // inside the window: not decided
    sql("UPDATE coa_requests SET done_at = now() - interval '11 minutes'");
    auto run = verify();
    EXPECT_EQ(run.unverified, 2u);
    EXPECT_EQ(col(a, "verify_result"), "unverified");
    EXPECT_EQ(col(a, "verify_detail"), "still in /ppp/active and open in radacct after 600s");
    EXPECT_EQ(col(b, "verify_result"), "unverified");
    EXPECT_EQ(col(b, "verify_detail"), "still open in radacct (no Stop) after 600s");
    auto health = store::coaHealthByNas(conn()).value();
    ASSERT_EQ(health.size(), 2u);
    EXPECT_EQ(health[0].unverified, 1);
    EXPECT_EQ(health[1].unverified, 1);
}

TEST_F(CoaFallbackTest, RouterTellsWhatAccountingCannot) {
    Responder ros(dir_ / "responder.log");
    ASSERT_NE(ros.port(), 0);
    DeafPort deaf;
    const int64_t api = addNas("edge", "127.0.0.1", "mikrotik", deaf.port(), ros.port());
    const int64_t plain = addNas("plain", "127.0.0.2", "cisco", deaf.port(), 0);
    // zed's Stop was lost, but the router no longer has him.
    openSession(api, "zed", "810000aa");
    const int64_t gone = acked(api, "zed", "810000aa", "10.0.0.9");
    const int64_t coa_up = acked(api, "alice", "81000001", "10.0.0.5", "coa");
    const int64_t coa_gone = acked(api, "nobody", "81000077", "10.0.0.77", "coa");
    const int64_t coa_plain = acked(plain, "bob", "81000002", "", "coa");
    auto run = verify();
    EXPECT_EQ(run.verified, 2u);
    EXPECT_EQ(run.unverified, 1u);
    EXPECT_EQ(run.skipped, 1u);
    EXPECT_EQ(col(gone, "verify_detail"),
              "api: not in /ppp/active (radacct still open: no Stop yet)");
    EXPECT_EQ(col(coa_up, "verify_result"), "verified");
    EXPECT_EQ(col(coa_up, "verify_detail"), "rate 2M/4M in queue <pppoe-alice>");
    EXPECT_EQ(col(coa_gone, "verify_result"), "unverified");
    EXPECT_EQ(col(coa_plain, "verify_result"), "skipped");
    EXPECT_EQ(col(coa_plain, "verify_detail"), "no check for a CoA on a cisco NAS without API");
}

TEST_F(CoaFallbackTest, CoaRateEqualToTheQueueMaxLimitIsVerified) {
    Responder ros(dir_ / "responder.log");
    ASSERT_NE(ros.port(), 0);
    DeafPort deaf;
    const int64_t api = addNas("edge", "127.0.0.1", "mikrotik", deaf.port(), ros.port());
    // alice's queue prints "2M/4M", bob's "5000000/10000000" (older RouterOS); burst parts of
    // the attribute are not in max-limit.
    const int64_t a = acked(api, "alice", "81000001", "10.0.0.5", "coa", "2M/4M 4M/8M 2M/4M 10");
    const int64_t b = acked(api, "bob", "81000002", "10.0.0.6", "coa", "5M/10M");
    auto run = verify();
    EXPECT_EQ(run.verified, 2u);
    EXPECT_EQ(run.unverified, 0u);
    EXPECT_EQ(col(a, "verify_result"), "verified");
    EXPECT_EQ(col(a, "verify_detail"), "rate 2M/4M in queue <pppoe-alice>");
    EXPECT_EQ(col(b, "verify_result"), "verified");
    EXPECT_EQ(col(b, "verify_detail"), "rate 5M/10M in queue <pppoe-bob>");
}

TEST_F(CoaFallbackTest, CoaRateDifferentFromTheQueueIsUnverifiedNamingBoth) {
    Responder ros(dir_ / "responder.log");
    ASSERT_NE(ros.port(), 0);
    DeafPort deaf;
    const int64_t api = addNas("edge", "127.0.0.1", "mikrotik", deaf.port(), ros.port());
    // The router ACKed but kept the old rate.
    control(ros.port(), "/test/queue/set", {"=name=<pppoe-alice>", "=max-limit=1000000/2000000"});
    const int64_t id = acked(api, "alice", "81000001", "10.0.0.5", "coa", "2M/4M");
    auto run = verify();
    EXPECT_EQ(run.unverified, 1u);
    EXPECT_EQ(col(id, "verify_result"), "unverified");
    EXPECT_EQ(col(id, "verify_detail"),
              "rate 1M/2M in queue <pppoe-alice>, the CoA asked for 2M/4M");
    ASSERT_EQ(lines_.size(), 1u);
    EXPECT_NE(lines_[0].find("result=unverified detail=\"rate 1M/2M in queue <pppoe-alice>, the "
                             "CoA asked for 2M/4M\""),
              std::string::npos)
        << lines_[0];
}

TEST_F(CoaFallbackTest, CoaRateWithoutAQueueIsUnverifiedAndWithoutARateNeedsNone) {
    Responder ros(dir_ / "responder.log");
    ASSERT_NE(ros.port(), 0);
    DeafPort deaf;
    const int64_t api = addNas("edge", "127.0.0.1", "mikrotik", deaf.port(), ros.port());
    control(ros.port(), "/test/queue/remove", {"=name=<pppoe-alice>"});
    control(ros.port(), "/test/queue/remove", {"=name=<pppoe-bob>"});
    const int64_t shaped = acked(api, "alice", "81000001", "10.0.0.5", "coa", "2M/4M");
    const int64_t plain = acked(api, "bob", "81000002", "10.0.0.6", "coa", "");
    auto run = verify();
    EXPECT_EQ(run.unverified, 1u);
    EXPECT_EQ(run.verified, 1u);
    EXPECT_EQ(col(shaped, "verify_result"), "unverified");
    EXPECT_EQ(col(shaped, "verify_detail"), "no queue <pppoe-alice>");
    EXPECT_EQ(col(plain, "verify_result"), "verified");
    EXPECT_EQ(col(plain, "verify_detail"),
              "api: session still in /ppp/active (no rate in the CoA)");
}

}  // namespace
}  // namespace gatehouse::jobs
