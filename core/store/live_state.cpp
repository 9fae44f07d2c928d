#include "core/store/live_state.hpp"

#include <mutex>

namespace gatehouse::store {

namespace {
policy::LiveCounters countersOf(const SubscriberLiveState& row) {
    policy::LiveCounters c;
    c.open_sessions = row.open_sessions;
    c.current_tier = row.current_tier;
    c.usage = row.usage;
    return c;
}
}  // namespace

std::optional<policy::LiveCounters> LiveState::get(int64_t subscriber_id) const {
    const Shard& shard = shardOf(subscriber_id);
    std::shared_lock lock(shard.mutex);
    auto it = shard.rows.find(subscriber_id);
    if (it == shard.rows.end())
        return std::nullopt;
    return it->second;
}

void LiveState::update(std::span<const SubscriberLiveState> rows) {
    for (const SubscriberLiveState& row : rows) {
        Shard& shard = shardOf(row.subscriber_id);
        std::unique_lock lock(shard.mutex);
        shard.rows[row.subscriber_id] = countersOf(row);
    }
}

void LiveState::replaceAll(std::span<const SubscriberLiveState> rows) {
    std::array<std::unordered_map<int64_t, policy::LiveCounters>, kShards> next;
    for (const SubscriberLiveState& row : rows)
        next[static_cast<uint64_t>(row.subscriber_id) % kShards][row.subscriber_id] =
            countersOf(row);
    for (size_t i = 0; i < kShards; ++i) {
        std::unique_lock lock(shards_[i].mutex);
        shards_[i].rows.swap(next[i]);
    }
}

size_t LiveState::size() const {
    size_t n = 0;
    for (const Shard& shard : shards_) {
        std::shared_lock lock(shard.mutex);
        n += shard.rows.size();
    }
    return n;
}

}  // namespace gatehouse::store
