#include "core/store/validate.hpp"

#include <charconv>
#include <cmath>
#include <ctime>

namespace gatehouse::store {
namespace {

Unexpected<StoreError> invalid(std::string_view field, std::string message) {
    return unexpected(
        StoreError{StoreErrorKind::kInvalid, std::string(field), std::move(message), 0});
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    return out;
}

bool parseDigits(std::string_view s, int64_t& out) {
    if (s.empty() || s[0] < '0' || s[0] > '9')
        return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

// Days since 1970-01-01 of a civil date (proleptic Gregorian); avoids timegm's TZ games.
int64_t daysFromCivil(int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

}  // namespace

Expected<uint32_t, StoreError> parseIpv4(std::string_view text, std::string_view field) {
    std::string_view s = trim(text);
    uint32_t ip = 0;
    int parts = 0;
    size_t pos = 0;
    for (;;) {
        size_t end = s.find('.', pos);
        std::string_view part = s.substr(pos, end == std::string_view::npos ? end : end - pos);
        int64_t v = 0;
        // No leading zeros: "010" is octal to inet_aton and decimal to PostgreSQL.
        if (parts == 4 || part.empty() || part.size() > 3 || (part.size() > 1 && part[0] == '0') ||
            !parseDigits(part, v) || v > 255)
            return invalid(field, "invalid IPv4 address '" + std::string(text) + "'");
        ip = ip << 8 | static_cast<uint32_t>(v);
        ++parts;
        if (end == std::string_view::npos)
            break;
        pos = end + 1;
    }
    if (parts != 4)
        return invalid(field, "invalid IPv4 address '" + std::string(text) + "'");
    return ip;
}

std::string formatIpv4(uint32_t ip) {
    return std::to_string(ip >> 24) + "." + std::to_string(ip >> 16 & 255) + "." +
           std::to_string(ip >> 8 & 255) + "." + std::to_string(ip & 255);
}

Expected<uint64_t, StoreError> parseRate(std::string_view text, std::string_view field) {
    std::string_view s = trim(text);
    double mult = 1;
    if (!s.empty()) {
        switch (s.back()) {
            case 'k':
            case 'K':
                mult = 1e3;
                break;
            case 'm':
            case 'M':
                mult = 1e6;
                break;
            case 'g':
            case 'G':
                mult = 1e9;
                break;
            default:
                break;
        }
        if (mult != 1)
            s.remove_suffix(1);
    }
    double v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size() || !(v >= 0) ||
        !std::isfinite(v) || v * mult > 1e15)
        return invalid(field, "invalid rate '" + std::string(text) +
                                  "' (expected e.g. 20M, 512k, 1G or bits per second)");
    return static_cast<uint64_t>(std::llround(v * mult));
}

Expected<std::string, StoreError> parseMac(std::string_view text, std::string_view field) {
    std::string hex;
    for (char c : trim(text)) {
        if (c == ':' || c == '-' || c == '.')
            continue;
        bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (!ok)
            return invalid(field, "invalid MAC address '" + std::string(text) + "'");
        hex.push_back(c >= 'a' ? static_cast<char>(c - 'a' + 'A') : c);
    }
    if (hex.size() != 12)
        return invalid(field, "invalid MAC address '" + std::string(text) + "'");
    std::string out;
    for (size_t i = 0; i < 12; i += 2) {
        if (i)
            out.push_back(':');
        out.append(hex, i, 2);
    }
    return out;
}

Expected<std::optional<int64_t>, StoreError> parseExpiry(std::string_view text,
                                                         std::string_view field) {
    std::string_view s = trim(text);
    if (s.empty() || lower(s) == "never")
        return std::optional<int64_t>{};
    auto bad = [&] {
        return invalid(field, "invalid date '" + std::string(text) +
                                  "' (expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)");
    };
    int64_t y = 0, mo = 0, d = 0, h = 23, mi = 59, se = 59;
    if (s.size() < 10 || s[4] != '-' || s[7] != '-' || !parseDigits(s.substr(0, 4), y) ||
        !parseDigits(s.substr(5, 2), mo) || !parseDigits(s.substr(8, 2), d))
        return bad();
    if (s.size() > 10) {
        std::string_view t = s.substr(11);
        if (s[10] != 'T' && s[10] != ' ')
            return bad();
        if (!t.empty() && t.back() == 'Z')
            t.remove_suffix(1);
        se = 0;
        if ((t.size() != 5 && t.size() != 8) || t[2] != ':' || !parseDigits(t.substr(0, 2), h) ||
            !parseDigits(t.substr(3, 2), mi) ||
            (t.size() == 8 && (t[5] != ':' || !parseDigits(t.substr(6, 2), se))))
            return bad();
    }
    static constexpr int kDays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > kDays[mo - 1] ||
        (mo == 2 && d == 29 && !leap) || h > 23 || mi > 59 || se > 59)
        return bad();
    int64_t days = daysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
    return std::optional<int64_t>(days * 86400 + h * 3600 + mi * 60 + se);
}

Expected<bool, StoreError> parseBool(std::string_view text, std::string_view field) {
    std::string s = lower(trim(text));
    if (s == "yes" || s == "true" || s == "1" || s == "on" || s == "enabled" || s == "y")
        return true;
    if (s == "no" || s == "false" || s == "0" || s == "off" || s == "disabled" || s == "n")
        return false;
    return invalid(field, "invalid boolean '" + std::string(text) + "' (expected yes or no)");
}

Expected<int64_t, StoreError> parseInt(std::string_view text, std::string_view field, int64_t min,
                                       int64_t max) {
    int64_t v = 0;
    if (!parseDigits(trim(text), v) || v < min || v > max)
        return invalid(field, "invalid number '" + std::string(text) + "' (expected " +
                                  std::to_string(min) + ".." + std::to_string(max) + ")");
    return v;
}

Expected<std::string, StoreError> checkUsername(std::string_view text, std::string_view field) {
    if (text.empty())
        return invalid(field, "must not be empty");
    if (text.size() > 253)
        return invalid(field, "longer than 253 octets (RFC 2865 5.1)");
    if (text.front() == ' ' || text.back() == ' ')
        return invalid(field, "must not start or end with a space");
    for (unsigned char c : text)
        if (c < 0x20 || c == 0x7f)
            return invalid(field, "must not contain control characters");
    return std::string(text);
}

std::string formatTime(int64_t unix_seconds) {
    std::time_t t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

}  // namespace gatehouse::store
