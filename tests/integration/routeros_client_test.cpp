// RouterOsClient against tests/nas/routeros_responder.py (a RouterOS API test double written
// from the reference independently of our codec, and itself checked with npm node-routeros).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "core/net/routeros_client.hpp"
#include "tests/integration/process.hpp"

namespace gatehouse::net {
namespace {

namespace fs = std::filesystem;
const std::string kSourceDir = GH_SOURCE_DIR;

using Responder = testing::RouterOsResponder;

class RouterOs : public ::testing::Test {
  protected:
    static void SetUpTestSuite() {
        dir_ = fs::temp_directory_path() / ("gh-routeros-" + std::to_string(getpid()));
        fs::create_directories(dir_);
        auto cert =
            testing::runProcess({"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                                 "-days", "2", "-subj", "/CN=gh-test-bng", "-keyout",
                                 (dir_ / "key.pem").string(), "-out", (dir_ / "cert.pem").string()},
                                "");
        ASSERT_EQ(cert.exit_code, 0) << cert.output;
        auto dh =
            testing::runProcess({"openssl", "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt",
                                 "group:ffdhe2048", "-out", (dir_ / "dh.pem").string()},
                                "");
        ASSERT_EQ(dh.exit_code, 0) << dh.output;
        auto fp = testing::runProcess({"openssl", "x509", "-in", (dir_ / "cert.pem").string(),
                                       "-noout", "-fingerprint", "-sha256"},
                                      "");
        ASSERT_EQ(fp.exit_code, 0) << fp.output;
        // "sha256 Fingerprint=AB:CD:..." -> the hex after '='.
        pin_ = fp.output.substr(fp.output.find('=') + 1);
        while (!pin_.empty() && (pin_.back() == '\n' || pin_.back() == '\r'))
            pin_.pop_back();
    }
    static void TearDownTestSuite() { fs::remove_all(dir_); }

    static std::vector<std::string> certFlags() {
        return {"--tls-cert", (dir_ / "cert.pem").string(), "--tls-key",
                (dir_ / "key.pem").string()};
    }

    static RosConnectOptions options(const Responder& r, std::string password = "secret") {
        RosConnectOptions o;
        o.host = "127.0.0.1";
        o.port = r.port();
        o.username = "admin";
        o.password = std::move(password);
        o.timeout_ms = 5000;
        return o;
    }

