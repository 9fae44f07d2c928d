// NAS health and `gatehouse nas test` end to end: the poller against
// tests/nas/routeros_responder.py (plain and TLS) and radacct, on a real PostgreSQL
// (tests/unit/store/pg_fixture.hpp); the CLI against a real `gatehouse serve --roles radius`, the
// responder, a NAS stand-in that NAKs Disconnects with Error-Cause 503, and a UDP port that answers
// nothing.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "core/crypto/md5.hpp"
#include "core/crypto/secret_box.hpp"
#include "core/jobs/nas_health.hpp"
#include "core/jobs/nas_target.hpp"
#include "core/radius/authenticator.hpp"
#include "core/radius/dictionary.hpp"
#include "core/radius/packet.hpp"
#include "core/radius/writer.hpp"
#include "tests/integration/process.hpp"
#include "tests/unit/store/pg_fixture.hpp"

namespace gatehouse::jobs {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
const std::string kSourceDir = GH_SOURCE_DIR;

using Child = gatehouse::testing::ChildProcess;

Child responder(const fs::path& log, std::vector<std::string> flags = {}) {
    std::vector<std::string> argv{"python3", kSourceDir + "/tests/nas/routeros_responder.py",
                                  "--seed", kSourceDir + "/tests/nas/seed.json"};
    argv.insert(argv.end(), flags.begin(), flags.end());
    return Child(argv, "READY ", log.string());
}

// A UDP socket on `address`, ephemeral port, that reads and, when `nak` is set, answers each
// Disconnect-Request that verifies with `secret` with a Disconnect-NAK carrying Error-Cause 503
// (RFC 5176 3.6, as a NAS does for a session it does not have).
class FakeCoaNas {
  public:
    FakeCoaNas(const std::string& address, std::string secret, bool nak)
        : secret_(std::move(secret)), nak_(nak) {
        fd_ = socket(AF_INET, SOCK_DGRAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        inet_pton(AF_INET, address.c_str(), &a.sin_addr);
        if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0)
            throw std::runtime_error("FakeCoaNas: cannot bind " + address);
        socklen_t len = sizeof(a);
        getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this] { run(); });
    }
    ~FakeCoaNas() {
        stop_ = true;
        thread_.join();
        close(fd_);
    }
    uint16_t port() const { return port_; }
    int received() const { return received_; }
    std::string lastUserName() const {
        std::lock_guard lock(mutex_);
        return user_;
    }

  private:
    void run() {
        const crypto::SharedSecret secret(secret_);
        const auto& dict = radius::Dictionary::builtin();
        while (!stop_) {
            pollfd p{fd_, POLLIN, 0};
            if (poll(&p, 1, 50) != 1)
                continue;
            std::array<uint8_t, 4096> buf{};
            sockaddr_in from{};
            socklen_t len = sizeof(from);
            const ssize_t n =
                recvfrom(fd_, buf.data(), buf.size(), 0, reinterpret_cast<sockaddr*>(&from), &len);
            if (n <= 0)
                continue;
            ++received_;
            auto request = radius::decodePacket(ByteSpan(buf.data(), static_cast<size_t>(n)), dict);
            if (!nak_ || !request || request->code() != radius::Code::kDisconnectRequest ||
                !radius::verifyRequestAuthenticator(*request, secret))
                continue;
            if (const auto* user = request->find(0, 1)) {
                std::lock_guard lock(mutex_);
                user_ = std::string(request->text(*user));
            }
            std::array<uint8_t, radius::kMaxPacketLength> out{};
            radius::PacketWriter w(out, &dict);
            w.begin(radius::Code::kDisconnectNak, request->id());
            w.addMessageAuthenticator();
            w.addInteger(101, 503);  // Error-Cause = Session-Context-Not-Found
            auto reply = w.finishResponse(secret, request->authenticator());
            if (reply)
                sendto(fd_, reply->data(), reply->size(), 0, reinterpret_cast<sockaddr*>(&from),
                       len);
        }
    }

    std::string secret_;
    bool nak_;
    int fd_ = -1;
    uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::atomic<int> received_{0};
    mutable std::mutex mutex_;
    std::string user_;
    std::thread thread_;
};

