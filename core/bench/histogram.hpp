#pragma once
// Latency histogram with log-linear buckets (the HdrHistogram layout): exact below 256 ns,
// then 128 buckets per power of two, so any recorded value is known within 1/128 (0.8%).
// Fixed size, no allocation per record; one per thread, merged at the end.
#include <array>
#include <cstddef>
#include <cstdint>

namespace gatehouse::bench {

class LatencyHistogram {
  public:
    static constexpr unsigned kSubBits = 7;
    static constexpr uint64_t kSubCount = uint64_t{1} << kSubBits;  // 128
    // 256 exact buckets, then shifts 1..56 (bit widths 9..64) of 128 buckets each.
    static constexpr size_t kBuckets = 2 * kSubCount + (64 - kSubBits - 1) * kSubCount;

    void record(uint64_t value);
    void merge(const LatencyHistogram& other);

    uint64_t count() const { return count_; }
    uint64_t min() const { return count_ == 0 ? 0 : min_; }
    uint64_t max() const { return max_; }
    double mean() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_) / count_; }

    /// The smallest recorded-bucket value v such that at least `percentile`% of the records
    /// are <= v, reported as the bucket's highest value (clamped to max()): never optimistic.
    /// percentile in [0, 100]; 0 gives min(). 0 when empty.
    uint64_t percentile(double percentile) const;

    static size_t bucketOf(uint64_t value);
    static uint64_t lowestIn(size_t bucket);
    static uint64_t highestIn(size_t bucket);

  private:
    std::array<uint64_t, kBuckets> counts_{};
    uint64_t count_ = 0;
    uint64_t min_ = UINT64_MAX;
    uint64_t max_ = 0;
    unsigned __int128 sum_ = 0;
};

}  // namespace gatehouse::bench
