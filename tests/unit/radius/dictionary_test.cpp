// The FreeRADIUS-format dictionary loader: every keyword and flag, every error with its
// file:line and message, $INCLUDE handling, and the built-in dictionaries.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/radius/dictionary.hpp"
#include "core/radius/embedded_dictionaries.hpp"

namespace gatehouse::radius {
namespace {

namespace fs = std::filesystem;

// Loads `text` as "test.dict" into a fresh dictionary and returns the error, if any.
std::optional<DictError> loadError(std::string_view text) {
    Dictionary d;
    auto r = d.loadText(text, "test.dict");
    if (r)
        return std::nullopt;
    return r.error();
}

// Asserts the exact error kind, line and message.
void expectError(std::string_view text, DictError::Kind kind, int line,
                 const std::string& message) {
    auto e = loadError(text);
    ASSERT_TRUE(e.has_value()) << "loaded without error:\n" << text;
    EXPECT_EQ(e->kind, kind) << e->describe();
    EXPECT_EQ(e->file, "test.dict");
    EXPECT_EQ(e->line, line) << e->describe();
    EXPECT_EQ(e->message, message);
}

Dictionary loadOk(std::string_view text) {
    Dictionary d;
    auto r = d.loadText(text, "test.dict");
    EXPECT_TRUE(r) << r.error().describe();
    return d;
}

// A scratch directory, removed afterwards.
class TempDir {
  public:
    TempDir() {
        path_ = fs::temp_directory_path() /
                ("gh_dict_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
        fs::remove_all(path_);
        fs::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    std::string write(const std::string& name, const std::string& text) const {
        fs::path p = path_ / name;
        fs::create_directories(p.parent_path());
        std::ofstream(p, std::ios::binary) << text;
        return p.string();
    }
    std::string path(const std::string& name) const { return (path_ / name).string(); }

  private:
    static inline int counter_ = 0;
    fs::path path_;
};

// --- ATTRIBUTE ---------------------------------------------------------------------------

TEST(Dictionary, FindsStandardAttributeByNumberAndName) {
    Dictionary d = loadOk("ATTRIBUTE\tUser-Name\t1\tstring\n");
    const AttrDef* a = d.find(0, 1);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->name, "User-Name");
    EXPECT_EQ(a->vendor, 0u);
    EXPECT_EQ(a->number, 1u);
    EXPECT_EQ(a->oid, "1");
    EXPECT_EQ(a->type, DataType::kString);
    EXPECT_EQ(a->parent, nullptr);
    EXPECT_FALSE(a->internal());
    EXPECT_EQ(d.byName("User-Name"), a);
    EXPECT_EQ(d.find(0, 2), nullptr);
    EXPECT_EQ(d.byName("User-Password"), nullptr);
}

TEST(Dictionary, NamesAreCaseInsensitive) {
    Dictionary d = loadOk("VENDOR Mikrotik 14988\nATTRIBUTE User-Name 1 string\n");
    EXPECT_EQ(d.byName("user-name"), d.find(0, 1));
    EXPECT_EQ(d.byName("USER-NAME"), d.find(0, 1));
    EXPECT_EQ(d.vendorByName("MIKROTIK"), d.vendorById(14988));
}

TEST(Dictionary, KeywordsAndTypeNamesAreCaseInsensitive) {
    // dictionary.compat-era files write "String"; FreeRADIUS compares keywords without case.
    Dictionary d = loadOk("attribute A 1 String\nAttribute B 2 IPADDR\n");
    EXPECT_EQ(d.find(0, 1)->type, DataType::kString);
    EXPECT_EQ(d.find(0, 2)->type, DataType::kIpAddr);
}

TEST(Dictionary, LoadsEveryTypeName) {
    struct Case {
        const char* name;
        DataType type;
    };
    const Case cases[] = {
        {"string", DataType::kString},
        {"octets", DataType::kOctets},
        {"integer", DataType::kInteger},
        {"signed", DataType::kSigned},
        {"integer64", DataType::kInteger64},
        {"date", DataType::kDate},
        {"ipaddr", DataType::kIpAddr},
        {"ipv6addr", DataType::kIpv6Addr},
        {"ipv6prefix", DataType::kIpv6Prefix},
        {"ipv4prefix", DataType::kIpv4Prefix},
        {"ifid", DataType::kIfid},
        {"byte", DataType::kByte},
        {"short", DataType::kShort},
        {"ether", DataType::kEther},
        {"combo-ip", DataType::kComboIp},
        {"abinary", DataType::kAbinary},
        {"tlv", DataType::kTlv},
        {"vsa", DataType::kVsa},
        {"uint8", DataType::kByte},
        {"uint16", DataType::kShort},
        {"uint32", DataType::kInteger},
        {"uint64", DataType::kInteger64},
        {"int32", DataType::kSigned},
        {"ipv4addr", DataType::kIpAddr},
    };
    std::string text;
    int n = 1;
    for (const auto& c : cases) {
        text +=
            "ATTRIBUTE T-" + std::string(c.name) + " " + std::to_string(n++) + " " + c.name + "\n";
    }
    Dictionary d = loadOk(text);
    for (const auto& c : cases) {
        const AttrDef* a = d.byName("T-" + std::string(c.name));
        ASSERT_NE(a, nullptr) << c.name;
        EXPECT_EQ(a->type, c.type) << c.name;
    }
    // dataTypeName gives FreeRADIUS's spelling back.
    EXPECT_EQ(dataTypeName(DataType::kComboIp), "combo-ip");
    EXPECT_EQ(dataTypeName(DataType::kLongExtended), "long-extended");
    EXPECT_EQ(dataTypeName(d.byName("T-uint32")->type), "integer");
}

TEST(Dictionary, OctetsWithLengthIsFixedLength) {
    Dictionary d = loadOk("ATTRIBUTE MS-CHAP2-Response 25 octets[50]\nATTRIBUTE X 3 octets\n");
    EXPECT_EQ(d.find(0, 25)->type, DataType::kOctets);
    EXPECT_EQ(d.find(0, 25)->fixed_length, 50);
    EXPECT_EQ(d.find(0, 3)->fixed_length, 0);
}

TEST(Dictionary, RecordsEveryFlag) {
    Dictionary d = loadOk(
        "ATTRIBUTE User-Password 2 string encrypt=1\n"
        "ATTRIBUTE Tunnel-Password 69 string has_tag,encrypt=2\n"
        "ATTRIBUTE Ascend-Send-Secret 214 octets encrypt=3\n"
        "ATTRIBUTE EAP-Message 79 octets concat\n"
        "ATTRIBUTE Arr 200 integer array\n"
        "ATTRIBUTE Virt 201 string virtual\n"
        "ATTRIBUTE Secret 202 string secret\n");
    EXPECT_EQ(d.find(0, 2)->encrypt, Encrypt::kUserPassword);
    const AttrDef* tp = d.find(0, 69);
    EXPECT_EQ(tp->encrypt, Encrypt::kTunnelPassword);
    EXPECT_TRUE(tp->has_tag);
    EXPECT_FALSE(tp->concat);
    EXPECT_EQ(d.find(0, 214)->encrypt, Encrypt::kAscendSecret);
    EXPECT_TRUE(d.find(0, 79)->concat);
    EXPECT_TRUE(d.find(0, 200)->array);
    EXPECT_TRUE(d.find(0, 201)->is_virtual);
    EXPECT_TRUE(d.find(0, 201)->internal());
    EXPECT_EQ(d.find(0, 202)->encrypt, Encrypt::kNone);  // "secret" only hides debug output
}

TEST(Dictionary, StandardNumbersAbove255AreInternal) {
    Dictionary d = loadOk("ATTRIBUTE Cleartext-Password 1100 string\n");
    const AttrDef* a = d.find(0, 1100);
    ASSERT_NE(a, nullptr);
    EXPECT_TRUE(a->internal());
    EXPECT_EQ(a->oid, "1100");
}

TEST(Dictionary, CommentsAndBlankLinesAreIgnored) {
    Dictionary d = loadOk(
        "# a comment\n\n   \t\r\nATTRIBUTE A 1 string# glued comment\r\n"
        "ATTRIBUTE B 2 integer   # trailing\n");
    EXPECT_EQ(d.find(0, 1)->type, DataType::kString);
    EXPECT_EQ(d.find(0, 2)->type, DataType::kInteger);
    EXPECT_EQ(d.attributes().size(), 2u);
}

TEST(Dictionary, HexAttributeNumbersAreAccepted) {
    Dictionary d = loadOk("ATTRIBUTE A 0x1a string\n");
    EXPECT_EQ(d.find(0, 26)->name, "A");
}

// --- VENDOR ------------------------------------------------------------------------------

TEST(Dictionary, VendorBlockPutsAttributesInVendorSpace) {
    Dictionary d = loadOk(
        "VENDOR Mikrotik 14988\n"
        "BEGIN-VENDOR Mikrotik\n"
        "ATTRIBUTE Mikrotik-Rate-Limit 8 string\n"
        "END-VENDOR Mikrotik\n"
        "ATTRIBUTE Filter-Id 11 string\n");
    const AttrDef* a = d.find(14988, 8);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->name, "Mikrotik-Rate-Limit");
    EXPECT_EQ(a->vendor, 14988u);
    EXPECT_EQ(a->oid, "26.14988.8");
    EXPECT_EQ(d.find(0, 8), nullptr);
    EXPECT_EQ(d.find(0, 11)->vendor, 0u);  // after END-VENDOR: standard again
    const VendorDef* v = d.vendorById(14988);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->name, "Mikrotik");
    EXPECT_EQ(v->type_octets, 1);
    EXPECT_EQ(v->length_octets, 1);
    EXPECT_FALSE(v->continuation);
}

TEST(Dictionary, OldFormNamesVendorAsFifthField) {
    Dictionary d = loadOk("VENDOR Cisco 9\nATTRIBUTE Cisco-AVPair 1 string Cisco\n");
    EXPECT_EQ(d.find(9, 1)->name, "Cisco-AVPair");
    EXPECT_EQ(d.find(0, 1), nullptr);
}

TEST(Dictionary, RecordsVendorFormats) {
    Dictionary d = loadOk(
        "VENDOR USR 429 format=4,0\n"
        "VENDOR Lucent 4846 format=2,1\n"
        "VENDOR Starent 8164 format=2,2\n"
        "VENDOR WiMAX 24757 format=1,1,c\n"
        "BEGIN-VENDOR USR\nATTRIBUTE USR-Big 305419896 integer\nEND-VENDOR USR\n"
        "BEGIN-VENDOR Lucent\nATTRIBUTE Lucent-Max 65535 integer\nEND-VENDOR Lucent\n");
    const VendorDef* usr = d.vendorByName("USR");
    EXPECT_EQ(usr->type_octets, 4);
    EXPECT_EQ(usr->length_octets, 0);
    EXPECT_EQ(d.vendorById(4846)->type_octets, 2);
    EXPECT_EQ(d.vendorById(4846)->length_octets, 1);
    EXPECT_EQ(d.vendorById(8164)->length_octets, 2);
    EXPECT_TRUE(d.vendorById(24757)->continuation);
    EXPECT_EQ(d.find(429, 305419896)->name, "USR-Big");
    EXPECT_EQ(d.find(4846, 65535)->name, "Lucent-Max");
    EXPECT_EQ(d.vendors().size(), 4u);
}

TEST(Dictionary, VendorNumberMustFitItsTypeOctets) {
    expectError("VENDOR Lucent 4846 format=2,1\nBEGIN-VENDOR Lucent\nATTRIBUTE L 65536 integer\n",
                DictError::kBadNumber, 3,
                "attribute number '65536' of 'L' is out of range (max 65535)");
    expectError("VENDOR Cisco 9\nBEGIN-VENDOR Cisco\nATTRIBUTE C 256 string\n",
                DictError::kBadNumber, 3,
                "attribute number '256' of 'C' is out of range (max 255)");
}

TEST(Dictionary, SameVendorTwiceIsFineAndASecondNameIsAnAlias) {
    Dictionary d = loadOk("VENDOR A 10\nVENDOR A 10\nVENDOR B 10\n");
    EXPECT_EQ(d.vendorById(10)->name, "A");
    EXPECT_EQ(d.vendorByName("B")->id, 10u);
    EXPECT_EQ(d.vendors().size(), 2u);
}

// --- dotted numbers, TLVs, RFC 6929 ------------------------------------------------------

constexpr const char* kExtended =
    "ATTRIBUTE Extended-Attribute-1 241 extended\n"
    "ATTRIBUTE Extended-Attribute-5 245 long-extended\n"
    "ATTRIBUTE Extended-Vendor-Specific-5 245.26 evs\n"
    "ATTRIBUTE Frag-Status 241.1 integer\n"
    "ATTRIBUTE Proxy-State-Length 241.2 integer\n"
    "ATTRIBUTE IP-Port-Limit-Info 241.5 tlv\n"
    "ATTRIBUTE IP-Port-Type 241.5.1 integer\n";

TEST(Dictionary, ExtendedChildrenHangUnderTheirParent) {
    Dictionary d = loadOk(kExtended);
    const AttrDef* ext = d.find(0, 241);
    ASSERT_NE(ext, nullptr);
    EXPECT_EQ(ext->type, DataType::kExtended);
    EXPECT_EQ(d.find(0, 245)->type, DataType::kLongExtended);
    const AttrDef* frag = d.child(*ext, 1);
    ASSERT_NE(frag, nullptr);
    EXPECT_EQ(frag->name, "Frag-Status");
    EXPECT_EQ(frag->oid, "241.1");
    EXPECT_EQ(frag->number, 1u);
    EXPECT_EQ(frag->parent, ext);
    EXPECT_EQ(frag->vendor, 0u);
    EXPECT_FALSE(frag->internal());
    EXPECT_EQ(d.child(*ext, 2)->name, "Proxy-State-Length");
    EXPECT_EQ(d.child(*ext, 3), nullptr);
    // Deeper: a TLV inside an extended attribute.
    const AttrDef* tlv = d.child(*ext, 5);
    ASSERT_NE(tlv, nullptr);
    const AttrDef* leaf = d.child(*tlv, 1);
    ASSERT_NE(leaf, nullptr);
    EXPECT_EQ(leaf->name, "IP-Port-Type");
    EXPECT_EQ(leaf->oid, "241.5.1");
    EXPECT_EQ(leaf->parent, tlv);
    EXPECT_EQ(d.find(0, 1), nullptr);  // children are not top-level attributes
}

TEST(Dictionary, EvsVendorBlockHangsUnderTheEvsAttribute) {
    std::string text = kExtended;
    text +=
        "VENDOR FreeRADIUS 11344\n"
        "BEGIN-VENDOR FreeRADIUS format=Extended-Vendor-Specific-5\n"
        "ATTRIBUTE FreeRADIUS-EAPoL-Key 1 octets\n"
        "END-VENDOR FreeRADIUS\n";
    Dictionary d = loadOk(text);
    const AttrDef* evs = d.byName("Extended-Vendor-Specific-5");
    ASSERT_NE(evs, nullptr);
    EXPECT_EQ(evs->oid, "245.26");
    const AttrDef* key = d.evsChild(*evs, 11344, 1);
    ASSERT_NE(key, nullptr);
    EXPECT_EQ(key->name, "FreeRADIUS-EAPoL-Key");
    EXPECT_EQ(key->oid, "245.26.11344.1");
    EXPECT_EQ(key->vendor, 11344u);
    EXPECT_EQ(key->parent, evs);
    EXPECT_EQ(d.find(11344, 1), nullptr);  // not a Vendor-Specific (26) attribute
}

TEST(Dictionary, VendorTlvChildrenByDottedNumberAndByBlock) {
    Dictionary d = loadOk(
        "VENDOR WiMAX 24757 format=1,1,c\n"
        "BEGIN-VENDOR WiMAX\n"
        "ATTRIBUTE WiMAX-Capability 1 tlv\n"
        "ATTRIBUTE WiMAX-Release 1.1 string\n"
        "BEGIN-TLV WiMAX-Capability\n"
        "ATTRIBUTE WiMAX-Accounting-Capabilities 2 byte\n"
        "ATTRIBUTE WiMAX-Inner 3 tlv\n"
        "ATTRIBUTE WiMAX-Inner-Leaf 3.7 integer\n"
        "END-TLV WiMAX-Capability\n"
        "ATTRIBUTE WiMAX-Device-Authentication-Indicator 2 byte\n"
        "END-VENDOR WiMAX\n");
    const AttrDef* cap = d.find(24757, 1);
    ASSERT_NE(cap, nullptr);
    EXPECT_EQ(cap->oid, "26.24757.1");
    const AttrDef* rel = d.child(*cap, 1);
    ASSERT_NE(rel, nullptr);
    EXPECT_EQ(rel->name, "WiMAX-Release");
    EXPECT_EQ(rel->oid, "26.24757.1.1");
    EXPECT_EQ(rel->vendor, 24757u);
    EXPECT_EQ(d.child(*cap, 2)->name, "WiMAX-Accounting-Capabilities");
    const AttrDef* inner = d.child(*cap, 3);
    ASSERT_NE(inner, nullptr);
    EXPECT_EQ(d.child(*inner, 7)->oid, "26.24757.1.3.7");
    // After END-TLV, numbers are vendor-level again.
    EXPECT_EQ(d.find(24757, 2)->name, "WiMAX-Device-Authentication-Indicator");
}

// --- VALUE -------------------------------------------------------------------------------

TEST(Dictionary, ValueLookupsBothWays) {
    Dictionary d = loadOk(
        "ATTRIBUTE Service-Type 6 integer\n"
        "VALUE Service-Type Login-User 1\n"
        "VALUE Service-Type Framed-User 2\n"
        "VALUE Service-Type Hex 0x10\n");
    const AttrDef& st = *d.byName("Service-Type");
    EXPECT_EQ(d.valueByName(st, "Framed-User"), 2u);
    EXPECT_EQ(d.valueByName(st, "framed-user"), 2u);  // case-insensitive, as names
    EXPECT_EQ(d.valueByName(st, "Hex"), 16u);
    EXPECT_EQ(d.valueByName(st, "Nope"), std::nullopt);
    EXPECT_EQ(d.valueName(st, 1), "Login-User");
    EXPECT_EQ(d.valueName(st, 3), "");
    auto all = d.values(st);
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].first, "Login-User");
    EXPECT_EQ(all[2].second, 16u);
}