    static inline fs::path dir_;
    static inline std::string pin_;
};

TEST_F(RouterOs, LogsInWithNameAndPasswordAndReadsIdentity) {
    Responder r;
    ASSERT_NE(r.port(), 0);
    RouterOsClient c;
    auto ok = c.connect("127.0.0.1", r.port(), false, "admin", "secret", 5000);
    ASSERT_TRUE(ok) << ok.error().text();
    EXPECT_TRUE(c.connected());
    auto id = c.identity();
    ASSERT_TRUE(id) << id.error().text();
    EXPECT_EQ(*id, "gh-test-bng");
    EXPECT_EQ(c.tlsCipher(), "");
}

TEST_F(RouterOs, FallsBackToTheChallengeLoginOnAPre643Router) {
    Responder r({"--legacy-login"});
    RouterOsClient c;
    auto ok = c.connect(options(r));
    ASSERT_TRUE(ok) << ok.error().text();
    EXPECT_EQ(c.identity().value(), "gh-test-bng");
}

TEST_F(RouterOs, LegacyOnlyLoginNeverSendsThePasswordWord) {
    // The responder refuses =response= unless it matches MD5(0 + password + challenge), and
    // only hands out a challenge to a bare /login here.
    Responder r({"--legacy-login"});
    RouterOsClient c;
    auto o = options(r);
    o.legacy_login_only = true;
    auto ok = c.connect(o);
    ASSERT_TRUE(ok) << ok.error().text();
    EXPECT_EQ(c.identity().value(), "gh-test-bng");
}

TEST_F(RouterOs, ChallengeLoginWithAWrongPasswordFails) {
    Responder r({"--legacy-login"});
    RouterOsClient c;
    auto ok = c.connect(options(r, "wrong"));
    ASSERT_FALSE(ok);
    EXPECT_EQ(ok.error().kind, RosError::kLoginFailed);
    EXPECT_EQ(ok.error().message, "invalid user name or password (6)");
}

TEST_F(RouterOs, ParsesResourcePoolsAndActiveSessions) {
    Responder r;
    RouterOsClient c;
    ASSERT_TRUE(c.connect(options(r)));

    auto res = c.resource();
    ASSERT_TRUE(res) << res.error().text();
    EXPECT_EQ(res->version, "7.16.1 (stable)");
    EXPECT_EQ(res->uptime, "1w2d03:04:05");
    EXPECT_EQ(res->board_name, "CCR2004-1G-12S+2XS");
    EXPECT_EQ(res->cpu_load, 7);

    auto pools = c.pools();
    ASSERT_TRUE(pools) << pools.error().text();
    ASSERT_EQ(pools->size(), 2u);
    EXPECT_EQ((*pools)[0].name, "pppoe-main");
    EXPECT_EQ((*pools)[0].ranges, "10.10.0.2-10.10.3.254");
    EXPECT_EQ((*pools)[1].name, "pppoe-cgnat");
    EXPECT_EQ((*pools)[1].ranges, "100.64.0.10-100.64.0.200,100.64.1.0/24");

    auto active = c.activeSessions();
    ASSERT_TRUE(active) << active.error().text();
    ASSERT_EQ(active->size(), 3u);
    const auto& alice = (*active)[0];
    EXPECT_EQ(alice.id, "*80000001");
    EXPECT_EQ(alice.name, "alice");
    EXPECT_EQ(alice.address, "10.0.0.5");
    EXPECT_EQ(alice.caller_id, "AA:BB:CC:00:11:22");
    EXPECT_EQ(alice.uptime, "1h2m3s");
    EXPECT_EQ(alice.service, "pppoe");
    EXPECT_EQ(alice.session_id, "0x81000001");
    const auto& carol = (*active)[2];
    EXPECT_EQ(carol.name, "carol");
    EXPECT_EQ(carol.service, "l2tp");
    EXPECT_FALSE(carol.session_id.has_value());

    auto bob = c.activeSessions("bob");
    ASSERT_TRUE(bob) << bob.error().text();
    ASSERT_EQ(bob->size(), 1u);
    EXPECT_EQ((*bob)[0].id, "*80000002");
}

TEST_F(RouterOs, RemoveActiveRemovesTheSessionAndAStaleIdTraps) {
    Responder r;
    RouterOsClient c;
    ASSERT_TRUE(c.connect(options(r)));
    auto removed = c.removeActive("*80000001");
    ASSERT_TRUE(removed) << removed.error().text();
    auto active = c.activeSessions();
    ASSERT_TRUE(active);
    std::vector<std::string> names;
    for (const auto& s : *active)
        names.push_back(s.name);
    EXPECT_EQ(names, (std::vector<std::string>{"bob", "carol"}));

    auto again = c.removeActive("*80000001");
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().kind, RosError::kTrap);
    EXPECT_EQ(again.error().message, "no such item");
    EXPECT_EQ(again.error().category, 1);
    EXPECT_TRUE(c.connected());
}

TEST_F(RouterOs, RunsOverTlsWithASelfSignedCertificate) {
    Responder r(certFlags());
    RouterOsClient c;
    auto ok = c.connect("127.0.0.1", r.port(), true, "admin", "secret", 5000);
    ASSERT_TRUE(ok) << ok.error().text();
    EXPECT_NE(c.tlsCipher(), "");
    EXPECT_EQ(c.identity().value(), "gh-test-bng");
    EXPECT_EQ(c.activeSessions("alice").value().size(), 1u);
}

TEST_F(RouterOs, AcceptsACertificateMatchingThePin) {
    Responder r(certFlags());
    RouterOsClient c;
    auto o = options(r);
    o.tls = true;
    o.tls_options.pin_sha256 = pin_;  // "AB:CD:..." form, as openssl prints it
    auto ok = c.connect(o);
    ASSERT_TRUE(ok) << ok.error().text();
    EXPECT_EQ(c.identity().value(), "gh-test-bng");
}

TEST_F(RouterOs, RefusesACertificateNotMatchingThePin) {
    Responder r(certFlags());
    RouterOsClient c;
    auto o = options(r);
    o.tls = true;
    o.tls_options.pin_sha256 = std::string(64, '0');
    auto ok = c.connect(o);
    ASSERT_FALSE(ok);
    EXPECT_EQ(ok.error().kind, RosError::kTls);
    EXPECT_NE(ok.error().message.find("does not match the pin"), std::string::npos)
        << ok.error().message;
}

TEST_F(RouterOs, VerifyPeerRefusesASelfSignedCertificate) {
    Responder r(certFlags());
    RouterOsClient c;
    auto o = options(r);
    o.tls = true;
    o.tls_options.verify_peer = true;
    auto ok = c.connect(o);
    ASSERT_FALSE(ok);
    EXPECT_EQ(ok.error().kind, RosError::kTls);
    EXPECT_NE(ok.error().message.find("self-signed certificate"), std::string::npos)
        << ok.error().message;
}

TEST_F(RouterOs, VerifyPeerAcceptsTheCertificateGivenAsCa) {
    Responder r(certFlags());
    RouterOsClient c;
    auto o = options(r);
    o.tls = true;
    o.host = "127.0.0.1";
    o.tls_options.verify_peer = true;
    o.tls_options.ca_file = (dir_ / "cert.pem").string();
    // The certificate names CN=gh-test-bng, not 127.0.0.1: host checking must refuse it.
    auto ok = c.connect(o);
    ASSERT_FALSE(ok);
    EXPECT_EQ(ok.error().kind, RosError::kTls);
    EXPECT_NE(ok.error().message.find("IP address mismatch"), std::string::npos)
        << ok.error().message;
}

TEST_F(RouterOs, NegotiatesAnonymousDhOnlyWhenAllowed) {
    Responder r({"--tls-adh", (dir_ / "dh.pem").string()});
    {
        RouterOsClient c;
        auto o = options(r);
        o.tls = true;
        auto ok = c.connect(o);
        ASSERT_FALSE(ok);
        EXPECT_EQ(ok.error().kind, RosError::kTls);
    }
    RouterOsClient c;
    auto o = options(r);
    o.tls = true;
    o.tls_options.allow_anonymous_dh = true;
    auto ok = c.connect(o);
    ASSERT_TRUE(ok) << ok.error().text();
    EXPECT_EQ(c.tlsCipher(), "ADH-AES256-GCM-SHA384");
    EXPECT_EQ(c.identity().value(), "gh-test-bng");
}

TEST_F(RouterOs, AnonymousDhCannotSatisfyAPin) {
    Responder r({"--tls-adh", (dir_ / "dh.pem").string()});
    RouterOsClient c;
    auto o = options(r);
    o.tls = true;
    o.tls_options.allow_anonymous_dh = true;
    o.tls_options.pin_sha256 = pin_;
    auto ok = c.connect(o);
    ASSERT_FALSE(ok);
    EXPECT_EQ(ok.error().kind, RosError::kTls);
    EXPECT_NE(ok.error().message.find("router sent no certificate"), std::string::npos)
        << ok.error().message;
}

TEST_F(RouterOs, WrongPasswordIsALoginError) {
    Responder r;
    RouterOsClient c;
    auto ok = c.connect(options(r, "wrong"));
    ASSERT_FALSE(ok);
    EXPECT_EQ(ok.error().kind, RosError::kLoginFailed);
    EXPECT_EQ(ok.error().message, "invalid user name or password (6)");
    EXPECT_FALSE(c.connected());
    EXPECT_EQ(c.identity().error().kind, RosError::kNotConnected);
}

TEST_F(RouterOs, RouterRefusingEveryLoginIsALoginError) {
    Responder r({"--bad-password"});
    RouterOsClient c;
    auto ok = c.connect(options(r));
    ASSERT_FALSE(ok);
    EXPECT_EQ(ok.error().kind, RosError::kLoginFailed);
    EXPECT_EQ(ok.error().text(), "login failed: invalid user name or password (6)");
}

TEST_F(RouterOs, TrapCarriesMessageAndCategoryAndKeepsTheConnection) {
    Responder r(
        {"--trap-on", "/system/resource/print", "--trap-message", "not enough permissions"});
    RouterOsClient c;
    ASSERT_TRUE(c.connect(options(r)));
    auto res = c.resource();
    ASSERT_FALSE(res);
    EXPECT_EQ(res.error().kind, RosError::kTrap);
    EXPECT_EQ(res.error().message, "not enough permissions");
    EXPECT_EQ(res.error().category, 1);
    EXPECT_EQ(res.error().text(), "trap (category 1): not enough permissions");
    EXPECT_EQ(c.identity().value(), "gh-test-bng");
}

TEST_F(RouterOs, UnknownCommandTrapsWithCategoryZero) {
    Responder r;
    RouterOsClient c;
    ASSERT_TRUE(c.connect(options(r)));
    auto rows = c.run("/nosuch/print");
    ASSERT_FALSE(rows);
    EXPECT_EQ(rows.error().kind, RosError::kTrap);
    EXPECT_EQ(rows.error().message, "no such command prefix");
    EXPECT_EQ(rows.error().category, 0);
}

TEST_F(RouterOs, FatalAtLoginIsReportedWithItsBareReason) {
    Responder r({"--fatal-on-login"});
    RouterOsClient c;
    auto ok = c.connect(options(r));
    ASSERT_FALSE(ok);
    EXPECT_EQ(ok.error().kind, RosError::kFatal);
    EXPECT_EQ(ok.error().message, "simulated fatal at login");
}

TEST_F(RouterOs, ConnectionDroppedMidSentenceIsAnErrorNotAHang) {
    Responder r({"--drop-mid-sentence"});
    RouterOsClient c;
    ASSERT_TRUE(c.connect(options(r)));
    auto active = c.activeSessions();
    ASSERT_FALSE(active);
    EXPECT_EQ(active.error().kind, RosError::kClosed);
    EXPECT_NE(active.error().message.find("in the middle of a reply sentence"), std::string::npos)
        << active.error().message;
    EXPECT_FALSE(c.connected());
    // Later calls fail the same way at once instead of touching a dead socket.
    auto again = c.identity();
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().kind, RosError::kClosed);
}

