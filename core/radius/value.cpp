#include "core/radius/value.hpp"
#include "core/util/hex.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <optional>

namespace gatehouse::radius {

namespace {

Unexpected<ValueError> bad(ValueError::Kind kind, const AttrDef& def, std::string_view what,
                           std::string_view text) {
    std::string m = def.name;
    m += ": ";
    m += what;
    m += " '";
    m += text;
    m += '\'';
    return unexpected(ValueError{kind, std::move(m)});
}

std::string hexValue(ByteSpan wire) {
    return "0x" + toHex(wire);
}

// Decimal, or hex with 0x; no sign, no spaces. nullopt when not a number or over `max`.
std::optional<uint64_t> parseUnsigned(std::string_view text, uint64_t max, bool* overflow) {
    *overflow = false;
    int base = 10;
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        base = 16;
        text.remove_prefix(2);
    }
    if (text.empty())
        return std::nullopt;
    uint64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v, base);
    if (ec == std::errc::result_out_of_range) {
        *overflow = true;
        return std::nullopt;
    }
    if (ec != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    if (v > max) {
        *overflow = true;
        return std::nullopt;
    }
    return v;
}

// --- dates: proleptic Gregorian calendar, days since 1970-01-01 --------------------------------

int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    d = doy - (153 * mp + 2) / 5 + 1;
    m = mp < 10 ? mp + 3 : mp - 9;
    y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2);
}

bool digits(std::string_view s, size_t pos, size_t n, unsigned& out) {
    out = 0;
    for (size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        out = out * 10 + static_cast<unsigned>(s[i] - '0');
    }
    return true;
}

// "YYYY-MM-DDTHH:MM:SSZ" (UTC only: a NAS clock and our logs both speak UTC).
std::optional<int64_t> parseIsoUtc(std::string_view s) {
    if (s.size() != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
        s[16] != ':' || s[19] != 'Z') {
        return std::nullopt;
    }
    unsigned y, mo, d, h, mi, se;
    if (!digits(s, 0, 4, y) || !digits(s, 5, 2, mo) || !digits(s, 8, 2, d) ||
        !digits(s, 11, 2, h) || !digits(s, 14, 2, mi) || !digits(s, 17, 2, se)) {
        return std::nullopt;
    }
    static constexpr unsigned kMonthDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (mo < 1 || mo > 12 || d < 1 || d > kMonthDays[mo - 1] || h > 23 || mi > 59 || se > 59) {
        return std::nullopt;
    }
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (mo == 2 && d == 29 && !leap)
        return std::nullopt;
    return daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se;
}

std::string formatIsoUtc(uint32_t seconds) {
    int64_t y;
    unsigned m, d;
    civilFromDays(seconds / 86400, y, m, d);
    const unsigned rem = seconds % 86400;
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02u:%02u:%02uZ", static_cast<long long>(y),
                  m, d, rem / 3600, rem / 60 % 60, rem % 60);
    return buf;
}

// --- strings ----------------------------------------------------------------------------------

// Length of the valid UTF-8 sequence at s[i], or 0.
size_t utf8Length(ByteSpan s, size_t i) {
    const uint8_t c = s[i];
    size_t n;
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
    } else {
        return 0;
    }
    if (n > s.size() - i)
        return 0;
    for (size_t k = 1; k < n; ++k) {
        if ((s[i + k] & 0xc0) != 0x80)
            return 0;
    }
    return n;
}

// Double-quoted with C escapes, so any octet string prints on one line and parses back.
std::string quote(ByteSpan s) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out = "\"";
    for (size_t i = 0; i < s.size();) {
        const uint8_t c = s[i];
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\r') {
            out += "\\r";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c >= 0x20 && c < 0x7f) {
            out += static_cast<char>(c);
        } else if (size_t n = c >= 0x80 ? utf8Length(s, i) : 0; n != 0) {
            out.append(reinterpret_cast<const char*>(s.data() + i), n);
            i += n;
            continue;
        } else {
            out += "\\x";
            out += kDigits[c >> 4];
            out += kDigits[c & 15];
        }
        ++i;
    }
    out += '"';
    return out;
}

