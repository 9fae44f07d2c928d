#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "core/radius/packet.hpp"
#include "tests/unit/radius/codec_test_dict.hpp"

namespace gatehouse::radius {
namespace {

const Dictionary& dict() {
    return test::codecDict();
}

Bytes hex(std::string_view h) {
    return fromHex(h).value();
}

// Sets the Length field to the size of the buffer.
Bytes withLength(Bytes p) {
    storeBe16(p.data() + 2, static_cast<uint16_t>(p.size()));
    return p;
}

Bytes accept(std::string_view attrs_hex) {
    return withLength(
        hex("02420000"
            "00112233445566778899aabbccddeeff" +
            std::string(attrs_hex)));
}

// test-vectors.md 1, RFC 2865 7.1.
const char* kRfc71Request =
    "010000380f403f9473978057bd83d5cb98f4227a01066e656d6f02120dbe708d93d413ce3196e43f782a0aee0406"
    "c0a80110050600000003";
// test-vectors.md 2a.
const char* k2aRequest =
    "0142004500112233445566778899aabbccddeeff5012b8d1fdf7ffcd7be710708c4430cc21370107616c69636502"
    "127ad1fdc99f0d03593966d16d25fb04c804067f000001";

void expectError(ByteSpan wire, DecodeError::Kind kind, const char* field, uint32_t offset,
                 uint32_t length) {
    auto r = decodePacket(wire, dict());
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(decodeErrorName(r.error().kind), decodeErrorName(kind)) << describe(r.error());
    EXPECT_STREQ(r.error().field, field);
    EXPECT_EQ(r.error().offset, offset);
    EXPECT_EQ(r.error().length, length);
}

TEST(Decode, ReadsHeaderAndAttributesOfRfc2865Request) {
    const Bytes w = hex(kRfc71Request);
    auto r = decodePacket(w, dict());
    ASSERT_TRUE(r.has_value()) << describe(r.error());
    const Packet& p = *r;
    EXPECT_EQ(p.code(), Code::kAccessRequest);
    EXPECT_EQ(p.id(), 0);
    EXPECT_EQ(p.wire().size(), 0x38u);
    EXPECT_EQ(toHex(ByteSpan(p.authenticator(), 16)), "0f403f9473978057bd83d5cb98f4227a");
    ASSERT_EQ(p.attributes().size(), 4u);
    const AttrRef& name = p.attributes()[0];
    EXPECT_EQ(name.type, attr::kUserName);
    EXPECT_EQ(name.vendor, 0u);
    EXPECT_EQ(name.attr_offset, 20);
    EXPECT_EQ(name.value_offset, 22);
    EXPECT_EQ(name.value_length, 4);
    EXPECT_EQ(p.text(name), "nemo");
    ASSERT_NE(name.def, nullptr);
    EXPECT_EQ(name.def->name, "User-Name");
    EXPECT_EQ(p.attributes()[3].flags, 0);
    EXPECT_EQ(loadBe32(p.value(p.attributes()[3]).data()), 3u);
    EXPECT_EQ(p.messageAuthenticator(), nullptr);
}

TEST(Decode, IgnoresOctetsPastLength) {
    Bytes w = hex(k2aRequest);
    w.push_back(0xde);
    w.push_back(0xad);
    auto r = decodePacket(w, dict());
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->wire().size(), 0x45u);
    EXPECT_EQ(r->attributes().size(), 4u);
}

TEST(Decode, RejectsBadHeaders) {
    const Bytes w = hex(k2aRequest);
    expectError(ByteSpan(w).first(19), DecodeError::kTooShort, "header", 0, 19);
    expectError({}, DecodeError::kTooShort, "header", 0, 0);
    Bytes l = w;
    storeBe16(l.data() + 2, 19);
    expectError(l, DecodeError::kBadLength, "header", 2, 19);
    storeBe16(l.data() + 2, 4097);
    expectError(l, DecodeError::kBadLength, "header", 2, 4097);
    expectError(ByteSpan(w).first(w.size() - 1), DecodeError::kTruncated, "header", 2, 69);
    Bytes c = w;
    c[0] = 6;
    expectError(c, DecodeError::kUnknownCode, "header", 0, 6);
}

TEST(Decode, AcceptsEveryKnownCode) {
    for (uint8_t code : {1, 2, 3, 4, 5, 11, 12, 13, 40, 41, 42, 43, 44, 45, 52}) {
        Bytes w = hex(k2aRequest);
        w[0] = code;
        EXPECT_TRUE(decodePacket(w, dict()).has_value()) << int(code);
    }
}

TEST(Decode, RejectsAttributeLengthUnderTwoAndOverrun) {
    Bytes w = hex(k2aRequest);
    w[39] = 0;
    expectError(w, DecodeError::kAttrTooShort, "attribute", 38, 0);
    w[39] = 1;
    expectError(w, DecodeError::kAttrTooShort, "attribute", 38, 1);
    w = hex(k2aRequest);
    w[64] = 7;
    expectError(w, DecodeError::kAttrOverrun, "attribute", 63, 7);
    w = hex(k2aRequest);
    w.push_back(0x05);
    expectError(withLength(w), DecodeError::kAttrTooShort, "attribute", 69, 1);
}

TEST(Decode, SplitsSeveralSubAttributesOfOneVendorSpecific) {
    // MikroTik Rate-Limit "10M/20M", Group "vlan10", Address-List "blocked" in one VSA.
    const Bytes w = accept("1a2000003a8c080931304d2f32304d0308766c616e3130130962 6c6f636b6564");
    auto r = decodePacket(w, dict());
    ASSERT_TRUE(r.has_value()) << describe(r.error());
    ASSERT_EQ(r->attributes().size(), 3u);
    const uint8_t types[] = {8, 3, 19};
    const char* values[] = {"10M/20M", "vlan10", "blocked"};
    for (size_t i = 0; i < 3; ++i) {
        const AttrRef& a = r->attributes()[i];
        EXPECT_EQ(a.vendor, vendor::kMikrotik);
        EXPECT_EQ(a.type, types[i]);
        EXPECT_EQ(a.attr_offset, 20);
        EXPECT_EQ(r->text(a), values[i]);
        ASSERT_NE(a.def, nullptr);
    }
    EXPECT_EQ(r->attributes()[0].def->name, "Mikrotik-Rate-Limit");
    EXPECT_EQ(r->attributes()[0].value_offset, 28);
    EXPECT_EQ(r->count(vendor::kMikrotik, 3), 1u);
    EXPECT_EQ(r->find(vendor::kMikrotik, 19), &r->attributes()[2]);
    EXPECT_EQ(r->find(*dict().byName("Mikrotik-Group")), &r->attributes()[1]);
}

TEST(Decode, RejectsSubAttributeOverrunOfDeclaredVendor) {
    Bytes w = accept("1a0f00003a8c080a31304d2f32304d");
    expectError(w, DecodeError::kVsaOverrun, "Vendor-Specific", 26, 10);
    w = accept("1a1000003a8c080931304d2f32304d08");  // one stray octet after a sub-attribute
    expectError(w, DecodeError::kVsaOverrun, "Vendor-Specific", 35, 1);
    w = accept("1a0f00003a8c080131304d2f32304d");  // Vendor-Length 1
    expectError(w, DecodeError::kVsaOverrun, "Vendor-Specific", 26, 1);
    expectError(accept("1a05000000"), DecodeError::kVsaTooShort, "Vendor-Specific", 20, 5);
    expectError(accept("1a0600003a8c"), DecodeError::kVsaTooShort, "Vendor-Specific", 20, 6);
}

TEST(Decode, KeepsUnknownVendorWithForeignLayoutOpaque) {
    // Vendor 99999 is not declared; its data does not parse as 1,1: kept whole.
    const Bytes w = accept("1a090001869f0105ff");
    auto r = decodePacket(w, dict());
    ASSERT_TRUE(r.has_value()) << describe(r.error());
    ASSERT_EQ(r->attributes().size(), 1u);
    const AttrRef& a = r->attributes()[0];
    EXPECT_EQ(a.flags, AttrRef::kOpaqueVsa);
    EXPECT_EQ(a.vendor, 0u);
    EXPECT_EQ(a.type, attr::kVendorSpecific);
    EXPECT_EQ(a.def, nullptr);
    EXPECT_EQ(toHex(r->value(a)), "0001869f0105ff");
}

TEST(Decode, KeepsVendorIdZeroOpaqueSoItCannotPoseAsStandardAttributes) {
    // Vendor 0 with a clean 1,1 "User-Name" inside (found by fuzz_packet).
    const Bytes w = accept("1a0d0000000001050102030202");
    auto r = decodePacket(w, dict());
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(r->attributes().size(), 1u);
    EXPECT_EQ(r->attributes()[0].flags, AttrRef::kOpaqueVsa);
    EXPECT_EQ(r->find(0, attr::kUserName), nullptr);
}

TEST(Decode, SplitsUnknownVendorWhenItParsesAsRfcFormat) {
    const Bytes w = accept("1a0d0001869f01050102030202");
    auto r = decodePacket(w, dict());
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(r->attributes().size(), 2u);
    EXPECT_EQ(r->attributes()[0].vendor, 99999u);
    EXPECT_EQ(r->attributes()[0].def, nullptr);
    EXPECT_EQ(r->attributes()[1].type, 2);
    EXPECT_EQ(r->attributes()[1].value_length, 0);
}

TEST(Decode, KeepsVendorOfOtherDeclaredFormatOpaque) {
    // Declared format=4,0 (USR style): its data even parses as 1,1, but is kept whole.
    Dictionary d;
    ASSERT_TRUE(d.loadText("VENDOR Test-Usr 429 format=4,0\n", "inline").has_value());
    const Bytes w = accept("1a0c000001ad000600000001");
    auto r = decodePacket(w, d);
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(r->attributes().size(), 1u);
    EXPECT_EQ(r->attributes()[0].flags, AttrRef::kOpaqueVsa);
    EXPECT_EQ(r->attributes()[0].value_length, 10);
}

TEST(Decode, ReadsExtendedAndJoinsLongExtendedFragments) {
    // 241.1 Frag-Status, then 245.1 in two fragments (More flag on the first).
    std::string frag1 = "f5ff0180";
    for (int i = 0; i < 251; ++i)
        frag1 += "aa";
    const Bytes w = accept("f10701000000 01" + frag1 + "f5070100bbccdd");
    auto r = decodePacket(w, dict());
    ASSERT_TRUE(r.has_value()) << describe(r.error());
    ASSERT_EQ(r->attributes().size(), 3u);
    const AttrRef& ext = r->attributes()[0];
    EXPECT_EQ(ext.type, 241);
    EXPECT_EQ(ext.ext, 1);
    ASSERT_NE(ext.def, nullptr);
    EXPECT_EQ(ext.def->name, "Frag-Status");
    EXPECT_EQ(ext.value_length, 4);
    EXPECT_EQ(r->find(0, 241, 1), &ext);
    EXPECT_EQ(r->find(0, 241), nullptr);
    EXPECT_EQ(r->attributes()[1].flags, AttrRef::kMore);
    EXPECT_EQ(r->attributes()[1].value_length, 251);
    EXPECT_EQ(r->attributes()[2].flags, 0);
    Bytes joined;
    r->joinValues(0, 245, 1, joined);
    ASSERT_EQ(joined.size(), 254u);
    EXPECT_EQ(joined[250], 0xaa);
    EXPECT_EQ(toHex(ByteSpan(joined).last(3)), "bbccdd");
    expectError(accept("f102"), DecodeError::kExtendedTooShort, "Extended-Attribute-1", 20, 2);
    expectError(accept("f503fe"), DecodeError::kExtendedTooShort, "Extended-Attribute-5", 20, 3);
}

TEST(Decode, JoinsEapMessageFragmentsInOrder) {
    const Bytes w = accept("4f05010203 0106616c6963 4f040405");
    auto r = decodePacket(w, dict());
    ASSERT_TRUE(r.has_value());
    Bytes joined = {0xff};
    r->joinValues(0, attr::kEapMessage, joined);
    EXPECT_EQ(toHex(joined), "ff0102030405");
    EXPECT_EQ(r->count(0, attr::kEapMessage), 2u);
}

TEST(Decode, FlagsWrongSizeForFixedTypesWithoutFailing) {
    // Session-Timeout of 3 octets, Framed-IP-Address of 5.
    const Bytes w = accept("1b05000e10 08070a00000501 1b0600000e10");
    auto r = decodePacket(w, dict());
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->attributes()[0].flags, AttrRef::kWrongSize);
    EXPECT_EQ(r->attributes()[1].flags, AttrRef::kWrongSize);
    EXPECT_EQ(r->attributes()[2].flags, 0);
}

