// LiveState: what get() returns after update() and replaceAll(), and readers running beside
// the writer always see a whole row (every field from the same write).
#include "core/store/live_state.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace gatehouse::store {
namespace {

/// A row whose every field is `v`, so a reader can tell a torn row from a whole one.
SubscriberLiveState row(int64_t id, uint64_t v) {
    SubscriberLiveState r;
    r.subscriber_id = id;
    r.open_sessions = static_cast<uint32_t>(v);
    r.current_tier = static_cast<int>(v % 4);
    r.usage.daily_upload = v;
    r.usage.daily_download = v;
    r.usage.monthly_upload = v;
    r.usage.monthly_download = v;
    return r;
}

TEST(LiveState, EmptyKnowsNothing) {
    LiveState live;
    EXPECT_FALSE(live.get(1).has_value());
    EXPECT_FALSE(live.get(0).has_value());
    EXPECT_EQ(live.size(), 0u);
}

TEST(LiveState, GetReturnsWhatUpdateWrote) {
    LiveState live;
    SubscriberLiveState r = row(7, 3);
    r.usage.daily_download = 11;
    r.usage.monthly_upload = 12;
    r.usage.monthly_download = 13;
    live.update(std::vector<SubscriberLiveState>{r});
    auto got = live.get(7);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->open_sessions, 3u);
    EXPECT_EQ(got->current_tier, 3);
    EXPECT_EQ(got->usage.daily_upload, 3u);
    EXPECT_EQ(got->usage.daily_download, 11u);
    EXPECT_EQ(got->usage.monthly_upload, 12u);
    EXPECT_EQ(got->usage.monthly_download, 13u);
    EXPECT_FALSE(live.get(8).has_value());
    EXPECT_EQ(live.size(), 1u);
}

TEST(LiveState, UpdateOverwritesTheNamedAndKeepsTheOthers) {
    LiveState live;
    live.update(std::vector<SubscriberLiveState>{row(1, 1), row(2, 2), row(65, 65)});
    live.update(std::vector<SubscriberLiveState>{row(2, 20)});
    EXPECT_EQ(live.get(1)->open_sessions, 1u);
    EXPECT_EQ(live.get(2)->open_sessions, 20u);
    EXPECT_EQ(live.get(2)->usage.monthly_download, 20u);
    EXPECT_EQ(live.get(65)->open_sessions, 65u);  // same shard as 1
    EXPECT_EQ(live.size(), 3u);
}

TEST(LiveState, UpdateWithARowOfZerosKeepsTheSubscriberKnown) {
    // A Stop that closes the last session leaves open_sessions 0 with usage: still a row.
    LiveState live;
    live.update(std::vector<SubscriberLiveState>{row(4, 9)});
    live.update(std::vector<SubscriberLiveState>{row(4, 0)});
    auto got = live.get(4);
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->open_sessions, 0u);
    EXPECT_EQ(got->usage.daily_upload, 0u);
}

TEST(LiveState, LaterRowOfOneSubscriberInABatchWins) {
    LiveState live;
    live.update(std::vector<SubscriberLiveState>{row(3, 1), row(3, 2)});
    EXPECT_EQ(live.get(3)->open_sessions, 2u);
    EXPECT_EQ(live.size(), 1u);
}

TEST(LiveState, ReplaceAllForgetsEveryoneNotListed) {
    LiveState live;
    live.update(std::vector<SubscriberLiveState>{row(1, 1), row(2, 2), row(3, 3)});
    live.replaceAll(std::vector<SubscriberLiveState>{row(2, 22), row(100, 100)});
    EXPECT_FALSE(live.get(1).has_value());
    EXPECT_FALSE(live.get(3).has_value());
    EXPECT_EQ(live.get(2)->open_sessions, 22u);
    EXPECT_EQ(live.get(100)->open_sessions, 100u);
    EXPECT_EQ(live.size(), 2u);

    live.replaceAll({});
    EXPECT_EQ(live.size(), 0u);
    EXPECT_FALSE(live.get(2).has_value());
}

TEST(LiveState, NegativeAndLargeIdsAreKeptApart) {
    LiveState live;
    live.update(std::vector<SubscriberLiveState>{row(-1, 1), row(INT64_MAX, 2), row(63, 3)});
    EXPECT_EQ(live.get(-1)->open_sessions, 1u);
    EXPECT_EQ(live.get(INT64_MAX)->open_sessions, 2u);
    EXPECT_EQ(live.get(63)->open_sessions, 3u);
    EXPECT_EQ(live.size(), 3u);
}

TEST(LiveState, ReadersBesideAWriterSeeWholeRowsThatOnlyMoveForward) {
    constexpr int64_t kIds = 200;
    constexpr uint64_t kRounds = 300;
    LiveState live;
    std::atomic<bool> done{false};
    std::atomic<uint64_t> torn{0}, backwards{0}, reads{0};
    std::atomic<int> running{0};  // readers that finished a first pass

    std::vector<std::thread> readers;
    for (int t = 0; t < 4; ++t) {
        readers.emplace_back([&] {
            std::vector<uint64_t> seen(kIds, 0);
            bool first_pass = true;
            while (!done.load()) {
                for (int64_t id = 0; id < kIds; ++id) {
                    auto got = live.get(id);
                    reads.fetch_add(1, std::memory_order_relaxed);
                    if (!got)
                        continue;
                    const uint64_t v = got->usage.daily_upload;
                    if (got->usage.daily_download != v || got->usage.monthly_upload != v ||
                        got->usage.monthly_download != v || got->open_sessions != v ||
                        got->current_tier != static_cast<int>(v % 4))
                        torn.fetch_add(1);
                    if (v < seen[id])
                        backwards.fetch_add(1);
                    seen[id] = v;
                }
                (void)live.size();
                if (first_pass) {
                    first_pass = false;
                    running.fetch_add(1);
                }
            }
        });
    }
    // The writer starts once every reader is reading (a busy machine may start threads late).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (running.load() < 4 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::yield();
    EXPECT_EQ(running.load(), 4) << "readers did not start";

    // The writer alternates the two ways rows change, always moving every row forward.
    std::vector<SubscriberLiveState> rows(kIds);
    for (uint64_t round = 1; round <= kRounds; ++round) {
        for (int64_t id = 0; id < kIds; ++id)
            rows[id] = row(id, round);
        if (round % 2)
            live.update(rows);
        else
            live.replaceAll(rows);
    }
    done = true;
    for (std::thread& th : readers)
        th.join();

    EXPECT_EQ(torn.load(), 0u);
    EXPECT_EQ(backwards.load(), 0u);
    EXPECT_GT(reads.load(), 0u);
    EXPECT_EQ(live.size(), static_cast<size_t>(kIds));
    for (int64_t id = 0; id < kIds; ++id)
        EXPECT_EQ(live.get(id)->usage.monthly_download, kRounds);
}

}  // namespace
}  // namespace gatehouse::store