TEST_F(RouterOs, SilentRouterTimesOutAtTheDeadline) {
    Responder r({"--silent"});
    RouterOsClient c;
    auto o = options(r);
    o.timeout_ms = 300;
    const auto start = std::chrono::steady_clock::now();
    auto ok = c.connect(o);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(ok);
    EXPECT_EQ(ok.error().kind, RosError::kTimeout);
    // Not a timing assertion: only that the call returned (rather than hung) near its deadline.
    EXPECT_LT(elapsed, std::chrono::seconds(10));
}

TEST_F(RouterOs, MatchesInterleavedRepliesToPipelinedCommandsByTag) {
    // The responder answers two commands at once, the later one first, alternating sentences.
    Responder r({"--reverse-pairs"});
    RouterOsClient c;
    ASSERT_TRUE(c.connect(options(r)));
    auto first = c.send("/ppp/active/print", {}, {"?service=pppoe"});
    ASSERT_TRUE(first) << first.error().text();
    auto second = c.send("/system/identity/print");
    ASSERT_TRUE(second) << second.error().text();
    EXPECT_NE(*first, *second);

    auto active = c.wait(*first);
    ASSERT_TRUE(active) << active.error().text();
    ASSERT_EQ(active->rows.size(), 2u);
    EXPECT_EQ(active->rows[0].at("name"), "alice");
    EXPECT_EQ(active->rows[1].at("name"), "bob");
    auto identity = c.wait(*second);
    ASSERT_TRUE(identity) << identity.error().text();
    ASSERT_EQ(identity->rows.size(), 1u);
    EXPECT_EQ(identity->rows[0].at("name"), "gh-test-bng");
}

