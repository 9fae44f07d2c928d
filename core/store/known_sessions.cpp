#include "core/store/known_sessions.hpp"

namespace gatehouse::store {

bool KnownSessions::contains(std::string_view key) const {
    return current_.find(key) != current_.end() || previous_.find(key) != previous_.end();
}

void KnownSessions::add(std::string_view key) {
    if (key.empty() || current_.find(key) != current_.end())
        return;
    if (current_.size() >= capacity_) {
        previous_ = std::move(current_);
        current_ = Set{};
    }
    current_.emplace(key);
}

}  // namespace gatehouse::store
