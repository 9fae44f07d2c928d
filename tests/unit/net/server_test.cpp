// A real server on 127.0.0.1 ephemeral ports with a small snapshot.
#include "core/net/server.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "core/policy/store.hpp"
#include "tests/unit/process/fixture.hpp"

namespace gatehouse::net {
namespace {

using namespace process::testing;
using radius::Code;

constexpr uint32_t kLoopback = 0x7f000001;

class Client {
  public:
    Client() {
        fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_in any{};
        any.sin_family = AF_INET;
        any.sin_addr.s_addr = htonl(kLoopback);
        ::bind(fd_, reinterpret_cast<sockaddr*>(&any), sizeof(any));
    }
    ~Client() { ::close(fd_); }
    void send(const Bytes& datagram, uint16_t port) {
        sockaddr_in to{};
        to.sin_family = AF_INET;
        to.sin_port = htons(port);
        to.sin_addr.s_addr = htonl(kLoopback);
        ASSERT_EQ(::sendto(fd_, datagram.data(), datagram.size(), 0,
                           reinterpret_cast<sockaddr*>(&to), sizeof(to)),
                  static_cast<ssize_t>(datagram.size()));
    }
    /// The next datagram, or empty after `wait_ms` without one.
    Bytes receive(int wait_ms = 5000) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, wait_ms) != 1)
            return {};
        Bytes buf(radius::kMaxPacketLength);
        const ssize_t n = ::recv(fd_, buf.data(), buf.size(), 0);
        buf.resize(n > 0 ? static_cast<size_t>(n) : 0);
        return buf;
    }

  private:
    int fd_ = -1;
};

std::shared_ptr<const store::Snapshot> loopbackSnapshot() {
    auto s = std::make_shared<store::Snapshot>();
    s->nas_[kLoopback] = nasEntry(kLoopback, true, true);
    addUser(*s, "alice", "wonderland");
    return s;
}

struct World {
    explicit World(const std::string& policy = kPolicy, uint64_t max_instructions = 1000000)
        : policies(radius::Dictionary::builtin(), policy::StoreOptions{}) {
        policy::EngineConfig engine;
        engine.max_instructions = max_instructions;
        auto bundle =
            policy::PolicyBundle::fromFiles({policy::PolicyFile{"default.lua", policy}}, engine);
        EXPECT_TRUE(policies.reloadBundle(bundle, "startup").ok);
        snapshots.publish(loopbackSnapshot());
        ServerOptions options;
        options.bind = "127.0.0.1";
        options.auth_port = 0;
        options.acct_port = 0;
        options.workers = 2;
        server = std::make_unique<Server>(
            options, WorkerShared{snapshots, policies, radius::Dictionary::builtin(),
                                  [](std::string_view) {}});
        auto started = server->start();
        EXPECT_TRUE(started.has_value());
        server->waitReady();
    }
    store::SnapshotHolder snapshots;
    policy::PolicyStore policies;
    std::unique_ptr<Server> server;
};

TEST(Server, AnswersPapAccessRequestOverUdp) {
    World world;
    ASSERT_NE(world.server->authPort(), 0);
    Client client;
    const Bytes req = build(pap("alice", "wonderland"));
    client.send(req, world.server->authPort());
    const Bytes reply = client.receive();
    ASSERT_FALSE(reply.empty());
    EXPECT_EQ(checkedResponse(reply, req).code(), Code::kAccessAccept);
}

TEST(Server, AnswersStatusServerOnTheAccountingPort) {
    World world;
    Client client;
    Request r;
    r.code = Code::kStatusServer;
    const Bytes req = build(r);
    client.send(req, world.server->acctPort());
    const Bytes reply = client.receive();
    ASSERT_FALSE(reply.empty());
    EXPECT_EQ(checkedResponse(reply, req).code(), Code::kAccountingResponse);
}

TEST(Server, StopFinishesTheRequestInFlight) {
    // authorize() spins long enough that stop() lands while the worker is inside it.
    const std::string slow = std::string(
        "function authorize(req, sub, nas)\n"
        "  local x = 0\n"
        "  for i = 1, 3000000 do x = x + i end\n"
        "  return accept({})\n"
        "end\n"
        "function accounting(req, sub, nas) return record({}) "
        "end\n");
    World world(slow, 1000000000);
    Client client;
    const Bytes req = build(pap("alice", "wonderland"));
    client.send(req, world.server->authPort());
    while (world.server->received() == 0)
        std::this_thread::sleep_for(std::chrono::microseconds(100));
    world.server->stop();
    world.server->wait();
    const Bytes reply = client.receive(100);  // already sent before wait() returned
    ASSERT_FALSE(reply.empty());
    EXPECT_EQ(checkedResponse(reply, req).code(), Code::kAccessAccept);
    process::Counters totals;
    world.server->addCounters(totals);
    EXPECT_EQ(totals.accepts(), 1u);
}

TEST(Server, UnknownNasIsLoggedOnceAcrossWorkers) {
    store::SnapshotHolder snapshots;  // empty: 127.0.0.1 is no NAS
    policy::PolicyStore policies(radius::Dictionary::builtin(), policy::StoreOptions{});
    ASSERT_TRUE(policies
                    .reloadBundle(policy::PolicyBundle::fromFiles(
                                      {policy::PolicyFile{"default.lua", kPolicy}}, {}),
                                  "startup")
                    .ok);
    std::mutex mu;
    std::vector<std::string> lines;
    ServerOptions options;
    options.bind = "127.0.0.1";
    options.auth_port = 0;
    options.acct_port = 0;
    options.workers = 2;
    Server server(options, WorkerShared{snapshots, policies, radius::Dictionary::builtin(),
                                        [&](std::string_view line) {
                                            std::lock_guard lock(mu);
                                            lines.emplace_back(line);
                                        }});
    ASSERT_TRUE(server.start().has_value());
    server.waitReady();
    // Several source ports: SO_REUSEPORT spreads them over both workers.
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < 8; ++i) {
        clients.push_back(std::make_unique<Client>());
        clients.back()->send(build(pap("alice", "wonderland")), server.authPort());
    }
    for (;;) {
        process::Counters totals;
        server.addCounters(totals);
        if (totals.drops(process::DropKind::kUnknownNas) == 8)
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    server.stop();
    server.wait();
    EXPECT_EQ(lines, (std::vector<std::string>{"radius.drop.unknown_nas nas=127.0.0.1 dropped=1"}));
    EXPECT_TRUE(clients[0]->receive(0).empty());
}

TEST(Server, StartFailsOnABadBindAddressNamingIt) {
    World world;
    store::SnapshotHolder snapshots;
    ServerOptions options;
    options.bind = "127.0.0.256";
    options.workers = 1;
    Server other(options, WorkerShared{snapshots, world.policies, radius::Dictionary::builtin()});
    auto started = other.start();
    ASSERT_FALSE(started.has_value());
    EXPECT_EQ(started.error(), "bind address 127.0.0.256: not an IPv4 address");
}

}  // namespace
}  // namespace gatehouse::net