std::optional<Bytes> unquote(std::string_view q) {
    Bytes out;
    for (size_t i = 1; i + 1 < q.size(); ++i) {
        char c = q[i];
        if (c == '"')
            return std::nullopt;
        if (c != '\\') {
            out.push_back(static_cast<uint8_t>(c));
            continue;
        }
        if (++i + 1 >= q.size())
            return std::nullopt;
        switch (q[i]) {
            case '\\':
                out.push_back('\\');
                break;
            case '"':
                out.push_back('"');
                break;
            case 'n':
                out.push_back('\n');
                break;
            case 'r':
                out.push_back('\r');
                break;
            case 't':
                out.push_back('\t');
                break;
            case 'x': {
                if (i + 3 >= q.size())
                    return std::nullopt;
                const int hi = hexDigitValue(q[i + 1]);
                const int lo = hexDigitValue(q[i + 2]);
                if (hi < 0 || lo < 0)
                    return std::nullopt;
                out.push_back(static_cast<uint8_t>(hi << 4 | lo));
                i += 2;
                break;
            }
            default:
                return std::nullopt;
        }
    }
    return out;
}

bool isQuoted(std::string_view t) {
    return t.size() >= 2 && t.front() == '"' && t.back() == '"';
}
bool isHex(std::string_view t) {
    return t.size() >= 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X');
}

// --- addresses --------------------------------------------------------------------------------

bool parseIpv4(std::string_view t, uint8_t* out4) {
    if (t.size() > 15)
        return false;
    char buf[16];
    std::memcpy(buf, t.data(), t.size());
    buf[t.size()] = 0;
    return inet_pton(AF_INET, buf, out4) == 1;
}

bool parseIpv6(std::string_view t, uint8_t* out16) {
    if (t.size() > 45)
        return false;
    char buf[46];
    std::memcpy(buf, t.data(), t.size());
    buf[t.size()] = 0;
    return inet_pton(AF_INET6, buf, out16) == 1;
}

std::string formatIpv4(const uint8_t* p) {
    char buf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, p, buf, sizeof(buf));
    return buf;
}

std::string formatIpv6(const uint8_t* p) {
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, p, buf, sizeof(buf));
    return buf;
}

// True when no bit past `bits` is set in the `n` octets at p.
bool hostBitsClear(const uint8_t* p, size_t n, unsigned bits) {
    for (size_t i = 0; i < n; ++i) {
        const unsigned first = static_cast<unsigned>(i) * 8;
        uint8_t mask;
        if (bits >= first + 8) {
            mask = 0;
        } else if (bits <= first) {
            mask = 0xff;
        } else {
            mask = static_cast<uint8_t>(0xff >> (bits - first));
        }
        if (p[i] & mask)
            return false;
    }
    return true;
}

// Splits "addr/len"; no slash means a host prefix of `full` bits.
bool splitPrefix(std::string_view t, std::string_view& addr, unsigned& bits, unsigned full) {
    const size_t slash = t.find('/');
    if (slash == std::string_view::npos) {
        addr = t;
        bits = full;
        return true;
    }
    addr = t.substr(0, slash);
    const std::string_view b = t.substr(slash + 1);
    if (b.empty() || b.size() > 3)
        return false;
    auto [end, ec] = std::from_chars(b.data(), b.data() + b.size(), bits);
    return ec == std::errc() && end == b.data() + b.size() && bits <= full;
}

bool parseHexGroups(std::string_view t, size_t groups, size_t max_digits, size_t group_octets,
                    const char* seps, uint8_t* out) {
    size_t g = 0;
    size_t pos = 0;
    while (g < groups) {
        size_t n = 0;
        uint32_t v = 0;
        while (pos < t.size() && hexDigitValue(t[pos]) >= 0) {
            v = v << 4 | static_cast<uint32_t>(hexDigitValue(t[pos]));
            ++pos;
            ++n;
        }
        if (n == 0 || n > max_digits)
            return false;
        for (size_t k = 0; k < group_octets; ++k) {
            out[g * group_octets + k] = static_cast<uint8_t>(v >> (8 * (group_octets - 1 - k)));
        }
        ++g;
        if (g < groups) {
            if (pos >= t.size() || std::strchr(seps, t[pos]) == nullptr)
                return false;
            ++pos;
        }
    }
    return pos == t.size();
}

bool isNumericType(DataType t) {
    switch (t) {
        case DataType::kInteger:
        case DataType::kSigned:
        case DataType::kInteger64:
        case DataType::kDate:
        case DataType::kByte:
        case DataType::kShort:
            return true;
        default:
            return false;
    }
}

