#include "core/bench/user_pattern.hpp"

#include <cstring>

namespace gatehouse::bench {

namespace {

struct Parsed {
    std::string prefix, suffix, error;
    bool has_number = false, zero_pad = false;
    uint8_t width = 0;
};

Parsed parse(std::string_view p) {
    Parsed out;
    std::string* cur = &out.prefix;
    for (size_t i = 0; i < p.size(); ++i) {
        if (p[i] != '%') {
            cur->push_back(p[i]);
            continue;
        }
        if (++i == p.size()) {
            out.error = "ends with a lone '%'";
            return out;
        }
        if (p[i] == '%') {
            cur->push_back('%');
            continue;
        }
        bool zero = false;
        if (p[i] == '0') {
            zero = true;
            ++i;
        }
        unsigned width = 0;
        while (i < p.size() && p[i] >= '0' && p[i] <= '9') {
            width = width * 10 + static_cast<unsigned>(p[i] - '0');
            if (width > 20) {
                out.error = "width over 20";
                return out;
            }
            ++i;
        }
        if (i == p.size() || (p[i] != 'd' && p[i] != 'u')) {
            out.error = "only %d, %Nd and %0Nd are supported";
            return out;
        }
        if (out.has_number) {
            out.error = "more than one %d";
            return out;
        }
        out.has_number = true;
        out.zero_pad = zero;
        out.width = static_cast<uint8_t>(width);
        cur = &out.suffix;
    }
    return out;
}

}  // namespace

UserPattern::UserPattern(std::string_view pattern) {
    Parsed p = parse(pattern);
    if (!p.error.empty()) {
        prefix_ = pattern;
        return;
    }
    prefix_ = std::move(p.prefix);
    suffix_ = std::move(p.suffix);
    has_number_ = p.has_number;
    zero_pad_ = p.zero_pad;
    width_ = p.width;
}

std::string UserPattern::check(std::string_view pattern) {
    return parse(pattern).error;
}

size_t UserPattern::maxLength() const {
    return prefix_.size() + suffix_.size() + (has_number_ ? (width_ > 10 ? width_ : 10) : 0);
}

size_t UserPattern::format(uint32_t index, char* out) const {
    char* w = out;
    std::memcpy(w, prefix_.data(), prefix_.size());
    w += prefix_.size();
    if (has_number_) {
        char digits[10];
        size_t n = 0;
        do {
            digits[n++] = static_cast<char>('0' + index % 10);
            index /= 10;
        } while (index != 0);
        for (size_t pad = n; pad < width_; ++pad)
            *w++ = zero_pad_ ? '0' : ' ';
        while (n > 0)
            *w++ = digits[--n];
    }
    std::memcpy(w, suffix_.data(), suffix_.size());
    w += suffix_.size();
    return static_cast<size_t>(w - out);
}

std::string UserPattern::format(uint32_t index) const {
    std::string s(maxLength(), '\0');
    s.resize(format(index, s.data()));
    return s;
}

}  // namespace gatehouse::bench