TEST(Dictionary, SeveralValueNamesForOneNumberPrintTheLast) {
    // FreeRADIUS order: "Alive" then "Interim-Update"; the later name is printed.
    Dictionary d = loadOk(
        "ATTRIBUTE Acct-Status-Type 40 integer\n"
        "VALUE Acct-Status-Type Alive 3\n"
        "VALUE Acct-Status-Type Interim-Update 3\n");
    const AttrDef& a = *d.byName("Acct-Status-Type");
    EXPECT_EQ(d.valueByName(a, "Alive"), 3u);
    EXPECT_EQ(d.valueByName(a, "Interim-Update"), 3u);
    EXPECT_EQ(d.valueName(a, 3), "Interim-Update");
}

TEST(Dictionary, ValueBeforeItsAttributeIsDeferred) {
    // dictionary.compat does this: its VALUEs come before dictionary.rfc2865's ATTRIBUTEs.
    Dictionary d = loadOk(
        "VALUE Service-Type Shell-User 6\n"
        "ATTRIBUTE Service-Type 6 integer\n");
    EXPECT_EQ(d.valueByName(*d.byName("Service-Type"), "Shell-User"), 6u);
}

TEST(Dictionary, ValueForAnAttributeNeverDefinedFailsAtItsLine) {
    expectError("ATTRIBUTE A 1 integer\nVALUE Nope X 1\n", DictError::kUnknownAttribute, 2,
                "VALUE 'X' for unknown attribute 'Nope'");
}