TEST(Decode, ChecksMessageAuthenticatorShapeAndCount) {
    const Bytes w = hex(k2aRequest);
    auto r = decodePacket(w, dict());
    ASSERT_TRUE(r.has_value());
    ASSERT_NE(r->messageAuthenticator(), nullptr);
    EXPECT_EQ(r->messageAuthenticator()->value_offset, 22);
    Bytes two = w;
    two.insert(two.end(), {0x50, 0x12});
    two.resize(two.size() + 16);
    expectError(withLength(two), DecodeError::kDuplicateMessageAuthenticator,
                "Message-Authenticator", 69, 16);
    expectError(accept("5011000102030405060708090a0b0c0d0e"), DecodeError::kBadMessageAuthenticator,
                "Message-Authenticator", 20, 15);
}

TEST(Decode, ChecksPasswordsOnlyInAccessRequests) {
    const std::string req =
        "01420000"
        "00112233445566778899aabbccddeeff";
    auto pw = [&](size_t n) {
        std::string h = req + "02" + toHex(Bytes{static_cast<uint8_t>(n + 2)});
        for (size_t i = 0; i < n; ++i)
            h += "11";
        return withLength(hex(h));
    };
    expectError(pw(15), DecodeError::kBadUserPassword, "User-Password", 20, 15);
    expectError(pw(144), DecodeError::kBadUserPassword, "User-Password", 20, 144);
    expectError(pw(0), DecodeError::kBadUserPassword, "User-Password", 20, 0);
    EXPECT_TRUE(decodePacket(pw(16), dict()).has_value());
    EXPECT_TRUE(decodePacket(pw(128), dict()).has_value());
    Bytes chap = withLength(hex(req + "0312" + "07000102030405060708090a0b0c0d0e0f"));
    expectError(chap, DecodeError::kBadChapPassword, "CHAP-Password", 20, 16);
    // In an Access-Accept these are just attributes.
    Bytes odd = pw(15);
    odd[0] = 2;
    EXPECT_TRUE(decodePacket(odd, dict()).has_value());
}