Expected<Bytes, ValueError> parseUnsignedValue(const Dictionary& dict, const AttrDef& def,
                                               std::string_view text, size_t octets) {
    const uint64_t max = octets == 8 ? UINT64_MAX : (uint64_t{1} << (8 * octets)) - 1;
    uint64_t v;
    if (auto named = dict.valueByName(def, text)) {
        v = *named;
        if (v > max)
            return bad(ValueError::kOutOfRange, def, "VALUE out of range", text);
    } else {
        bool overflow;
        auto n = parseUnsigned(text, max, &overflow);
        if (!n) {
            if (overflow)
                return bad(ValueError::kOutOfRange, def, "number out of range", text);
            const bool looks_numeric = !text.empty() && text[0] >= '0' && text[0] <= '9';
            if (looks_numeric)
                return bad(ValueError::kBadText, def, "bad number", text);
            return bad(ValueError::kUnknownValueName, def, "unknown VALUE", text);
        }
        v = *n;
    }
    Bytes out(octets);
    for (size_t i = 0; i < octets; ++i)
        out[i] = static_cast<uint8_t>(v >> (8 * (octets - 1 - i)));
    return out;
}

std::string formatUnsigned(const Dictionary& dict, const AttrDef& def, uint64_t v) {
    std::string_view name = dict.valueName(def, v);
    if (!name.empty())
        return std::string(name);
    return std::to_string(v);
}

std::optional<std::string> formatTlv(const Dictionary& dict, const AttrDef& def, ByteSpan wire,
                                     int depth);

}  // namespace

bool validSize(const AttrDef& def, size_t size) {
    if (def.fixed_length != 0 && (def.type == DataType::kOctets || def.type == DataType::kString)) {
        return size == def.fixed_length;
    }
    auto fixed = [&](size_t n) {
        // FreeRADIUS "array": several values of the type back to back.
        if (def.array)
            return size != 0 && size % n == 0 && size <= kMaxAttrValue;
        return size == n;
    };
    switch (def.type) {
        case DataType::kString:
        case DataType::kOctets:
        case DataType::kAbinary:
        case DataType::kTlv:
        case DataType::kExtended:
        case DataType::kLongExtended:
        case DataType::kEvs:
            return size <= kMaxAttrValue;
        case DataType::kVsa:
            return size >= 4 && size <= kMaxAttrValue;
        case DataType::kInteger:
        case DataType::kSigned:
        case DataType::kDate:
        case DataType::kIpAddr:
            return fixed(4);
        case DataType::kInteger64:
            return fixed(8);
        case DataType::kIpv6Addr:
            return fixed(16);
        case DataType::kIpv6Prefix:
            return size >= 2 && size <= 18;
        case DataType::kIpv4Prefix:
            return size == 6;
        case DataType::kIfid:
            return fixed(8);
        case DataType::kByte:
            return fixed(1);
        case DataType::kShort:
            return fixed(2);
        case DataType::kEther:
            return fixed(6);
        case DataType::kComboIp:
            return size == 4 || size == 16;
    }
    return false;
}