TEST(Dictionary, SameValueTwiceIsFineButANewNumberConflicts) {
    loadOk("ATTRIBUTE A 1 integer\nVALUE A X 1\nVALUE A X 1\n");
    expectError("ATTRIBUTE A 1 integer\nVALUE A X 1\nVALUE A X 2\n", DictError::kConflict, 3,
                "VALUE 'X' of 'A' already defined as 1");
}

TEST(Dictionary, ValueMustFitTheAttributeType) {
    expectError("ATTRIBUTE B 1 byte\nVALUE B Big 256\n", DictError::kBadNumber, 2,
                "VALUE 'Big' of 'B': 256 does not fit type byte");
    expectError("ATTRIBUTE S 1 short\nVALUE S Big 65536\n", DictError::kBadNumber, 2,
                "VALUE 'Big' of 'S': 65536 does not fit type short");
    expectError("ATTRIBUTE I 1 integer\nVALUE I Big 4294967296\n", DictError::kBadNumber, 2,
                "VALUE 'Big' of 'I': 4294967296 does not fit type integer");
    loadOk("ATTRIBUTE L 1 integer64\nVALUE L Big 4294967296\n");
    expectError("ATTRIBUTE T 1 string\nVALUE T X 1\n", DictError::kConflict, 2,
                "VALUE 'X' for attribute 'T' of type string");
    expectError("ATTRIBUTE I 1 integer\nVALUE I X one\n", DictError::kBadNumber, 2,
                "VALUE 'X' of 'I': 'one' is not a number");
}

