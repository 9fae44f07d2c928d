// CoaSender over a real PostgreSQL outbox and a fake NAS on 127.0.0.1 that answers by
// User-Name: "alice" ACK, "nosuch" NAK 503, "silent" nothing.
#include "core/net/coa_sender.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <thread>

#include "core/radius/types.hpp"
#include "core/radius/writer.hpp"
#include "tests/unit/store/pg_fixture.hpp"

namespace gatehouse::net {
namespace {

constexpr const char* kSecret = "sender-secret";

class ScriptedNas {
  public:
    ScriptedNas() {
        fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0)
            throw std::runtime_error("cannot bind 127.0.0.1");
        socklen_t len = sizeof(a);
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        thread_ = std::thread([this] { run(); });
    }
    ~ScriptedNas() {
        stop_ = true;
        thread_.join();
        ::close(fd_);
    }
    uint16_t port() const { return port_; }

  private:
    void run() {
        const auto& dict = radius::Dictionary::builtin();
        std::array<uint8_t, 4096> buf{};
        while (!stop_) {
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, 20) != 1)
                continue;
            sockaddr_in from{};
            socklen_t len = sizeof(from);
            ssize_t n = ::recvfrom(fd_, buf.data(), buf.size(), 0,
                                   reinterpret_cast<sockaddr*>(&from), &len);
            auto req = radius::decodePacket(ByteSpan(buf.data(), static_cast<size_t>(n)), dict);
            if (n <= 0 || !req)
                continue;
            const radius::AttrRef* user = req->find(0, radius::attr::kUserName);
            std::string_view name = user ? req->text(*user) : "";
            if (name == "silent")
                continue;
            const bool coa = req->code() == radius::Code::kCoaRequest;
            const bool nak = name == "nosuch";
            radius::Code code =
                coa ? (nak ? radius::Code::kCoaNak : radius::Code::kCoaAck)
                    : (nak ? radius::Code::kDisconnectNak : radius::Code::kDisconnectAck);
            std::array<uint8_t, radius::kMaxPacketLength> out{};
            radius::PacketWriter w(out, &dict);
            w.begin(code, req->id());
            w.addMessageAuthenticator();
            if (nak)
                w.addInteger(radius::attr::kErrorCause, 503);
            auto wire = w.finishResponse(crypto::SharedSecret(kSecret), req->authenticator());
            if (wire)
                ::sendto(fd_, wire->data(), wire->size(), 0, reinterpret_cast<sockaddr*>(&from),
                         len);
        }
    }

    int fd_ = -1;
    uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::thread thread_;
};

class CoaSenderTest : public store::testing::PgTest {
  protected:
    void SetUp() override {
        PgTest::SetUp();
        auto in = store::testing::nasInput("bng", "127.0.0.1", kSecret, "generic");
        in.coa_port = std::to_string(nas_.port());
        auto id = store::addNas(conn(), in);
        ASSERT_TRUE(id.has_value());
        nas_id_ = *id;
        options_.client.retry.first_timeout = std::chrono::milliseconds(30);
        options_.client.retry.attempts = 2;
        options_.client.retry.max_timeout = std::chrono::milliseconds(60);
        options_.idle_wait = std::chrono::milliseconds(50);
    }

    int64_t enqueue(const std::string& user, const std::string& kind = "disconnect",
                    store::CoaAttributeList extra = {}) {
        store::CoaEnqueue in;
        in.nas_id = nas_id_;
        in.username = user;
        in.kind = kind;
        in.attributes = {{"User-Name", user}, {"Acct-Session-Id", "s-" + user}};
        for (auto& a : extra)
            in.attributes.push_back(a);
        auto id = store::enqueueCoa(conn(), in);
        EXPECT_TRUE(id.has_value());
        return id.value_or(0);
    }

    std::string statusOf(int64_t id) {
        return sql("SELECT status || ' ' || COALESCE(error_cause::text, '-') FROM coa_requests"
                   " WHERE id = " +
                   std::to_string(id))[0][0]
            .as<std::string>();
    }

    ScriptedNas nas_;
    int64_t nas_id_ = 0;
    CoaSenderOptions options_;
};

