#pragma once
// Encoding into a caller-owned buffer, with no allocation. Message-Authenticator, when
// reserved, is the first attribute (BlastRADIUS: draft-ietf-radext-deprecating-radius) and is
// filled by finishRequest/finishResponse, which then compute the authenticator.
#include <cstdint>
#include <span>
#include <string_view>

#include "core/crypto/md5.hpp"
#include "core/radius/dictionary.hpp"
#include "core/radius/types.hpp"
#include "core/util/bytes.hpp"
#include "core/util/expected.hpp"

namespace gatehouse::radius {

struct EncodeError {
    enum Kind : uint8_t {
        kPacketTooLong,  // the packet would pass 4096 octets
        kValueTooLong,   // one value over what its attribute can carry (and not concat)
        kBadValue,       // wrong size for the attribute's type, or a password over 128
        kNotOnTheWire,   // an internal/virtual attribute
        kNotFinishable,  // finishRequest on a response code or the reverse
    };
    Kind kind;
    const char* field;  // attribute name or "packet"
    uint32_t length;
};

std::string describe(const EncodeError& e);

class PacketWriter {
  public:
    /// `buffer` must hold kMaxPacketLength octets and outlive the writer. `dict`, when given,
    /// tells add(def, ...) each vendor's VSA layout; without it every vendor is taken as the
    /// RFC 2865 1,1 layout (true of every BNG vendor we target).
    explicit PacketWriter(std::span<uint8_t, kMaxPacketLength> buffer,
                          const Dictionary* dict = nullptr)
        : buf_(buffer), dict_(dict) {}

    /// Starts a packet (and clears any failure). `authenticator`: the 16 octets of an
    /// Access-Request or Status-Server, or nullptr to draw them from the CSPRNG; ignored
    /// (zeros) for every other code, whose authenticator finish*() computes.
    void begin(Code code, uint8_t id, const uint8_t* authenticator = nullptr);

    /// Reserves the Message-Authenticator attribute here; call right after begin(). A second
    /// one fails (kBadValue): RFC 3579 3.2 allows one.
    bool addMessageAuthenticator();

    /// One attribute, value <= 253 octets. Type 80 with 16 octets is taken as
    /// addMessageAuthenticator() so that finish*() fills it.
    bool add(uint8_t type, ByteSpan value);
    bool addString(uint8_t type, std::string_view value) { return add(type, asBytes(value)); }
    bool addInteger(uint8_t type, uint32_t value);
    bool addIpv4(uint8_t type, uint32_t address_host_order);
    /// Splits a long value into consecutive 253-octet attributes (EAP-Message, concat types).
    bool addConcat(uint8_t type, ByteSpan value);

    /// One Vendor-Specific with one RFC-format sub-attribute (value <= 247 octets).
    bool addVendor(uint32_t vendor, uint8_t vendor_type, ByteSpan value);
    bool addVendorString(uint32_t vendor, uint8_t vendor_type, std::string_view value) {
        return addVendor(vendor, vendor_type, asBytes(value));
    }
    bool addVendorInteger(uint32_t vendor, uint8_t vendor_type, uint32_t value);
    /// Several sub-attributes packed in one Vendor-Specific (RFC 2865 5.26 allows it).
    /// addVendorSub fails (kValueTooLong) when the Vendor-Specific would pass 255 octets. Any
    /// other add and finish*() end the open Vendor-Specific; one left empty is removed.
    bool beginVendor(uint32_t vendor);
    bool addVendorSub(uint8_t vendor_type, ByteSpan value);
    void endVendor();

    /// User-Password hidden with the request authenticator (RFC 2865 5.2).
    bool addUserPassword(ByteSpan password, const crypto::SharedSecret& secret,
                         const uint8_t* request_auth);
    /// Salted attribute (encrypt=2): standard when vendor is 0 (Tunnel-Password: RFC 2868 3.5
    /// makes its tag octet mandatory, so it is always written, 0 when unused), else a VSA
    /// (MS-MPPE-Send-Key/Recv-Key; the tag octet only when non-zero).
    bool addSalted(uint32_t vendor, uint8_t type, ByteSpan plaintext,
                   const crypto::SharedSecret& secret, const uint8_t* request_auth, uint16_t salt,
                   uint8_t tag = 0);

    /// Dictionary-driven: `wire_value` is already in the type's wire form (see value.hpp),
    /// plaintext for encrypted attributes. Applies the vendor wrapping, RFC 6929 extended and
    /// long-extended framing (fragments with the More flag), the tag (has_tag: prepended to
    /// strings when non-zero, in the high octet of integers, always for encrypt=2), encrypt=1/2
    /// (a fresh salt from crypto::nextSalt()) and concat splitting as declared. Fails with
    /// kNotOnTheWire for internal attributes, containers (vsa, extended, evs), TLV children
    /// (encode the parent), encrypt=3 and vendors of a layout other than 1,1; kBadValue for a
    /// size wrong for a fixed-size type or a tag over 0x1f; kValueTooLong past what one
    /// attribute carries when the attribute is not concat.
    bool add(const AttrDef& def, ByteSpan wire_value, const crypto::SharedSecret& secret,
             const uint8_t* request_auth, uint8_t tag = 0);

    /// Finishes Access-Request/Status-Server (authenticator kept; MA over it) or
    /// Accounting/CoA/Disconnect-Request (MA over a zero authenticator, then the MD5
    /// authenticator over the final packet). The span points into the caller's buffer. After
    /// any failure (sticky until begin()) both finish*() return that first error.
    Expected<ByteSpan, EncodeError> finishRequest(const crypto::SharedSecret& secret);
    /// Finishes any response: MA over the request authenticator, then the Response
    /// Authenticator MD5(code+id+len+request auth+attrs+S).
    Expected<ByteSpan, EncodeError> finishResponse(const crypto::SharedSecret& secret,
                                                   const uint8_t* request_auth);

    size_t size() const { return len_; }
    bool failed() const { return failed_; }
    const EncodeError& error() const { return error_; }

  private:
    // Where one attribute occurrence goes: its framing and how much value one occurrence holds.
    struct Placement {
        enum Kind : uint8_t { kStandard, kVendor, kExtended, kLongExtended };
        Kind kind = kStandard;
        uint8_t type = 0;  // attribute number, vendor type, or 241..246
        uint8_t ext = 0;
        uint32_t vendor = 0;
        size_t overhead() const;
        size_t capacity() const;
    };

    bool fail(EncodeError::Kind kind, const char* field, size_t length);
    uint8_t* reserve(size_t n);  // nullptr (and failure) past 4096
    bool writeOne(const Placement& where, ByteSpan value, bool more);
    bool writeSplit(const Placement& where, ByteSpan value, const char* field);
    bool addPrepared(const AttrDef& def, const Placement& where, ByteSpan value,
                     const crypto::SharedSecret& secret, const uint8_t* request_auth, uint8_t tag);
    void setLength();

    std::span<uint8_t, kMaxPacketLength> buf_;
    const Dictionary* dict_ = nullptr;
    size_t len_ = 0;
    int ma_offset_ = -1;
    int vsa_offset_ = -1;  // open beginVendor()
    bool failed_ = false;
    EncodeError error_{EncodeError::kPacketTooLong, "packet", 0};
};

}  // namespace gatehouse::radius
