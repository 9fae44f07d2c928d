#pragma once
// Claims pool addresses for Access-Accepts (ARCHITECTURE.md request path, step 6: "what needs
// I/O is done by C++ after Lua returns"). A worker whose policy answered `ip = { pool = ... }`
// holds its Access-Accept, submits the claim here and goes on serving; the claimer's thread
// claims the address in PostgreSQL (atomically, so no two sessions get one address even across
// Gatehouse nodes: IpamRepository::claim, docs/ipam.md) and hands the result back through the
// worker's IpClaimSink, which finishes and sends the answer.
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace gatehouse::store {

struct IpClaimRequest {
    std::string pool;     // "" with static_attempts > 0
    std::string address;  // "" any free one (the subscriber's last first), else exactly this
    int64_t subscriber_id = 0;
    int64_t nas_id = 0;
    /// > 0: `address` is the subscriber's static IP, checked against other subscribers'
    /// sessions (claimStaticIp, docs/ipam.md); the policy's ip.on_conflict plan.
    int static_attempts = 0;
    std::string static_subnet;  // where a fallback comes from; "": reject instead
};

struct IpClaimResult {
    uint32_t ip = 0;    // host order; 0: none claimed (see error)
    std::string error;  // "pool exhausted", "no such pool", "database unavailable", ...
    std::string note;   // an address given, but worth a log line (a static-IP fallback)
};

/// Where results go (a worker). Called on the claimer's thread: must not block.
class IpClaimSink {
  public:
    virtual ~IpClaimSink() = default;
    virtual void claimed(uint64_t token, IpClaimResult result) = 0;
};

/// The claim itself; IpamClaimFunction in production, a stand-in in tests.
using ClaimFunction = std::function<IpClaimResult(const IpClaimRequest&)>;

struct IpClaimerOptions {
    size_t queue_max = 10000;  // per lane; beyond, submit() refuses and the worker rejects at once
};

/// Claims on `lanes` threads, each with its own claim function (its own PostgreSQL
/// connection). A claim is one short transaction that mostly waits for its commit, so a second
/// lane doubles what one node claims a second while the first waits (docs/ipam-bench.md). A
/// subscriber's claims always take the same lane (subscriber_id % lanes), so they stay in order;
/// lanes never collide with each other because PostgreSQL decides every claim.
class IpClaimer {
  public:
    /// One lane running `claim` (tests).
    IpClaimer(ClaimFunction claim, IpClaimerOptions options = {});
    /// `lanes` lanes (at least 1), each with a claim function made by `make_claim`.
    IpClaimer(const std::function<ClaimFunction()>& make_claim, size_t lanes,
              IpClaimerOptions options = {});
    ~IpClaimer();  // stop()
    IpClaimer(const IpClaimer&) = delete;
    IpClaimer& operator=(const IpClaimer&) = delete;

    void start();
    /// Thread-safe. false: the lane's queue is full, or stopped (nothing taken).
    bool submit(IpClaimRequest request, IpClaimSink* sink, uint64_t token);
    /// Every submitted claim is answered, then the threads end.
    void stop();
    size_t lanes() const { return lanes_.size(); }

  private:
    struct Item {
        IpClaimRequest request;
        IpClaimSink* sink = nullptr;
        uint64_t token = 0;
    };
    struct Lane {
        ClaimFunction claim;
        std::mutex mutex;
        std::condition_variable wake;
        std::deque<Item> queue;
        bool stopping = false;
        std::thread thread;
    };
    static void run(Lane& lane);

    IpClaimerOptions options_;
    std::vector<std::unique_ptr<Lane>> lanes_;
};

}  // namespace gatehouse::store
