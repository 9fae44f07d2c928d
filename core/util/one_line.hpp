#pragma once
// Log lines are one line: libpq's messages span several ("...failed: ...\n\tIs the server
// running...").
#include <string>
#include <string_view>

namespace gatehouse {

inline std::string oneLine(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '\n' || c == '\t' || c == '\r') {
            if (!out.empty() && out.back() != ' ')
                out += ' ';
        } else {
            out += c;
        }
    }
    while (!out.empty() && out.back() == ' ')
        out.pop_back();
    return out;
}

}  // namespace gatehouse
