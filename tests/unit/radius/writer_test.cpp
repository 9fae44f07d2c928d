#include <gtest/gtest.h>

#include <array>
#include <string>

#include "core/crypto/hiding.hpp"
#include "core/radius/authenticator.hpp"
#include "core/radius/packet.hpp"
#include "core/radius/value.hpp"
#include "core/radius/writer.hpp"
#include "tests/unit/radius/codec_test_dict.hpp"

namespace gatehouse::radius {
namespace {

const Dictionary& dict() {
    return test::codecDict();
}
Bytes hex(std::string_view h) {
    return fromHex(h).value();
}
const AttrDef& def(std::string_view name) {
    const AttrDef* d = dict().byName(name);
    if (d == nullptr)
        std::abort();
    return *d;
}

class Writer : public ::testing::Test {
  protected:
    std::array<uint8_t, kMaxPacketLength> buf_{};
    PacketWriter w_{buf_, &dict()};
    const crypto::SharedSecret secret_{"testing123"};
    const Bytes ra_ = hex("00112233445566778899aabbccddeeff");

    std::string finishedRequest() {
        auto r = w_.finishRequest(secret_);
        EXPECT_TRUE(r.has_value()) << describe(r.error());
        return r ? toHex(*r) : "";
    }
    std::string finishedResponse(const Bytes& request_auth) {
        auto r = w_.finishResponse(secret_, request_auth.data());
        EXPECT_TRUE(r.has_value()) << describe(r.error());
        return r ? toHex(*r) : "";
    }
    void addParsed(std::string_view name, std::string_view text, uint8_t tag = 0) {
        auto v = parseValue(dict(), def(name), text);
        ASSERT_TRUE(v.has_value()) << v.error().message;
        ASSERT_TRUE(w_.add(def(name), *v, secret_, ra_.data(), tag)) << describe(w_.error());
    }
};

// test-vectors.md 2a: MA first, User-Name, hidden User-Password, NAS-IP-Address.
TEST_F(Writer, Builds2aAccessRequestByteForByte) {
    w_.begin(Code::kAccessRequest, 0x42, ra_.data());
    ASSERT_TRUE(w_.addMessageAuthenticator());
    ASSERT_TRUE(w_.addString(attr::kUserName, "alice"));
    ASSERT_TRUE(w_.addUserPassword(asBytes("alicepass"), secret_, ra_.data()));
    ASSERT_TRUE(w_.addIpv4(attr::kNasIpAddress, 0x7f000001));
    EXPECT_EQ(finishedRequest(),
              "0142004500112233445566778899aabbccddeeff5012b8d1fdf7ffcd7be710708c4430cc2137010761"
              "6c69636502127ad1fdc99f0d03593966d16d25fb04c804067f000001");
}

// test-vectors.md 2b: 40-octet password, three chained blocks.
TEST_F(Writer, Builds2bAccessRequestWithThreeBlockPassword) {
    const Bytes ra = hex("0f0e0d0c0b0a09080706050403020100");
    w_.begin(Code::kAccessRequest, 0x50, ra.data());
    w_.addMessageAuthenticator();
    addParsed("User-Name", "horse");
    const auto& pw = def("User-Password");
    ASSERT_TRUE(
        w_.add(pw, asBytes("correct horse battery staple 0123456789!"), secret_, ra.data()));
    EXPECT_EQ(finishedRequest(),
              "0150005f0f0e0d0c0b0a0908070605040302010050122cc0f6a11cd63f37efa12a643d7dbecf010768"
              "6f7273650232315ebc8cb8425160b34eaae54a83f1ffdc6ed5b15089188c2ae53bc664cf7e927a4916"
              "03fd9ee02bd867a02fcf36b5af");
}

// test-vectors.md 7: MA over a zero authenticator, then the authenticator over the final packet.
TEST_F(Writer, BuildsCoaRequestWithMaFirstByteForByte) {
    w_.begin(Code::kCoaRequest, 0x47);
    ASSERT_TRUE(w_.addMessageAuthenticator());
    w_.addString(attr::kUserName, "alice");
    w_.addString(attr::kAcctSessionId, "81000001");
    w_.addVendorString(vendor::kMikrotik, 8, "5M/10M");
    EXPECT_EQ(finishedRequest(),
              "2b470045055a48add7b1c342d53a6fc731d5c2c750128ef87436baca635aeb26715f9b8885d4010761"
              "6c6963652c0a38313030303030311a0e00003a8c0808354d2f31304d");
}

TEST_F(Writer, BuildsAccountingDisconnectAndStatusServerByteForByte) {
    w_.begin(Code::kAccountingRequest, 0x45);
    addParsed("Acct-Status-Type", "Start");
    addParsed("User-Name", "alice");
    addParsed("Acct-Session-Id", "81000001");
    addParsed("NAS-IP-Address", "127.0.0.1");
    addParsed("Framed-IP-Address", "10.0.0.5");
    addParsed("Event-Timestamp", "2023-11-14T22:13:20Z");
    EXPECT_EQ(finishedRequest(),
              "0445003d106d4d2d61664592557440d79562d9a52806000000010107616c6963652c0a383130303030"
              "303104067f00000108060a00000537066553f100");

    w_.begin(Code::kDisconnectRequest, 0x48);
    w_.addString(attr::kUserName, "nosuch");
    EXPECT_EQ(finishedRequest(), "2848001cc6a1a427f61c75c926fdbfdd648e7e7a01086e6f73756368");

    const Bytes ss_auth = hex("1234567890abcdef1234567890abcdef");
    w_.begin(Code::kStatusServer, 0x49, ss_auth.data());
    w_.addMessageAuthenticator();
    EXPECT_EQ(finishedRequest(),
              "0c4900261234567890abcdef1234567890abcdef5012de66afcde5131c71cdd70899441774d6");
}

TEST_F(Writer, Builds2aAccessAcceptAndItVerifies) {
    w_.begin(Code::kAccessAccept, 0x42);
    addParsed("Reply-Message", "Hello alice");
    addParsed("Mikrotik-Rate-Limit", "10M/20M");
    addParsed("Framed-IP-Address", "10.0.0.5");
    const std::string out = finishedResponse(ra_);
    EXPECT_EQ(out,
              "02420036f51db13db927077a1caf0bb665c1297a120d48656c6c6f20616c6963651a0f00003a8c0809"
              "31304d2f32304d08060a000005");
    EXPECT_TRUE(verifyResponseAuthenticator(hex(out), ra_.data(), secret_));
}

TEST_F(Writer, PutsMaFirstInResponsesAndBothChecksPass) {
    w_.begin(Code::kAccessReject, 7);
    w_.addMessageAuthenticator();
    w_.addString(attr::kReplyMessage, "no");
    auto r = w_.finishResponse(secret_, ra_.data());
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ((*r)[20], attr::kMessageAuthenticator);
    auto p = decodePacket(*r, dict());
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(checkResponseMessageAuthenticator(*p, ra_.data(), secret_), MaCheck::kValid);
    EXPECT_TRUE(verifyResponseAuthenticator(*r, ra_.data(), secret_));
    const Bytes other = hex("ff112233445566778899aabbccddeeff");
    EXPECT_EQ(checkResponseMessageAuthenticator(*p, other.data(), secret_), MaCheck::kInvalid);
}

// test-vectors.md 8: FreeRADIUS's layout (MA after EAP-Message) reproduced exactly.
TEST_F(Writer, ReproducesEapChallengeWithMaInAnyPosition) {
    const Bytes ra = hex("dc1046e85e4c4e351533725807a0cccc");
    w_.begin(Code::kAccessChallenge, 0);
    w_.addConcat(attr::kEapMessage, hex("017c001604102d5268426c1154572086adf23ea036ca"));
    w_.addMessageAuthenticator();
    w_.add(attr::kState, hex("e40b5b01e4775f8693170512da01dbd8"));
    EXPECT_EQ(finishedResponse(ra),
              "0b000050d3a75ca7ec2bdebe16ff3e63e83e921b4f18017c001604102d5268426c1154572086adf23e"
              "a036ca5012a2b65536f9d6925d6d0081026e21dcc71812e40b5b01e4775f8693170512da01dbd8");
}

// test-vectors.md 5/6: FreeRADIUS's MS-CHAPv2 Access-Accept, rebuilt from the plain keys with
// FreeRADIUS's salts.
TEST_F(Writer, ReproducesMsChapV2AcceptWithSaltedMppeKeys) {
    const Bytes ra = hex("a7bb503c1d3605a7b5ef1012182ddb83");
    w_.begin(Code::kAccessAccept, 0x53);
    w_.addVendorString(vendor::kMicrosoft, ms::kChap2Success,
                       std::string("\x01") + "S=407A5589115FD0D6209F510FE9C04566932CDA56");
    ASSERT_TRUE(w_.addSalted(vendor::kMicrosoft, ms::kMppeRecvKey,
                             hex("d5f0e9521e3ea9589645e86051c82226"), secret_, ra.data(), 0x8273));
    ASSERT_TRUE(w_.addSalted(vendor::kMicrosoft, ms::kMppeSendKey,
                             hex("8b7cdc149b993a1ba118cb153f56dccb"), secret_, ra.data(), 0x8e6e));
    w_.addVendorInteger(vendor::kMicrosoft, ms::kMppeEncryptionPolicy, 1);
    w_.addVendorInteger(vendor::kMicrosoft, ms::kMppeEncryptionTypes, 6);
    EXPECT_EQ(
        finishedResponse(ra),
        "025300b3be2da7ba116e93b32de9f3c482b0f30f1a33000001371a2d01533d3430374135353839313135464430"
        "44363230394635313046453943303435363639333243444135361a2a0000013711248273f7e3ce397698936"
        "39dc06ee365eac86e8c49a68c5addd6f0e87dec2f65081bd11a2a0000013710248e6eb21428f48cb994a742"
        "f3caed010e1b83db9ddb8930c5ac0707e0b13eafdcc2c31a0c000001370706000000011a0c0000013708060"
        "0000006");
}

// test-vectors.md 6a.
TEST_F(Writer, EncryptsMppeKeysWithGivenSalt) {
    w_.begin(Code::kAccessAccept, 1);
    w_.addSalted(vendor::kMicrosoft, ms::kMppeSendKey, hex("8b7cdc149b993a1ba118cb153f56dccb"),
                 secret_, ra_.data(), 0x8001);
    w_.addSalted(vendor::kMicrosoft, ms::kMppeRecvKey, hex("d5f0e9521e3ea9589645e86051c82226"),
                 secret_, ra_.data(), 0x8002);
    const std::string out = finishedResponse(ra_).substr(40);
    EXPECT_EQ(out,
              "1a2a0000013710248001ac16543ea09e06fb2c3cd3552a65bdf0b5788f3720ecab49ca64903724cda0"
              "cf1a2a00000137112480028c95de36fd0d0a41f7ec5e1251d08cdc724ac5d0bcf369d9abb4675c5de5"
              "0d05");
}

TEST_F(Writer, DictionaryAddEncryptsMppeKeyWithFreshSaltThatDecrypts) {
    w_.begin(Code::kAccessAccept, 1);
    const Bytes key = hex("8b7cdc149b993a1ba118cb153f56dccb");
    ASSERT_TRUE(w_.add(def("MS-MPPE-Send-Key"), key, secret_, ra_.data()));
    ASSERT_TRUE(w_.add(def("MS-MPPE-Recv-Key"), key, secret_, ra_.data()));
    auto r = w_.finishResponse(secret_, ra_.data());
    ASSERT_TRUE(r.has_value());
    auto p = decodePacket(*r, dict());
    ASSERT_TRUE(p.has_value());
    ASSERT_EQ(p->attributes().size(), 2u);
    const ByteSpan v0 = p->value(p->attributes()[0]);
    const ByteSpan v1 = p->value(p->attributes()[1]);
    ASSERT_EQ(v0.size(), 34u);
    EXPECT_NE(v0[0] & 0x80, 0);
    EXPECT_NE(toHex(v0.first(2)), toHex(v1.first(2)));  // RFC 2548 2.4.2: salts differ
    uint8_t plain[64];
    auto n = crypto::saltDecrypt(v0, secret_, ra_.data(), plain);
    ASSERT_TRUE(n.has_value());
    EXPECT_EQ(toHex(ByteSpan(plain, *n)), toHex(key));
}

TEST_F(Writer, WritesTunnelPasswordTagAlwaysAndTaggedIntegers) {
    w_.begin(Code::kAccessAccept, 1);
    ASSERT_TRUE(w_.add(def("Tunnel-Password"), asBytes("s3cret"), secret_, ra_.data(), 0));
    ASSERT_TRUE(
        w_.addSalted(0, attr::kTunnelPassword, asBytes("s3cret"), secret_, ra_.data(), 0x8123, 2));
    addParsed("Tunnel-Type", "L2TP", 1);
    addParsed("Tunnel-Private-Group-Id", "vlan10", 1);
    auto r = w_.finishResponse(secret_, ra_.data());
    ASSERT_TRUE(r.has_value());
    auto p = decodePacket(*r, dict());
    ASSERT_TRUE(p.has_value());
    const ByteSpan tp0 = p->value(p->attributes()[0]);
    ASSERT_EQ(tp0.size(), 1u + 2 + 16);  // tag + salt + one block
    EXPECT_EQ(tp0[0], 0);
    const ByteSpan tp1 = p->value(p->attributes()[1]);
    EXPECT_EQ(tp1[0], 2);
    EXPECT_EQ(toHex(tp1.subspan(1, 2)), "8123");
    uint8_t plain[64];
    auto n = crypto::saltDecrypt(tp1.subspan(1), secret_, ra_.data(), plain);
    ASSERT_TRUE(n.has_value());
    EXPECT_EQ(std::string(reinterpret_cast<char*>(plain), *n), "s3cret");
    EXPECT_EQ(toHex(p->value(p->attributes()[2])), "01000003");
    EXPECT_EQ(p->text(p->attributes()[3]), "\x01vlan10");
    EXPECT_EQ(formatPacket(dict(), *p).substr(formatPacket(dict(), *p).find("Tunnel-Type")),
              "Tunnel-Type:1 = L2TP\nTunnel-Private-Group-Id:1 = \"vlan10\"\n");
}

TEST_F(Writer, WritesExtendedAttributesFromTheDictionary) {
    w_.begin(Code::kAccessAccept, 1);
    addParsed("Frag-Status", "1");
    auto r = w_.finishResponse(secret_, ra_.data());
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(toHex(r->subspan(20)),
              "f10701"
              "00000001");
}

TEST_F(Writer, SplitsLongExtendedValuesWithMoreFlag) {
    Dictionary d;
    ASSERT_TRUE(d.loadText("ATTRIBUTE Test-Long-Ext 245 long-extended\n"
                           "ATTRIBUTE Test-Long-Data 245.1 octets\n",
                           "inline")
                    .has_value());
    const AttrDef* data = d.byName("Test-Long-Data");
    ASSERT_NE(data, nullptr);
    Bytes value(300);
    for (size_t i = 0; i < value.size(); ++i)
        value[i] = static_cast<uint8_t>(i);
    w_.begin(Code::kAccessAccept, 1);
    ASSERT_TRUE(w_.add(*data, value, secret_, ra_.data())) << describe(w_.error());
    auto r = w_.finishResponse(secret_, ra_.data());
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(r->size(), 20u + 255 + 4 + 49);
    EXPECT_EQ(toHex(r->subspan(20, 4)), "f5ff0180");
    EXPECT_EQ(toHex(r->subspan(275, 4)), "f5350100");
    auto p = decodePacket(*r, d);
    ASSERT_TRUE(p.has_value());
    Bytes joined;
    p->joinValues(*data, joined);
    EXPECT_EQ(joined, value);
}

TEST_F(Writer, SplitsConcatAt253AndRoundTrips) {
    Bytes eap(600);
    for (size_t i = 0; i < eap.size(); ++i)
        eap[i] = static_cast<uint8_t>(i * 7);
    w_.begin(Code::kAccessChallenge, 1);
    w_.addMessageAuthenticator();
    ASSERT_TRUE(w_.add(def("EAP-Message"), eap, secret_, ra_.data()));
    auto r = w_.finishResponse(secret_, ra_.data());
    ASSERT_TRUE(r.has_value());
    auto p = decodePacket(*r, dict());
    ASSERT_TRUE(p.has_value());
    ASSERT_EQ(p->count(0, attr::kEapMessage), 3u);
    EXPECT_EQ(p->attributes()[1].value_length, 253);
    EXPECT_EQ(p->attributes()[2].value_length, 253);
    EXPECT_EQ(p->attributes()[3].value_length, 94);
    Bytes joined;
    p->joinValues(0, attr::kEapMessage, joined);
    EXPECT_EQ(joined, eap);

    w_.begin(Code::kAccessChallenge, 1);
    ASSERT_TRUE(w_.addConcat(attr::kEapMessage, ByteSpan(eap).first(300)));
    auto r2 = w_.finishResponse(secret_, ra_.data());
    ASSERT_TRUE(r2.has_value());
    EXPECT_EQ(r2->size(), 20u + 255 + 49);
}

TEST_F(Writer, PacksSeveralSubAttributesInOneVsaAndDecodesThem) {
    w_.begin(Code::kAccessAccept, 1);
    ASSERT_TRUE(w_.beginVendor(vendor::kMikrotik));
    ASSERT_TRUE(w_.addVendorSub(8, asBytes("10M/20M")));
    ASSERT_TRUE(w_.addVendorSub(3, asBytes("vlan10")));
    ASSERT_TRUE(w_.addVendorSub(19, asBytes("blocked")));
    w_.endVendor();
    w_.addString(attr::kReplyMessage, "hi");
    auto r = w_.finishResponse(secret_, ra_.data());
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(toHex(r->subspan(20)),
              "1a2000003a8c080931304d2f32304d0308766c616e31301309626c6f636b6564"
              "12046869");
    auto p = decodePacket(*r, dict());
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(formatPacket(dict(), *p),
              "Mikrotik-Rate-Limit = \"10M/20M\"\nMikrotik-Group = \"vlan10\"\n"
              "Mikrotik-Address-List = \"blocked\"\nReply-Message = \"hi\"\n");
}

TEST_F(Writer, RefusesVsaPast255AndDropsEmptyVsa) {
    w_.begin(Code::kAccessAccept, 1);
    w_.beginVendor(vendor::kMikrotik);
    w_.endVendor();
    EXPECT_EQ(w_.size(), 20u);
    w_.beginVendor(vendor::kMikrotik);
    const Bytes v(120, 'x');
    const Bytes v125(125, 'y');
    EXPECT_TRUE(w_.addVendorSub(8, v));     // 6 + 122 = 128
    EXPECT_TRUE(w_.addVendorSub(8, v125));  // + 127 = 255, full
    EXPECT_EQ(w_.size(), 20u + 255);
    EXPECT_FALSE(w_.addVendorSub(8, {}));  // 257
    EXPECT_EQ(w_.error().kind, EncodeError::kValueTooLong);
    EXPECT_STREQ(w_.error().field, "Vendor-Specific");
}

TEST_F(Writer, FailsStickyPast4096) {
    w_.begin(Code::kAccessAccept, 1);
    const Bytes v(253, 'a');
    // 16 attributes of 255 = 4080, plus 20 = 4100 > 4096: the 16th fails.
    for (int i = 0; i < 15; ++i)
        ASSERT_TRUE(w_.add(attr::kReplyMessage, v));
    EXPECT_EQ(w_.size(), 20u + 15 * 255);
    EXPECT_FALSE(w_.add(attr::kReplyMessage, v));
    EXPECT_TRUE(w_.failed());
    EXPECT_EQ(w_.error().kind, EncodeError::kPacketTooLong);
    EXPECT_EQ(w_.error().length, 20u + 16 * 255);
    EXPECT_EQ(w_.size(), 20u + 15 * 255);
    EXPECT_FALSE(w_.add(attr::kClass, {}));  // sticky, although it would fit
    EXPECT_FALSE(w_.addInteger(attr::kSessionTimeout, 1));
    auto r = w_.finishResponse(secret_, ra_.data());
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, EncodeError::kPacketTooLong);
    EXPECT_EQ(describe(r.error()), "packet: packet would be 4100 octets, over 4096");
    // begin() starts afresh.
    w_.begin(Code::kAccessAccept, 1);
    EXPECT_FALSE(w_.failed());
}

TEST_F(Writer, FillsExactly4096) {
    w_.begin(Code::kAccessAccept, 1);
    const Bytes v(253, 'a');
    for (int i = 0; i < 15; ++i)
        ASSERT_TRUE(w_.add(attr::kReplyMessage, v));
    ASSERT_TRUE(w_.add(attr::kReplyMessage, Bytes(4096 - 20 - 15 * 255 - 2, 'b')));
    auto r = w_.finishResponse(secret_, ra_.data());
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->size(), 4096u);
    EXPECT_TRUE(decodePacket(*r, dict()).has_value());
    EXPECT_FALSE(w_.addConcat(attr::kEapMessage, {}));
}

