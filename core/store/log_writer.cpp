#include "core/store/log_writer.hpp"

#include "core/store/pg_pool.hpp"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <ctime>
#include <new>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

namespace gatehouse::store {

namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kIdlePoll = std::chrono::milliseconds(100);  // bounds a missed wake-up
constexpr auto kBackoffFirst = std::chrono::milliseconds(100);
constexpr auto kBackoffMax = std::chrono::seconds(5);
constexpr auto kDrainLimit = std::chrono::seconds(5);  // stop(): how long queued events may take
constexpr int64_t kPruneSlice = 10000;

// A futex on a 32-bit atomic: the kernel compares the word with `expected` before sleeping, so a
// wake that lands between our check and the sleep is never lost. std::atomic::wait has no
// timeout, and the timed poll is our second line of defence.
static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t));
void futexWait(std::atomic<uint32_t>& word, uint32_t expected, Clock::duration timeout) {
    if (timeout <= Clock::duration::zero())
        return;
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(timeout).count();
    timespec ts{};
    ts.tv_sec = static_cast<time_t>(ns / 1000000000);
    ts.tv_nsec = static_cast<long>(ns % 1000000000);
    ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAIT_PRIVATE, expected, &ts,
              nullptr, 0);
}
void futexWake(std::atomic<uint32_t>& word, int count) {
    ::syscall(SYS_futex, reinterpret_cast<uint32_t*>(&word), FUTEX_WAKE_PRIVATE, count, nullptr,
              nullptr, 0);
}

// libpq takes a connect_timeout in its conninfo; without one a writer could sit in connect()
// for the kernel's SYN timeout (minutes) and stop() would no longer be bounded.
std::string withConnectTimeout(const std::string& conninfo) {
    bool is_uri = conninfo.rfind("postgres://", 0) == 0 || conninfo.rfind("postgresql://", 0) == 0;
    if (is_uri || conninfo.find("connect_timeout") != std::string::npos)
        return conninfo;
    return conninfo + (conninfo.empty() ? "" : " ") + "connect_timeout=5";
}

// PostgreSQL array literal elements (the batch goes in as six arrays, unnest()ed server side).
// Every element is double-quoted so that commas, braces and spaces need no thought; inside the
// quotes only '"' and '\' are special. NUL cannot be stored in text at all, so it is dropped.
void appendQuoted(std::string& out, const std::string& value) {
    out += '"';
    for (char c : value) {
        if (c == '\0')
            continue;
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    out += '"';
}
void appendSeparator(std::string& out) {
    if (out.size() > 1)
        out += ',';
}

std::string ipv4Text(uint32_t ip) {
    return std::to_string(ip >> 24) + '.' + std::to_string((ip >> 16) & 0xff) + '.' +
           std::to_string((ip >> 8) & 0xff) + '.' + std::to_string(ip & 0xff);
}

int64_t nowUnixMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// One statement per batch: six arrays unnest()ed into rows. libpqxx 6.4's stream_to has no
// NULL for std::optional, and the arrays keep it a single round trip all the same.
// at: exact milliseconds ('epoch' + n ms), no float rounding as with to_timestamp(n / 1000.0).
constexpr const char* kInsertName = "gh_log_insert";
constexpr const char* kInsertSql =
    "INSERT INTO radius_logs (at, username, nas_ip, event, reason, detail) "
    "SELECT timestamptz 'epoch' + t.at_ms * interval '1 millisecond', t.username, t.nas_ip, "
    "t.event, t.reason, t.detail::jsonb "
    "FROM unnest($1::bigint[], $2::text[], $3::inet[], $4::text[], $5::text[], $6::text[]) "
    "AS t(at_ms, username, nas_ip, event, reason, detail)";

struct BatchArrays {
    std::string at = "{", username = "{", nas_ip = "{", event = "{", reason = "{", detail = "{";

    void add(const LogEvent& e, int64_t now_ms) {
        appendSeparator(at);
        at +=
            std::to_string(e.at_ms != 0 ? e.at_ms : now_ms);  // 0: "now", as the header says unset
        appendSeparator(username);
        if (e.username.empty())
            username += "NULL";
        else
            appendQuoted(username, e.username);
        appendSeparator(nas_ip);
        if (e.nas_ip == 0)
            nas_ip += "NULL";
        else
            nas_ip += ipv4Text(e.nas_ip);
        appendSeparator(event);
        appendQuoted(event, e.event);
        appendSeparator(reason);
        appendQuoted(reason, e.reason);
        appendSeparator(detail);
        if (e.detail.empty())
            detail += "NULL";
        else
            appendQuoted(detail, e.detail);
    }
    void close() {
        for (std::string* s : {&at, &username, &nas_ip, &event, &reason, &detail})
            *s += '}';
    }
};

}  // namespace

