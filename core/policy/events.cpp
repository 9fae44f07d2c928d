#include "core/policy/events.hpp"

#include <cstdio>

namespace gatehouse::policy {

void StderrEventSink::event(std::string_view /*id*/, std::string_view line) {
    std::fprintf(stderr, "%.*s\n", static_cast<int>(line.size()), line.data());
}

}  // namespace gatehouse::policy
