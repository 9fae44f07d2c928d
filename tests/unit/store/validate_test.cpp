#include "core/store/validate.hpp"

#include <gtest/gtest.h>

namespace gatehouse::store {
namespace {

TEST(ParseIpv4, AcceptsDottedQuad) {
    auto ip = parseIpv4("10.0.0.1", "ip");
    ASSERT_TRUE(ip.has_value());
    EXPECT_EQ(*ip, 0x0a000001u);
    EXPECT_EQ(formatIpv4(*ip), "10.0.0.1");
}

TEST(ParseIpv4, RejectsMalformedNamingTheField) {
    for (const char* bad : {"10.0.0.300", "10.0.0", "10.0.0.1.2", "", "a.b.c.d", "10.0.0.01",
                            "10..0.1", "10.0.0.", "-1.0.0.1", "1.2.3.4/32"}) {
        auto ip = parseIpv4(bad, "static_ip");
        ASSERT_FALSE(ip.has_value()) << bad;
        EXPECT_EQ(ip.error().kind, StoreErrorKind::kInvalid);
        EXPECT_EQ(ip.error().field, "static_ip");
    }
}

TEST(ParseRate, UnderstandsDecimalSuffixes) {
    EXPECT_EQ(*parseRate("20M", "download"), 20000000u);
    EXPECT_EQ(*parseRate("512k", "download"), 512000u);
    EXPECT_EQ(*parseRate("1.5G", "download"), 1500000000u);
    EXPECT_EQ(*parseRate("1000", "download"), 1000u);
}

TEST(ParseRate, RejectsGarbageNamingTheField) {
    for (const char* bad : {"", "M", "20X", "-5M", "fast"}) {
        auto r = parseRate(bad, "upload");
        ASSERT_FALSE(r.has_value()) << bad;
        EXPECT_EQ(r.error().field, "upload");
    }
}

TEST(ParseMac, NormalisesSeparatorsAndCase) {
    EXPECT_EQ(*parseMac("aa-bb-cc-dd-ee-ff", "mac"), "AA:BB:CC:DD:EE:FF");
    EXPECT_EQ(*parseMac("aabb.ccdd.eeff", "mac"), "AA:BB:CC:DD:EE:FF");
    EXPECT_FALSE(parseMac("aa:bb:cc:dd:ee", "mac").has_value());
    EXPECT_FALSE(parseMac("gg:bb:cc:dd:ee:ff", "mac").has_value());
}

TEST(ParseExpiry, DateMeansEndOfThatDayUtc) {
    auto e = parseExpiry("2026-12-31", "expires");
    ASSERT_TRUE(e.has_value());
    ASSERT_TRUE(e->has_value());
    EXPECT_EQ(formatTime(**e), "2026-12-31T23:59:59Z");
}

TEST(ParseExpiry, InstantAndNever) {
    EXPECT_EQ(formatTime(**parseExpiry("2026-01-02T03:04:05Z", "expires")), "2026-01-02T03:04:05Z");
    EXPECT_FALSE(parseExpiry("never", "expires")->has_value());
    EXPECT_FALSE(parseExpiry("", "expires")->has_value());
}

TEST(ParseExpiry, RejectsImpossibleDates) {
    for (const char* bad : {"2026-02-30", "2025-02-29", "2026-13-01", "31/12/2026", "2026-1-1"}) {
        auto e = parseExpiry(bad, "expires");
        ASSERT_FALSE(e.has_value()) << bad;
        EXPECT_EQ(e.error().field, "expires");
    }
    EXPECT_TRUE(parseExpiry("2024-02-29", "expires").has_value());
}

TEST(CheckUsername, RefusesEmptyLongAndControlCharacters) {
    EXPECT_FALSE(checkUsername("", "username").has_value());
    EXPECT_FALSE(checkUsername(std::string(254, 'a'), "username").has_value());
    EXPECT_FALSE(checkUsername("a\tb", "username").has_value());
    EXPECT_FALSE(checkUsername(" alice", "username").has_value());
    EXPECT_TRUE(checkUsername("alice@isp.example", "username").has_value());
}

}  // namespace
}  // namespace gatehouse::store
