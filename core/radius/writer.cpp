#include "core/radius/writer.hpp"

#include <cstring>
#include <string>

#include "core/crypto/hiding.hpp"
#include "core/radius/authenticator.hpp"
#include "core/radius/value.hpp"

namespace gatehouse::radius {

namespace {

constexpr uint8_t kZeros[16] = {};

bool isFixedSize(DataType t) {
    switch (t) {
        case DataType::kString:
        case DataType::kOctets:
        case DataType::kAbinary:
        case DataType::kTlv:
            return false;
        default:
            return true;
    }
}

bool isContainer(DataType t) {
    return t == DataType::kVsa || t == DataType::kExtended || t == DataType::kLongExtended ||
           t == DataType::kEvs;
}

bool isResponse(uint8_t code) {
    return isKnownCode(code) && !isRequest(static_cast<Code>(code)) &&
           code != static_cast<uint8_t>(Code::kStatusClient);
}

}  // namespace

std::string describe(const EncodeError& e) {
    std::string out = std::string(e.field) + ": ";
    const std::string n = std::to_string(e.length);
    switch (e.kind) {
        case EncodeError::kPacketTooLong:
            return out + "packet would be " + n + " octets, over 4096";
        case EncodeError::kValueTooLong:
            return out + "value of " + n + " octets is more than one attribute carries";
        case EncodeError::kBadValue:
            return out + "value of " + n + " octets is wrong for the attribute";
        case EncodeError::kNotOnTheWire:
            return out + "cannot be sent in a packet";
        case EncodeError::kNotFinishable:
            return out + "code " + n + " cannot be finished this way";
    }
    return out + "unknown error";
}

size_t PacketWriter::Placement::overhead() const {
    switch (kind) {
        case kStandard:
            return 2;
        case kVendor:
            return 8;  // 26, length, vendor id, vendor type, vendor length
        case kExtended:
            return 3;
        case kLongExtended:
            return 4;
    }
    return 2;
}

size_t PacketWriter::Placement::capacity() const {
    return 255 - overhead();
}

bool PacketWriter::fail(EncodeError::Kind kind, const char* field, size_t length) {
    // Sticky: the first error is the one worth reporting, and a packet missing an attribute
    // must never be sent by accident.
    if (!failed_) {
        failed_ = true;
        error_ = EncodeError{kind, field, static_cast<uint32_t>(length)};
    }
    return false;
}

uint8_t* PacketWriter::reserve(size_t n) {
    if (failed_)
        return nullptr;
    if (n > kMaxPacketLength - len_) {
        fail(EncodeError::kPacketTooLong, "packet", len_ + n);
        return nullptr;
    }
    uint8_t* p = buf_.data() + len_;
    len_ += n;
    return p;
}

void PacketWriter::begin(Code code, uint8_t id, const uint8_t* authenticator) {
    len_ = kHeaderLength;
    ma_offset_ = -1;
    vsa_offset_ = -1;
    failed_ = false;
    error_ = EncodeError{EncodeError::kPacketTooLong, "packet", 0};
    buf_[0] = static_cast<uint8_t>(code);
    buf_[1] = id;
    storeBe16(buf_.data() + 2, kHeaderLength);
    uint8_t* auth = buf_.data() + 4;
    if (code == Code::kAccessRequest || code == Code::kStatusServer) {
        // RFC 2865 3: unpredictable; a caller that has none gets one from the CSPRNG.
        if (authenticator != nullptr) {
            std::memcpy(auth, authenticator, kAuthenticatorLength);
        } else {
            crypto::randomBytes(auth, kAuthenticatorLength);
        }
    } else {
        std::memset(auth, 0, kAuthenticatorLength);
    }
}

bool PacketWriter::addMessageAuthenticator() {
    endVendor();
    if (ma_offset_ >= 0)
        return fail(EncodeError::kBadValue, "Message-Authenticator", 16);
    uint8_t* p = reserve(18);
    if (p == nullptr)
        return false;
    p[0] = attr::kMessageAuthenticator;
    p[1] = 18;
    std::memset(p + 2, 0, 16);  // RFC 2869 5.14: zeros while the HMAC is computed
    ma_offset_ = static_cast<int>(p + 2 - buf_.data());
    return true;
}

bool PacketWriter::add(uint8_t type, ByteSpan value) {
    endVendor();
    if (failed_)
        return false;
    if (type == attr::kMessageAuthenticator) {
        if (value.size() != 16) {
            return fail(EncodeError::kBadValue, "Message-Authenticator", value.size());
        }
        return addMessageAuthenticator();
    }
    if (value.size() > kMaxAttrValue) {
        return fail(EncodeError::kValueTooLong, "attribute", value.size());
    }
    uint8_t* p = reserve(2 + value.size());
    if (p == nullptr)
        return false;
    p[0] = type;
    p[1] = static_cast<uint8_t>(2 + value.size());
    if (!value.empty())
        std::memcpy(p + 2, value.data(), value.size());
    return true;
}

bool PacketWriter::addInteger(uint8_t type, uint32_t value) {
    uint8_t v[4];
    storeBe32(v, value);
    return add(type, ByteSpan(v, 4));
}

bool PacketWriter::addIpv4(uint8_t type, uint32_t address_host_order) {
    return addInteger(type, address_host_order);
}

bool PacketWriter::addConcat(uint8_t type, ByteSpan value) {
    endVendor();
    if (failed_)
        return false;
    Placement where;
    where.type = type;
    return writeSplit(where, value, "attribute");
}

bool PacketWriter::addVendor(uint32_t vendor, uint8_t vendor_type, ByteSpan value) {
    endVendor();
    if (failed_)
        return false;
    if (value.size() > kMaxVsaValue) {
        return fail(EncodeError::kValueTooLong, "Vendor-Specific", value.size());
    }
    Placement where;
    where.kind = Placement::kVendor;
    where.vendor = vendor;
    where.type = vendor_type;
    return writeOne(where, value, false);
}

bool PacketWriter::addVendorInteger(uint32_t vendor, uint8_t vendor_type, uint32_t value) {
    uint8_t v[4];
    storeBe32(v, value);
    return addVendor(vendor, vendor_type, ByteSpan(v, 4));
}

bool PacketWriter::beginVendor(uint32_t vendor) {
    endVendor();
    uint8_t* p = reserve(6);
    if (p == nullptr)
        return false;
    p[0] = attr::kVendorSpecific;
    p[1] = 6;
    storeBe32(p + 2, vendor);
    vsa_offset_ = static_cast<int>(p - buf_.data());
    return true;
}

bool PacketWriter::addVendorSub(uint8_t vendor_type, ByteSpan value) {
    if (failed_)
        return false;
    if (vsa_offset_ < 0)
        return fail(EncodeError::kBadValue, "Vendor-Specific", value.size());
    uint8_t* vsa = buf_.data() + vsa_offset_;
    if (2 + value.size() > 255 - size_t{vsa[1]}) {
        return fail(EncodeError::kValueTooLong, "Vendor-Specific", value.size());
    }
    uint8_t* p = reserve(2 + value.size());
    if (p == nullptr)
        return false;
    p[0] = vendor_type;
    p[1] = static_cast<uint8_t>(2 + value.size());
    if (!value.empty())
        std::memcpy(p + 2, value.data(), value.size());
    vsa[1] = static_cast<uint8_t>(vsa[1] + 2 + value.size());
    return true;
}

void PacketWriter::endVendor() {
    if (vsa_offset_ < 0)
        return;
    // A Vendor-Specific with no sub-attribute is malformed (our own decoder rejects it).
    if (buf_[vsa_offset_ + 1] == 6 && len_ == static_cast<size_t>(vsa_offset_) + 6)
        len_ -= 6;
    vsa_offset_ = -1;
}

bool PacketWriter::addUserPassword(ByteSpan password, const crypto::SharedSecret& secret,
                                   const uint8_t* request_auth) {
    endVendor();
    if (failed_)
        return false;
    if (password.size() > kMaxPasswordLength) {
        return fail(EncodeError::kBadValue, "User-Password", password.size());
    }
    const size_t n = crypto::hiddenSize(password.size());
    uint8_t* p = reserve(2 + n);
    if (p == nullptr)
        return false;
    p[0] = attr::kUserPassword;
    p[1] = static_cast<uint8_t>(2 + n);
    (void)crypto::hideUserPassword(password, secret, request_auth, p + 2);  // size checked above
    return true;
}

bool PacketWriter::addSalted(uint32_t vendor, uint8_t type, ByteSpan plaintext,
                             const crypto::SharedSecret& secret, const uint8_t* request_auth,
                             uint16_t salt, uint8_t tag) {
    endVendor();
    if (failed_)
        return false;
    Placement where;
    where.type = type;
    where.vendor = vendor;
    if (vendor != 0)
        where.kind = Placement::kVendor;
    const bool with_tag = vendor == 0 || tag != 0;
    const char* field = vendor == 0 ? "Tunnel-Password" : "Vendor-Specific";
    if (tag > 0x1f)
        return fail(EncodeError::kBadValue, field, tag);
    if (plaintext.size() > crypto::kMaxSaltedPlain ||
        crypto::saltedSize(plaintext.size()) + (with_tag ? 1 : 0) > where.capacity()) {
        return fail(EncodeError::kValueTooLong, field, plaintext.size());
    }
    uint8_t value[256];
    size_t n = 0;
    if (with_tag)
        value[n++] = tag;
    n += *crypto::saltEncrypt(plaintext, secret, request_auth, salt, value + n);
    return writeOne(where, ByteSpan(value, n), false);
}

bool PacketWriter::writeOne(const Placement& where, ByteSpan value, bool more) {
    const size_t total = where.overhead() + value.size();
    uint8_t* p = reserve(total);
    if (p == nullptr)
        return false;
    switch (where.kind) {
        case Placement::kStandard:
            p[0] = where.type;
            p[1] = static_cast<uint8_t>(total);
            p += 2;
            break;
        case Placement::kVendor:
            p[0] = attr::kVendorSpecific;
            p[1] = static_cast<uint8_t>(total);
            storeBe32(p + 2, where.vendor);
            p[6] = where.type;
            p[7] = static_cast<uint8_t>(2 + value.size());
            p += 8;
            break;
        case Placement::kExtended:
            p[0] = where.type;
            p[1] = static_cast<uint8_t>(total);
            p[2] = where.ext;
            p += 3;
            break;
        case Placement::kLongExtended:
            p[0] = where.type;
            p[1] = static_cast<uint8_t>(total);
            p[2] = where.ext;
            p[3] = more ? 0x80 : 0;  // RFC 6929 2.2: More flag
            p += 4;
            break;
    }
    if (!value.empty())
        std::memcpy(p, value.data(), value.size());
    return true;
}

bool PacketWriter::writeSplit(const Placement& where, ByteSpan value, const char* /*field*/) {
    // Checked as a whole first, so that a value that does not fit leaves no fragment behind.
    const size_t cap = where.capacity();
    const size_t chunks = value.empty() ? 1 : (value.size() + cap - 1) / cap;
    const size_t total = value.size() + chunks * where.overhead();
    if (total > kMaxPacketLength - len_) {
        return fail(EncodeError::kPacketTooLong, "packet", len_ + total);
    }
    size_t off = 0;
    do {
        const size_t n = std::min(cap, value.size() - off);
        const bool more = off + n < value.size();
        if (!writeOne(where, value.subspan(off, n), more))
            return false;
        off += n;
    } while (off < value.size());
    return true;
}

bool PacketWriter::add(const AttrDef& def, ByteSpan wire_value, const crypto::SharedSecret& secret,
                       const uint8_t* request_auth, uint8_t tag) {
    endVendor();
    if (failed_)
        return false;
    const char* field = def.name.c_str();
    if (def.internal() || isContainer(def.type) || def.encrypt == Encrypt::kAscendSecret) {
        return fail(EncodeError::kNotOnTheWire, field, wire_value.size());
    }
    Placement where;
    if (def.parent != nullptr) {
        // RFC 6929: a child of 241..246 travels in its parent's framing. A TLV child only
        // exists inside its parent's value: the caller encodes the parent.
        const AttrDef& parent = *def.parent;
        if (parent.parent != nullptr || parent.vendor != 0 ||
            (parent.type != DataType::kExtended && parent.type != DataType::kLongExtended)) {
            return fail(EncodeError::kNotOnTheWire, field, wire_value.size());
        }
        where.kind =
            parent.type == DataType::kExtended ? Placement::kExtended : Placement::kLongExtended;
        where.type = static_cast<uint8_t>(parent.number);
        where.ext = static_cast<uint8_t>(def.number);
    } else if (def.vendor != 0) {
        if (dict_ != nullptr) {
            const VendorDef* vd = dict_->vendorById(def.vendor);
            if (vd != nullptr &&
                (vd->type_octets != 1 || vd->length_octets != 1 || vd->continuation)) {
                return fail(EncodeError::kNotOnTheWire, field, wire_value.size());
            }
        }
        if (def.number > 255)
            return fail(EncodeError::kNotOnTheWire, field, wire_value.size());
        where.kind = Placement::kVendor;
        where.vendor = def.vendor;
        where.type = static_cast<uint8_t>(def.number);
    } else {
        where.type = static_cast<uint8_t>(def.number);
        if (def.number == attr::kMessageAuthenticator) {
            if (wire_value.size() != 16)
                return fail(EncodeError::kBadValue, field, wire_value.size());
            return addMessageAuthenticator();
        }
    }
    if (isFixedSize(def.type) && !validSize(def, wire_value.size())) {
        return fail(EncodeError::kBadValue, field, wire_value.size());
    }
    if (def.fixed_length != 0 && wire_value.size() != def.fixed_length) {
        return fail(EncodeError::kBadValue, field, wire_value.size());
    }
    return addPrepared(def, where, wire_value, secret, request_auth, tag);
}

bool PacketWriter::addPrepared(const AttrDef& def, const Placement& where, ByteSpan value,
                               const crypto::SharedSecret& secret, const uint8_t* request_auth,
                               uint8_t tag) {
    const char* field = def.name.c_str();
    const size_t cap = where.capacity();
    if (tag > 0x1f)
        return fail(EncodeError::kBadValue, field, tag);
    uint8_t scratch[256];
    size_t n = 0;

    if (def.encrypt == Encrypt::kUserPassword) {
        // RFC 2865 5.2 (User-Password; MS-CHAP-MPPE-Keys uses the same hiding).
        if (value.size() > kMaxPasswordLength)
            return fail(EncodeError::kBadValue, field, value.size());
        if (crypto::hiddenSize(value.size()) > cap) {
            return fail(EncodeError::kValueTooLong, field, value.size());
        }
        n = *crypto::hideUserPassword(value, secret, request_auth, scratch);
        return writeOne(where, ByteSpan(scratch, n), false);
    }
    if (def.encrypt == Encrypt::kTunnelPassword) {
        // RFC 2868 3.5: the tag octet of a tagged salted attribute is always present.
        const size_t tag_len = def.has_tag ? 1 : 0;
        if (value.size() > crypto::kMaxSaltedPlain ||
            crypto::saltedSize(value.size()) + tag_len > cap) {
            return fail(EncodeError::kValueTooLong, field, value.size());
        }
        if (def.has_tag)
            scratch[n++] = tag;
        n += *crypto::saltEncrypt(value, secret, request_auth, crypto::nextSalt(), scratch + n);
        return writeOne(where, ByteSpan(scratch, n), false);
    }
    if (def.has_tag && tag != 0) {
        // RFC 2868 3: integers carry the tag in their high octet, strings before the value.
        if (value.size() == 4 && isFixedSize(def.type)) {
            if (value[0] != 0)
                return fail(EncodeError::kBadValue, field, value.size());
            std::memcpy(scratch, value.data(), 4);
            scratch[0] = tag;
            return writeOne(where, ByteSpan(scratch, 4), false);
        }
        if (value.size() + 1 > cap)
            return fail(EncodeError::kValueTooLong, field, value.size());
        scratch[0] = tag;
        if (!value.empty())
            std::memcpy(scratch + 1, value.data(), value.size());
        return writeOne(where, ByteSpan(scratch, value.size() + 1), false);
    }
    if (value.size() <= cap)
        return writeOne(where, value, false);
    // Only concat attributes (RFC 8044 / RFC 3579 3.1) and long-extended ones (RFC 6929 2.2)
    // may span several attributes; anything else longer than one is a caller error.
    if (def.concat || where.kind == Placement::kLongExtended)
        return writeSplit(where, value, field);
    return fail(EncodeError::kValueTooLong, field, value.size());
}

void PacketWriter::setLength() {
    storeBe16(buf_.data() + 2, static_cast<uint16_t>(len_));
}

Expected<ByteSpan, EncodeError> PacketWriter::finishRequest(const crypto::SharedSecret& secret) {
    endVendor();
    if (failed_)
        return unexpected(error_);
    const uint8_t code = buf_[0];
    if (!isKnownCode(code) || !isRequest(static_cast<Code>(code))) {
        fail(EncodeError::kNotFinishable, "packet", code);
        return unexpected(error_);
    }
    setLength();
    const ByteSpan wire(buf_.data(), len_);
    uint8_t* auth = buf_.data() + 4;
    if (hasHashedRequestAuthenticator(static_cast<Code>(code))) {
        // RFC 5176 3.5 / radius-wire.md 7: MA over a zero authenticator first, then the
        // authenticator over the packet that holds the final MA.
        std::memset(auth, 0, kAuthenticatorLength);
        if (ma_offset_ >= 0) {
            computeMessageAuthenticator(wire, ma_offset_, kZeros, secret, buf_.data() + ma_offset_);
        }
        uint8_t digest[16];
        computePacketAuthenticator(wire, kZeros, secret, digest);
        std::memcpy(auth, digest, kAuthenticatorLength);
    } else if (ma_offset_ >= 0) {
        computeMessageAuthenticator(wire, ma_offset_, auth, secret, buf_.data() + ma_offset_);
    }
    return wire;
}

Expected<ByteSpan, EncodeError> PacketWriter::finishResponse(const crypto::SharedSecret& secret,
                                                             const uint8_t* request_auth) {
    endVendor();
    if (failed_)
        return unexpected(error_);
    const uint8_t code = buf_[0];
    if (!isResponse(code)) {
        fail(EncodeError::kNotFinishable, "packet", code);
        return unexpected(error_);
    }
    setLength();
    const ByteSpan wire(buf_.data(), len_);
    // radius-wire.md 7: MA over the request's authenticator, then the Response Authenticator
    // over the final attributes.
    if (ma_offset_ >= 0) {
        computeMessageAuthenticator(wire, ma_offset_, request_auth, secret,
                                    buf_.data() + ma_offset_);
    }
    uint8_t digest[16];
    computePacketAuthenticator(wire, request_auth, secret, digest);
    std::memcpy(buf_.data() + 4, digest, kAuthenticatorLength);
    return wire;
}

}  // namespace gatehouse::radius
