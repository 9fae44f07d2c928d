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
    size_t queue_max = 10000;  // beyond, submit() refuses and the worker rejects at once
};

class IpClaimer {
  public:
    IpClaimer(ClaimFunction claim, IpClaimerOptions options = {});
    ~IpClaimer();  // stop()
    IpClaimer(const IpClaimer&) = delete;
    IpClaimer& operator=(const IpClaimer&) = delete;

    void start();
    /// Thread-safe. false: the queue is full (nothing taken).
    bool submit(IpClaimRequest request, IpClaimSink* sink, uint64_t token);
    /// Every submitted claim is answered, then the thread ends.
    void stop();

  private:
    struct Item {
        IpClaimRequest request;
        IpClaimSink* sink = nullptr;
        uint64_t token = 0;
    };
    void run();

    ClaimFunction claim_;
    IpClaimerOptions options_;
    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Item> queue_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace gatehouse::store
