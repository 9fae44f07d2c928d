#pragma once
// The accounting spool: where a batch goes when PostgreSQL is unreachable or too slow, so the
// NAS can still be acknowledged without anything being lost. An append-only file of frames
// under var/ (one frame = one batch), each written and fsync'd before append() returns; a
// checkpoint file says which frames are already in the database. Replay reads the frames in
// order; the repository records each applied (spool id, sequence) in the same transaction as
// the rows, so a crash between commit and markReplayed() never applies a batch twice.
//
// Frame: magic "GHSP" | u32 payload length | u32 CRC-32C of (seq, payload) | u64 seq | payload
// (u32 record count, then serialize()d records). A torn frame at the tail (crash mid-append:
// never acknowledged) is cut off on open and counted; a bad frame in the middle is an error.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/store/accounting_record.hpp"
#include "core/util/expected.hpp"

namespace gatehouse::store {

struct SpoolBatch {
    uint64_t seq = 0;
    std::vector<AccountingRecord> records;
};

struct SpoolStats {
    uint64_t pending_batches = 0;  // appended, not yet marked replayed
    uint64_t pending_records = 0;
    uint64_t file_bytes = 0;
    uint64_t torn_tail_bytes = 0;  // cut off at open (a crash mid-append)
};

/// Not thread-safe: the accounting writer owns it and calls it from its one thread.
class Spool {
  public:
    /// Opens or creates `dir`/accounting.spool and `dir`/accounting.checkpoint (0600, the
    /// directory 0700), reads the checkpoint, scans the frames after it (CRC-checked).
    /// A torn tail is cut off (stats().torn_tail_bytes); a bad frame with a valid one after it,
    /// a missing spool.id while batches are pending, or another process holding the spool
    /// (flock) is an error naming the file and offset.
    static Expected<std::unique_ptr<Spool>, std::string> open(const std::string& dir);
    ~Spool();
    Spool(const Spool&) = delete;
    Spool& operator=(const Spool&) = delete;

    /// A random id made when the spool directory is first created (kept in `dir`/spool.id):
    /// with seq it names a batch uniquely in the database, across restarts.
    const std::string& id() const { return id_; }

    /// Writes one frame and fsyncs it (and the directory on the first frame of a file).
    /// Returns the frame's sequence number (monotonic over the life of the spool, also across
    /// truncations). An error (disk full, I/O) leaves the file as it was before the call.
    Expected<uint64_t, std::string> append(std::span<const AccountingRecord> records);

    /// The oldest frame not yet marked replayed, or nullopt when there is none.
    Expected<std::optional<SpoolBatch>, std::string> next();

    /// Records that frame `seq` (the one next() returned) is in the database: the checkpoint
    /// is rewritten atomically (write temp, fsync, rename). When nothing is pending any more
    /// the spool file is truncated to zero. A seq already marked is a no-op, so a retry after
    /// an error is safe.
    Expected<void, std::string> markReplayed(uint64_t seq);

    bool empty() const { return stats_.pending_batches == 0; }
    const SpoolStats& stats() const { return stats_; }

  private:
    Spool() = default;
    Expected<void, std::string> scan();
    Expected<void, std::string> writeCheckpoint(uint64_t replayed_through);
    Expected<void, std::string> truncateDrained();

    std::string dir_;
    std::string id_;
    int fd_ = -1;      // accounting.spool, flock()ed: one process per spool directory
    int dir_fd_ = -1;  // for fsync after creating or renaming a file in it
    uint64_t checkpoint_next_seq_ = 0;  // next_seq as the checkpoint file has it (0: no file)
    std::string broken_;                // set when a failed append could not be rolled back
    uint64_t next_seq_ = 1;
    uint64_t replayed_through_ = 0;  // every seq <= this is in the database
    uint64_t read_offset_ = 0;       // file offset of the oldest pending frame
    SpoolStats stats_;
};

/// CRC-32C (Castagnoli), as used by the frames.
uint32_t crc32c(std::span<const uint8_t> data, uint32_t crc = 0);

}  // namespace gatehouse::store