TEST_F(CoaSenderTest, OnePassRecordsEveryOutcome) {
    int64_t ack = enqueue("alice");
    int64_t nak = enqueue("nosuch");
    int64_t silent = enqueue("silent");
    int64_t coa = enqueue("alice", "coa", {{"Mikrotik-Rate-Limit", "2M/4M"}});
    int64_t broken = enqueue("alice", "coa", {{"No-Such-Attribute", "1"}});
    store::PgPool pool(conninfo(), 2);
    CoaSender sender(pool, radius::Dictionary::builtin(), options_);
    auto stats = sender.runOnce();
    ASSERT_TRUE(stats.has_value()) << store::describe(stats.error());
    EXPECT_EQ(stats->claimed, 5u);
    EXPECT_EQ(stats->acked, 2u);
    EXPECT_EQ(stats->naked, 1u);
    EXPECT_EQ(stats->retried, 1u);
    EXPECT_EQ(stats->failed, 1u);
    EXPECT_EQ(stats->lost, 0u);
    EXPECT_EQ(statusOf(ack), "acked -");
    EXPECT_EQ(statusOf(coa), "acked -");
    EXPECT_EQ(statusOf(nak), "naked 503");
    EXPECT_EQ(statusOf(silent), "pending -");
    EXPECT_EQ(statusOf(broken), "failed -");
    auto row = store::getCoaRequest(conn(), nak);
    EXPECT_EQ(row->last_error, "nak 503 Session-Context-Not-Found");
    auto quiet = store::getCoaRequest(conn(), silent);
    EXPECT_EQ(quiet->last_error, "timeout after 2 sends");
    // Nothing else is due: the silent row waits for its backoff.
    auto again = sender.runOnce();
    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(again->claimed, 0u);
}

TEST_F(CoaSenderTest, BatchNeverOutgrowsTheLease) {
    store::PgPool pool(conninfo(), 1);
    CoaSenderOptions o;  // 7 s per row at worst
    o.batch = 32;
    o.outbox.lease = std::chrono::seconds(120);
    EXPECT_EQ(CoaSender(pool, radius::Dictionary::builtin(), o).claimLimit(), 17u);
    o.outbox.lease = std::chrono::seconds(1);
    EXPECT_EQ(CoaSender(pool, radius::Dictionary::builtin(), o).claimLimit(), 1u);
    o.outbox.lease = std::chrono::seconds(3600);
    EXPECT_EQ(CoaSender(pool, radius::Dictionary::builtin(), o).claimLimit(), 32u);
}

TEST_F(CoaSenderTest, SendNowSendsOnlyThatRow) {
    int64_t other = enqueue("alice");
    int64_t mine = enqueue("nosuch");
    store::PgPool pool(conninfo(), 1);
    CoaSender sender(pool, radius::Dictionary::builtin(), options_);
    auto out = sender.sendNow(mine);
    ASSERT_TRUE(out.has_value());
    ASSERT_TRUE(out->has_value());
    EXPECT_EQ((*out)->result, CoaResult::kNak);
    EXPECT_EQ((*out)->error_cause, 503u);
    EXPECT_EQ(statusOf(mine), "naked 503");
    EXPECT_EQ(statusOf(other), "pending -");
    // Already done: not claimable again.
    auto twice = sender.sendNow(mine);
    ASSERT_TRUE(twice.has_value());
    EXPECT_FALSE(twice->has_value());
}

TEST_F(CoaSenderTest, LoopDrainsTheOutboxAndStops) {
    std::vector<int64_t> ids;
    for (int i = 0; i < 3; ++i)
        ids.push_back(enqueue("alice"));
    store::PgPool pool(conninfo(), 1);
    CoaSender sender(pool, radius::Dictionary::builtin(), options_);
    std::atomic<bool> stop{false};
    std::thread t([&] { sender.loop(stop); });
    bool drained = false;
    for (int i = 0; i < 200 && !drained; ++i) {
        drained =
            sql("SELECT count(*) FROM coa_requests WHERE status <> 'acked'")[0][0].as<int>() == 0;
        if (!drained)
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    stop = true;
    t.join();
    EXPECT_TRUE(drained);
}

}  // namespace
}  // namespace gatehouse::net
