// The rate forms the CoA verifier compares: Mikrotik-Rate-Limit values (reference vendors.md
// examples) against /queue/simple max-limit as RouterOS prints it.
#include <gtest/gtest.h>

#include "core/jobs/mikrotik_rate.hpp"

namespace gatehouse::jobs {
namespace {

RatePair attr(std::string_view v) {
    auto r = parseRateLimitAttribute(v);
    EXPECT_TRUE(r.has_value()) << v << ": " << (r ? "" : r.error());
    return r.value_or(RatePair{});
}

RatePair queue(std::string_view v) {
    auto r = parseQueueMaxLimit(v);
    EXPECT_TRUE(r.has_value()) << v << ": " << (r ? "" : r.error());
    return r.value_or(RatePair{});
}

TEST(RosRate, SuffixesAreDecimalMultipliers) {
    EXPECT_EQ(parseRosRate("0").value(), 0u);
    EXPECT_EQ(parseRosRate("2000000").value(), 2000000u);
    EXPECT_EQ(parseRosRate("512k").value(), 512000u);
    EXPECT_EQ(parseRosRate("512K").value(), 512000u);
    EXPECT_EQ(parseRosRate("2M").value(), 2000000u);
    EXPECT_EQ(parseRosRate("1G").value(), 1000000000u);
}

TEST(RosRate, FractionsAndOtherTextAreRefusedWithTheValue) {
    EXPECT_EQ(parseRosRate("1.5M").error(),
              "rate '1.5M' is not digits with an optional k, M or G suffix");
    EXPECT_EQ(parseRosRate("M").error(), "rate 'M' has no digits");
    EXPECT_EQ(parseRosRate("").error(), "empty rate");
    EXPECT_EQ(parseRosRate("2m").error(),
              "rate '2m' is not digits with an optional k, M or G suffix");
    EXPECT_EQ(parseRosRate("-1").error(),
              "rate '-1' is not digits with an optional k, M or G suffix");
    EXPECT_EQ(parseRosRate("99999999999999999999").error(),
              "rate '99999999999999999999' is too large");
    EXPECT_EQ(parseRosRate("99999999999G").error(), "rate '99999999999G' is too large");
}

TEST(RateLimitAttribute, FirstPairIsUploadThenDownload) {
    EXPECT_EQ(attr("2M/4M"), (RatePair{2000000, 4000000}));
    EXPECT_EQ(attr("64k/128M"), (RatePair{64000, 128000000}));
}

TEST(RateLimitAttribute, MissingTxEqualsRx) {
    EXPECT_EQ(attr("128k"), (RatePair{128000, 128000}));
    EXPECT_EQ(attr("64k 256k"), (RatePair{64000, 64000}));
}

TEST(RateLimitAttribute, BurstPartsAreIgnored) {
    EXPECT_EQ(attr("64k/64k 256k/256k 128k/128k 10/10"), (RatePair{64000, 64000}));
    EXPECT_EQ(attr("1M/2M 2M/4M 768k/1536k 16/16 8 512k/1M"), (RatePair{1000000, 2000000}));
    EXPECT_EQ(attr("  2M/4M  "), (RatePair{2000000, 4000000}));
}

TEST(RateLimitAttribute, ErrorNamesTheAttributeAndTheValue) {
    EXPECT_EQ(parseRateLimitAttribute("2M/fast 4M").error(),
              "Mikrotik-Rate-Limit '2M/fast 4M': rate 'fast' is not digits with an optional k, "
              "M or G suffix");
    EXPECT_EQ(parseRateLimitAttribute("").error(), "Mikrotik-Rate-Limit '': empty rate");
    EXPECT_EQ(parseRateLimitAttribute("2M/").error(), "Mikrotik-Rate-Limit '2M/': empty rate");
}

TEST(QueueMaxLimit, NumericAndSuffixedFormsReadTheSame) {
    EXPECT_EQ(queue("2000000/4000000"), (RatePair{2000000, 4000000}));
    EXPECT_EQ(queue("2M/4M"), (RatePair{2000000, 4000000}));
    EXPECT_EQ(queue("512k/1M"), (RatePair{512000, 1000000}));
    EXPECT_EQ(queue("0/0"), (RatePair{0, 0}));
    EXPECT_EQ(queue("2M/4M"), attr("2M/4M 4M/8M"));
    EXPECT_EQ(parseQueueMaxLimit("unlimited").error(),
              "max-limit 'unlimited': rate 'unlimited' is not digits with an optional k, M or G "
              "suffix");
}

TEST(RosRateFormat, ShortestExactForm) {
    EXPECT_EQ(formatRosRate(0), "0");
    EXPECT_EQ(formatRosRate(512000), "512k");
    EXPECT_EQ(formatRosRate(2000000), "2M");
    EXPECT_EQ(formatRosRate(1500000), "1500k");
    EXPECT_EQ(formatRosRate(1000000000), "1000M");
    EXPECT_EQ(formatRosRate(1234), "1234");
    EXPECT_EQ(formatRosRatePair({2000000, 4000000}), "2M/4M");
}

}  // namespace
}  // namespace gatehouse::jobs
