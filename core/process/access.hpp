#pragma once
// The Access pipeline (ARCHITECTURE.md "The way a request travels", steps 1-7) for one worker:
//   1. source address -> NAS row (unknown: drop, count, log once a minute per address)
//   2. decode; Message-Authenticator per the NAS's BlastRADIUS flags; duplicate cache
//   3. User-Name -> subscriber (snapshot: never the database)
//   4. credentials in C++: PAP, CHAP, MS-CHAPv1, MS-CHAPv2. An unknown user or a wrong
//      password is rejected HERE, before Lua runs: a policy never sees a request whose
//      credentials failed, and an unknown user never reaches authorize() (sub is never nil)
//   5. authorize() in this worker's Lua VM
//   6. the IP rule: static address and NAS pool are written now; an address from a
//      Gatehouse-managed pool needs a claim in PostgreSQL: the Accept is built with 0.0.0.0
//      in Framed-IP-Address and held (Outcome::claim), and finishClaim() patches the claimed
//      address in and signs it again, or sends the Reject built beside it when none was had
//   7. encode: Message-Authenticator first, reply attributes, Proxy-State echoed in order.
// Status-Server on the auth port is answered here too.
#include <array>
#include <memory>
#include <vector>

#include "core/process/duplicate_cache.hpp"
#include "core/process/pipeline.hpp"
#include "core/store/ip_claimer.hpp"

namespace gatehouse::process {

class AccessPipeline {
  public:
    explicit AccessPipeline(WorkerEnv env, size_t duplicate_slots = 16384)
        : env_(env), duplicates_(duplicate_slots) {}

    /// One datagram received on the auth port. The answer, if any, is written to `out`.
    Outcome handle(const Datagram& in, const store::Snapshot& snapshot, Now now, ReplyBuffer out);

    const DuplicateCache& duplicates() const { return duplicates_; }

    /// An Access-Accept waiting for its address (after an Outcome with claim set).
    struct PendingClaim {
        store::IpClaimRequest request;
        std::vector<uint8_t> accept;  // finished, with 0.0.0.0 at ip_offset
        size_t ip_offset = 0;         // of Framed-IP-Address's value in `accept`
        std::vector<uint8_t> reject;  // finished: sent when no address was claimed
        std::array<uint8_t, 16> request_auth{};
        std::shared_ptr<const crypto::SharedSecret> secret;
        std::string username;
        std::string nas_ip;
        uint32_t src_ipv4 = 0;
        bool log_accept = false;
        std::string accept_detail;
        DuplicateCache::Lookup lookup;
    };
    PendingClaim takeClaim() { return std::move(claim_); }
    /// The claim's outcome: the answer to send (into the claim's own buffers), cached for
    /// retransmissions; counted and logged as the accept or reject it became.
    ByteSpan finishClaim(PendingClaim& claim, const store::IpClaimResult& result, Now now);
    /// The transport could not hand the claim over: nothing is sent (the NAS retries).
    void abandonClaim(PendingClaim& claim) { duplicates_.abandon(claim.lookup); }

  private:
    uint32_t src_ipv4_ = 0;  // of the request being evaluated (radius_logs)
    Outcome accessRequest(const Datagram& in, const store::NasEntry& nas,
                          const store::Snapshot& snapshot, Now now, ReplyBuffer out);
    Outcome evaluate(const store::NasEntry& nas, const store::Snapshot& snapshot, Now now,
                     ReplyBuffer out);

    WorkerEnv env_;
    DuplicateCache duplicates_;
    PendingClaim claim_;
    radius::Packet packet_;  // reused: decoding allocates nothing after warm-up
};

}  // namespace gatehouse::process