// --- duplicates and aliases --------------------------------------------------------------

TEST(Dictionary, IdenticalDuplicateDefinitionIsFine) {
    Dictionary d = loadOk("ATTRIBUTE A 1 string\nATTRIBUTE A 1 string\nATTRIBUTE a 1 string\n");
    EXPECT_EQ(d.attributes().size(), 1u);
}

TEST(Dictionary, NameReusedForAnotherAttributeConflicts) {
    expectError("ATTRIBUTE A 1 string\nATTRIBUTE A 2 string\n", DictError::kConflict, 2,
                "attribute 'A' already defined as 1 string");
    expectError("ATTRIBUTE A 1 string\nATTRIBUTE A 1 integer\n", DictError::kConflict, 2,
                "attribute 'A' already defined as 1 string");
    expectError("ATTRIBUTE A 1 string\nATTRIBUTE A 1 string has_tag\n", DictError::kConflict, 2,
                "attribute 'A' already defined as 1 string with other flags");
}

TEST(Dictionary, SeveralNamesForOneNumberShareValuesAndTheLastIsFound) {
    Dictionary d = loadOk(
        "VENDOR Microsoft 311\nBEGIN-VENDOR Microsoft\n"
        "ATTRIBUTE MS-MPPE-Encryption-Type 8 integer\n"
        "VALUE MS-MPPE-Encryption-Type Both 6\n"
        "ATTRIBUTE MS-MPPE-Encryption-Types 8 integer\n"
        "VALUE MS-MPPE-Encryption-Types Only-128 4\n"
        "END-VENDOR Microsoft\n");
    const AttrDef* first = d.byName("MS-MPPE-Encryption-Type");
    const AttrDef* second = d.byName("MS-MPPE-Encryption-Types");
    ASSERT_NE(first, nullptr);
    ASSERT_NE(second, nullptr);
    EXPECT_NE(first, second);
    EXPECT_EQ(first->oid, second->oid);
    EXPECT_EQ(d.find(311, 8), second);  // number -> name: the last, as FreeRADIUS
    EXPECT_EQ(d.canonical(*second), first);
    EXPECT_EQ(d.canonical(*first), first);
    EXPECT_EQ(d.valueByName(*first, "Only-128"), 4u);
    EXPECT_EQ(d.valueByName(*second, "Both"), 6u);
    EXPECT_EQ(d.valueName(*second, 6), "Both");
    EXPECT_EQ(d.attributes().size(), 2u);
}

TEST(Dictionary, ChildrenAreFoundThroughEveryNameOfTheirParent) {
    Dictionary d =
        loadOk("ATTRIBUTE P 241 extended\nATTRIBUTE C 241.1 integer\nATTRIBUTE P2 241 extended\n");
    const AttrDef* p2 = d.find(0, 241);
    EXPECT_EQ(p2->name, "P2");
    ASSERT_NE(d.child(*p2, 1), nullptr);
    EXPECT_EQ(d.child(*p2, 1)->name, "C");
    EXPECT_EQ(d.child(*d.byName("P"), 1)->name, "C");
}

TEST(Dictionary, DefinitionsStayAtTheSameAddressAcrossLoads) {
    Dictionary d = loadOk("ATTRIBUTE A 1 string\n");
    const AttrDef* a = d.find(0, 1);
    std::string more;
    for (int i = 2; i < 255; ++i)
        more += "ATTRIBUTE X" + std::to_string(i) + " " + std::to_string(i) + " integer\n";
    ASSERT_TRUE(d.loadText(more, "more.dict"));
    EXPECT_EQ(d.find(0, 1), a);
    EXPECT_EQ(a->name, "A");
}

// --- errors ------------------------------------------------------------------------------