class NasHealth : public store::testing::PgTest {
  protected:
    void SetUp() override {
        PgTest::SetUp();
        dir_ = fs::temp_directory_path() /
               ("gh-nas-health-" + std::to_string(getpid()) + "-" + std::to_string(counter_++));
        fs::create_directories(dir_);
        key_file_ = (dir_ / "gatehouse.key").string();
        box_.emplace(crypto::SecretBox::loadOrCreate(key_file_).value());
    }
    void TearDown() override {
        fs::remove_all(dir_);
        PgTest::TearDown();
    }

    // A NAS row; with `api_port` non-zero, API credentials sealed for its id.
    int64_t addNas(const std::string& name, const std::string& ip, const std::string& type,
                   uint16_t api_port = 0, const std::string& password = "secret", bool tls = false,
                   uint16_t coa_port = 3799) {
        const int64_t id =
            sql("INSERT INTO nas_devices (name, ip, secret, type, coa_port) VALUES ('" + name +
                "', '" + ip + "', 'nas-secret-" + name + "', '" + type + "', " +
                std::to_string(coa_port) + ") RETURNING id")[0][0]
                .as<int64_t>();
        if (api_port != 0) {
            const std::string sealed = sealApiPassword(*box_, id, password);
            sql("UPDATE nas_devices SET api_username = 'admin', api_password_enc = '" + sealed +
                "', " + (tls ? "api_use_ssl = true, api_ssl_port = " : "api_port = ") +
                std::to_string(api_port) + " WHERE id = " + std::to_string(id));
        }
        return id;
    }

    NasHealthRun poll() {
        NasHealthOptions o;
        o.conninfo = conninfo();
        o.api.timeout_ms = 5000;
        o.log = [this](std::string_view line) { lines_.emplace_back(line); };
        NasHealthPoller poller(std::move(o), box_);
        std::atomic<bool> leader{true}, stopping{false};
        return poller.runOnce(JobContext(leader, stopping));
    }

    pqxx::row health(const std::string& name) {
        return sql(
            "SELECT is_online, last_seen IS NOT NULL, COALESCE(version, ''), "
            "COALESCE(identity, ''), COALESCE(uptime, ''), COALESCE(board_name, ''), "
            "last_check_at IS NOT NULL, COALESCE(last_check_error, '') FROM nas_devices "
            "WHERE name = '" +
            name + "'")[0];
    }

    fs::path dir_;
    std::string key_file_;
    std::optional<crypto::SecretBox> box_;
    std::vector<std::string> lines_;
    static inline int counter_ = 0;
};

TEST_F(NasHealth, ApiNasGetsIdentityVersionAndIsOnline) {
    Child r = responder(dir_ / "responder.log");
    ASSERT_NE(r.number("READY "), 0);
    addNas("edge", "127.0.0.1", "mikrotik", r.number("READY "));

    const NasHealthRun run = poll();
    EXPECT_EQ(run.api_ok, 1u);
    EXPECT_EQ(run.api_failed, 0u);
    EXPECT_EQ(run.online, 1u);
    const auto h = health("edge");
    EXPECT_TRUE(h[0].as<bool>());
    EXPECT_TRUE(h[1].as<bool>());
    EXPECT_EQ(h[2].as<std::string>(), "7.16.1 (stable)");
    EXPECT_EQ(h[3].as<std::string>(), "gh-test-bng");
    EXPECT_EQ(h[4].as<std::string>(), "1w2d03:04:05");
    EXPECT_EQ(h[5].as<std::string>(), "CCR2004-1G-12S+2XS");
    EXPECT_TRUE(h[6].as<bool>());
    EXPECT_EQ(h[7].as<std::string>(), "");
    ASSERT_FALSE(lines_.empty());
    EXPECT_EQ(lines_[0],
              "jobs.nas_health.api_ok nas=edge identity=\"gh-test-bng\" "
              "version=\"7.16.1 (stable)\"");
}

