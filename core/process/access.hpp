#pragma once
// The Access pipeline (ARCHITECTURE.md "The way a request travels", steps 1-7) for one worker:
//   1. source address -> NAS row (unknown: drop, count, log once a minute per address)
//   2. decode; Message-Authenticator per the NAS's BlastRADIUS flags; duplicate cache
//   3. User-Name -> subscriber (snapshot: never the database)
//   4. credentials in C++: PAP, CHAP, MS-CHAPv1, MS-CHAPv2. An unknown user or a wrong
//      password is rejected HERE, before Lua runs: a policy never sees a request whose
//      credentials failed, and an unknown user never reaches authorize() (sub is never nil)
//   5. authorize() in this worker's Lua VM
//   6. the IP rule: static address and NAS pool are written now; Gatehouse-managed pools
//      (IPAM) are a later issue: such an accept goes out without an address and is counted
//   7. encode: Message-Authenticator first, reply attributes, Proxy-State echoed in order.
// Status-Server on the auth port is answered here too.
#include "core/process/duplicate_cache.hpp"
#include "core/process/pipeline.hpp"

namespace gatehouse::process {

class AccessPipeline {
  public:
    explicit AccessPipeline(WorkerEnv env, size_t duplicate_slots = 16384)
        : env_(env), duplicates_(duplicate_slots) {}

    /// One datagram received on the auth port. The answer, if any, is written to `out`.
    Outcome handle(const Datagram& in, const store::Snapshot& snapshot, Now now, ReplyBuffer out);

    const DuplicateCache& duplicates() const { return duplicates_; }

  private:
    uint32_t src_ipv4_ = 0;  // of the request being evaluated (radius_logs)
    Outcome accessRequest(const Datagram& in, const store::NasEntry& nas,
                          const store::Snapshot& snapshot, Now now, ReplyBuffer out);
    Outcome evaluate(const store::NasEntry& nas, const store::Snapshot& snapshot, Now now,
                     ReplyBuffer out);

    WorkerEnv env_;
    DuplicateCache duplicates_;
    radius::Packet packet_;  // reused: decoding allocates nothing after warm-up
};

}  // namespace gatehouse::process
