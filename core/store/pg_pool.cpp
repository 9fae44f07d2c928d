#include "core/store/pg_pool.hpp"

#include <poll.h>

namespace gatehouse::store {

bool idleConnectionBroken(pqxx::connection& conn) {
    if (!conn.is_open())
        return true;
    const int fd = conn.sock();
    if (fd < 0)
        return true;
    pollfd p{fd, POLLIN, 0};
    return ::poll(&p, 1, 0) != 0;  // readable, hung up or an error: nothing good while idle
}

PgPool::PgPool(std::string conninfo, size_t size)
    : conninfo_(std::move(conninfo)), size_(size == 0 ? 1 : size) {}

PgPool::Lease::~Lease() {
    if (pool_ != nullptr && conn_ != nullptr)
        pool_->giveBack(std::move(conn_));
}

PgPool::Lease PgPool::acquire() {
    std::unique_ptr<pqxx::connection> conn;
    {
        std::unique_lock lock(mutex_);
        available_.wait(lock, [this] { return !idle_.empty() || lent_ < size_; });
        ++lent_;
        if (!idle_.empty()) {
            conn = std::move(idle_.back());
            idle_.pop_back();
        }
    }
    try {
        // A connection that broke while idle (server restart) is replaced, not lent out.
        if (conn == nullptr || idleConnectionBroken(*conn))
            conn = std::make_unique<pqxx::connection>(conninfo_);
    } catch (...) {
        std::lock_guard lock(mutex_);
        --lent_;
        available_.notify_one();
        throw;
    }
    return Lease(this, std::move(conn));
}

void PgPool::giveBack(std::unique_ptr<pqxx::connection> conn) {
    std::lock_guard lock(mutex_);
    --lent_;
    if (conn->is_open())
        idle_.push_back(std::move(conn));
    available_.notify_one();
}

}  // namespace gatehouse::store