TEST(Decode, ReusesAttributeStorageAcrossPackets) {
    Packet p;
    const Bytes a = hex(k2aRequest);
    const Bytes b = hex(kRfc71Request);
    ASSERT_TRUE(decodeInto(a, dict(), p).has_value());
    const AttrRef* storage = p.attributes().data();
    ASSERT_TRUE(decodeInto(b, dict(), p).has_value());
    EXPECT_EQ(p.attributes().data(), storage);
    EXPECT_EQ(p.attributes().size(), 4u);
    EXPECT_EQ(p.messageAuthenticator(), nullptr);
    Bytes bad = a;
    bad[39] = 0;
    EXPECT_FALSE(decodeInto(bad, dict(), p).has_value());
    EXPECT_TRUE(p.attributes().empty());
    EXPECT_EQ(p.messageAuthenticator(), nullptr);
}

TEST(Decode, AcceptsMaximumNumberOfAttributes) {
    // 4096 octets of empty Class attributes: 2038 attributes, under kMaxAttributes.
    Bytes w =
        hex("02420000"
            "00112233445566778899aabbccddeeff");
    while (w.size() < kMaxPacketLength)
        w.insert(w.end(), {attr::kClass, 2});
    auto r = decodePacket(withLength(w), dict());
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->attributes().size(), (kMaxPacketLength - 20) / 2);
}

TEST(Decode, NamesErrorsStably) {
    EXPECT_EQ(decodeErrorName(DecodeError::kAttrOverrun), "attr_overrun");
    EXPECT_EQ(decodeErrorName(DecodeError::kVsaOverrun), "vsa_overrun");
    EXPECT_EQ(decodeErrorName(DecodeError::kDuplicateMessageAuthenticator),
              "duplicate_message_authenticator");
    EXPECT_EQ(describe(DecodeError{DecodeError::kAttrOverrun, "attribute", 24, 40}),
              "attribute at 24: length 40 runs past the end of the packet");
    EXPECT_EQ(describe(DecodeError{DecodeError::kBadUserPassword, "User-Password", 27, 15}),
              "User-Password at 27: hidden value of 15 octets, not a multiple of 16 in 16..128");
}

}  // namespace
}  // namespace gatehouse::radius
