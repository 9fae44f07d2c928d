#pragma once
// Accounting session keys (acctuniqueid) known to be in acct_sessions, kept by each accounting
// writer lane for the sessions it has committed. The batch's first statement (which creates
// sessions not yet known) is then given only the other keys, and is skipped altogether for a
// batch of Interim-Updates and Stops of known sessions, the bulk of accounting traffic.
//
// Positive knowledge only, and always true: a key leaves acct_sessions only with its month's
// radacct partition. Bounded: two generations of `capacity` keys; when the newer one is full
// the older is forgotten (a forgotten key costs one index probe, nothing else).
#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_set>

namespace gatehouse::store {

class KnownSessions {
  public:
    explicit KnownSessions(size_t capacity = 100000) : capacity_(capacity) {}

    bool contains(std::string_view key) const;
    /// Only keys committed to acct_sessions (after the transaction's commit).
    void add(std::string_view key);
    size_t size() const { return current_.size() + previous_.size(); }

  private:
    struct Hash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    using Set = std::unordered_set<std::string, Hash, std::equal_to<>>;
    size_t capacity_;
    Set current_, previous_;
};

}  // namespace gatehouse::store
