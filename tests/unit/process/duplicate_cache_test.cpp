#include "core/process/duplicate_cache.hpp"

#include <gtest/gtest.h>

namespace gatehouse::process {
namespace {

DuplicateCache::Key key(uint8_t id, uint8_t auth0 = 1) {
    DuplicateCache::Key k{0x0a000001, 40000, id, {}};
    k.authenticator[0] = auth0;
    return k;
}

TEST(DuplicateCache, RetransmissionWhileInProgressIsReportedInProgress) {
    DuplicateCache cache(64);
    EXPECT_EQ(cache.check(key(1), 0).state, DuplicateCache::State::kNew);
    EXPECT_EQ(cache.check(key(1), 10).state, DuplicateCache::State::kInProgress);
}

TEST(DuplicateCache, AnsweredRequestReturnsTheCachedBytes) {
    DuplicateCache cache(64);
    const auto claim = cache.check(key(1), 0);
    const Bytes answer{2, 1, 0, 20, 9, 9};
    cache.complete(claim, answer, 5);
    const auto again = cache.check(key(1), 100);
    EXPECT_EQ(again.state, DuplicateCache::State::kAnswered);
    EXPECT_EQ(Bytes(again.response.begin(), again.response.end()), answer);
}

TEST(DuplicateCache, NewAuthenticatorReplacesTheEntry) {
    DuplicateCache cache(64);
    cache.complete(cache.check(key(1, 1), 0), Bytes{1}, 0);
    EXPECT_EQ(cache.check(key(1, 2), 1).state, DuplicateCache::State::kNew);
    EXPECT_EQ(cache.check(key(1, 1), 2).state, DuplicateCache::State::kNew);
}

TEST(DuplicateCache, EntriesExpireAfterTheLifetime) {
    DuplicateCache cache(64);
    cache.complete(cache.check(key(1), 0), Bytes{1}, 0);
    EXPECT_EQ(cache.check(key(1), DuplicateCache::kLifetimeMs).state, DuplicateCache::State::kNew);
}

TEST(DuplicateCache, AbandonedRequestIsEvaluatedAgain) {
    DuplicateCache cache(64);
    cache.abandon(cache.check(key(1), 0));
    EXPECT_EQ(cache.check(key(1), 1).state, DuplicateCache::State::kNew);
}

TEST(DuplicateCache, MemoryIsBoundedBySlots) {
    DuplicateCache cache(100);
    EXPECT_EQ(cache.slots(), 128u);
    for (uint32_t i = 0; i < 10000; ++i) {
        DuplicateCache::Key k{i, 1, static_cast<uint8_t>(i), {}};
        cache.complete(cache.check(k, 0), Bytes(20, 0), 0);
    }
    EXPECT_EQ(cache.slots(), 128u);
    EXPECT_GT(cache.evictions(), 0u);
}

}  // namespace
}  // namespace gatehouse::process
