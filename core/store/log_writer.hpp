#pragma once
// radius_logs: every auth and accounting decision, written by a fixed pool of writer threads
// behind one bounded queue. push() never blocks and never allocates beyond the event itself:
// when the queue is full the event is dropped and counted (ARCHITECTURE.md: "full queue: drop
// and count, never block"). Writers take up to batch_max events at a time and insert them with
// one COPY (or one multi-row INSERT) per batch; a database outage drops what the writers hold
// (counted as failed) and they retry the connection with a backoff, never spinning.
// Logs are best effort by design: bytes are billed from radacct, not from here.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace gatehouse::store {

struct LogEvent {
    int64_t at_ms = 0;     // unix ms
    std::string event;     // "accept" | "reject" | "acct-start" | "acct-interim" | "acct-stop" |
                           // "acct-on" | "acct-off" | "acct-discard"
    std::string username;  // may be ""
    uint32_t nas_ip = 0;   // host order, 0: none
    std::string reason;    // reject reason / discard reason, "" otherwise
    std::string detail;    // a JSON object as text ("" : NULL), e.g. {"tier":1,"ip":"10.0.0.5"}
};

struct LogWriterOptions {
    std::string conninfo;
    size_t queue_capacity = 65536;  // events; full: drop
    unsigned writers = 2;
    size_t batch_max = 2000;
    int64_t retention_days = 30;  // prune(): rows older than this go
    /// Events written per second at most, all writers together (0: no cap). A login storm must
    /// not turn the log into the main consumer of CPU and database time: above the cap the
    /// queue fills and push() drops and counts. A normal ISP logs far fewer.
    uint64_t max_rate = 5000;
};

struct LogWriterStats {
    uint64_t queued = 0;   // accepted by push()
    uint64_t dropped = 0;  // refused by push(): queue full
    uint64_t written = 0;  // committed
    uint64_t failed = 0;   // lost to a database error after being queued
    uint64_t batches = 0;
    uint64_t depth = 0;  // in the queue now
    uint64_t pruned = 0;
};

class LogWriter {
  public:
    explicit LogWriter(LogWriterOptions options);
    ~LogWriter();  // stop()
    LogWriter(const LogWriter&) = delete;
    LogWriter& operator=(const LogWriter&) = delete;

    void start();
    /// Thread-safe, wait-free for the caller except for moving the event in. false: dropped.
    bool push(LogEvent&& event) noexcept;
    /// Writes what is queued (bounded by a few seconds), then joins the writers.
    void stop();
    /// Deletes rows older than retention_days (in slices, so it never holds a long lock);
    /// returns how many. Called by the jobs role once an hour.
    uint64_t prune(int64_t now_unix);
    LogWriterStats stats() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace gatehouse::store
