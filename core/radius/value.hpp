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
    std::string message;  // names the attribute and the text: "Framed-IP-Address: bad IPv4 '10.0.0'"
};

/// Text to wire form for `def`'s type: strings as is; integers decimal, 0x-hex or a VALUE
/// name; addresses and prefixes in their usual notation; octets as 0x-hex; dates as seconds
/// or "YYYY-MM-DDTHH:MM:SSZ"; ether as aa:bb:cc:dd:ee:ff.
Expected<Bytes, ValueError> parseValue(const Dictionary& dict, const AttrDef& def,
                                       std::string_view text);

/// Wire form to text (the inverse of parseValue; VALUE names where the dictionary has them,
/// 0x-hex for octets and for any value whose size is wrong for its type).
std::string formatValue(const Dictionary& dict, const AttrDef& def, ByteSpan wire);

/// True when `size` octets is a legal wire length for the type (fixed sizes, octets[N],
/// prefix ranges, 253 for strings).
bool validSize(const AttrDef& def, size_t size);

/// "Name = value" for each attribute of a packet, one per line, in radclient's style (hidden
/// values shown as 0x-hex; unknown attributes as Attr-26.VENDOR.TYPE = 0x...).
std::string formatPacket(const Dictionary& dict, const Packet& packet);

}  // namespace gatehouse::radius