TEST_F(RouterOs, EmptyReplyOfRouterOs718IsNoRows) {
    Responder r({"--empty-replies"});
    RouterOsClient c;
    ASSERT_TRUE(c.connect(options(r)));
    auto none = c.activeSessions("nobody");
    ASSERT_TRUE(none) << none.error().text();
    EXPECT_TRUE(none->empty());
    EXPECT_EQ(c.identity().value(), "gh-test-bng");
}

TEST_F(RouterOs, RefusesMalformedWordsBeforeSendingThem) {
    Responder r;
    RouterOsClient c;
    ASSERT_TRUE(c.connect(options(r)));
    auto bad = c.run("/ppp/active/remove", {".id=*1"});
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().kind, RosError::kUsage);
    auto bad_query = c.run("/ppp/active/print", {}, {"name=alice"});
    ASSERT_FALSE(bad_query);
    EXPECT_EQ(bad_query.error().kind, RosError::kUsage);
    EXPECT_EQ(c.identity().value(), "gh-test-bng");
}

TEST_F(RouterOs, ConnectionRefusedIsAConnectError) {
    uint16_t port = 0;
    {
        Responder r;
        port = r.port();
    }  // the responder is gone; nothing listens on its port any more
    RouterOsClient c;
    auto ok = c.connect("127.0.0.1", port, false, "admin", "secret", 2000);
    ASSERT_FALSE(ok);
    EXPECT_EQ(ok.error().kind, RosError::kConnect);
}

}  // namespace
}  // namespace gatehouse::net
