#pragma once
// Open sessions, usage and FUP tier per subscriber, as accounting leaves them: written by the
// accounting writer after each durable batch, read by the Access pipeline for every request
// whose subscriber is known (simultaneous-use, FUP at login). Sharded maps behind shared
// mutexes: a reader takes one shard's lock in shared mode for a hash lookup, the writer
// takes it exclusively once per touched subscriber per batch.
#include <array>
#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <span>
#include <unordered_map>
#include <vector>

#include "core/policy/model.hpp"
#include "core/store/accounting_repository.hpp"

namespace gatehouse::store {

class LiveState {
  public:
    /// Thread-safe. nullopt: nothing known (no session, no usage this month).
    std::optional<policy::LiveCounters> get(int64_t subscriber_id) const;
    /// Thread-safe. Overwrites the subscribers named.
    void update(std::span<const SubscriberLiveState> rows);
    /// Thread-safe. Everything at once (start-up, a new day or month in the ISP's time zone).
    void replaceAll(std::span<const SubscriberLiveState> rows);
    size_t size() const;

  private:
    static constexpr size_t kShards = 64;
    struct Shard {
        mutable std::shared_mutex mutex;
        std::unordered_map<int64_t, policy::LiveCounters> rows;
    };
    Shard& shardOf(int64_t id) { return shards_[static_cast<uint64_t>(id) % kShards]; }
    const Shard& shardOf(int64_t id) const { return shards_[static_cast<uint64_t>(id) % kShards]; }
    std::array<Shard, kShards> shards_;
};

}  // namespace gatehouse::store
