#include "core/net/server.hpp"

#include <unistd.h>

#include <chrono>

#include "core/net/udp_socket.hpp"

namespace gatehouse::net {

Server::Server(ServerOptions options, WorkerShared shared)
    : options_(std::move(options)), shared_(std::move(shared)) {
    if (!shared_.unknown_nas) {
        unknown_nas_ = std::make_unique<process::UnknownNasLog>(shared_.log);
        shared_.unknown_nas = unknown_nas_.get();
    }
}

Server::~Server() {
    stop();
    wait();
}

Expected<void, std::string> Server::start() {
    unsigned n = options_.workers;
    if (n == 0)
        n = std::max(1u, std::thread::hardware_concurrency());
    std::vector<int> auth_fds;
    std::vector<int> acct_fds;
    auto closeAll = [&] {
        for (int fd : auth_fds)
            ::close(fd);
        for (int fd : acct_fds)
            ::close(fd);
    };
    uint16_t auth_port = options_.auth_port;
    uint16_t acct_port = options_.acct_port;
    for (unsigned i = 0; i < n; ++i) {
        auto a = openUdpSocket(options_.bind, auth_port);
        if (!a) {
            closeAll();
            return unexpected(a.error());
        }
        auth_fds.push_back(*a);
        auto b = openUdpSocket(options_.bind, acct_port);
        if (!b) {
            closeAll();
            return unexpected(b.error());
        }
        acct_fds.push_back(*b);
        // Port 0: the first socket picked a port; the other workers join it (SO_REUSEPORT).
        auth_port = boundPort(auth_fds.front());
        acct_port = boundPort(acct_fds.front());
    }
    auth_port_ = auth_port;
    acct_port_ = acct_port;
    for (unsigned i = 0; i < n; ++i)
        workers_.push_back(std::make_unique<UdpWorker>(shared_, auth_fds[i], acct_fds[i]));
    for (auto& w : workers_)
        threads_.emplace_back([worker = w.get()] { worker->run(); });
    return {};
}

void Server::stop() {
    for (auto& w : workers_)
        w->stop();
}

void Server::wait() {
    for (auto& t : threads_) {
        if (t.joinable())
            t.join();
    }
}

void Server::waitReady() const {
    for (const auto& w : workers_) {
        while (!w->ready())
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

void Server::addCounters(process::Counters& total) const {
    for (const auto& w : workers_)
        w->counters().addTo(total);
}

uint64_t Server::received() const {
    uint64_t n = 0;
    for (const auto& w : workers_)
        n += w->received();
    return n;
}

}  // namespace gatehouse::net
