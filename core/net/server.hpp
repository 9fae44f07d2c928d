#pragma once
// The RADIUS server: N UdpWorkers, each on its own thread with its own sockets and Lua VM.
// stop() is the graceful path of SIGTERM/SIGINT: every worker stops reading, finishes the
// batch it is working on (answers included), and its thread ends; wait() then returns.
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/net/udp_worker.hpp"
#include "core/process/counters.hpp"

namespace gatehouse::net {

struct ServerOptions {
    std::string bind = "0.0.0.0";
    uint16_t auth_port = 1812;  // 0: any free port (tests)
    uint16_t acct_port = 1813;
    unsigned workers = 0;  // 0: one per core
    size_t duplicate_slots = 16384;
};

class Server {
  public:
    Server(ServerOptions options, WorkerShared shared);
    ~Server();  // stops and joins
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    /// Binds every socket (so a port in use fails here, before any thread starts), then starts
    /// the workers.
    Expected<void, std::string> start();
    /// Thread-safe; idempotent.
    void stop();
    /// Joins the workers (after stop()).
    void wait();
    /// Blocks until every worker has built its VM and armed its sockets.
    void waitReady() const;

    uint16_t authPort() const { return auth_port_; }
    uint16_t acctPort() const { return acct_port_; }
    unsigned workerCount() const { return static_cast<unsigned>(workers_.size()); }
    /// Sum of the workers' counters, now.
    void addCounters(process::Counters& total) const;
    uint64_t received() const;

  private:
    ServerOptions options_;
    WorkerShared shared_;
    std::unique_ptr<process::UnknownNasLog> unknown_nas_;
    uint16_t auth_port_ = 0;
    uint16_t acct_port_ = 0;
    std::vector<std::unique_ptr<UdpWorker>> workers_;
    std::vector<std::thread> threads_;
};

}  // namespace gatehouse::net
