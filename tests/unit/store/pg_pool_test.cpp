#include "core/store/pg_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "tests/unit/store/pg_fixture.hpp"

namespace gatehouse::store {
namespace {

class Pool : public testing::PgTest {};

int backendPid(pqxx::connection& c) {
    pqxx::nontransaction txn(c);
    return txn.exec("SELECT pg_backend_pid()")[0][0].as<int>();
}

TEST_F(Pool, ReturnedConnectionIsReused) {
    PgPool pool(conninfo(), 2);
    int first = 0;
    {
        auto lease = pool.acquire();
        first = backendPid(*lease);
    }
    auto again = pool.acquire();
    EXPECT_EQ(backendPid(*again), first);
}

TEST_F(Pool, AcquireWaitsWhileAllAreLent) {
    PgPool pool(conninfo(), 1);
    auto held = std::make_unique<PgPool::Lease>(pool.acquire());
    std::atomic<bool> got{false};
    std::thread waiter([&] {
        auto lease = pool.acquire();
        got = true;
    });
    // The waiter cannot have a connection while ours is held; releasing it lets it through.
    EXPECT_FALSE(got.load());
    held.reset();
    waiter.join();
    EXPECT_TRUE(got.load());
}

TEST_F(Pool, UnreachableServerThrowsAndFreesTheSlot) {
    PgPool pool("host=/nonexistent port=1", 1);
    EXPECT_THROW(pool.acquire(), pqxx::broken_connection);
    EXPECT_THROW(pool.acquire(), pqxx::broken_connection);  // the slot was given back
}

}  // namespace
}  // namespace gatehouse::store
