#pragma once
// The Accounting pipeline, for now: NAS -> decode -> Request Authenticator (RFC 2866 3) ->
// Message-Authenticator when present -> duplicate cache -> the policy's accounting() hook ->
// Accounting-Response. Status-Server on the accounting port is answered here too.
//
// NOT YET DURABLE: ARCHITECTURE.md says the Accounting-Response goes out only once the record
// is durable (group-commit writer, fsync'd spool). That writer is the next issue; until then
// the answer acknowledges a record that is stored nowhere (docs/server.md says so).
#include "core/process/duplicate_cache.hpp"
#include "core/process/pipeline.hpp"

namespace gatehouse::process {

class AccountingPipeline {
  public:
    explicit AccountingPipeline(WorkerEnv env, size_t duplicate_slots = 16384)
        : env_(env), duplicates_(duplicate_slots) {}

    Outcome handle(const Datagram& in, const store::Snapshot& snapshot, Now now, ReplyBuffer out);

  private:
    Outcome accountingRequest(const Datagram& in, const store::NasEntry& nas,
                              const store::Snapshot& snapshot, Now now, ReplyBuffer out);

    WorkerEnv env_;
    DuplicateCache duplicates_;
    radius::Packet packet_;
};

}  // namespace gatehouse::process
