#pragma once
// A small pool of libpqxx connections for the store's I/O threads (never a worker thread:
// workers read snapshots). Connections are opened on first use and replaced when broken.
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <pqxx/connection>

namespace gatehouse::store {

/// True when an idle connection (no query in flight) is known dead without sending anything:
/// its socket is readable or hung up, which on an idle PostgreSQL connection means the server
/// said goodbye (restart, admin shutdown). Using it anyway costs an exception, and libpqxx 6.4
/// leaks the failed BEGIN's result on that path; so callers replace such a connection first.
bool idleConnectionBroken(pqxx::connection& conn);

class PgPool {
  public:
    /// conninfo: a libpq connection string ("host=/run/x port=5432 dbname=gatehouse").
    PgPool(std::string conninfo, size_t size);
    PgPool(const PgPool&) = delete;
    PgPool& operator=(const PgPool&) = delete;

    /// A connection borrowed from the pool; returned on destruction.
    class Lease {
      public:
        Lease(Lease&& other) noexcept : pool_(other.pool_), conn_(std::move(other.conn_)) {}
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        Lease& operator=(Lease&&) = delete;
        ~Lease();
        pqxx::connection& operator*() const { return *conn_; }
        pqxx::connection* operator->() const { return conn_.get(); }

      private:
        friend class PgPool;
        Lease(PgPool* pool, std::unique_ptr<pqxx::connection> conn)
            : pool_(pool), conn_(std::move(conn)) {}
        PgPool* pool_;
        std::unique_ptr<pqxx::connection> conn_;
    };

    /// Blocks while all connections are lent out. Throws pqxx::broken_connection when
    /// PostgreSQL cannot be reached.
    Lease acquire();
    const std::string& conninfo() const { return conninfo_; }

  private:
    void giveBack(std::unique_ptr<pqxx::connection> conn);

    std::string conninfo_;
    size_t size_;
    size_t lent_ = 0;
    std::vector<std::unique_ptr<pqxx::connection>> idle_;
    std::mutex mutex_;
    std::condition_variable available_;
};

}  // namespace gatehouse::store