TEST(Dictionary, SyntaxErrorsNameTheToken) {
    expectError("ATTRIBUTE A 1 string\nFROB A 1\n", DictError::kSyntax, 2,
                "unknown keyword 'FROB'");
    expectError("ATTRIBUTE A 1\n", DictError::kSyntax, 1,
                "ATTRIBUTE takes a name, a number, a type and optional flags");
    expectError("VALUE A B\n", DictError::kSyntax, 1,
                "VALUE takes an attribute name, a value name and a number");
    expectError("VENDOR A\n", DictError::kSyntax, 1,
                "VENDOR takes a name, a number and an optional format=");
    expectError("$INCLUDE\n", DictError::kSyntax, 1, "$INCLUDE takes one file name");
    expectError("ATTRIBUTE A 1 string has_tag x y z w\n", DictError::kSyntax, 1,
                "too many fields after 'ATTRIBUTE'");
}

TEST(Dictionary, BadNumbersAreRejected) {
    expectError("ATTRIBUTE A one string\n", DictError::kBadNumber, 1,
                "attribute number 'one' of 'A' is not a number");
    expectError("ATTRIBUTE A 1..2 string\n", DictError::kBadNumber, 1,
                "attribute number '1..2' of 'A' is not a number");
    expectError("ATTRIBUTE A 4294967296 string\n", DictError::kBadNumber, 1,
                "attribute number '4294967296' of 'A' is not a number");
    expectError("ATTRIBUTE A -1 string\n", DictError::kBadNumber, 1,
                "attribute number '-1' of 'A' is not a number");
    expectError("ATTRIBUTE A 1 octets[0]\n", DictError::kBadNumber, 1,
                "length in 'octets[0]' is not 1..253");
    expectError("ATTRIBUTE A 1 octets[254]\n", DictError::kBadNumber, 1,
                "length in 'octets[254]' is not 1..253");
    expectError("VENDOR V 0\n", DictError::kBadNumber, 1,
                "vendor number '0' is not a number in 1..16777215");
    expectError("VENDOR V 16777216\n", DictError::kBadNumber, 1,
                "vendor number '16777216' is not a number in 1..16777215");
    expectError("ATTRIBUTE E 241 extended\nATTRIBUTE C 241.256 integer\n", DictError::kBadNumber, 2,
                "attribute number '241.256' of 'C' is out of range (max 255)");
}

TEST(Dictionary, UnknownTypesAreRejected) {
    expectError("ATTRIBUTE A 1 float\n", DictError::kUnknownType, 1, "unknown type 'float'");
    expectError("ATTRIBUTE A 1 string[5]\n", DictError::kUnknownType, 1,
                "unknown type 'string[5]'");
    expectError("ATTRIBUTE A 1 octets[5\n", DictError::kUnknownType, 1, "unknown type 'octets[5'");
}

TEST(Dictionary, BadFlagsAreRejected) {
    expectError("ATTRIBUTE A 1 string encrypt=4\n", DictError::kBadFlag, 1,
                "bad flag 'encrypt=4' (encrypt is 1, 2 or 3)");
    expectError("ATTRIBUTE A 1 string has_tag,shiny\n", DictError::kBadFlag, 1,
                "unknown flag 'shiny'");
    expectError("ATTRIBUTE A 1 string NoSuchVendor\n", DictError::kBadFlag, 1,
                "unknown flag or vendor 'NoSuchVendor'");
    expectError("VENDOR V 10 format=3,1\n", DictError::kBadFlag, 1,
                "bad vendor format 'format=3,1'");
    expectError("VENDOR V 10 format=2,1,c\n", DictError::kBadFlag, 1,
                "bad vendor format 'format=2,1,c'");
    expectError("VENDOR V 10 shape=1,1\n", DictError::kBadFlag, 1,
                "unknown VENDOR option 'shape=1,1'");
    expectError("ATTRIBUTE A 1 string\nVENDOR V 10\nBEGIN-VENDOR V format=A\n", DictError::kBadFlag,
                3, "BEGIN-VENDOR format 'A' is not an attribute of type evs");
}

TEST(Dictionary, UnknownVendorsAreRejected) {
    expectError("BEGIN-VENDOR Nope\n", DictError::kUnknownVendor, 1,
                "BEGIN-VENDOR for unknown vendor 'Nope'");
}

TEST(Dictionary, UnknownParentsAreRejected) {
    expectError("ATTRIBUTE C 9.1 integer\n", DictError::kUnknownAttribute, 1,
                "attribute 'C' number '9.1': no parent attribute 9");
    expectError("ATTRIBUTE P 9 integer\nATTRIBUTE C 9.1 integer\n", DictError::kUnknownAttribute, 2,
                "attribute 'C' number '9.1': parent 'P' is of type integer, not tlv or extended");
    expectError("BEGIN-TLV Nope\n", DictError::kUnknownAttribute, 1,
                "BEGIN-TLV for unknown attribute 'Nope'");
    expectError("ATTRIBUTE P 9 string\nBEGIN-TLV P\n", DictError::kUnknownAttribute, 2,
                "BEGIN-TLV 'P' is of type string, not tlv");
}

TEST(Dictionary, MismatchedBlocksConflict) {
    expectError("VENDOR A 10\nVENDOR B 11\nBEGIN-VENDOR A\nEND-VENDOR B\n", DictError::kConflict, 4,
                "END-VENDOR 'B' does not match: open block is BEGIN-VENDOR A");
    expectError("END-VENDOR A\n", DictError::kConflict, 1,
                "END-VENDOR 'A' does not match: no block is open");
    expectError("ATTRIBUTE T 1 tlv\nBEGIN-TLV T\nEND-VENDOR T\n", DictError::kConflict, 3,
                "END-VENDOR 'T' does not match: open block is BEGIN-TLV T");
    expectError("ATTRIBUTE T 1 tlv\nATTRIBUTE U 2 tlv\nBEGIN-TLV T\nEND-TLV U\n",
                DictError::kConflict, 4, "END-TLV 'U' does not match: open block is BEGIN-TLV T");
    expectError("VENDOR A 10\nBEGIN-VENDOR A\nBEGIN-VENDOR A\n", DictError::kSyntax, 3,
                "BEGIN-VENDOR A inside BEGIN-VENDOR A");
}

TEST(Dictionary, UnclosedBlockFailsAtItsBeginLine) {
    expectError("VENDOR A 10\nBEGIN-VENDOR A\nATTRIBUTE X 1 string\n", DictError::kSyntax, 2,
                "BEGIN-VENDOR A is not closed before the end of the file");
}

