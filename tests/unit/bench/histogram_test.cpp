#include "core/bench/histogram.hpp"

#include <gtest/gtest.h>

namespace gatehouse::bench {
namespace {

TEST(LatencyHistogram, EmptyReportsZero) {
    LatencyHistogram h;
    EXPECT_EQ(h.count(), 0u);
    EXPECT_EQ(h.min(), 0u);
    EXPECT_EQ(h.max(), 0u);
    EXPECT_EQ(h.percentile(50), 0u);
}

TEST(LatencyHistogram, PercentilesExactForValuesBelow256) {
    LatencyHistogram h;
    for (uint64_t v = 1; v <= 100; ++v)
        h.record(v);
    EXPECT_EQ(h.count(), 100u);
    EXPECT_EQ(h.min(), 1u);
    EXPECT_EQ(h.max(), 100u);
    EXPECT_EQ(h.percentile(0), 1u);
    EXPECT_EQ(h.percentile(50), 50u);  // rank ceil(50) = 50
    EXPECT_EQ(h.percentile(99), 99u);
    EXPECT_EQ(h.percentile(99.9), 100u);  // rank ceil(99.9) = 100
    EXPECT_EQ(h.percentile(100), 100u);
    EXPECT_DOUBLE_EQ(h.mean(), 50.5);
}

TEST(LatencyHistogram, PercentileOfSkewedDataPicksTheRankedRecord) {
    LatencyHistogram h;
    for (int i = 0; i < 990; ++i)
        h.record(10);
    for (int i = 0; i < 10; ++i)
        h.record(200);
    EXPECT_EQ(h.percentile(50), 10u);
    EXPECT_EQ(h.percentile(99), 10u);     // rank 990 is still a 10
    EXPECT_EQ(h.percentile(99.1), 200u);  // rank 991
    EXPECT_EQ(h.max(), 200u);
}

TEST(LatencyHistogram, BucketBoundsAreLogLinear) {
    // Exact below 256; above, 128 buckets per power of two.
    EXPECT_EQ(LatencyHistogram::bucketOf(255), 255u);
    EXPECT_EQ(LatencyHistogram::bucketOf(256), 256u);
    EXPECT_EQ(LatencyHistogram::bucketOf(257), 256u);  // width 2 from 256 to 511
    EXPECT_EQ(LatencyHistogram::bucketOf(258), 257u);
    EXPECT_EQ(LatencyHistogram::lowestIn(257), 258u);
    EXPECT_EQ(LatencyHistogram::highestIn(257), 259u);
    EXPECT_EQ(LatencyHistogram::bucketOf(512), 384u);  // width 4 from 512
    EXPECT_EQ(LatencyHistogram::highestIn(384), 515u);
    for (uint64_t v : {uint64_t{1000}, uint64_t{123456789}, uint64_t{1} << 40, UINT64_MAX}) {
        const size_t b = LatencyHistogram::bucketOf(v);
        ASSERT_LT(b, LatencyHistogram::kBuckets);
        EXPECT_LE(LatencyHistogram::lowestIn(b), v);
        EXPECT_GE(LatencyHistogram::highestIn(b), v);
        // Relative width under 1/128.
        EXPECT_LE(LatencyHistogram::highestIn(b) - LatencyHistogram::lowestIn(b), v / 128);
    }
}

TEST(LatencyHistogram, LargeValuesReportBucketTopClampedToMax) {
    LatencyHistogram h;
    h.record(1'000'000);  // bucket [999424, 1003519]
    h.record(2'000'000);
    EXPECT_EQ(h.percentile(50), 1'003'519u);   // never optimistic: the bucket's top
    EXPECT_EQ(h.percentile(100), 2'000'000u);  // clamped to the exact max
}

TEST(LatencyHistogram, MergeAddsCountsAndKeepsExtremes) {
    LatencyHistogram a, b;
    a.record(5);
    a.record(7);
    b.record(3);
    b.record(100);
    a.merge(b);
    EXPECT_EQ(a.count(), 4u);
    EXPECT_EQ(a.min(), 3u);
    EXPECT_EQ(a.max(), 100u);
    EXPECT_EQ(a.percentile(50), 5u);
    EXPECT_EQ(a.percentile(75), 7u);
}

}  // namespace
}  // namespace gatehouse::bench
