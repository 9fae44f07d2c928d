#pragma once
// Builds the Snapshot workers read (snapshot.hpp) from PostgreSQL and keeps it fresh: a
// thread LISTENs on the channels the schema's triggers notify (gh_nas, gh_service,
// gh_subscriber, gh_settings), reloads only the rows named and publishes a new snapshot,
// typically within milliseconds of the commit. Unchanged entries are shared between
// snapshots, so a change costs a copy of the maps' pointers, not a reload of 100k rows.
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>

#include <pqxx/connection>

#include "core/crypto/secret_box.hpp"
#include "core/store/snapshot.hpp"

namespace gatehouse::store {

struct LoaderStats {
    uint64_t publishes = 0;
    uint64_t full_reloads = 0;
    uint64_t decrypt_failures = 0;  // subscribers left out: password did not open (wrong key?)
    uint64_t reconnects = 0;
};

/// One-shot load of everything (the CLI, tests). Throws pqxx exceptions.
std::shared_ptr<const Snapshot> loadSnapshot(pqxx::connection& conn, const crypto::SecretBox& box);

class SnapshotLoader {
  public:
    SnapshotLoader(std::string conninfo, crypto::SecretBox box, SnapshotHolder& holder);
    ~SnapshotLoader();
    SnapshotLoader(const SnapshotLoader&) = delete;
    SnapshotLoader& operator=(const SnapshotLoader&) = delete;

    /// Connects, LISTENs, loads and publishes the first snapshot (throws when PostgreSQL is
    /// unreachable), then starts the thread that follows changes. After a lost connection the
    /// thread reconnects and reloads everything, as notifications may have been missed.
    void start();
    void stop();
    LoaderStats stats() const;

    struct State;  // the loader thread's indexes (id -> key), defined in the .cpp

  private:
    void run();
    void connectAndLoad();

    std::string conninfo_;
    crypto::SecretBox box_;
    SnapshotHolder& holder_;
    std::unique_ptr<State> state_;
    std::thread thread_;
    std::atomic<bool> stopping_{false};
    std::atomic<uint64_t> publishes_{0}, full_reloads_{0}, decrypt_failures_{0}, reconnects_{0};
};

}  // namespace gatehouse::store
