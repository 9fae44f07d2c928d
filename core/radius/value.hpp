#pragma once
// Values as text, by dictionary type: what tests, the CLI, radclient-style files and (later)
// Lua policies read and write. "10.0.0.5" <-> 0a000005, "Start" <-> 00000001, and so on.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/radius/dictionary.hpp"
#include "core/radius/packet.hpp"
#include "core/util/bytes.hpp"
#include "core/util/expected.hpp"

namespace gatehouse::radius {

struct ValueError {
    enum Kind : uint8_t { kBadText, kOutOfRange, kTooLong, kUnknownValueName, kWrongSize };
    Kind kind;
    std::string
        message;  // names the attribute and the text: "Framed-IP-Address: bad IPv4 '10.0.0'"
};

/// Text to wire form for `def`'s type:
/// - string: "double-quoted" with \" \\ \n \r \t \xHH escapes, or bare text taken as is;
/// - octets: 0x-hex, or a (quoted) string taken as its octets; octets[N] must have N;
/// - integer, integer64, byte, short: a VALUE name, decimal, or 0x-hex; signed: decimal;
/// - date: seconds since the epoch or "YYYY-MM-DDTHH:MM:SSZ" (UTC only);
/// - ipaddr, ipv6addr, combo-ip: the usual notation (inet_pton, strict);
/// - ipv6prefix "2001:db8::/32", ipv4prefix "10.0.0.0/8" (no "/n": a host prefix): bits past
///   the prefix length must be zero (RFC 8044 3.10/3.11) and are refused, not masked; the
///   IPv6 prefix is written with only the octets its length needs;
/// - ifid xxxx:xxxx:xxxx:xxxx; ether aa:bb:cc:dd:ee:ff (or with '-');
/// - abinary, tlv and the containers: 0x-hex only.
/// Every non-numeric type also takes raw 0x-hex wire form (checked by validSize), so that
/// formatValue's hex fallback parses back. Values over 253 octets only for concat octets.
Expected<Bytes, ValueError> parseValue(const Dictionary& dict, const AttrDef& def,
                                       std::string_view text);

/// Wire form to text, the inverse of parseValue: strings always quoted (valid UTF-8 kept,
/// other octets escaped), VALUE names where the dictionary has them, dates as ISO-8601 UTC,
/// 0x-hex for octets, abinary, and for any value whose size or content (a prefix with bits
/// past its length, a non-zero reserved octet) is wrong for its type. A tlv prints its children
/// as "{ Child = value, ... }" (one way: parse a tlv from hex); arrays print "v1, v2".
std::string formatValue(const Dictionary& dict, const AttrDef& def, ByteSpan wire);

/// True when `size` octets is a legal wire length for the type (fixed sizes, octets[N],
/// prefix ranges, 253 for strings).
bool validSize(const AttrDef& def, size_t size);

/// "Name = value" for each attribute of a packet, one per line, in radclient's style: hidden
/// (encrypt=) values as 0x-hex as they travel; a tag as "Name:1 = value"; long-extended
/// fragments joined into one line; unknown attributes as Attr-N, Attr-26.VENDOR.TYPE,
/// Attr-241.EXT, and an opaque Vendor-Specific as Attr-26 = 0x<vendor id + data>.
std::string formatPacket(const Dictionary& dict, const Packet& packet);

}  // namespace gatehouse::radius