TEST(Dictionary, VendorRedefinedDifferentlyConflicts) {
    expectError("VENDOR A 10\nVENDOR A 11\n", DictError::kConflict, 2,
                "vendor 'A' already defined as 10 with another format");
    expectError("VENDOR A 10\nVENDOR B 10 format=2,1\n", DictError::kConflict, 2,
                "vendor 'B' number 10 is already 'A' with another format");
}

TEST(Dictionary, Rfc6929TypesOnlyWhereRfc6929PutsThem) {
    expectError("ATTRIBUTE E 240 extended\n", DictError::kConflict, 1,
                "attribute 'E' of type extended must be a standard attribute 241..244");
    expectError("ATTRIBUTE E 241 long-extended\n", DictError::kConflict, 1,
                "attribute 'E' of type long-extended must be a standard attribute 245..246");
    expectError("ATTRIBUTE E 241 extended\nATTRIBUTE V 241.25 evs\n", DictError::kConflict, 2,
                "attribute 'V' of type evs must be 26 of an extended attribute");
}

TEST(Dictionary, DescribeIsFileLineMessage) {
    auto e = loadError("\n\nFROB\n");
    ASSERT_TRUE(e);
    EXPECT_EQ(e->describe(), "test.dict:3: unknown keyword 'FROB'");
    DictError no_line{DictError::kFileNotFound, "/x/y", 0, "cannot open '/x/y'"};
    EXPECT_EQ(no_line.describe(), "/x/y: cannot open '/x/y'");
}

TEST(Dictionary, GarbageNeverCrashes) {
    // Binary junk, NULs, a lone keyword, huge tokens: an error, never a crash.
    static constexpr char kJunk[] = "ATTRIBUTE\0\xff\xfe 1 string\n";
    std::string junk(kJunk, sizeof(kJunk) - 1);  // keeps the embedded NUL
    EXPECT_TRUE(loadError(junk).has_value());
    EXPECT_TRUE(loadError(std::string(100000, 'A')).has_value());
    EXPECT_FALSE(loadError("").has_value());
    EXPECT_FALSE(loadError("\n\n\n").has_value());
}

// --- $INCLUDE ----------------------------------------------------------------------------

TEST(Dictionary, IncludeIsRelativeToTheIncludingFile) {
    TempDir dir;
    dir.write("sub/dictionary.vendor", "ATTRIBUTE From-Sub 2 string\n$INCLUDE deeper/d\n");
    dir.write("sub/deeper/d", "ATTRIBUTE From-Deeper 3 string\n");
    std::string main =
        dir.write("dictionary", "ATTRIBUTE A 1 string\n$INCLUDE sub/dictionary.vendor\n");
    Dictionary d;
    auto r = d.loadFile(main);
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_NE(d.byName("From-Sub"), nullptr);
    EXPECT_NE(d.byName("From-Deeper"), nullptr);
}

TEST(Dictionary, IncludeOfAnAbsolutePath) {
    TempDir dir;
    std::string other = dir.write("elsewhere/x", "ATTRIBUTE Abs 5 integer\n");
    Dictionary d;
    auto r = d.loadText("$INCLUDE " + other + "\n", "/nonexistent/dir/main");
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_EQ(d.find(0, 5)->name, "Abs");
}

TEST(Dictionary, LoadTextResolvesIncludesAgainstItsName) {
    TempDir dir;
    dir.write("inc", "ATTRIBUTE Inc 6 integer\n");
    Dictionary d;
    auto r = d.loadText("$INCLUDE inc\n", dir.path("virtual-main"));
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_NE(d.byName("Inc"), nullptr);
}

TEST(Dictionary, OptionalIncludeOfAMissingFileIsSkipped) {
    TempDir dir;
    std::string main =
        dir.write("dictionary", "$INCLUDE- dictionary.local\nATTRIBUTE A 1 string\n");
    Dictionary d;
    ASSERT_TRUE(d.loadFile(main));
    EXPECT_NE(d.byName("A"), nullptr);
}

TEST(Dictionary, MissingIncludeFailsAtTheIncludeLine) {
    TempDir dir;
    std::string main = dir.write("dictionary", "ATTRIBUTE A 1 string\n$INCLUDE dictionary.nope\n");
    Dictionary d;
    auto r = d.loadFile(main);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, DictError::kFileNotFound);
    EXPECT_EQ(r.error().file, fs::weakly_canonical(main).generic_string());
    EXPECT_EQ(r.error().line, 2);
    EXPECT_EQ(r.error().message,
              "$INCLUDE 'dictionary.nope': cannot open '" +
                  fs::weakly_canonical(dir.path("dictionary.nope")).generic_string() + "'");
}

TEST(Dictionary, MissingTopFileIsFileNotFound) {
    Dictionary d;
    auto r = d.loadFile("/nonexistent/gatehouse/dictionary");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, DictError::kFileNotFound);
    EXPECT_EQ(r.error().line, 0);
    EXPECT_EQ(r.error().describe(),
              "/nonexistent/gatehouse/dictionary: cannot open '/nonexistent/gatehouse/dictionary'");
}

TEST(Dictionary, ADirectoryIsNotADictionary) {
    TempDir dir;
    std::string main = dir.write("dictionary", "$INCLUDE .\n");
    Dictionary d;
    auto r = d.loadFile(main);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, DictError::kFileNotFound);
}

TEST(Dictionary, IncludeLoopIsAnError) {
    TempDir dir;
    dir.write("b", "ATTRIBUTE B 2 string\n$INCLUDE a\n");
    std::string a = dir.write("a", "ATTRIBUTE A 1 string\n$INCLUDE b\n");
    Dictionary d;
    auto r = d.loadFile(a);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, DictError::kIncludeDepth);
    EXPECT_EQ(r.error().file, fs::weakly_canonical(dir.path("b")).generic_string());
    EXPECT_EQ(r.error().line, 2);
    EXPECT_EQ(r.error().message, "$INCLUDE 'a' includes a file already being loaded");
}

TEST(Dictionary, SelfIncludeThroughAnotherSpellingIsALoop) {
    TempDir dir;
    std::string a = dir.write("sub/a", "$INCLUDE ../sub/./a\n");
    Dictionary d;
    auto r = d.loadFile(a);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, DictError::kIncludeDepth);
}