TEST_F(NasHealth, ApiOverTlsWhenUseSslIsSet) {
    const auto cert =
        testing::runProcess({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
                             "2", "-subj", "/CN=gh-test-bng", "-keyout",
                             (dir_ / "key.pem").string(), "-out", (dir_ / "cert.pem").string()},
                            "");
    ASSERT_EQ(cert.exit_code, 0) << cert.output;
    Child r = responder(dir_ / "responder.log", {"--tls-cert", (dir_ / "cert.pem").string(),
                                                 "--tls-key", (dir_ / "key.pem").string()});
    ASSERT_NE(r.number("READY "), 0);
    addNas("edge", "127.0.0.1", "mikrotik", r.number("READY "), "secret", /*tls=*/true);

    EXPECT_EQ(poll().api_ok, 1u);
    const auto h = health("edge");
    EXPECT_TRUE(h[0].as<bool>());
    EXPECT_EQ(h[3].as<std::string>(), "gh-test-bng");
}

TEST_F(NasHealth, RefusedLoginIsRecordedAndOnlineFollowsTheLastSignOfLife) {
    Child r = responder(dir_ / "responder.log");
    const uint16_t port = r.number("READY ");
    ASSERT_NE(port, 0);
    addNas("recent", "127.0.0.1", "mikrotik", port, "wrong");
    addNas("stale", "127.0.0.2", "mikrotik", port, "wrong");
    addNas("never", "127.0.0.3", "mikrotik", port, "wrong");
    sql("UPDATE nas_devices SET last_seen = now() - interval '2 minutes' WHERE name = 'recent'");
    sql("UPDATE nas_devices SET last_seen = now() - interval '10 minutes' WHERE name = 'stale'");

    const NasHealthRun run = poll();
    EXPECT_EQ(run.api_failed, 3u);
    EXPECT_EQ(run.online, 1u);
    EXPECT_TRUE(health("recent")[0].as<bool>());
    EXPECT_FALSE(health("stale")[0].as<bool>());
    EXPECT_FALSE(health("never")[0].as<bool>());
    EXPECT_FALSE(health("never")[1].as<bool>());
    EXPECT_EQ(
        health("recent")[7].as<std::string>(),
        "127.0.0.1:" + std::to_string(port) + ": login failed: invalid user name or password (6)");
    // The responder listens on 127.0.0.1 only.
    EXPECT_EQ(health("stale")[7].as<std::string>(),
              "127.0.0.2:" + std::to_string(port) + ": connect: connect to 127.0.0.2:" +
                  std::to_string(port) + ": Connection refused");
    for (const char* name : {"recent", "stale", "never"})
        EXPECT_TRUE(health(name)[6].as<bool>());
    // The same error again is not logged again.
    const size_t logged = lines_.size();
    poll();
    EXPECT_EQ(lines_.size(), logged + 1);  // only the run summary
}

TEST_F(NasHealth, ApiPasswordSealedForAnotherNasDoesNotOpen) {
    Child r = responder(dir_ / "responder.log");
    const int64_t a = addNas("a", "127.0.0.1", "mikrotik", r.number("READY "));
    const int64_t b = addNas("b", "127.0.0.2", "mikrotik", r.number("READY "));
    // a's sealed password copied onto b: the associated data ("nas:<id>") differs.
    sql("UPDATE nas_devices SET api_password_enc = (SELECT api_password_enc FROM nas_devices "
        "WHERE id = " +
        std::to_string(a) + ") WHERE id = " + std::to_string(b));
    const NasHealthRun run = poll();
    EXPECT_EQ(run.api_ok, 1u);
    EXPECT_EQ(run.api_failed, 1u);
    EXPECT_EQ(health("b")[7].as<std::string>(),
              "the API password does not open with the key file: authentication failed (wrong "
              "key or tampered value)");
}

