#include "core/bench/histogram.hpp"

#include <bit>
#include <cmath>

namespace gatehouse::bench {

// Buckets 0..255 hold one value each. Above that, a value with bit width b (b >= 9) keeps its
// top 8 bits: shift = b - 8 puts (value >> shift) in [128, 256), and each shift owns 128
// buckets after the first 256.
size_t LatencyHistogram::bucketOf(uint64_t value) {
    if (value < 2 * kSubCount)
        return static_cast<size_t>(value);
    unsigned shift = static_cast<unsigned>(std::bit_width(value)) - (kSubBits + 1);
    uint64_t sub = (value >> shift) - kSubCount;
    return static_cast<size_t>(2 * kSubCount + (shift - 1) * kSubCount + sub);
}

uint64_t LatencyHistogram::lowestIn(size_t bucket) {
    if (bucket < 2 * kSubCount)
        return bucket;
    size_t rest = bucket - 2 * kSubCount;
    unsigned shift = static_cast<unsigned>(rest / kSubCount) + 1;
    uint64_t sub = rest % kSubCount + kSubCount;
    return sub << shift;
}

uint64_t LatencyHistogram::highestIn(size_t bucket) {
    if (bucket < 2 * kSubCount)
        return bucket;
    size_t rest = bucket - 2 * kSubCount;
    unsigned shift = static_cast<unsigned>(rest / kSubCount) + 1;
    return lowestIn(bucket) + ((uint64_t{1} << shift) - 1);
}

void LatencyHistogram::record(uint64_t value) {
    ++counts_[bucketOf(value)];
    ++count_;
    sum_ += value;
    if (value < min_)
        min_ = value;
    if (value > max_)
        max_ = value;
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
    for (size_t i = 0; i < kBuckets; ++i)
        counts_[i] += other.counts_[i];
    count_ += other.count_;
    sum_ += other.sum_;
    if (other.min_ < min_)
        min_ = other.min_;
    if (other.max_ > max_)
        max_ = other.max_;
}

uint64_t LatencyHistogram::percentile(double percentile) const {
    if (count_ == 0)
        return 0;
    if (percentile <= 0)
        return min_;
    if (percentile > 100)
        percentile = 100;
    // Rank of the record that splits the data: ceil(p% of count), at least 1.
    auto rank = static_cast<uint64_t>(std::ceil(percentile * static_cast<double>(count_) / 100.0));
    if (rank < 1)
        rank = 1;
    if (rank > count_)
        rank = count_;
    uint64_t seen = 0;
    for (size_t i = 0; i < kBuckets; ++i) {
        seen += counts_[i];
        if (seen >= rank) {
            uint64_t v = highestIn(i);
            return v < max_ ? v : max_;
        }
    }
    return max_;
}

}  // namespace gatehouse::bench