TEST_F(Writer, ConcatThatDoesNotFitLeavesNoFragment) {
    w_.begin(Code::kAccessAccept, 1);
    const Bytes v(253, 'a');
    for (int i = 0; i < 14; ++i)
        ASSERT_TRUE(w_.add(attr::kReplyMessage, v));
    const size_t before = w_.size();
    EXPECT_FALSE(w_.addConcat(attr::kEapMessage, Bytes(600, 1)));
    EXPECT_EQ(w_.size(), before);
    EXPECT_EQ(w_.error().kind, EncodeError::kPacketTooLong);
}

TEST_F(Writer, RejectsWhatCannotBeEncoded) {
    auto expectFail = [&](const AttrDef& d, ByteSpan v, EncodeError::Kind kind) {
        w_.begin(Code::kAccessAccept, 1);
        EXPECT_FALSE(w_.add(d, v, secret_, ra_.data())) << d.name;
        EXPECT_EQ(w_.error().kind, kind) << d.name;
        EXPECT_EQ(std::string(w_.error().field), d.name);
    };
    expectFail(def("Session-Timeout"), hex("000e10"), EncodeError::kBadValue);
    expectFail(def("Framed-IP-Address"), hex("0a00000501"), EncodeError::kBadValue);
    expectFail(def("MS-CHAP2-Response"), Bytes(49), EncodeError::kBadValue);  // octets[50]
    expectFail(def("Reply-Message"), Bytes(254, 'a'), EncodeError::kValueTooLong);
    expectFail(def("Mikrotik-Rate-Limit"), Bytes(248, 'a'), EncodeError::kValueTooLong);
    expectFail(def("User-Password"), Bytes(129, 'a'), EncodeError::kBadValue);
    AttrDef internal;  // FreeRADIUS's 1000+ range (Cleartext-Password is 1100)
    internal.name = "Cleartext-Password";
    internal.number = 1100;
    internal.type = DataType::kString;
    expectFail(internal, asBytes("x"), EncodeError::kNotOnTheWire);
    AttrDef virt = def("Reply-Message");
    virt.is_virtual = true;
    expectFail(virt, asBytes("x"), EncodeError::kNotOnTheWire);
    expectFail(def("Vendor-Specific"), hex("00003a8c0803 41"), EncodeError::kNotOnTheWire);
    expectFail(def("IP-Port-Type"), hex("00000001"), EncodeError::kNotOnTheWire);  // TLV child
    w_.begin(Code::kAccessAccept, 1);
    EXPECT_FALSE(w_.add(attr::kReplyMessage, Bytes(254, 'a')));
    EXPECT_EQ(w_.error().kind, EncodeError::kValueTooLong);
    w_.begin(Code::kAccessAccept, 1);
    EXPECT_FALSE(w_.addUserPassword(Bytes(129, 'a'), secret_, ra_.data()));
    EXPECT_EQ(w_.error().kind, EncodeError::kBadValue);
    w_.begin(Code::kAccessAccept, 1);
    EXPECT_FALSE(w_.addVendor(vendor::kMikrotik, 8, Bytes(248, 'a')));
    EXPECT_EQ(w_.error().kind, EncodeError::kValueTooLong);
}

