#pragma once
// One worker thread: its own io_context, its own SO_REUSEPORT sockets on the auth and
// accounting ports, its own Lua VM (WorkerPolicy) and scratch buffers. Asio only tells it a
// socket is readable (async_wait); it then drains the socket with recvmmsg in batches of
// kBatch, runs each datagram through its pipeline and sends the answers with one sendmmsg.
// The buffers are allocated once: a request costs no allocation in the transport.
#include <netinet/in.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "core/process/access.hpp"
#include "core/process/accounting.hpp"
#include "core/process/counters.hpp"
#include "core/process/unknown_nas_log.hpp"
#include "core/store/accounting_writer.hpp"
#include "core/store/ip_claimer.hpp"
#include "core/store/snapshot.hpp"

namespace gatehouse::policy {
class PolicyStore;
class WorkerPolicy;
}  // namespace gatehouse::policy
namespace gatehouse::store {
class AccountingWriter;
class LiveState;
class LogWriter;
}  // namespace gatehouse::store

namespace gatehouse::net {

/// What all workers share (read-mostly, thread-safe).
struct WorkerShared {
    store::SnapshotHolder& snapshots;
    policy::PolicyStore& policies;
    const radius::Dictionary& dict;
    process::LogFn log = process::logToStderr;
    size_t duplicate_slots = 16384;
    bool ack_unstored_accounting = false;  // see process::WorkerEnv
    /// Shared by the workers so an address is logged once a minute in all; nullptr: each
    /// worker keeps its own.
    process::UnknownNasLog* unknown_nas = nullptr;
    /// Durable accounting: Accounting-Responses wait for this writer; nullptr: none.
    store::AccountingWriter* accounting_writer = nullptr;
    const store::LiveState* live = nullptr;
    store::LogWriter* logs = nullptr;  // radius_logs; nullptr: none
    bool log_accepts = true;
    /// Pool addresses for Access-Accepts (IPAM); nullptr: none (such accepts get no address).
    store::IpClaimer* ip_claimer = nullptr;
};

class UdpWorker : public store::AckSink, public store::IpClaimSink {
  public:
    static constexpr unsigned kBatch = 64;

    /// Takes ownership of the two bound sockets.
    UdpWorker(WorkerShared shared, int auth_fd, int acct_fd);
    ~UdpWorker() override;
    UdpWorker(const UdpWorker&) = delete;
    UdpWorker& operator=(const UdpWorker&) = delete;

    /// The thread body: builds the Lua VM, then serves until stop().
    void run();
    /// Thread-safe. Stops reading; the batch being worked on is finished and answered, then
    /// run() returns.
    void stop();

    const process::Counters& counters() const { return counters_; }
    uint64_t received() const { return received_.load(std::memory_order_relaxed); }
    uint64_t sent() const { return sent_.load(std::memory_order_relaxed); }
    /// Set once the VM is built and the sockets are armed.
    bool ready() const { return ready_.load(std::memory_order_acquire); }

    /// store::AckSink: the writer made these records durable (or failed); posts to this
    /// worker's thread, which sends the held Accounting-Responses.
    void acknowledged(std::span<const uint64_t> tokens, bool durable) override;
    /// Accounting-Responses held until their record is durable, and Access-Accepts held
    /// for their address.
    size_t pendingAcks() const { return pending_count_.load(std::memory_order_relaxed); }
    /// store::IpClaimSink: posts to this worker's thread, which finishes and sends the answer.
    void claimed(uint64_t token, store::IpClaimResult result) override;

  private:
    struct Port;
    struct PendingAck;
    struct HeldAccept;
    void arm(Port& port);
    void drain(Port& port);
    /// Holds a deferred answer and hands its record to the writer; false: refused.
    bool defer(ByteSpan response, const sockaddr_in& peer, const Port& port);
    void release(std::span<const uint64_t> tokens, bool durable);
    /// Holds the Access-Accept the pipeline left waiting for an address and submits the claim.
    void holdForClaim(const sockaddr_in& peer, const Port& port);
    void finishClaim(uint64_t token, const store::IpClaimResult& result);
    void finishStopIfIdle();

    WorkerShared shared_;
    boost::asio::io_context io_;
    std::unique_ptr<Port> auth_;
    std::unique_ptr<Port> acct_;
    process::Counters counters_;
    process::UnknownNasLog unknown_nas_;
    std::unique_ptr<policy::WorkerPolicy> policy_;
    std::optional<process::AccessPipeline> access_;
    std::optional<process::AccountingPipeline> accounting_;
    std::vector<uint8_t> rx_;
    std::vector<uint8_t> tx_;
    std::vector<PendingAck> pending_;  // slots, reused
    std::vector<uint32_t> free_pending_;
    std::vector<HeldAccept> held_;  // slots, reused
    std::vector<uint32_t> free_held_;
    std::atomic<size_t> pending_count_{0};
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>
        guard_;              // while stopping with answers still held
    bool stopping_ = false;  // worker thread only
    std::atomic<bool> ready_{false};
    std::atomic<uint64_t> received_{0};
    std::atomic<uint64_t> sent_{0};
};

}  // namespace gatehouse::net