TEST(Dictionary, IncludeDeeperThan32IsAnError) {
    TempDir dir;
    for (int i = 0; i < 40; ++i) {
        dir.write("f" + std::to_string(i), "$INCLUDE f" + std::to_string(i + 1) + "\n");
    }
    dir.write("f40", "ATTRIBUTE Deep 1 string\n");
    Dictionary d;
    auto r = d.loadFile(dir.path("f0"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, DictError::kIncludeDepth);
    EXPECT_EQ(r.error().line, 1);
    EXPECT_EQ(r.error().message, "$INCLUDE 'f33' nested deeper than 32 files");
    // 32 levels are fine.
    Dictionary ok;
    EXPECT_TRUE(ok.loadFile(dir.path("f8"))) << "f8 .. f40 is 32 nested includes";
}

TEST(Dictionary, IncludeTwiceSideBySideIsNotALoop) {
    TempDir dir;
    dir.write("common", "ATTRIBUTE C 1 integer\nVALUE C X 1\n");
    std::string main = dir.write("main", "$INCLUDE common\n$INCLUDE common\n");
    Dictionary d;
    auto r = d.loadFile(main);
    EXPECT_TRUE(r) << r.error().describe();
}

TEST(Dictionary, VendorBlockDoesNotLeakIntoAnInclude) {
    TempDir dir;
    dir.write("inc", "ATTRIBUTE Std 7 integer\n");
    std::string main = dir.write(
        "main",
        "VENDOR V 10\nBEGIN-VENDOR V\n$INCLUDE inc\nATTRIBUTE Ven 7 integer\nEND-VENDOR V\n");
    Dictionary d;
    ASSERT_TRUE(d.loadFile(main));
    EXPECT_EQ(d.find(0, 7)->name, "Std");
    EXPECT_EQ(d.find(10, 7)->name, "Ven");
}

TEST(Dictionary, ErrorsInIncludedFilesNameThatFile) {
    TempDir dir;
    dir.write("inc", "ATTRIBUTE A 1 string\n\nATTRIBUTE B 2 nonsense\n");
    std::string main = dir.write("main", "# main\n$INCLUDE inc\n");
    Dictionary d;
    auto r = d.loadFile(main);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().describe(), fs::weakly_canonical(dir.path("inc")).generic_string() +
                                        ":3: unknown type 'nonsense'");
}

// --- built-in dictionaries ---------------------------------------------------------------

TEST(DictionaryBuiltin, LoadsWithTheAttributesAnIspNeeds) {
    const Dictionary& d = Dictionary::builtin();
    struct Want {
        const char* name;
        uint32_t vendor;
        const char* oid;
        DataType type;
    };
    const Want wants[] = {
        {"User-Name", 0, "1", DataType::kString},
        {"User-Password", 0, "2", DataType::kString},
        {"Framed-IP-Address", 0, "8", DataType::kIpAddr},
        {"Vendor-Specific", 0, "26", DataType::kVsa},
        {"Acct-Status-Type", 0, "40", DataType::kInteger},
        {"Event-Timestamp", 0, "55", DataType::kDate},
        {"Tunnel-Password", 0, "69", DataType::kString},
        {"EAP-Message", 0, "79", DataType::kOctets},
        {"Message-Authenticator", 0, "80", DataType::kOctets},
        {"Error-Cause", 0, "101", DataType::kInteger},
        {"Framed-IPv6-Prefix", 0, "97", DataType::kIpv6Prefix},
        {"Delegated-IPv6-Prefix", 0, "123", DataType::kIpv6Prefix},
        {"Framed-IPv6-Address", 0, "168", DataType::kIpv6Addr},
        {"Frag-Status", 0, "241.1", DataType::kInteger},
        {"Proxy-State-Length", 0, "241.2", DataType::kInteger},
        {"MS-CHAP2-Response", 311, "26.311.25", DataType::kOctets},
        {"MS-MPPE-Send-Key", 311, "26.311.16", DataType::kOctets},
        {"Mikrotik-Rate-Limit", 14988, "26.14988.8", DataType::kString},
        {"Mikrotik-Switching-Filter", 14988, "26.14988.30", DataType::kString},
        {"Cisco-AVPair", 9, "26.9.1", DataType::kString},
        {"Cisco-Command-Code", 9, "26.9.252", DataType::kString},
        {"Juniper-Local-User-Name", 2636, "26.2636.1", DataType::kString},
        {"ERX-Service-Activate", 4874, "26.4874.65", DataType::kString},
        {"Huawei-Input-Average-Rate", 2011, "26.2011.2", DataType::kInteger},
        {"ADSL-Agent-Circuit-Id", 3561, "26.3561.1", DataType::kOctets},
        {"WISPr-Bandwidth-Max-Down", 14122, "26.14122.8", DataType::kInteger},
        {"Rate-Limit-Rate", 2352, "26.2352.10", DataType::kInteger},
    };
    for (const auto& w : wants) {
        const AttrDef* a = d.byName(w.name);
        ASSERT_NE(a, nullptr) << w.name;
        EXPECT_EQ(a->vendor, w.vendor) << w.name;
        EXPECT_EQ(a->oid, w.oid) << w.name;
        EXPECT_EQ(a->type, w.type) << w.name;
    }
    EXPECT_EQ(d.byName("Tunnel-Password")->encrypt, Encrypt::kTunnelPassword);
    EXPECT_TRUE(d.byName("Tunnel-Password")->has_tag);
    EXPECT_EQ(d.byName("User-Password")->encrypt, Encrypt::kUserPassword);
    EXPECT_EQ(d.byName("MS-MPPE-Recv-Key")->encrypt, Encrypt::kTunnelPassword);
    EXPECT_EQ(d.byName("MS-CHAP-MPPE-Keys")->encrypt, Encrypt::kUserPassword);
    EXPECT_EQ(d.byName("MS-CHAP2-Response")->fixed_length, 50);
    EXPECT_TRUE(d.byName("EAP-Message")->concat);
    EXPECT_TRUE(d.byName("ERX-Service-Activate")->has_tag);
    int mikrotik = 0;
    for (const AttrDef& a : d.attributes())
        mikrotik += a.vendor == 14988;
    EXPECT_EQ(mikrotik, 30);
}

