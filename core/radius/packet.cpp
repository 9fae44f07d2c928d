#include "core/radius/packet.hpp"

#include <string>

#include "core/radius/value.hpp"

namespace gatehouse::radius {

namespace {

using Kind = DecodeError::Kind;

Unexpected<DecodeError> fail(Kind kind, const char* field, size_t offset, size_t length) {
    return unexpected(
        DecodeError{kind, field, static_cast<uint32_t>(offset), static_cast<uint32_t>(length)});
}

// RFC 6929 names; static strings because DecodeError::field outlives the packet.
const char* extendedName(uint8_t type) {
    switch (type) {
        case 241:
            return "Extended-Attribute-1";
        case 242:
            return "Extended-Attribute-2";
        case 243:
            return "Extended-Attribute-3";
        case 244:
            return "Extended-Attribute-4";
        case 245:
            return "Extended-Attribute-5";
        default:
            return "Extended-Attribute-6";
    }
}

bool isRfcFormat(const VendorDef& v) {
    return v.type_octets == 1 && v.length_octets == 1 && !v.continuation;
}

// True when `data` is a clean sequence of RFC 2865 5.26 sub-attributes (Vendor-Type,
// Vendor-Length >= 2, value), ending exactly at its end.
bool parsesAsRfcFormat(ByteSpan data) {
    if (data.empty())
        return false;
    size_t off = 0;
    while (off < data.size()) {
        if (data.size() - off < 2)
            return false;
        const size_t sub_len = data[off + 1];
        if (sub_len < 2 || sub_len > data.size() - off)
            return false;
        off += sub_len;
    }
    return true;
}

}  // namespace

std::string_view decodeErrorName(DecodeError::Kind k) {
    switch (k) {
        case DecodeError::kTooShort:
            return "too_short";
        case DecodeError::kBadLength:
            return "bad_length";
        case DecodeError::kTruncated:
            return "truncated";
        case DecodeError::kUnknownCode:
            return "unknown_code";
        case DecodeError::kAttrTooShort:
            return "attr_too_short";
        case DecodeError::kAttrOverrun:
            return "attr_overrun";
        case DecodeError::kVsaTooShort:
            return "vsa_too_short";
        case DecodeError::kVsaOverrun:
            return "vsa_overrun";
        case DecodeError::kExtendedTooShort:
            return "extended_too_short";
        case DecodeError::kDuplicateMessageAuthenticator:
            return "duplicate_message_authenticator";
        case DecodeError::kBadMessageAuthenticator:
            return "bad_message_authenticator";
        case DecodeError::kBadUserPassword:
            return "bad_user_password";
        case DecodeError::kBadChapPassword:
            return "bad_chap_password";
        case DecodeError::kTooManyAttributes:
            return "too_many_attributes";
    }
    return "unknown";
}

std::string describe(const DecodeError& e) {
    std::string out = std::string(e.field) + " at " + std::to_string(e.offset) + ": ";
    const std::string n = std::to_string(e.length);
    switch (e.kind) {
        case DecodeError::kTooShort:
            return out + "datagram of " + n + " octets is under 20";
        case DecodeError::kBadLength:
            return out + "Length " + n + " outside 20..4096";
        case DecodeError::kTruncated:
            return out + "Length " + n + " is more than the datagram holds";
        case DecodeError::kUnknownCode:
            return out + "unknown code " + n;
        case DecodeError::kAttrTooShort:
            return out + "length " + n + " under 2";
        case DecodeError::kAttrOverrun:
            return out + "length " + n + " runs past the end of the packet";
        case DecodeError::kVsaTooShort:
            return out + "length " + n + " leaves no room for the vendor id or a sub-attribute";
        case DecodeError::kVsaOverrun:
            return out + "sub-attribute length " + n + " runs past its Vendor-Specific";
        case DecodeError::kExtendedTooShort:
            return out + "length " + n + " leaves no room for the extended type";
        case DecodeError::kDuplicateMessageAuthenticator:
            return out + "second Message-Authenticator";
        case DecodeError::kBadMessageAuthenticator:
            return out + "value of " + n + " octets, not 16";
        case DecodeError::kBadUserPassword:
            return out + "hidden value of " + n + " octets, not a multiple of 16 in 16..128";
        case DecodeError::kBadChapPassword:
            return out + "value of " + n + " octets, not 17";
        case DecodeError::kTooManyAttributes:
            return out + "more than " + n + " attributes";
    }
    return out + "unknown error";
}

const AttrRef* Packet::find(uint32_t vendor, uint16_t type, uint8_t ext) const {
    for (const AttrRef& a : attrs_) {
        if (a.type == type && a.vendor == vendor && a.ext == ext)
            return &a;
    }
    return nullptr;
}

const AttrRef* Packet::find(const AttrDef& def) const {
    for (const AttrRef& a : attrs_) {
        if (a.def == &def)
            return &a;
    }
    return nullptr;
}

size_t Packet::count(uint32_t vendor, uint16_t type, uint8_t ext) const {
    size_t n = 0;
    for (const AttrRef& a : attrs_) {
        if (a.type == type && a.vendor == vendor && a.ext == ext)
            ++n;
    }
    return n;
}

void Packet::joinValues(uint32_t vendor, uint16_t type, Bytes& out) const {
    joinValues(vendor, type, 0, out);
}

void Packet::joinValues(uint32_t vendor, uint16_t type, uint8_t ext, Bytes& out) const {
    for (const AttrRef& a : attrs_) {
        if (a.type == type && a.vendor == vendor && a.ext == ext) {
            ByteSpan v = value(a);
            out.insert(out.end(), v.begin(), v.end());
        }
    }
}

void Packet::joinValues(const AttrDef& def, Bytes& out) const {
    for (const AttrRef& a : attrs_) {
        if (a.def == &def) {
            ByteSpan v = value(a);
            out.insert(out.end(), v.begin(), v.end());
        }
    }
}

namespace {

// The attribute loop, with access to Packet's storage through decodeInto (a friend).
struct Decoder {
    ByteSpan w;
    const Dictionary& dict;
    std::vector<AttrRef>& attrs;
    int& ma_index;
    bool access_request;

