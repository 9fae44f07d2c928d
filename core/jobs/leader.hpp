#pragma once
// Leader election for the jobs role (docs/jobs.md): one process in the cluster holds a
// session-level PostgreSQL advisory lock on a connection of its own and is the leader as long
// as that session lives. When the leader dies, PostgreSQL ends its session and frees the lock,
// and the next follower to retry takes it. No consensus code of our own: PostgreSQL is the
// arbiter (ARCHITECTURE.md "Scale").
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include <pqxx/connection>

namespace gatehouse::jobs {

/// The advisory lock key of the jobs leader: "gh_lead" in ASCII (as migrations use "gh_migr").
/// Distinct from the accounting writer's stale-sweep lock (7310259475401729), which any radius
/// node may take for itself.
inline constexpr int64_t kLeaderLockKey = 0x67685f6c656164;

struct LeaderOptions {
    std::string conninfo;  // libpq connection string
    int64_t lock_key = kLeaderLockKey;
    /// A follower tries the lock this often; the leader checks its session this often.
    int retry_ms = 2000;
    /// Called on the election thread when this process becomes / stops being the leader.
    /// on_lose also runs when the leader's connection breaks and when stop() ends a leadership.
    std::function<void()> on_gain;
    std::function<void()> on_lose;
    /// One line per event ("jobs.leader.gained ..."); stderr when empty.
    std::function<void(std::string_view)> log;
};

/// TCP keepalive and tcp_user_timeout added to a key=value conninfo that sets none of them,
/// so a leader cut off from PostgreSQL notices within seconds instead of hours (a URI
/// conninfo is returned unchanged: configure it there).
std::string withLeaderTimeouts(const std::string& conninfo, int retry_ms);

class Leader {
  public:
    explicit Leader(LeaderOptions options);
    ~Leader();  // stop()
    Leader(const Leader&) = delete;
    Leader& operator=(const Leader&) = delete;

    /// Starts the election thread; the first attempt is immediate.
    void start();
    /// Ends the election: a leader calls on_lose and closes its session (freeing the lock).
    /// Returns within one database round trip.
    void stop();

    bool isLeader() const { return leader_.load(std::memory_order_acquire); }
    /// Times this process has become leader since start().
    uint64_t gains() const { return gains_.load(std::memory_order_relaxed); }

  private:
    void run();
    bool tryAcquire();    // false: not acquired (or the connection failed)
    bool sessionAlive();  // the leader's check; false: the session is gone
    void loseLeadership(std::string_view why);
    void dropConnection();
    void waitFor(int fd, int timeout_ms);  // returns on timeout, stop, or `fd` readable
    void say(const std::string& line);

    LeaderOptions options_;
    std::string conninfo_;
    std::unique_ptr<pqxx::connection> conn_;  // election thread only
    std::atomic<bool> leader_{false};
    std::atomic<bool> stopping_{false};
    std::atomic<uint64_t> gains_{0};
    int wake_fd_ = -1;        // eventfd: stop() wakes the election thread
    std::string last_error_;  // connection errors are logged when they change
    bool said_following_ = false;
    std::mutex start_mutex_;
    std::thread thread_;
};

}  // namespace gatehouse::jobs