TEST(DictionaryBuiltin, HasTheValueNamesIspsUse) {
    const Dictionary& d = Dictionary::builtin();
    auto value = [&](const char* attr, const char* name) {
        const AttrDef* a = d.byName(attr);
        EXPECT_NE(a, nullptr) << attr;
        return a ? d.valueByName(*a, name) : std::nullopt;
    };
    EXPECT_EQ(value("Service-Type", "Framed-User"), 2u);
    EXPECT_EQ(value("Service-Type", "Authorize-Only"), 17u);
    EXPECT_EQ(value("Framed-Protocol", "PPP"), 1u);
    EXPECT_EQ(value("NAS-Port-Type", "Ethernet"), 15u);
    EXPECT_EQ(value("NAS-Port-Type", "PPPoEoVLAN"), 33u);
    EXPECT_EQ(value("Acct-Status-Type", "Start"), 1u);
    EXPECT_EQ(value("Acct-Status-Type", "Alive"), 3u);
    EXPECT_EQ(value("Acct-Status-Type", "Interim-Update"), 3u);
    EXPECT_EQ(value("Acct-Status-Type", "Accounting-On"), 7u);
    EXPECT_EQ(value("Acct-Terminate-Cause", "Lost-Carrier"), 2u);
    EXPECT_EQ(value("Acct-Terminate-Cause", "Admin-Reset"), 6u);
    EXPECT_EQ(value("Acct-Authentic", "RADIUS"), 1u);
    EXPECT_EQ(value("Error-Cause", "Session-Context-Not-Found"), 503u);
    EXPECT_EQ(value("Tunnel-Type", "L2TP"), 3u);
    EXPECT_EQ(value("Tunnel-Type", "VLAN"), 13u);
    EXPECT_EQ(value("Tunnel-Medium-Type", "IEEE-802"), 6u);
    EXPECT_EQ(value("MS-MPPE-Encryption-Policy", "Encryption-Required"), 2u);
    EXPECT_EQ(d.valueName(*d.byName("Acct-Status-Type"), 3), "Interim-Update");
}

TEST(DictionaryBuiltin, HoldsNoServerInternalAttributes) {
    for (const AttrDef& a : Dictionary::builtin().attributes()) {
        EXPECT_FALSE(a.internal()) << a.name;
        if (a.vendor != 0) {
            EXPECT_NE(Dictionary::builtin().vendorById(a.vendor), nullptr) << a.name;
        }
    }
}

TEST(DictionaryBuiltin, IsOneObjectForEveryThread) {
    std::vector<const Dictionary*> seen(4);
    std::vector<std::thread> threads;
    for (size_t i = 0; i < seen.size(); ++i) {
        threads.emplace_back([&seen, i] { seen[i] = &Dictionary::builtin(); });
    }
    for (auto& t : threads)
        t.join();
    for (const Dictionary* p : seen)
        EXPECT_EQ(p, &Dictionary::builtin());
}

TEST(DictionaryBuiltin, EmbedsEveryShippedFileAsItIsOnDisk) {
    // The generated .cpp must follow dictionaries/ (the build regenerates it on change).
    const fs::path dir = fs::path(GH_SOURCE_DIR) / "dictionaries";
    std::set<std::string> on_disk;
    for (const auto& e : fs::directory_iterator(dir)) {
        if (e.is_regular_file())
            on_disk.insert(e.path().filename().string());
    }
    std::set<std::string> embedded;
    for (const auto& f : detail::embeddedDictionaries()) {
        embedded.insert(std::string(f.name));
        std::ifstream in(dir / std::string(f.name), std::ios::binary);
        std::string text((std::istreambuf_iterator<char>(in)), {});
        EXPECT_EQ(text, f.text) << f.name << " differs from its embedded copy";
    }
    EXPECT_EQ(on_disk, embedded);
}

TEST(DictionaryBuiltin, MainFileIncludesEveryOtherFile) {
    const fs::path dir = fs::path(GH_SOURCE_DIR) / "dictionaries";
    std::ifstream in(dir / "dictionary");
    std::set<std::string> included;
    std::string keyword, name;
    for (std::string line; std::getline(in, line);) {
        std::istringstream words(line);
        if (words >> keyword >> name && keyword == "$INCLUDE")
            included.insert(name);
    }
    for (const auto& e : fs::directory_iterator(dir)) {
        std::string file = e.path().filename().string();
        if (file != "dictionary") {
            EXPECT_TRUE(included.count(file)) << file << " is never included";
        }
    }
}

TEST(DictionaryBuiltin, EveryShippedFileStartsWithItsSource) {
    for (const auto& f : detail::embeddedDictionaries()) {
        EXPECT_TRUE(f.text.starts_with("# ")) << f.name
                                              << " must start with a comment saying "
                                                 "where its numbers come from";
    }
}

TEST(DictionaryBuiltin, LoadingTheSourceTreeGivesTheSameDictionary) {
    Dictionary from_disk;
    auto r = from_disk.loadFile(std::string(GH_SOURCE_DIR) + "/dictionaries/dictionary");
    ASSERT_TRUE(r) << r.error().describe();
    const Dictionary& builtin = Dictionary::builtin();
    ASSERT_EQ(from_disk.attributes().size(), builtin.attributes().size());
    for (size_t i = 0; i < builtin.attributes().size(); ++i) {
        EXPECT_EQ(from_disk.attributes()[i].name, builtin.attributes()[i].name);
        EXPECT_EQ(from_disk.attributes()[i].oid, builtin.attributes()[i].oid);
    }
}

TEST(DictionaryBuiltin, OperatorFilesLoadOnTopOfTheBuiltinOnes) {
    Dictionary d;
    ASSERT_TRUE(d.loadBuiltin());
    auto r = d.loadText(
        "VENDOR Acme 99999\nBEGIN-VENDOR Acme\nATTRIBUTE Acme-Plan 1 string\nEND-VENDOR Acme\n"
        "VALUE Service-Type Acme-Special 200\n",
        "/etc/gatehouse/dictionary.local");
    ASSERT_TRUE(r) << r.error().describe();
    EXPECT_EQ(d.find(99999, 1)->name, "Acme-Plan");
    EXPECT_EQ(d.valueByName(*d.byName("Service-Type"), "Acme-Special"), 200u);
    EXPECT_EQ(d.valueByName(*d.byName("Service-Type"), "Framed-User"), 2u);
    // Redefining a shipped name as something else is refused, with the operator's file:line.
    auto bad = d.loadText("ATTRIBUTE User-Name 200 string\n", "/etc/gatehouse/dictionary.local");
    ASSERT_FALSE(bad);
    EXPECT_EQ(
        bad.error().describe(),
        "/etc/gatehouse/dictionary.local:1: attribute 'User-Name' already defined as 1 string");
}

}  // namespace
}  // namespace gatehouse::radius