    bool push(const AttrRef& a) {
        if (attrs.size() >= Packet::kMaxAttributes)
            return false;
        attrs.push_back(a);
        return true;
    }

    static uint8_t sizeFlags(const AttrDef* def, size_t len) {
        // Hidden values are longer than their plaintext type says; their own rules apply.
        if (def == nullptr || def->encrypt != Encrypt::kNone)
            return 0;
        return validSize(*def, len) ? 0 : AttrRef::kWrongSize;
    }

    Expected<void, DecodeError> tooMany(size_t off) {
        return fail(DecodeError::kTooManyAttributes, "attribute", off, Packet::kMaxAttributes);
    }

    Expected<void, DecodeError> vsa(size_t off, size_t attr_len) {
        const size_t value_off = off + 2;
        const size_t value_len = attr_len - 2;
        if (value_len < 4)
            return fail(DecodeError::kVsaTooShort, "Vendor-Specific", off, attr_len);
        const uint32_t vendor_id = loadBe32(w.data() + value_off);
        const size_t data_off = value_off + 4;
        const size_t data_len = value_len - 4;
        const VendorDef* vd = dict.vendorById(vendor_id);

        // RFC 2865 5.26 only recommends the 1,1 layout. A vendor declared with another layout
        // (USR format=4,0, ...) is kept whole; so is an undeclared vendor whose data is not
        // clean 1,1 data: we cannot know its layout, so it is no reason to drop the packet.
        // Vendor id 0 is reserved (IANA enterprise 0): decoding it would give vendor 0
        // sub-attributes that look exactly like standard ones (found by fuzz_packet).
        const bool opaque =
            vendor_id == 0 ||
            (vd != nullptr ? !isRfcFormat(*vd) : !parsesAsRfcFormat(w.subspan(data_off, data_len)));
        if (opaque) {
            AttrRef a;
            a.type = attr::kVendorSpecific;
            a.flags = AttrRef::kOpaqueVsa;
            a.attr_offset = static_cast<uint16_t>(off);
            a.value_offset = static_cast<uint16_t>(value_off);
            a.value_length = static_cast<uint16_t>(value_len);
            if (!push(a))
                return tooMany(off);
            return {};
        }
        if (data_len == 0)
            return fail(DecodeError::kVsaTooShort, "Vendor-Specific", off, attr_len);

        // Several sub-attributes may share one Vendor-Specific (RFC 2865 5.26).
        size_t sub = data_off;
        const size_t end = data_off + data_len;
        while (sub < end) {
            if (end - sub < 2)
                return fail(DecodeError::kVsaOverrun, "Vendor-Specific", sub, 1);
            const uint8_t sub_type = w[sub];
            const size_t sub_len = w[sub + 1];
            if (sub_len < 2 || sub_len > end - sub) {
                return fail(DecodeError::kVsaOverrun, "Vendor-Specific", sub, sub_len);
            }
            AttrRef a;
            a.def = dict.find(vendor_id, sub_type);
            a.vendor = vendor_id;
            a.type = sub_type;
            a.attr_offset = static_cast<uint16_t>(off);
            a.value_offset = static_cast<uint16_t>(sub + 2);
            a.value_length = static_cast<uint16_t>(sub_len - 2);
            a.flags = sizeFlags(a.def, a.value_length);
            if (!push(a))
                return tooMany(sub);
            sub += sub_len;
        }
        return {};
    }