Expected<Bytes, ValueError> parseValue(const Dictionary& dict, const AttrDef& def,
                                       std::string_view text) {
    // Raw wire hex is accepted for every non-numeric type, so formatValue's hex fallback
    // parses back; numeric types read 0x as a hex number instead.
    if (isHex(text) && !isNumericType(def.type) && def.type != DataType::kString) {
        auto raw = fromHex(text);
        if (!raw)
            return bad(ValueError::kBadText, def, "bad hex", text);
        if (raw->size() > kMaxAttrValue && !(def.concat && def.type == DataType::kOctets)) {
            return bad(ValueError::kTooLong, def, "value over 253 octets", text);
        }
        if (raw->size() <= kMaxAttrValue && !validSize(def, raw->size())) {
            return bad(ValueError::kWrongSize, def,
                       "wrong size for " + std::string(dataTypeName(def.type)), text);
        }
        return std::move(*raw);
    }
    switch (def.type) {
        case DataType::kString:
        case DataType::kOctets: {
            Bytes out;
            if (isQuoted(text)) {
                auto u = unquote(text);
                if (!u)
                    return bad(ValueError::kBadText, def, "bad quoted string", text);
                out = std::move(*u);
            } else {
                out.assign(text.begin(), text.end());
            }
            if (out.size() > kMaxAttrValue && !def.concat) {
                return bad(ValueError::kTooLong, def, "value over 253 octets", text);
            }
            if (def.fixed_length != 0 && out.size() != def.fixed_length) {
                return bad(ValueError::kWrongSize, def,
                           "needs " + std::to_string(def.fixed_length) + " octets", text);
            }
            return out;
        }
        case DataType::kInteger:
            return parseUnsignedValue(dict, def, text, 4);
        case DataType::kInteger64:
            return parseUnsignedValue(dict, def, text, 8);
        case DataType::kByte:
            return parseUnsignedValue(dict, def, text, 1);
        case DataType::kShort:
            return parseUnsignedValue(dict, def, text, 2);
        case DataType::kSigned: {
            int64_t v = 0;
            const char* b = text.data();
            const char* e = b + text.size();
            auto [end, ec] = std::from_chars(b, e, v);
            if (text.empty() || ec == std::errc::invalid_argument || end != e) {
                return bad(ValueError::kBadText, def, "bad signed number", text);
            }
            if (ec == std::errc::result_out_of_range || v < INT32_MIN || v > INT32_MAX) {
                return bad(ValueError::kOutOfRange, def, "signed number out of range", text);
            }
            Bytes out(4);
            storeBe32(out.data(), static_cast<uint32_t>(static_cast<int32_t>(v)));
            return out;
        }
        case DataType::kDate: {
            uint64_t v;
            bool overflow;
            if (auto n = parseUnsigned(text, UINT32_MAX, &overflow)) {
                v = *n;
            } else if (overflow) {
                return bad(ValueError::kOutOfRange, def, "date out of range", text);
            } else if (auto iso = parseIsoUtc(text)) {
                if (*iso < 0 || *iso > int64_t{UINT32_MAX}) {
                    return bad(ValueError::kOutOfRange, def, "date out of range", text);
                }
                v = static_cast<uint64_t>(*iso);
            } else {
                return bad(ValueError::kBadText, def, "bad date (seconds or YYYY-MM-DDTHH:MM:SSZ)",
                           text);
            }
            Bytes out(4);
            storeBe32(out.data(), static_cast<uint32_t>(v));
            return out;
        }
        case DataType::kIpAddr: {
            Bytes out(4);
            if (!parseIpv4(text, out.data()))
                return bad(ValueError::kBadText, def, "bad IPv4", text);
            return out;
        }
        case DataType::kIpv6Addr: {
            Bytes out(16);
            if (!parseIpv6(text, out.data()))
                return bad(ValueError::kBadText, def, "bad IPv6", text);
            return out;
        }
        case DataType::kComboIp: {
            Bytes out(16);
            if (text.find(':') != std::string_view::npos) {
                if (!parseIpv6(text, out.data())) {
                    return bad(ValueError::kBadText, def, "bad IPv6", text);
                }
                return out;
            }
            out.resize(4);
            if (!parseIpv4(text, out.data()))
                return bad(ValueError::kBadText, def, "bad IPv4", text);
            return out;
        }
        case DataType::kIpv6Prefix: {
            // RFC 8044 3.10: reserved 0, prefix length, then only the octets the prefix needs.
            // Bits past the prefix length must be zero: we refuse them rather than guess.
            std::string_view addr;
            unsigned bits;
            uint8_t a[16];
            if (!splitPrefix(text, addr, bits, 128) || !parseIpv6(addr, a)) {
                return bad(ValueError::kBadText, def, "bad IPv6 prefix", text);
            }
            if (!hostBitsClear(a, 16, bits)) {
                return bad(ValueError::kBadText, def, "bits set past the prefix length", text);
            }
            const size_t n = (bits + 7) / 8;
            Bytes out(2 + n);
            out[1] = static_cast<uint8_t>(bits);
            if (n != 0)
                std::memcpy(out.data() + 2, a, n);
            return out;
        }
        case DataType::kIpv4Prefix: {
            // RFC 8044 3.11: reserved 0, prefix length (0..32), 4 octets, host bits zero.
            std::string_view addr;
            unsigned bits;
            uint8_t a[4];
            if (!splitPrefix(text, addr, bits, 32) || !parseIpv4(addr, a)) {
                return bad(ValueError::kBadText, def, "bad IPv4 prefix", text);
            }
            if (!hostBitsClear(a, 4, bits)) {
                return bad(ValueError::kBadText, def, "bits set past the prefix length", text);
            }
            return Bytes{0, static_cast<uint8_t>(bits), a[0], a[1], a[2], a[3]};
        }
        case DataType::kIfid: {
            Bytes out(8);
            if (!parseHexGroups(text, 4, 4, 2, ":", out.data())) {
                return bad(ValueError::kBadText, def, "bad interface id (xxxx:xxxx:xxxx:xxxx)",
                           text);
            }
            return out;
        }
        case DataType::kEther: {
            Bytes out(6);
            if (!parseHexGroups(text, 6, 2, 1, ":-", out.data())) {
                return bad(ValueError::kBadText, def, "bad MAC address", text);
            }
            return out;
        }
        case DataType::kAbinary:
        case DataType::kTlv:
        case DataType::kVsa:
        case DataType::kExtended:
        case DataType::kLongExtended:
        case DataType::kEvs:
            return bad(ValueError::kBadText, def, "expected 0x-hex", text);
    }
    return bad(ValueError::kBadText, def, "unsupported type", text);
}

