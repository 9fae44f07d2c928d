#include "core/store/accounting_record.hpp"

#include <gtest/gtest.h>

namespace gatehouse::store {
namespace {

AccountingRecord fullRecord() {
    AccountingRecord r;
    r.status = AcctStatus::kStop;
    r.event_time = 1700000000;
    r.received_at = -5;  // signed fields keep their sign
    r.session_id = "81200003";
    r.unique_id = "f3a9c2d4e5b60718";
    r.username = "alice@isp";
    r.subscriber_id = 42;
    r.nas_id = 7;
    r.nas_ip = 0x0a000001;
    r.nas_port_id = "ether1.100";
    r.nas_port_type = "";  // empty strings survive
    r.framed_ip = 0x64400005;
    r.calling_station_id = "AA:BB:CC:DD:EE:FF";
    r.called_station_id = "";
    r.session_time = 3600;
    r.input_octets = uint64_t{1} << 40;
    r.output_octets = (uint64_t{1} << 40) + 12345;
    r.terminate_cause = "User-Request";
    r.tags = {"fup", "", "vip"};
    return r;
}

TEST(AccountingRecord, RoundTripsEveryField) {
    AccountingRecord r = fullRecord();
    Bytes wire;
    serialize(r, wire);
    std::span<const uint8_t> in(wire);
    auto back = deserialize(in);
    ASSERT_TRUE(back.has_value()) << back.error();
    EXPECT_EQ(*back, r);
    EXPECT_TRUE(in.empty());
}

TEST(AccountingRecord, RoundTripsAbsentFramedIpAndNoTags) {
    AccountingRecord r = fullRecord();
    r.framed_ip = std::nullopt;
    r.tags.clear();
    r.status = AcctStatus::kAccountingOn;
    r.session_id.clear();
    Bytes wire;
    serialize(r, wire);
    std::span<const uint8_t> in(wire);
    auto back = deserialize(in);
    ASSERT_TRUE(back.has_value()) << back.error();
    EXPECT_EQ(*back, r);
    EXPECT_FALSE(back->framed_ip.has_value());
}

TEST(AccountingRecord, SerializeIsDeterministicAndAppends) {
    Bytes a{0xee};
    Bytes b;
    serialize(fullRecord(), a);
    serialize(fullRecord(), b);
    ASSERT_EQ(a.size(), b.size() + 1);
    EXPECT_EQ(a[0], 0xee);
    EXPECT_TRUE(std::equal(b.begin(), b.end(), a.begin() + 1));
}

TEST(AccountingRecord, ReadsRecordsBackToBackAdvancingTheSpan) {
    AccountingRecord first = fullRecord();
    AccountingRecord second = fullRecord();
    second.username = "bob";
    second.framed_ip.reset();
    Bytes wire;
    serialize(first, wire);
    serialize(second, wire);
    std::span<const uint8_t> in(wire);
    auto a = deserialize(in);
    ASSERT_TRUE(a.has_value()) << a.error();
    auto b = deserialize(in);
    ASSERT_TRUE(b.has_value()) << b.error();
    EXPECT_EQ(*a, first);
    EXPECT_EQ(*b, second);
    EXPECT_TRUE(in.empty());
}

TEST(AccountingRecord, EveryTruncationIsAnErrorAndLeavesTheSpanAlone) {
    for (bool with_ip : {true, false}) {
        AccountingRecord r = fullRecord();
        if (!with_ip)
            r.framed_ip.reset();
        Bytes wire;
        serialize(r, wire);
        for (size_t len = 0; len < wire.size(); ++len) {
            std::span<const uint8_t> in(wire.data(), len);
            auto back = deserialize(in);
            ASSERT_FALSE(back.has_value()) << "prefix of " << len << " bytes decoded";
            EXPECT_TRUE(back.error().starts_with("truncated ")) << len << ": " << back.error();
            EXPECT_EQ(in.size(), len);
        }
    }
}

TEST(AccountingRecord, TruncationErrorsNameTheField) {
    Bytes wire;
    serialize(fullRecord(), wire);
    auto errorAt = [&](size_t len) {
        std::span<const uint8_t> in(wire.data(), len);
        return deserialize(in).error();
    };
    EXPECT_EQ(errorAt(0), "truncated version");
    EXPECT_EQ(errorAt(1), "truncated status");
    EXPECT_EQ(errorAt(2), "truncated event_time");
    EXPECT_EQ(errorAt(18), "truncated session_id");          // no length at all
    EXPECT_EQ(errorAt(18 + 4 + 3), "truncated session_id");  // 3 of its 8 octets
    EXPECT_EQ(errorAt(wire.size() - 1), "truncated tag");
}

TEST(AccountingRecord, RejectsUnknownVersion) {
    Bytes wire;
    serialize(fullRecord(), wire);
    wire[0] = 9;
    std::span<const uint8_t> in(wire);
    auto back = deserialize(in);
    ASSERT_FALSE(back.has_value());
    EXPECT_EQ(back.error(), "unknown version 9");
}

TEST(AccountingRecord, RejectsBadStatus) {
    Bytes wire;
    serialize(fullRecord(), wire);
    wire[1] = 5;
    std::span<const uint8_t> in(wire);
    auto back = deserialize(in);
    ASSERT_FALSE(back.has_value());
    EXPECT_EQ(back.error(), "bad status 5");
}

TEST(AccountingRecord, RejectsFramedIpPresenceOtherThanZeroOrOne) {
    Bytes wire;
    serialize(fullRecord(), wire);
    // version, status, two i64, three strings (length + content), two i64, u32, two strings
    size_t at = 1 + 1 + 8 + 8;
    for (size_t i = 0; i < 3; ++i)
        at += 4 + wire[at];  // every string here is shorter than 256 octets
    at += 8 + 8 + 4;
    for (size_t i = 0; i < 2; ++i)
        at += 4 + wire[at];
    ASSERT_EQ(wire[at], 1);
    wire[at] = 2;
    std::span<const uint8_t> in(wire);
    auto back = deserialize(in);
    ASSERT_FALSE(back.has_value());
    EXPECT_EQ(back.error(), "bad framed_ip presence 2");
}

TEST(AccountingRecord, RejectsTagCountTheInputCannotHold) {
    AccountingRecord r = fullRecord();
    r.tags.clear();
    Bytes wire;
    serialize(r, wire);
    // The tag count is the last field: claim four billion tags.
    for (size_t i = wire.size() - 4; i < wire.size(); ++i)
        wire[i] = 0xff;
    std::span<const uint8_t> in(wire);
    auto back = deserialize(in);
    ASSERT_FALSE(back.has_value());
    EXPECT_EQ(back.error(), "truncated tags");
}

}  // namespace
}  // namespace gatehouse::store
