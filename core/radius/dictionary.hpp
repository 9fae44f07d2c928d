#pragma once
// FreeRADIUS-format dictionaries: VENDOR, BEGIN-VENDOR/END-VENDOR, ATTRIBUTE (types, flags,
// octets[N]), VALUE, $INCLUDE, vendor format=, BEGIN-TLV/END-TLV, dotted TLV and RFC 6929
// extended numbers. A loaded Dictionary is immutable and shared read-only by every worker.
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/util/expected.hpp"

namespace gatehouse::radius {

/// FreeRADIUS type names in comments.
enum class DataType : uint8_t {
    kString,        // string: text, 0..253 octets
    kOctets,        // octets
    kInteger,       // integer: 4 octets unsigned
    kSigned,        // signed: 4 octets two's complement
    kInteger64,     // integer64
    kDate,          // date: 4 octets, seconds since the epoch
    kIpAddr,        // ipaddr: 4 octets
    kIpv6Addr,      // ipv6addr: 16 octets
    kIpv6Prefix,    // ipv6prefix: reserved, prefix length, 0..16 octets
    kIpv4Prefix,    // ipv4prefix: reserved, prefix length, 4 octets
    kIfid,          // ifid: 8 octets
    kByte,          // byte: 1 octet
    kShort,         // short: 2 octets
    kEther,         // ether: 6 octets
    kComboIp,       // combo-ip: 4 or 16 octets
    kAbinary,       // abinary: Ascend filter, opaque here
    kTlv,           // tlv: children inside
    kVsa,           // vsa: Vendor-Specific container
    kExtended,      // extended: RFC 6929 241..244
    kLongExtended,  // long-extended: RFC 6929 245..246
    kEvs,           // evs: Extended-Vendor-Specific
};

std::string_view dataTypeName(DataType t);  // FreeRADIUS spelling: "string", "ipaddr", ...

/// RFC 2865 5.2 / RFC 2868 3.5 / Ascend hiding, as FreeRADIUS's encrypt= flag.
enum class Encrypt : uint8_t {
    kNone = 0,
    kUserPassword = 1,
    kTunnelPassword = 2,
    kAscendSecret = 3
};

struct VendorDef {
    std::string name;
    uint32_t id = 0;
    uint8_t type_octets = 1;  // format=T,L[,c]
    uint8_t length_octets = 1;
    bool continuation = false;  // the ",c" of format= (WiMAX style)
};

struct AttrDef {
    std::string name;
    uint32_t vendor = 0;              // 0: standard space
    uint32_t number = 0;              // number within its parent (or vendor, or the top level)
    const AttrDef* parent = nullptr;  // TLV / extended parent; nullptr at the top of its space
    std::string oid;                  // full path for messages: "8", "26.14988.8", "241.1"
    DataType type = DataType::kOctets;
    uint16_t fixed_length = 0;  // octets[N]; 0 when not fixed
    Encrypt encrypt = Encrypt::kNone;
    bool has_tag = false;
    bool concat = false;
    bool array = false;
    bool is_virtual = false;  // flag "virtual": server-internal, never on the wire
    /// Server-internal: "virtual", or a standard number above 255 (FreeRADIUS's 1000+ range).
    bool internal() const {
        return is_virtual || (vendor == 0 && parent == nullptr && number > 255);
    }
};

struct DictError {
    enum Kind : uint8_t {
        kFileNotFound,
        kIncludeDepth,      // $INCLUDE nested too deep (or a loop)
        kSyntax,            // wrong number of fields, bad keyword
        kBadNumber,         // attribute, vendor or value number not a number or out of range
        kUnknownType,       // ATTRIBUTE type not known
        kBadFlag,           // unknown or malformed flag
        kUnknownVendor,     // BEGIN-VENDOR / ATTRIBUTE for a vendor not declared
        kUnknownAttribute,  // VALUE for, or a TLV child of, an attribute not declared
        kConflict,          // a name reused for a different attribute, or vendor blocks mismatched
    };
    Kind kind;
    std::string file;
    int line = 0;
    std::string message;           // names the token that was wrong
    std::string describe() const;  // "file:line: message"
};

class Dictionary {
  public:
    Dictionary();
    ~Dictionary();
    Dictionary(Dictionary&&) noexcept;
    Dictionary& operator=(Dictionary&&) noexcept;
    Dictionary(const Dictionary&) = delete;
    Dictionary& operator=(const Dictionary&) = delete;

    /// The dictionaries shipped in dictionaries/ (compiled into the binary): RFC attributes,
    /// Microsoft, MikroTik, Cisco, Juniper, ERX, Huawei, WISPr and more. Never fails.
    static const Dictionary& builtin();

    /// Loads a file (following $INCLUDE relative to it) into this dictionary, adding to what
    /// is there; operators drop their own dictionaries in this way. On error the dictionary
    /// holds whatever was loaded before the bad line: discard it (reload is a swap).
    Expected<void, DictError> loadFile(const std::string& path);
    /// Same, from text; `name` is used in errors and as the base for $INCLUDE.
    Expected<void, DictError> loadText(std::string_view text, const std::string& name);
    /// Loads the shipped dictionaries (what builtin() holds) into this dictionary, so an
    /// operator's own files can be added on top with loadFile().
    Expected<void, DictError> loadBuiltin();

    const AttrDef* byName(std::string_view name) const;  // case-insensitive
    /// Top-level attribute: vendor 0 and number 1..255 (or internal numbers), or a vendor's
    /// attribute by vendor type.
    const AttrDef* find(uint32_t vendor, uint32_t number) const;
    /// Child of a tlv / extended attribute.
    const AttrDef* child(const AttrDef& parent, uint32_t number) const;
    /// RFC 6929 4.3: a vendor's attribute inside an Extended-Vendor-Specific (type evs) parent.
    const AttrDef* evsChild(const AttrDef& evs, uint32_t vendor, uint32_t number) const;
    /// Several names may share one number: each resolves by name, find()/child() return the
    /// LAST one defined (FreeRADIUS order), and the FIRST one (returned here) owns the VALUEs
    /// and children that all the names share. For a number with one name: `attr` itself.
    const AttrDef* canonical(const AttrDef& attr) const;

    const VendorDef* vendorById(uint32_t id) const;
    const VendorDef* vendorByName(std::string_view name) const;  // case-insensitive

    std::optional<uint64_t> valueByName(const AttrDef& attr, std::string_view name) const;
    /// The VALUE name for a number (the last one defined, as FreeRADIUS prints), or empty when
    /// none. VALUEs given through any name of an attribute are shared by all its names.
    std::string_view valueName(const AttrDef& attr, uint64_t value) const;

    /// Every VALUE of an attribute (shared by all its names), ordered by number then name.
    std::vector<std::pair<std::string_view, uint64_t>> values(const AttrDef& attr) const;

    /// Every attribute and vendor, in load order (for the dictionary comparison test and docs).
    const std::deque<AttrDef>& attributes() const;
    const std::deque<VendorDef>& vendors() const;

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace gatehouse::radius
