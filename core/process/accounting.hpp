#pragma once
// The Accounting pipeline: NAS -> decode -> Request Authenticator (RFC 2866 3) ->
// Message-Authenticator when present -> duplicate cache -> the policy's accounting() hook ->
// record -> Accounting-Response, DEFERRED: the transport hands the record to the group-commit
// writer (store/accounting_writer.hpp) and sends the answer only once the record is durable
// (committed or spooled). Status-Server on the accounting port is answered here too.
#include "core/process/duplicate_cache.hpp"
#include "core/process/pipeline.hpp"
#include "core/store/accounting_record.hpp"

namespace gatehouse::process {

class AccountingPipeline {
  public:
    explicit AccountingPipeline(WorkerEnv env, size_t duplicate_slots = 16384)
        : env_(env), duplicates_(duplicate_slots) {}

    Outcome handle(const Datagram& in, const store::Snapshot& snapshot, Now now, ReplyBuffer out);

    /// After an Outcome with deferred set: the record to make durable, and the duplicate-cache
    /// claim to settle with acknowledged() or abandoned() when the writer has answered.
    struct Deferred {
        store::AccountingRecord record;
        DuplicateCache::Lookup claim;
    };
    Deferred takeDeferred() { return std::move(deferred_); }
    /// The record is durable and `response` went (or goes) out: retransmissions get it.
    void acknowledged(const DuplicateCache::Lookup& claim, ByteSpan response, int64_t now_ms);
    /// Not durable after all (writer refused or failed): forget it, a retransmission is new.
    void abandoned(const DuplicateCache::Lookup& claim);

  private:
    Outcome accountingRequest(const Datagram& in, const store::NasEntry& nas,
                              const store::Snapshot& snapshot, Now now, ReplyBuffer out);

    WorkerEnv env_;
    DuplicateCache duplicates_;
    radius::Packet packet_;
    Deferred deferred_;
};

}  // namespace gatehouse::process