// The queue is Vyukov's bounded MPMC ring: each slot carries a sequence number that says
// whether it is free for the producer at position p (seq == p) or full for the consumer at p
// (seq == p + 1). A producer claims a position with one CAS on enqueue_pos_ and publishes the
// slot with a release store; it never waits for another thread, and a full ring is seen at
// once (seq < p) and answered with a drop. We take it over per-producer SPSC rings because the
// producers are RADIUS workers whose number the writer would have to know up front, and
// because one shared ring gives one capacity to reason about (queue_capacity) rather than a
// per-worker share that idle workers would waste. Positions are 64-bit and never wrap, so the
// capacity need not be a power of two (slot = pos % capacity).
struct LogWriter::Impl {
    struct Slot {
        std::atomic<uint64_t> seq{0};
        LogEvent event;
    };

    explicit Impl(LogWriterOptions o)
        : options(std::move(o)),
          capacity(std::max<size_t>(options.queue_capacity, 1)),
          slots(new Slot[capacity]) {
        options.batch_max = std::max<size_t>(options.batch_max, 1);
        for (size_t i = 0; i < capacity; ++i)
            slots[i].seq.store(i, std::memory_order_relaxed);
    }

    bool tryPush(LogEvent& event) noexcept {
        uint64_t pos = enqueue_pos.load(std::memory_order_relaxed);
        for (;;) {
            Slot& slot = slots[pos % capacity];
            uint64_t seq = slot.seq.load(std::memory_order_acquire);
            auto diff = static_cast<int64_t>(seq - pos);
            if (diff == 0) {
                if (enqueue_pos.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
                    slot.event = std::move(event);
                    slot.seq.store(pos + 1, std::memory_order_release);
                    return true;
                }
            } else if (diff < 0) {
                return false;  // the slot a full lap behind is still unread: full
            } else {
                pos = enqueue_pos.load(std::memory_order_relaxed);
            }
        }
    }

    bool tryPop(LogEvent& out) {
        uint64_t pos = dequeue_pos.load(std::memory_order_relaxed);
        for (;;) {
            Slot& slot = slots[pos % capacity];
            uint64_t seq = slot.seq.load(std::memory_order_acquire);
            auto diff = static_cast<int64_t>(seq - (pos + 1));
            if (diff == 0) {
                if (dequeue_pos.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
                    out = std::move(slot.event);
                    slot.seq.store(pos + capacity, std::memory_order_release);
                    return true;
                }
            } else if (diff < 0) {
                return false;  // empty (or the producer of this slot has not published yet)
            } else {
                pos = dequeue_pos.load(std::memory_order_relaxed);
            }
        }
    }

    size_t popBatch(std::vector<LogEvent>& batch) {
        batch.clear();
        LogEvent e;
        while (batch.size() < options.batch_max && tryPop(e))
            batch.push_back(std::move(e));
        return batch.size();
    }

    // Producers wake a sleeping writer only when one sleeps, so a busy server pays one fence and
    // one load per push and no system call. The fence pairs with the writer's increment of
    // sleepers: either the writer sees our event, or we see it asleep and wake it (Dekker).
    void wakeWriter() noexcept {
        std::atomic_thread_fence(std::memory_order_seq_cst);
        if (sleepers.load(std::memory_order_relaxed) > 0) {
            work_signal.fetch_add(1, std::memory_order_relaxed);
            futexWake(work_signal, 1);
        }
    }

    bool queueLooksEmpty() const {
        return enqueue_pos.load(std::memory_order_seq_cst) ==
               dequeue_pos.load(std::memory_order_seq_cst);
    }

    void waitForWork() {
        uint32_t seen = work_signal.load(std::memory_order_acquire);
        sleepers.fetch_add(1, std::memory_order_seq_cst);
        if (queueLooksEmpty() && !stopping.load(std::memory_order_acquire))
            futexWait(work_signal, seen, kIdlePoll);
        sleepers.fetch_sub(1, std::memory_order_relaxed);
    }

    // Sleeps until `until`, or until stop(): a shutdown while PostgreSQL is down must not wait
    // out the backoff; the writer then fails what is left at once and exits.
    void sleepBackoff(Clock::time_point until) {
        for (;;) {
            uint32_t seen = stop_signal.load(std::memory_order_acquire);
            if (stopping.load(std::memory_order_acquire))
                return;
            auto now = Clock::now();
            if (now >= until)
                return;
            futexWait(stop_signal, seen, until - now);
        }
    }

    Clock::time_point drainDeadline() const {
        return Clock::time_point(
            Clock::duration(drain_deadline_ns.load(std::memory_order_acquire)));
    }