std::string formatValue(const Dictionary& dict, const AttrDef& def, ByteSpan wire) {
    if (!validSize(def, wire.size()))
        return hexValue(wire);
    if (def.array && wire.size() > 0) {
        // Arrays of fixed-size values: "v1, v2, ...". Only shown, never parsed.
        size_t n = 0;
        switch (def.type) {
            case DataType::kInteger64:
            case DataType::kIfid:
                n = 8;
                break;
            case DataType::kIpv6Addr:
                n = 16;
                break;
            case DataType::kByte:
                n = 1;
                break;
            case DataType::kShort:
                n = 2;
                break;
            case DataType::kEther:
                n = 6;
                break;
            default:
                n = 4;
                break;
        }
        if (wire.size() > n) {
            AttrDef one = def;
            one.array = false;
            std::string out;
            for (size_t off = 0; off < wire.size(); off += n) {
                if (off)
                    out += ", ";
                out += formatValue(dict, one, wire.subspan(off, n));
            }
            return out;
        }
    }
    const uint8_t* p = wire.data();
    switch (def.type) {
        case DataType::kString:
            return quote(wire);
        case DataType::kOctets:
        case DataType::kAbinary:
        case DataType::kVsa:
        case DataType::kExtended:
        case DataType::kLongExtended:
        case DataType::kEvs:
            return hexValue(wire);
        case DataType::kInteger:
            return formatUnsigned(dict, def, loadBe32(p));
        case DataType::kInteger64:
            return formatUnsigned(dict, def, loadBe64(p));
        case DataType::kByte:
            return formatUnsigned(dict, def, p[0]);
        case DataType::kShort:
            return formatUnsigned(dict, def, loadBe16(p));
        case DataType::kSigned:
            return std::to_string(static_cast<int32_t>(loadBe32(p)));
        case DataType::kDate:
            return formatIsoUtc(loadBe32(p));
        case DataType::kIpAddr:
            return formatIpv4(p);
        case DataType::kIpv6Addr:
            return formatIpv6(p);
        case DataType::kComboIp:
            return wire.size() == 4 ? formatIpv4(p) : formatIpv6(p);
        case DataType::kIpv6Prefix: {
            const unsigned bits = p[1];
            const size_t n = wire.size() - 2;
            if (p[0] != 0 || bits > 128 || bits > n * 8 || !hostBitsClear(p + 2, n, bits)) {
                return hexValue(wire);
            }
            uint8_t a[16] = {};
            std::memcpy(a, p + 2, n);
            return formatIpv6(a) + "/" + std::to_string(bits);
        }
        case DataType::kIpv4Prefix: {
            const unsigned bits = p[1];
            if (p[0] != 0 || bits > 32 || !hostBitsClear(p + 2, 4, bits))
                return hexValue(wire);
            return formatIpv4(p + 2) + "/" + std::to_string(bits);
        }
        case DataType::kIfid: {
            char buf[20];
            std::snprintf(buf, sizeof(buf), "%04x:%04x:%04x:%04x", loadBe16(p), loadBe16(p + 2),
                          loadBe16(p + 4), loadBe16(p + 6));
            return buf;
        }
        case DataType::kEther: {
            char buf[18];
            std::snprintf(buf, sizeof(buf), "%02x:%02x:%02x:%02x:%02x:%02x", p[0], p[1], p[2], p[3],
                          p[4], p[5]);
            return buf;
        }
        case DataType::kTlv: {
            if (auto s = formatTlv(dict, def, wire, 0))
                return *s;
            return hexValue(wire);
        }
    }
    return hexValue(wire);
}