TEST_F(NasHealth, NasWithoutApiIsJudgedByItsOpenSessionsAccounting) {
    addNas("busy", "10.0.0.1", "generic");
    addNas("quiet", "10.0.0.2", "cisco");
    addNas("empty", "10.0.0.3", "juniper");
    sql("INSERT INTO radacct (acctsessionid, acctuniqueid, username, nasipaddress, acctstarttime,"
        " acctupdatetime, acctstoptime) VALUES"
        " ('s1', 'u1', 'alice', '10.0.0.1', now() - interval '1 hour', now() - interval '1 minute',"
        "  NULL),"
        " ('s2', 'u2', 'bob', '10.0.0.2', now() - interval '1 hour', now() - interval '20 minutes',"
        "  NULL),"
        " ('s3', 'u3', 'carol', '10.0.0.2', now() - interval '1 hour', now(), now())");

    const NasHealthRun run = poll();
    EXPECT_EQ(run.passive, 3u);
    EXPECT_EQ(run.online, 1u);
    EXPECT_TRUE(health("busy")[0].as<bool>());
    EXPECT_EQ(sql("SELECT last_seen = (SELECT acctupdatetime FROM radacct WHERE acctuniqueid = "
                  "'u1') FROM nas_devices WHERE name = 'busy'")[0][0]
                  .as<bool>(),
              true);
    EXPECT_FALSE(health("quiet")[0].as<bool>());  // its only recent session is closed
    EXPECT_TRUE(health("quiet")[1].as<bool>());
    EXPECT_FALSE(health("empty")[0].as<bool>());
    EXPECT_FALSE(health("empty")[1].as<bool>());
    EXPECT_TRUE(health("empty")[6].as<bool>());

    // last_seen never moves backwards when the sessions go away.
    sql("DELETE FROM radacct");
    poll();
    EXPECT_TRUE(health("busy")[0].as<bool>());
    EXPECT_TRUE(health("busy")[1].as<bool>());
}

TEST_F(NasHealth, HealthUpdatesNeitherWakeTheSnapshotLoaderNorTouchUpdatedAt) {
    addNas("busy", "10.0.0.1", "generic");
    const std::string before = sql("SELECT updated_at::text FROM nas_devices")[0][0].c_str();
    pqxx::connection listener(conninfo());
    {
        pqxx::nontransaction t(listener);
        t.exec("LISTEN gh_nas");
    }
    poll();
    EXPECT_TRUE(health("busy")[6].as<bool>());
    EXPECT_EQ(listener.await_notification(0, 300000), 0);
    EXPECT_EQ(sql("SELECT updated_at::text FROM nas_devices")[0][0].c_str(), before);
    // A configuration change still does both.
    sql("UPDATE nas_devices SET description = 'moved' WHERE name = 'busy'");
    EXPECT_EQ(listener.await_notification(5, 0), 1);
    EXPECT_NE(sql("SELECT updated_at::text FROM nas_devices")[0][0].c_str(), before);
}

TEST_F(NasHealth, PollerGivesUpWithoutWritingWhenLeadershipIsLost) {
    addNas("busy", "10.0.0.1", "generic");
    NasHealthOptions o;
    o.conninfo = conninfo();
    o.log = [](std::string_view) {};
    NasHealthPoller poller(std::move(o), box_);
    std::atomic<bool> leader{false}, stopping{false};
    EXPECT_TRUE(poller.runOnce(JobContext(leader, stopping)).cancelled);
    EXPECT_FALSE(health("busy")[6].as<bool>());
}