    static void insertBatch(pqxx::connection& conn, const std::vector<LogEvent>& batch) {
        BatchArrays arrays;
        int64_t now_ms = nowUnixMs();
        for (const LogEvent& e : batch)
            arrays.add(e, now_ms);
        arrays.close();
        pqxx::work txn(conn);
        txn.exec_prepared(kInsertName, arrays.at, arrays.username, arrays.nas_ip, arrays.event,
                          arrays.reason, arrays.detail);
        txn.commit();
    }

    // One writer thread: its own connection, its own backoff.
    void writerLoop() {
        std::unique_ptr<pqxx::connection> conn;
        auto backoff = std::chrono::duration_cast<Clock::duration>(kBackoffFirst);
        Clock::time_point next_connect{};
        std::vector<LogEvent> batch;
        batch.reserve(std::min<size_t>(options.batch_max, 4096));
        for (;;) {
            bool draining = stopping.load(std::memory_order_acquire);
            if (draining && Clock::now() >= drainDeadline())
                return;  // stop() counts what is left as failed
            if (popBatch(batch) == 0) {
                if (draining)
                    return;
                waitForWork();
                continue;
            }
            if (conn == nullptr) {
                // Still backing off: this batch is lost, not retried (logs are best effort),
                // and the rest stay queued until the database is back or the queue fills.
                if (Clock::now() < next_connect) {
                    failed.fetch_add(batch.size(), std::memory_order_relaxed);
                    sleepBackoff(next_connect);
                    continue;
                }
                try {
                    conn = std::make_unique<pqxx::connection>(conninfo);
                    conn->prepare(kInsertName, kInsertSql);
                    backoff = std::chrono::duration_cast<Clock::duration>(kBackoffFirst);
                } catch (const std::exception&) {
                    conn.reset();
                    failed.fetch_add(batch.size(), std::memory_order_relaxed);
                    next_connect = Clock::now() + backoff;
                    backoff = std::min<Clock::duration>(backoff * 2, kBackoffMax);
                    sleepBackoff(next_connect);
                    continue;
                }
            }
            const auto batch_began = Clock::now();
            writeBatch(conn, batch);
            if (options.max_rate > 0 && !draining) {
                // Pace this writer to its share of max_rate: n events take n / share seconds.
                const double share = static_cast<double>(options.max_rate) /
                                     static_cast<double>(std::max(1u, options.writers));
                sleepBackoff(batch_began + std::chrono::duration_cast<Clock::duration>(
                                               std::chrono::duration<double>(
                                                   static_cast<double>(batch.size()) / share)));
            }
            if (conn == nullptr) {
                next_connect = Clock::now() + backoff;
                backoff = std::min<Clock::duration>(backoff * 2, kBackoffMax);
                sleepBackoff(next_connect);
            }
        }
    }

    // Writes one batch; a lost connection resets `conn`. A statement error (one event with a
    // detail that is not JSON, or text that is not UTF-8) must not cost its neighbours, so the
    // batch is then retried one row per transaction and only the bad rows count as failed.
    void writeBatch(std::unique_ptr<pqxx::connection>& conn, const std::vector<LogEvent>& batch) {
        // A connection that broke while idle (PostgreSQL restarted since the last batch) gets
        // one fresh connection before the batch counts as lost.
        if (conn != nullptr && idleConnectionBroken(*conn))
            conn.reset();  // the server closed it while we were idle: do not BEGIN on it
        for (int attempt = 0; attempt < 2; ++attempt) {
            try {
                if (conn == nullptr) {
                    conn = std::make_unique<pqxx::connection>(conninfo);
                    conn->prepare(kInsertName, kInsertSql);
                }
                insertBatch(*conn, batch);
                written.fetch_add(batch.size(), std::memory_order_relaxed);
                batches.fetch_add(1, std::memory_order_relaxed);
                return;
            } catch (const std::exception&) {
                if (conn != nullptr && conn->is_open())
                    break;  // a statement error: row by row below
                conn.reset();
                if (attempt == 1) {
                    failed.fetch_add(batch.size(), std::memory_order_relaxed);
                    return;
                }
            }
        }
        std::vector<LogEvent> one(1);
        for (size_t i = 0; i < batch.size(); ++i) {
            one[0] = batch[i];
            try {
                insertBatch(*conn, one);
                written.fetch_add(1, std::memory_order_relaxed);
                batches.fetch_add(1, std::memory_order_relaxed);
            } catch (const std::exception&) {
                if (!conn->is_open()) {
                    conn.reset();
                    failed.fetch_add(batch.size() - i, std::memory_order_relaxed);
                    return;
                }
                failed.fetch_add(1, std::memory_order_relaxed);
            }
        }
    }

