#include "core/jobs/mikrotik_rate.hpp"

#include <limits>

namespace gatehouse::jobs {
namespace {

std::string_view trim(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
        text.remove_suffix(1);
    return text;
}

std::string quoted(std::string_view text) {
    return "'" + std::string(text) + "'";
}

}  // namespace

Expected<uint64_t, std::string> parseRosRate(std::string_view text) {
    if (text.empty())
        return unexpected(std::string("empty rate"));
    uint64_t multiplier = 1;
    std::string_view digits = text;
    switch (text.back()) {
        case 'k':
        case 'K':
            multiplier = 1000;
            break;
        case 'M':
            multiplier = 1000 * 1000;
            break;
        case 'G':
            multiplier = 1000 * 1000 * 1000;
            break;
        default:
            break;
    }
    if (multiplier != 1)
        digits.remove_suffix(1);
    if (digits.empty())
        return unexpected("rate " + quoted(text) + " has no digits");
    uint64_t value = 0;
    for (char c : digits) {
        if (c < '0' || c > '9')
            return unexpected("rate " + quoted(text) +
                              " is not digits with an optional k, M or G suffix");
        const uint64_t digit = static_cast<uint64_t>(c - '0');
        if (value > (std::numeric_limits<uint64_t>::max() - digit) / 10)
            return unexpected("rate " + quoted(text) + " is too large");
        value = value * 10 + digit;
    }
    if (value > std::numeric_limits<uint64_t>::max() / multiplier)
        return unexpected("rate " + quoted(text) + " is too large");
    return value * multiplier;
}

Expected<RatePair, std::string> parseRosRatePair(std::string_view text) {
    text = trim(text);
    const size_t slash = text.find('/');
    auto upload = parseRosRate(text.substr(0, slash));
    if (!upload)
        return unexpected(upload.error());
    RatePair pair{*upload, *upload};
    if (slash != std::string_view::npos) {
        auto download = parseRosRate(text.substr(slash + 1));
        if (!download)
            return unexpected(download.error());
        pair.download = *download;
    }
    return pair;
}

Expected<RatePair, std::string> parseRateLimitAttribute(std::string_view value) {
    value = trim(value);
    const size_t space = value.find_first_of(" \t");
    auto pair = parseRosRatePair(value.substr(0, space));
    if (!pair)
        return unexpected("Mikrotik-Rate-Limit " + quoted(value) + ": " + pair.error());
    return pair;
}

Expected<RatePair, std::string> parseQueueMaxLimit(std::string_view value) {
    auto pair = parseRosRatePair(value);
    if (!pair)
        return unexpected("max-limit " + quoted(value) + ": " + pair.error());
    return pair;
}

std::string formatRosRate(uint64_t bps) {
    if (bps != 0) {
        if (bps % 1000000 == 0)
            return std::to_string(bps / 1000000) + "M";
        if (bps % 1000 == 0)
            return std::to_string(bps / 1000) + "k";
    }
    return std::to_string(bps);
}

std::string formatRosRatePair(const RatePair& pair) {
    return formatRosRate(pair.upload) + "/" + formatRosRate(pair.download);
}

}  // namespace gatehouse::jobs