// `gatehouse nas test` against a real server (radius role only), the responder and two fake
// NAS CoA ports.
TEST_F(NasHealth, NasTestCommandRunsThreeChecks) {
    Child ros = responder(dir_ / "responder.log");
    ASSERT_NE(ros.number("READY "), 0);
    FakeCoaNas naks("127.0.0.1", "nas-secret-edge", /*nak=*/true);
    FakeCoaNas deaf("127.0.0.2", "nas-secret-deaf", /*nak=*/false);
    addNas("edge", "127.0.0.1", "mikrotik", ros.number("READY "), "secret", false, naks.port());
    addNas("deaf", "127.0.0.2", "generic", 0, "", false, deaf.port());

    {
        std::ofstream conf(dir_ / "serve.conf");
        conf << "bind = 127.0.0.1\nauth_port = 0\nacct_port = 0\nworkers = 1\n"
             << "metrics_port = 0\nradius_logs = off\nwatch_policies = false\n"
             << "roles = radius\nspool_dir = " << (dir_ / "spool").string() << "\n"
             << "policy_dir = " << kSourceDir << "/policies\n";
    }
    Child serve({GH_GATEHOUSE, "serve", "--config", (dir_ / "serve.conf").string(), "--db",
                 conninfo(), "--key-file", key_file_},
                "gatehouse.serve.ready", dir_ / "serve.log");
    const uint16_t auth_port = serve.number("auth_port=");
    ASSERT_NE(auth_port, 0) << "serve did not start";

    auto nasTest = [&](const std::string& name) {
        return testing::runProcess(
            {GH_GATEHOUSE, "nas", "test", name, "--db", conninfo(), "--key-file", key_file_,
             "--port", std::to_string(auth_port), "--timeout-ms", "300", "--attempts", "2"},
            "", 60);
    };
    const auto edge = nasTest("edge");
    EXPECT_EQ(edge.exit_code, 0) << edge.output;
    EXPECT_NE(edge.output.find("nas edge 127.0.0.1 (mikrotik)\n"), std::string::npos)
        << edge.output;
    EXPECT_NE(edge.output.find("radius ok"), std::string::npos) << edge.output;
    EXPECT_NE(edge.output.find("as 127.0.0.1: answered, authenticators verified"),
              std::string::npos)
        << edge.output;
    EXPECT_NE(edge.output.find("api    ok"), std::string::npos) << edge.output;
    EXPECT_NE(edge.output.find("identity gh-test-bng, RouterOS 7.16.1 (stable), uptime "
                               "1w2d03:04:05, CCR2004-1G-12S+2XS"),
              std::string::npos)
        << edge.output;
    EXPECT_NE(edge.output.find("coa    ok"), std::string::npos) << edge.output;
    EXPECT_NE(edge.output.find("nak 503 Session-Context-Not-Found"), std::string::npos)
        << edge.output;
    EXPECT_EQ(naks.lastUserName(), "gatehouse-probe");

    const auto d = nasTest("deaf");
    EXPECT_EQ(d.exit_code, 1) << d.output;
    EXPECT_NE(d.output.find("radius ok"), std::string::npos) << d.output;
    EXPECT_NE(d.output.find("as 127.0.0.2"), std::string::npos) << d.output;
    EXPECT_NE(d.output.find("api    skip"), std::string::npos) << d.output;
    EXPECT_NE(d.output.find("no API credentials (generic NAS: RADIUS and CoA only)"),
              std::string::npos)
        << d.output;
    EXPECT_NE(d.output.find("coa    FAIL"), std::string::npos) << d.output;
    EXPECT_NE(d.output.find("timeout after 2 sends"), std::string::npos) << d.output;
    EXPECT_EQ(deaf.received(), 2);

    // No server on the --server port: the RADIUS check fails, the others still run.
    const auto nobody = testing::runProcess(
        {GH_GATEHOUSE, "nas", "test", "edge", "--db", conninfo(), "--key-file", key_file_,
         "--server", "127.0.0.1:" + std::to_string(deaf.port()), "--timeout-ms", "200"},
        "", 60);
    EXPECT_EQ(nobody.exit_code, 1) << nobody.output;
    EXPECT_NE(nobody.output.find("radius FAIL"), std::string::npos) << nobody.output;

    const auto missing =
        testing::runProcess({GH_GATEHOUSE, "nas", "test", "nosuch", "--db", conninfo()}, "", 60);
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_NE(missing.output.find("error: no NAS named 'nosuch'"), std::string::npos)
        << missing.output;
}

}  // namespace
}  // namespace gatehouse::jobs