    Expected<void, DecodeError> extended(uint8_t type, size_t off, size_t attr_len) {
        // RFC 6929 2.1/2.2: one extended-type octet; long-extended adds a flags octet whose
        // high bit (More) says the value continues in the next attribute.
        const bool is_long = type >= 245;
        const size_t header = is_long ? 4 : 3;
        if (attr_len < header) {
            return fail(DecodeError::kExtendedTooShort, extendedName(type), off, attr_len);
        }
        AttrRef a;
        a.type = type;
        a.ext = w[off + 2];
        if (const AttrDef* parent = dict.find(0, type))
            a.def = dict.child(*parent, a.ext);
        a.attr_offset = static_cast<uint16_t>(off);
        a.value_offset = static_cast<uint16_t>(off + header);
        a.value_length = static_cast<uint16_t>(attr_len - header);
        a.flags = is_long && (w[off + 3] & 0x80) ? AttrRef::kMore : 0;
        // A fragment's size says nothing about the joined value's.
        if ((a.flags & AttrRef::kMore) == 0)
            a.flags |= sizeFlags(a.def, a.value_length);
        if (!push(a))
            return tooMany(off);
        return {};
    }

    Expected<void, DecodeError> standard(uint8_t type, size_t off, size_t attr_len) {
        const size_t value_len = attr_len - 2;
        if (type == attr::kMessageAuthenticator) {
            // RFC 2869 5.14: exactly 16 octets; at most one per packet (RFC 3579 3.2).
            if (value_len != 16) {
                return fail(DecodeError::kBadMessageAuthenticator, "Message-Authenticator", off,
                            value_len);
            }
            if (ma_index >= 0) {
                return fail(DecodeError::kDuplicateMessageAuthenticator, "Message-Authenticator",
                            off, value_len);
            }
            ma_index = static_cast<int>(attrs.size());
        } else if (access_request && type == attr::kUserPassword) {
            // RFC 2865 5.2: the hidden password is padded to a multiple of 16 octets; any
            // other length is a malformed packet, not a short password.
            if (value_len == 0 || value_len % 16 != 0 || value_len > kMaxPasswordLength) {
                return fail(DecodeError::kBadUserPassword, "User-Password", off, value_len);
            }
        } else if (access_request && type == attr::kChapPassword) {
            // RFC 2865 5.3: CHAP Ident (1) + response (16).
            if (value_len != 17) {
                return fail(DecodeError::kBadChapPassword, "CHAP-Password", off, value_len);
            }
        }
        AttrRef a;
        a.def = dict.find(0, type);
        a.type = type;
        a.attr_offset = static_cast<uint16_t>(off);
        a.value_offset = static_cast<uint16_t>(off + 2);
        a.value_length = static_cast<uint16_t>(value_len);
        a.flags = sizeFlags(a.def, value_len);
        if (!push(a))
            return tooMany(off);
        return {};
    }

    Expected<void, DecodeError> run() {
        size_t off = kHeaderLength;
        const size_t end = w.size();
        while (off < end) {
            if (end - off < 2)
                return fail(DecodeError::kAttrTooShort, "attribute", off, end - off);
            const uint8_t type = w[off];
            const size_t attr_len = w[off + 1];
            if (attr_len < 2)
                return fail(DecodeError::kAttrTooShort, "attribute", off, attr_len);
            if (attr_len > end - off) {
                return fail(DecodeError::kAttrOverrun, "attribute", off, attr_len);
            }
            Expected<void, DecodeError> r;
            if (type == attr::kVendorSpecific) {
                r = vsa(off, attr_len);
            } else if (type >= 241 && type <= 246) {
                r = extended(type, off, attr_len);
            } else {
                r = standard(type, off, attr_len);
            }
            if (!r)
                return r;
            off += attr_len;
        }
        return {};
    }
};

}  // namespace

Expected<void, DecodeError> decodeInto(ByteSpan datagram, const Dictionary& dict, Packet& out) {
    out.attrs_.clear();  // keeps its capacity: no allocation once warmed up
    out.ma_index_ = -1;
    out.wire_ = {};
    // RFC 2865 3: Length is 20..4096; a datagram shorter than Length is discarded, octets past
    // it are padding and ignored.
    if (datagram.size() < kHeaderLength) {
        return fail(DecodeError::kTooShort, "header", 0, datagram.size());
    }
    const size_t length = loadBe16(datagram.data() + 2);
    if (length < kHeaderLength || length > kMaxPacketLength) {
        return fail(DecodeError::kBadLength, "header", 2, length);
    }
    if (length > datagram.size())
        return fail(DecodeError::kTruncated, "header", 2, length);
    if (!isKnownCode(datagram[0]))
        return fail(DecodeError::kUnknownCode, "header", 0, datagram[0]);

    const ByteSpan wire = datagram.first(length);
    Decoder d{wire, dict, out.attrs_, out.ma_index_,
              datagram[0] == static_cast<uint8_t>(Code::kAccessRequest)};
    auto r = d.run();
    if (!r) {
        out.attrs_.clear();
        out.ma_index_ = -1;
        return r;
    }
    out.wire_ = wire;
    return {};
}

Expected<Packet, DecodeError> decodePacket(ByteSpan datagram, const Dictionary& dict) {
    Packet p;
    auto r = decodeInto(datagram, dict, p);
    if (!r)
        return unexpected(r.error());
    return p;
}

}  // namespace gatehouse::radius