    LogWriterOptions options;
    std::string conninfo = withConnectTimeout(options.conninfo);
    const size_t capacity;
    std::unique_ptr<Slot[]> slots;

    alignas(64) std::atomic<uint64_t> enqueue_pos{0};  // also: events accepted by push()
    alignas(64) std::atomic<uint64_t> dequeue_pos{0};  // events taken by writers (or stop())
    alignas(64) std::atomic<uint32_t> sleepers{0};
    std::atomic<uint32_t> work_signal{0};
    std::atomic<uint32_t> stop_signal{0};
    std::atomic<bool> stopping{false};
    std::atomic<int64_t> drain_deadline_ns{0};

    alignas(64) std::atomic<uint64_t> dropped{0};
    std::atomic<uint64_t> written{0};
    std::atomic<uint64_t> failed{0};
    std::atomic<uint64_t> batches{0};
    std::atomic<uint64_t> pruned{0};

    std::vector<std::thread> threads;
    bool started = false;
    bool stopped = false;
};

LogWriter::LogWriter(LogWriterOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

LogWriter::~LogWriter() {
    stop();
}

void LogWriter::start() {
    if (impl_->started || impl_->stopped)
        return;
    impl_->started = true;
    unsigned n = std::max(impl_->options.writers, 1u);
    for (unsigned i = 0; i < n; ++i)
        impl_->threads.emplace_back([this] { impl_->writerLoop(); });
}

bool LogWriter::push(LogEvent&& event) noexcept {
    if (!impl_->tryPush(event)) {
        impl_->dropped.fetch_add(1, std::memory_order_relaxed);
        return false;
    }
    impl_->wakeWriter();
    return true;
}

void LogWriter::stop() {
    Impl& d = *impl_;
    if (d.stopped)
        return;
    d.stopped = true;
    auto deadline = Clock::now() + kDrainLimit;
    d.drain_deadline_ns.store(deadline.time_since_epoch().count(), std::memory_order_release);
    d.stopping.store(true, std::memory_order_release);
    d.stop_signal.fetch_add(1, std::memory_order_acq_rel);
    futexWake(d.stop_signal, INT_MAX);
    d.work_signal.fetch_add(1, std::memory_order_acq_rel);
    futexWake(d.work_signal, INT_MAX);
    for (std::thread& t : d.threads)
        t.join();
    d.threads.clear();
    // Whatever the writers could not write in time (or never started to) is lost: count it,
    // so that queued == written + failed + depth stays true.
    LogEvent e;
    uint64_t left = 0;
    while (d.tryPop(e))
        ++left;
    d.failed.fetch_add(left, std::memory_order_relaxed);
}

uint64_t LogWriter::prune(int64_t now_unix) {
    Impl& d = *impl_;
    if (d.options.retention_days <= 0)
        return 0;  // 0: keep forever
    int64_t cutoff = now_unix - d.options.retention_days * 86400;
    pqxx::connection conn(d.conninfo);
    // Slices of kPruneSlice rows, each its own transaction: no long lock on radius_logs, and
    // writers keep inserting between slices. The subquery walks the radius_logs_at index.
    const std::string sql =
        "DELETE FROM radius_logs WHERE id IN (SELECT id FROM radius_logs "
        "WHERE at < to_timestamp(" +
        std::to_string(cutoff) + ") LIMIT " + std::to_string(kPruneSlice) + ")";
    uint64_t total = 0;
    for (;;) {
        pqxx::work txn(conn);
        pqxx::result r = txn.exec(sql);
        txn.commit();
        auto n = static_cast<uint64_t>(r.affected_rows());
        total += n;
        d.pruned.fetch_add(n, std::memory_order_relaxed);
        if (n < static_cast<uint64_t>(kPruneSlice))
            return total;
    }
}

LogWriterStats LogWriter::stats() const {
    const Impl& d = *impl_;
    LogWriterStats s;
    // dequeue first: a push landing between the two loads can only make depth larger, never
    // wrap it below zero.
    uint64_t taken = d.dequeue_pos.load(std::memory_order_acquire);
    s.queued = d.enqueue_pos.load(std::memory_order_acquire);
    s.depth = s.queued >= taken ? s.queued - taken : 0;
    s.dropped = d.dropped.load(std::memory_order_relaxed);
    s.written = d.written.load(std::memory_order_relaxed);
    s.failed = d.failed.load(std::memory_order_relaxed);
    s.batches = d.batches.load(std::memory_order_relaxed);
    s.pruned = d.pruned.load(std::memory_order_relaxed);
    return s;
}

}  // namespace gatehouse::store