TEST_F(Writer, RefusesSecondMessageAuthenticatorAndWrongFinish) {
    w_.begin(Code::kAccessRequest, 1);
    EXPECT_TRUE(w_.addMessageAuthenticator());
    EXPECT_FALSE(w_.addMessageAuthenticator());
    EXPECT_EQ(w_.error().kind, EncodeError::kBadValue);

    w_.begin(Code::kAccessAccept, 1);
    auto r = w_.finishRequest(secret_);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, EncodeError::kNotFinishable);
    w_.begin(Code::kAccountingRequest, 1);
    auto r2 = w_.finishResponse(secret_, ra_.data());
    ASSERT_FALSE(r2.has_value());
    EXPECT_EQ(r2.error().kind, EncodeError::kNotFinishable);
}

TEST_F(Writer, DrawsRandomAuthenticatorWhenNoneGiven) {
    w_.begin(Code::kAccessRequest, 1);
    auto a = w_.finishRequest(secret_);
    ASSERT_TRUE(a.has_value());
    const std::string first = toHex(a->subspan(4, 16));
    w_.begin(Code::kAccessRequest, 1);
    auto b = w_.finishRequest(secret_);
    ASSERT_TRUE(b.has_value());
    EXPECT_NE(first, toHex(b->subspan(4, 16)));
}

TEST_F(Writer, SubsequentResponsesInOneBufferAreIndependent) {
    // A worker reuses one writer: a second packet must not inherit MA or VSA state.
    w_.begin(Code::kAccessAccept, 1);
    w_.addMessageAuthenticator();
    w_.beginVendor(vendor::kMikrotik);
    w_.addVendorSub(8, asBytes("1M"));
    ASSERT_TRUE(w_.finishResponse(secret_, ra_.data()).has_value());
    w_.begin(Code::kAccessAccept, 2);
    w_.addString(attr::kReplyMessage, "x");
    auto r = w_.finishResponse(secret_, ra_.data());
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->size(), 23u);
    EXPECT_TRUE(verifyResponseAuthenticator(*r, ra_.data(), secret_));
}

}  // namespace
}  // namespace gatehouse::radius