namespace {

// "{ Child = value, Other = { ... } }" when the value is a clean TLV list (RFC 6929 2.3),
// nullopt otherwise (the caller shows hex). Depth-limited: a TLV nests in at most 253 octets.
std::optional<std::string> formatTlv(const Dictionary& dict, const AttrDef& def, ByteSpan wire,
                                     int depth) {
    if (depth > 8)
        return std::nullopt;
    std::string out = "{";
    size_t off = 0;
    bool first = true;
    while (off < wire.size()) {
        if (wire.size() - off < 2)
            return std::nullopt;
        const uint8_t type = wire[off];
        const size_t len = wire[off + 1];
        if (len < 2 || len > wire.size() - off)
            return std::nullopt;
        const ByteSpan v = wire.subspan(off + 2, len - 2);
        out += first ? " " : ", ";
        first = false;
        if (const AttrDef* c = dict.child(def, type)) {
            out += c->name;
            out += " = ";
            if (c->type == DataType::kTlv) {
                auto inner = formatTlv(dict, *c, v, depth + 1);
                out += inner ? *inner : hexValue(v);
            } else {
                out += formatValue(dict, *c, v);
            }
        } else {
            out += "Attr-" + std::to_string(type) + " = " + hexValue(v);
        }
        off += len;
    }
    out += first ? "}" : " }";
    return out;
}

std::string unknownName(const AttrRef& a) {
    if (a.flags & AttrRef::kOpaqueVsa)
        return "Attr-26";
    if (a.vendor != 0)
        return "Attr-26." + std::to_string(a.vendor) + "." + std::to_string(a.type);
    if (a.type >= 241 && a.type <= 246) {
        return "Attr-" + std::to_string(a.type) + "." + std::to_string(a.ext);
    }
    return "Attr-" + std::to_string(a.type);
}

}  // namespace

std::string formatPacket(const Dictionary& dict, const Packet& packet) {
    std::string out;
    const auto attrs = packet.attributes();
    Bytes joined;
    for (size_t i = 0; i < attrs.size(); ++i) {
        const AttrRef& a = attrs[i];
        const AttrDef* def = (a.flags & AttrRef::kOpaqueVsa) ? nullptr : a.def;
        ByteSpan v = packet.value(a);
        if (a.flags & AttrRef::kMore) {
            // RFC 6929 2.2: show a long-extended value once, joined from its fragments.
            joined.assign(v.begin(), v.end());
            while (i + 1 < attrs.size() && attrs[i + 1].type == a.type &&
                   attrs[i + 1].ext == a.ext) {
                const AttrRef& next = attrs[++i];
                const ByteSpan nv = packet.value(next);
                joined.insert(joined.end(), nv.begin(), nv.end());
                if ((next.flags & AttrRef::kMore) == 0)
                    break;
            }
            v = joined;
        }
        out += def != nullptr ? def->name : unknownName(a);
        if (def == nullptr || def->encrypt != Encrypt::kNone) {
            // Hidden values stay hidden: the text form is for logs and tests.
            out += " = " + hexValue(v);
        } else if (def->has_tag && def->type == DataType::kInteger && v.size() == 4) {
            // RFC 2868 3: the tag is the high octet of a tagged integer.
            if (v[0] != 0)
                out += ":" + std::to_string(v[0]);
            uint8_t plain[4] = {0, v[1], v[2], v[3]};
            out += " = " + formatValue(dict, *def, ByteSpan(plain, 4));
        } else if (def->has_tag && !v.empty() && v[0] >= 1 && v[0] <= 0x1f) {
            out += ":" + std::to_string(v[0]);
            out += " = " + formatValue(dict, *def, v.subspan(1));
        } else {
            out += " = " + formatValue(dict, *def, v);
        }
        out += '\n';
    }
    return out;
}

}  // namespace gatehouse::radius
