#include <gtest/gtest.h>

#include <string>

#include "core/radius/value.hpp"
#include "tests/unit/radius/codec_test_dict.hpp"

namespace gatehouse::radius {
namespace {

const Dictionary& dict() {
    return test::codecDict();
}

AttrDef typed(DataType t, std::string name = "Test-Attr") {
    AttrDef d;
    d.name = std::move(name);
    d.number = 250;
    d.type = t;
    return d;
}

// text -> wire hex -> text (canonical form)
void roundTrip(const AttrDef& d, std::string_view text, std::string_view wire_hex,
               std::string_view canonical = {}) {
    auto v = parseValue(dict(), d, text);
    ASSERT_TRUE(v.has_value()) << d.name << " '" << text << "': " << v.error().message;
    EXPECT_EQ(toHex(*v), wire_hex) << d.name << " '" << text << "'";
    EXPECT_EQ(formatValue(dict(), d, *v), canonical.empty() ? text : canonical) << d.name;
    EXPECT_TRUE(validSize(d, v->size()));
}

void rejects(const AttrDef& d, std::string_view text, ValueError::Kind kind,
             std::string_view message) {
    auto v = parseValue(dict(), d, text);
    ASSERT_FALSE(v.has_value()) << d.name << " '" << text << "' parsed as " << toHex(*v);
    EXPECT_EQ(v.error().kind, kind) << v.error().message;
    EXPECT_EQ(v.error().message, message);
}

TEST(Value, StringsAreQuotedWithEscapesAndParseBothWays) {
    const AttrDef& d = *dict().byName("Reply-Message");
    roundTrip(d, "Hello alice", "48656c6c6f20616c696365", "\"Hello alice\"");
    roundTrip(d, "\"Hello alice\"", "48656c6c6f20616c696365");
    roundTrip(d, "\"a\\\"b\\\\c\\n\\r\\t\\x01\"", "6122625c630a0d0901");
    roundTrip(d, "\"caf\xc3\xa9\"", "636166c3a9");                             // UTF-8 kept as is
    EXPECT_EQ(formatValue(dict(), d, fromHex("ff41").value()), "\"\\xffA\"");  // not UTF-8
    roundTrip(d, "0x41", "30783431", "\"0x41\"");  // a string is never hex
    roundTrip(d, "", "", "\"\"");
    rejects(d, std::string(254, 'a'), ValueError::kTooLong,
            "Reply-Message: value over 253 octets '" + std::string(254, 'a') + "'");
    rejects(d, "\"a\\qb\"", ValueError::kBadText, "Reply-Message: bad quoted string '\"a\\qb\"'");
    rejects(d, "\"a\"b\"", ValueError::kBadText, "Reply-Message: bad quoted string '\"a\"b\"'");
}

TEST(Value, OctetsAreHex) {
    const AttrDef& d = *dict().byName("Class");
    roundTrip(d, "0x0102ff", "0102ff");
    roundTrip(d, "0x", "", "0x");
    roundTrip(d, "abc", "616263", "0x616263");  // bare text is taken literally
    rejects(d, "0x0g", ValueError::kBadText, "Class: bad hex '0x0g'");
    rejects(d, "0x123", ValueError::kBadText, "Class: bad hex '0x123'");
    const AttrDef& fixed = *dict().byName("MS-CHAP2-Response");  // octets[50]
    rejects(fixed, "0x0102", ValueError::kWrongSize,
            "MS-CHAP2-Response: wrong size for octets '0x0102'");
    // Long values only for concat attributes.
    const AttrDef& eap = *dict().byName("EAP-Message");
    auto v = parseValue(dict(), eap, "0x" + std::string(600, 'a'));
    ASSERT_TRUE(v.has_value());
    EXPECT_EQ(v->size(), 300u);
}

TEST(Value, IntegersTakeDecimalHexAndValueNames) {
    const AttrDef& d = *dict().byName("Session-Timeout");
    roundTrip(d, "3600", "00000e10");
    roundTrip(d, "0x10", "00000010", "16");
    roundTrip(d, "4294967295", "ffffffff");
    rejects(d, "4294967296", ValueError::kOutOfRange,
            "Session-Timeout: number out of range '4294967296'");
    rejects(d, "-1", ValueError::kUnknownValueName, "Session-Timeout: unknown VALUE '-1'");
    rejects(d, "12ab", ValueError::kBadText, "Session-Timeout: bad number '12ab'");
    rejects(d, "", ValueError::kUnknownValueName, "Session-Timeout: unknown VALUE ''");
    const AttrDef& st = *dict().byName("Acct-Status-Type");
    roundTrip(st, "Start", "00000001");
    roundTrip(st, "Interim-Update", "00000003");
    roundTrip(st, "1", "00000001", "Start");
    roundTrip(st, "999", "000003e7");  // no name: decimal
    rejects(st, "Begin", ValueError::kUnknownValueName, "Acct-Status-Type: unknown VALUE 'Begin'");
    // Wrong size shows as hex.
    EXPECT_EQ(formatValue(dict(), d, fromHex("000e10").value()), "0x000e10");
}

TEST(Value, SignedInteger64ByteShort) {
    roundTrip(typed(DataType::kSigned), "-2", "fffffffe");
    roundTrip(typed(DataType::kSigned), "2147483647", "7fffffff");
    rejects(typed(DataType::kSigned), "2147483648", ValueError::kOutOfRange,
            "Test-Attr: signed number out of range '2147483648'");
    rejects(typed(DataType::kSigned), "1x", ValueError::kBadText,
            "Test-Attr: bad signed number '1x'");
    roundTrip(typed(DataType::kInteger64), "8589935592", "00000002000003e8");
    roundTrip(typed(DataType::kInteger64), "18446744073709551615", "ffffffffffffffff");
    rejects(typed(DataType::kInteger64), "18446744073709551616", ValueError::kOutOfRange,
            "Test-Attr: number out of range '18446744073709551616'");
    roundTrip(typed(DataType::kByte), "255", "ff");
    rejects(typed(DataType::kByte), "256", ValueError::kOutOfRange,
            "Test-Attr: number out of range '256'");
    roundTrip(typed(DataType::kShort), "0xffff", "ffff", "65535");
    rejects(typed(DataType::kShort), "65536", ValueError::kOutOfRange,
            "Test-Attr: number out of range '65536'");
}

TEST(Value, DatesAreSecondsOrIsoUtc) {
    const AttrDef& d = *dict().byName("Event-Timestamp");
    roundTrip(d, "2023-11-14T22:13:20Z", "6553f100");
    roundTrip(d, "1700000000", "6553f100", "2023-11-14T22:13:20Z");
    roundTrip(d, "0", "00000000", "1970-01-01T00:00:00Z");
    roundTrip(d, "2106-02-07T06:28:15Z", "ffffffff");
    roundTrip(d, "2024-02-29T00:00:00Z", "65dfc900");
    rejects(d, "2023-02-29T00:00:00Z", ValueError::kBadText,
            "Event-Timestamp: bad date (seconds or YYYY-MM-DDTHH:MM:SSZ) '2023-02-29T00:00:00Z'");
    rejects(d, "2023-11-14 22:13:20", ValueError::kBadText,
            "Event-Timestamp: bad date (seconds or YYYY-MM-DDTHH:MM:SSZ) '2023-11-14 22:13:20'");
    rejects(d, "2106-02-07T06:28:16Z", ValueError::kOutOfRange,
            "Event-Timestamp: date out of range '2106-02-07T06:28:16Z'");
    rejects(d, "1969-12-31T23:59:59Z", ValueError::kOutOfRange,
            "Event-Timestamp: date out of range '1969-12-31T23:59:59Z'");
}

TEST(Value, Ipv4AndIpv6Addresses) {
    const AttrDef& d = *dict().byName("Framed-IP-Address");
    roundTrip(d, "10.0.0.5", "0a000005");
    roundTrip(d, "255.255.255.254", "fffffffe");
    rejects(d, "10.0.0", ValueError::kBadText, "Framed-IP-Address: bad IPv4 '10.0.0'");
    rejects(d, "10.0.0.256", ValueError::kBadText, "Framed-IP-Address: bad IPv4 '10.0.0.256'");
    rejects(d, "0x0a0000", ValueError::kWrongSize,
            "Framed-IP-Address: wrong size for ipaddr '0x0a0000'");
    roundTrip(d, "0x0a000005", "0a000005", "10.0.0.5");
    const AttrDef& v6 = *dict().byName("NAS-IPv6-Address");
    roundTrip(v6, "2001:db8::1", "20010db8000000000000000000000001");
    roundTrip(v6, "2001:DB8:0:0::1", "20010db8000000000000000000000001", "2001:db8::1");
    rejects(v6, "2001:db8::g", ValueError::kBadText, "NAS-IPv6-Address: bad IPv6 '2001:db8::g'");
    const AttrDef combo = typed(DataType::kComboIp);
    roundTrip(combo, "192.0.2.1", "c0000201");
    roundTrip(combo, "::1", "00000000000000000000000000000001");
}

TEST(Value, PrefixesCarryOnlyNeededOctetsAndRefuseHostBits) {
    const AttrDef& d = *dict().byName("Framed-IPv6-Prefix");
    roundTrip(d, "2001:db8::/32", "002020010db8");
    roundTrip(d, "2001:db8:0:ff00::/56", "003820010db80000ff");
    roundTrip(d, "::/0", "0000");
    roundTrip(d, "2001:db8::1", "008020010db8000000000000000000000001", "2001:db8::1/128");
    rejects(d, "2001:db8::1/32", ValueError::kBadText,
            "Framed-IPv6-Prefix: bits set past the prefix length '2001:db8::1/32'");
    rejects(d, "2001:db8::/129", ValueError::kBadText,
            "Framed-IPv6-Prefix: bad IPv6 prefix '2001:db8::/129'");
    // Received values with bits past the length, or a length past the octets: hex.
    EXPECT_EQ(formatValue(dict(), d, fromHex("002020010db9ff").value()), "0x002020010db9ff");
    EXPECT_EQ(formatValue(dict(), d, fromHex("004020010db8").value()), "0x004020010db8");
    // Zero-padded to 16 octets (as some NASes send) is fine.
    EXPECT_EQ(formatValue(dict(), d, fromHex("004020010db800000000000000000000000000").value()),
              "0x004020010db800000000000000000000000000");
    EXPECT_EQ(formatValue(dict(), d, fromHex("004020010db8000000000000000000000000").value()),
              "2001:db8::/64");
    const AttrDef v4 = typed(DataType::kIpv4Prefix);
    roundTrip(v4, "10.0.0.0/8", "00080a000000");
    roundTrip(v4, "192.0.2.1", "0020c0000201", "192.0.2.1/32");
    rejects(v4, "10.0.0.1/8", ValueError::kBadText,
            "Test-Attr: bits set past the prefix length '10.0.0.1/8'");
    rejects(v4, "10.0.0.0/33", ValueError::kBadText, "Test-Attr: bad IPv4 prefix '10.0.0.0/33'");
}

TEST(Value, InterfaceIdEtherAndOpaqueTypes) {
    const AttrDef& ifid = *dict().byName("Framed-Interface-Id");
    roundTrip(ifid, "0011:2233:4455:6677", "0011223344556677");
    roundTrip(ifid, "11:2233:4455:6677", "0011223344556677", "0011:2233:4455:6677");
    rejects(ifid, "0011:2233:4455", ValueError::kBadText,
            "Framed-Interface-Id: bad interface id (xxxx:xxxx:xxxx:xxxx) '0011:2233:4455'");
    const AttrDef ether = typed(DataType::kEther);
    roundTrip(ether, "00:11:22:aa:bb:cc", "001122aabbcc");
    roundTrip(ether, "00-11-22-AA-BB-CC", "001122aabbcc", "00:11:22:aa:bb:cc");
    rejects(ether, "00:11:22:aa:bb", ValueError::kBadText,
            "Test-Attr: bad MAC address '00:11:22:aa:bb'");
    const AttrDef abinary = typed(DataType::kAbinary);
    roundTrip(abinary, "0x0101", "0101");
    rejects(abinary, "ip in forward", ValueError::kBadText,
            "Test-Attr: expected 0x-hex 'ip in forward'");
}

TEST(Value, TlvFormatsChildrenRecursively) {
    const AttrDef& d = *dict().byName("IP-Port-Limit-Info");
    const Bytes v = fromHex("010600000001020600000400").value();
    EXPECT_EQ(formatValue(dict(), d, v), "{ IP-Port-Type = 1, IP-Port-Limit = 1024 }");
    EXPECT_EQ(formatValue(dict(), d, fromHex("0106000000").value()), "0x0106000000");
    EXPECT_EQ(formatValue(dict(), d, fromHex("6303ff").value()), "{ Attr-99 = 0xff }");
    roundTrip(d, "0x010600000001", "010600000001", "{ IP-Port-Type = 1 }");
}

TEST(Value, ValidSizeFollowsTheType) {
    EXPECT_TRUE(validSize(typed(DataType::kString), 0));
    EXPECT_TRUE(validSize(typed(DataType::kString), 253));
    EXPECT_FALSE(validSize(typed(DataType::kString), 254));
    EXPECT_TRUE(validSize(typed(DataType::kInteger), 4));
    EXPECT_FALSE(validSize(typed(DataType::kInteger), 3));
    EXPECT_FALSE(validSize(typed(DataType::kIpv6Prefix), 1));
    EXPECT_TRUE(validSize(typed(DataType::kIpv6Prefix), 18));
    EXPECT_FALSE(validSize(typed(DataType::kIpv6Prefix), 19));
    EXPECT_TRUE(validSize(typed(DataType::kComboIp), 16));
    EXPECT_FALSE(validSize(typed(DataType::kComboIp), 8));
    AttrDef arr = typed(DataType::kInteger);
    arr.array = true;
    EXPECT_TRUE(validSize(arr, 12));
    EXPECT_FALSE(validSize(arr, 6));
    EXPECT_EQ(formatValue(dict(), arr, fromHex("000000010000000a").value()), "1, 10");
    EXPECT_TRUE(validSize(*dict().byName("MS-CHAP2-Response"), 50));
    EXPECT_FALSE(validSize(*dict().byName("MS-CHAP2-Response"), 49));
}

TEST(Value, FormatsPacketInRadclientStyle) {
    const Bytes w = fromHex(
                        "02420036f51db13db927077a1caf0bb665c1297a120d48656c6c6f20616c6963651a0f0000"
                        "3a8c080931304d"
                        "2f32304d08060a000005")
                        .value();
    auto p = decodePacket(w, dict());
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(formatPacket(dict(), *p),
              "Reply-Message = \"Hello alice\"\nMikrotik-Rate-Limit = \"10M/20M\"\n"
              "Framed-IP-Address = 10.0.0.5\n");
}

}  // namespace
}  // namespace gatehouse::radius
