#pragma once
// Decoding: a Packet is a checked view of one datagram. Nothing is copied; attribute values
// are offsets into the datagram, which must outlive the Packet. The codec never throws and
// never logs: it returns a DecodeError and the caller counts and drops.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/radius/dictionary.hpp"
#include "core/radius/types.hpp"
#include "core/util/bytes.hpp"
#include "core/util/expected.hpp"

namespace gatehouse::radius {

struct DecodeError {
    enum Kind : uint8_t {
        kTooShort,          // datagram under 20 octets
        kBadLength,         // Length field under 20 or over 4096
        kTruncated,         // datagram shorter than its Length field
        kUnknownCode,       // Code not one of RFC 2865/2866/5176/5997/7930
        kAttrTooShort,      // attribute Length under 2
        kAttrOverrun,       // attribute runs past the end of the packet
        kVsaTooShort,       // Vendor-Specific without room for a vendor id / sub-header
        kVsaOverrun,        // vendor sub-attribute runs past its Vendor-Specific
        kExtendedTooShort,  // RFC 6929 attribute without its extended-type octet(s)
        kDuplicateMessageAuthenticator,
        kBadMessageAuthenticator,  // Message-Authenticator value not 16 octets
        kBadUserPassword,          // hidden User-Password length 0, not 16k, or over 128
        kBadChapPassword,          // CHAP-Password value not 17 octets
        kTooManyAttributes,        // more than kMaxAttributes (cannot happen under 4096 octets)
    };
    Kind kind;
    const char* field;  // "header", "attribute", "Vendor-Specific", "User-Password", ... (static)
    /// Where in the datagram: 0 for kTooShort/kUnknownCode, 2 (the Length field) for
    /// kBadLength/kTruncated, else the start of the attribute (of the sub-attribute for
    /// kVsaOverrun).
    uint32_t offset;
    /// The length that was wrong: the datagram size (kTooShort), the Length field (kBadLength,
    /// kTruncated), the code (kUnknownCode), the attribute's Length octet (attribute, VSA and
    /// extended errors; the octets left when not even a header fits), the value length
    /// (Message-Authenticator, User-Password, CHAP-Password).
    uint32_t length;
};

std::string_view decodeErrorName(DecodeError::Kind k);  // "attr_overrun", stable for metrics
std::string describe(const DecodeError& e);             // "attribute at 24: length 40 runs past 56"

/// One attribute occurrence. For a Vendor-Specific carrying several sub-attributes there is
/// one AttrRef per sub-attribute (vendor = the vendor id, type = the vendor type, attr_offset =
/// the start of the type-26 attribute). A VSA kept opaque (kOpaqueVsa) is one AttrRef with
/// vendor 0, type 26, def nullptr and the whole type-26 value (vendor id included), as
/// FreeRADIUS keeps a raw Attr-26. RFC 6929 attributes: type 241..246, ext the extended type,
/// value after the extended-type (and flags) octets; Extended-Vendor-Specific (ext 26) is not
/// unpacked further yet.
struct AttrRef {
    enum Flags : uint8_t {
        kWrongSize = 1,  // value length impossible for the dictionary type: kept, not used
        kOpaqueVsa = 2,  // vendor unknown and data not in RFC format: whole VSA kept as is
        kMore = 4,       // long-extended fragment with the More flag (RFC 6929 2.2)
    };
    const AttrDef* def = nullptr;  // nullptr when the dictionary does not know it
    uint32_t vendor = 0;           // 0 for standard and extended attributes
    uint16_t type = 0;             // attribute number, vendor type, or 241..246
    uint8_t ext = 0;               // extended type inside 241..246, else 0
    uint8_t flags = 0;
    uint16_t attr_offset = 0;  // start of the attribute (of the 26 for a VSA)
    uint16_t value_offset = 0;
    uint16_t value_length = 0;
};

class Packet {
  public:
    static constexpr size_t kMaxAttributes = kMaxPacketLength / 2;

    Code code() const { return static_cast<Code>(wire_[0]); }
    uint8_t id() const { return wire_[1]; }
    const uint8_t* authenticator() const { return wire_.data() + 4; }
    /// Exactly Length octets: header and attributes, without trailing padding.
    ByteSpan wire() const { return wire_; }
    std::span<const AttrRef> attributes() const { return attrs_; }

    ByteSpan value(const AttrRef& a) const { return wire_.subspan(a.value_offset, a.value_length); }
    std::string_view text(const AttrRef& a) const { return asChars(value(a)); }

    /// First occurrence, or nullptr. `ext` selects the extended type of 241..246.
    const AttrRef* find(uint32_t vendor, uint16_t type, uint8_t ext = 0) const;
    /// By definition (AttrRef::def, so `def` must come from the decoding dictionary).
    const AttrRef* find(const AttrDef& def) const;
    size_t count(uint32_t vendor, uint16_t type, uint8_t ext = 0) const;
    const AttrRef* messageAuthenticator() const {
        return ma_index_ < 0 ? nullptr : &attrs_[ma_index_];
    }

    /// Appends the values of every occurrence in order: EAP-Message, concat attributes, and
    /// long-extended fragments (RFC 6929 2.2 / RFC 3579 3.1).
    void joinValues(uint32_t vendor, uint16_t type, Bytes& out) const;
    void joinValues(uint32_t vendor, uint16_t type, uint8_t ext, Bytes& out) const;
    void joinValues(const AttrDef& def, Bytes& out) const;

    /// Reuses this Packet's attribute storage: the hot path calls decodeInto on one Packet per
    /// worker so that decoding allocates nothing.
    friend Expected<void, DecodeError> decodeInto(ByteSpan datagram, const Dictionary& dict,
                                                  Packet& out);

  private:
    ByteSpan wire_;
    std::vector<AttrRef> attrs_;
    int ma_index_ = -1;
};

/// Decodes and checks the structure of one datagram; octets past Length are ignored.
/// Authenticators are not checked here (see authenticator.hpp): that needs the NAS secret.
Expected<void, DecodeError> decodeInto(ByteSpan datagram, const Dictionary& dict, Packet& out);
Expected<Packet, DecodeError> decodePacket(ByteSpan datagram, const Dictionary& dict);

}  // namespace gatehouse::radius
