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
        kPacketTooLong,   // the packet would pass 4096 octets
        kValueTooLong,    // one value over what its attribute can carry (and not concat)
        kBadValue,        // wrong size for the attribute's type, or a password over 128
        kNotOnTheWire,    // an internal/virtual attribute
        kNotFinishable,   // finishRequest on a response code or the reverse
    };
    Kind kind;
    const char* field;  // attribute name or "packet"
    uint32_t length;
};

std::string describe(const EncodeError& e);

class PacketWriter {
public:
    /// `buffer` must hold kMaxPacketLength octets and outlive the writer.
    explicit PacketWriter(std::span<uint8_t, kMaxPacketLength> buffer) : buf_(buffer) {}

    /// Starts a packet. `authenticator`: the 16 random octets of an Access-Request or
    /// Status-Server; ignored (zeros) for codes whose authenticator is computed.
    void begin(Code code, uint8_t id, const uint8_t* authenticator = nullptr);

    /// Reserves the Message-Authenticator attribute here; call right after begin().
    bool addMessageAuthenticator();

    bool add(uint8_t type, ByteSpan value);  // one attribute, value <= 253 octets
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
    bool beginVendor(uint32_t vendor);
    bool addVendorSub(uint8_t vendor_type, ByteSpan value);
    void endVendor();

    /// User-Password hidden with the request authenticator (RFC 2865 5.2).
    bool addUserPassword(ByteSpan password, const crypto::SharedSecret& secret,
                         const uint8_t* request_auth);
    /// Salted attribute (encrypt=2): standard when vendor is 0 (Tunnel-Password; `tag` is
    /// written before the salt when non-zero), else a VSA (MS-MPPE-Send-Key/Recv-Key).
    bool addSalted(uint32_t vendor, uint8_t type, ByteSpan plaintext,
                   const crypto::SharedSecret& secret, const uint8_t* request_auth, uint16_t salt,
                   uint8_t tag = 0);

    /// Dictionary-driven: `wire_value` is already in the type's wire form (see value.hpp).
    /// Applies the vendor wrapping, the tag, encrypt=1/2 and concat splitting as declared.
    bool add(const AttrDef& def, ByteSpan wire_value, const crypto::SharedSecret& secret,
             const uint8_t* request_auth, uint8_t tag = 0);

    /// Finishes Access-Request/Status-Server (authenticator kept; MA over it) or
    /// Accounting/CoA/Disconnect-Request (MA over a zero authenticator, then the MD5
    /// authenticator over the final packet).
    Expected<ByteSpan, EncodeError> finishRequest(const crypto::SharedSecret& secret);
    /// Finishes any response: MA over the request authenticator, then the Response
    /// Authenticator MD5(code+id+len+request auth+attrs+S).
    Expected<ByteSpan, EncodeError> finishResponse(const crypto::SharedSecret& secret,
                                                   const uint8_t* request_auth);

    size_t size() const { return len_; }
    bool failed() const { return failed_; }
    const EncodeError& error() const { return error_; }

private:
    bool fail(EncodeError::Kind kind, const char* field, size_t length);
    uint8_t* reserve(size_t n);  // nullptr (and failure) past 4096

    std::span<uint8_t, kMaxPacketLength> buf_;
    size_t len_ = 0;
    int ma_offset_ = -1;
    int vsa_offset_ = -1;  // open beginVendor()
    bool failed_ = false;
    EncodeError error_{EncodeError::kPacketTooLong, "packet", 0};
};

}  // namespace gatehouse::radius
