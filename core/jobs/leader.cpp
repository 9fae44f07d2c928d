#include "core/jobs/leader.hpp"

#include <fmt/core.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <pqxx/pqxx>

#include "core/util/one_line.hpp"

namespace gatehouse::jobs {
namespace {

bool mentions(const std::string& conninfo, std::string_view key) {
    return conninfo.find(key) != std::string::npos;
}

}  // namespace

std::string withLeaderTimeouts(const std::string& conninfo, int retry_ms) {
    if (conninfo.rfind("postgres://", 0) == 0 || conninfo.rfind("postgresql://", 0) == 0)
        return conninfo;
    std::string out = conninfo;
    if (!mentions(conninfo, "connect_timeout"))
        out += " connect_timeout=5";
    // On a Unix socket libpq ignores these. Over TCP, a heartbeat to a vanished server fails
    // after tcp_user_timeout instead of the kernel's ~15 minutes of retransmissions, so the
    // old leader stops before PostgreSQL (which notices later) frees the lock for another.
    if (!mentions(conninfo, "keepalives") && !mentions(conninfo, "tcp_user_timeout")) {
        const int user_timeout_ms = std::max(10000, 3 * retry_ms);
        out += fmt::format(
            " keepalives=1 keepalives_idle=5 keepalives_interval=2 keepalives_count=3"
            " tcp_user_timeout={}",
            user_timeout_ms);
    }
    return out;
}

Leader::Leader(LeaderOptions options)
    : options_(std::move(options)),
      conninfo_(withLeaderTimeouts(options_.conninfo, options_.retry_ms)) {
    if (options_.retry_ms < 1)
        options_.retry_ms = 1;
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

Leader::~Leader() {
    stop();
    if (wake_fd_ >= 0)
        ::close(wake_fd_);
}

void Leader::start() {
    std::lock_guard lock(start_mutex_);
    if (thread_.joinable())
        return;
    stopping_.store(false);
    thread_ = std::thread([this] { run(); });
}

void Leader::stop() {
    std::lock_guard lock(start_mutex_);
    if (!thread_.joinable())
        return;
    stopping_.store(true);
    const uint64_t one = 1;
    if (wake_fd_ >= 0)
        (void)!::write(wake_fd_, &one, sizeof(one));
    thread_.join();
    uint64_t drained = 0;
    if (wake_fd_ >= 0)
        (void)!::read(wake_fd_, &drained, sizeof(drained));
}

void Leader::say(const std::string& line) {
    if (options_.log)
        options_.log(line);
    else
        fmt::print(stderr, "{}\n", line);
}

void Leader::dropConnection() {
    // Closing the session is what frees a held lock (session-level advisory locks end with it).
    conn_.reset();
}

void Leader::loseLeadership(std::string_view why) {
    if (!leader_.exchange(false, std::memory_order_acq_rel))
        return;
    say(fmt::format("jobs.leader.lost pid={} reason=\"{}\"", ::getpid(), why));
    if (options_.on_lose)
        options_.on_lose();
}

bool Leader::tryAcquire() {
    try {
        if (!conn_) {
            conn_ = std::make_unique<pqxx::connection>(conninfo_);
            if (!last_error_.empty()) {
                say("jobs.leader.connected");
                last_error_.clear();
            }
        }
        pqxx::nontransaction txn(*conn_);
        const bool got =
            txn.exec1(fmt::format("SELECT pg_try_advisory_lock({})", options_.lock_key))[0]
                .as<bool>();
        if (!got && !said_following_) {
            say(fmt::format("jobs.leader.following pid={} (another process holds lock {})",
                            ::getpid(), options_.lock_key));
            said_following_ = true;
        }
        return got;
    } catch (const std::exception& e) {
        const std::string error = oneLine(e.what());
        if (error != last_error_) {
            say(fmt::format("jobs.leader.db_error error=\"{}\" (retrying every {} ms)", error,
                            options_.retry_ms));
            last_error_ = error;
        }
        dropConnection();
        return false;
    }
}

bool Leader::sessionAlive() {
    if (!conn_ || !conn_->is_open())
        return false;
    // Nothing arrives unasked on this connection (it LISTENs to nothing): a readable socket
    // means the server is saying goodbye (pg_terminate_backend, shutdown, idle timeout).
    const int fd = conn_->sock();
    if (fd < 0)
        return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 0) != 0)
        return false;
    try {
        pqxx::nontransaction txn(*conn_);
        txn.exec("SELECT 1");
        return true;
    } catch (const std::exception& e) {
        last_error_ = oneLine(e.what());
        return false;
    }
}

void Leader::waitFor(int fd, int timeout_ms) {
    pollfd p[2] = {{wake_fd_, POLLIN, 0}, {fd, POLLIN, 0}};
    (void)::poll(p, fd >= 0 ? 2 : 1, timeout_ms);
}

void Leader::run() {
    while (!stopping_.load()) {
        if (!leader_.load()) {
            if (tryAcquire()) {
                leader_.store(true, std::memory_order_release);
                gains_.fetch_add(1, std::memory_order_relaxed);
                said_following_ = false;
                say(fmt::format("jobs.leader.gained pid={} lock={}", ::getpid(),
                                options_.lock_key));
                if (options_.on_gain)
                    options_.on_gain();
                continue;  // straight to watching the session
            }
            waitFor(-1, options_.retry_ms);
            continue;
        }
        // Leader: sleep until the retry period passes or the session's socket stirs, then
        // check the session; a dead one ends the leadership at once.
        waitFor(conn_ ? conn_->sock() : -1, options_.retry_ms);
        if (stopping_.load())
            break;
        if (!sessionAlive()) {
            dropConnection();
            loseLeadership("connection to PostgreSQL lost");
            // Back off for two periods: a follower retries within one, so when only our
            // session was killed (not the whole database) another process takes over rather
            // than this one winning the lock straight back.
            waitFor(-1, 2 * options_.retry_ms);
        }
    }
    loseLeadership("stopping");
    dropConnection();
}

}  // namespace gatehouse::jobs
