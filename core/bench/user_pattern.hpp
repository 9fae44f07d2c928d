#pragma once
// User names and passwords from a printf-like pattern over a population: "user%06d" gives
// user000000, user000001, ... Formatting is done per request into a caller buffer (no
// allocation), so populations of millions cost no memory.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace gatehouse::bench {

class UserPattern {
  public:
    /// Accepts text with at most one %d, %Nd or %0Nd (N <= 20) and %% for a literal percent.
    /// A pattern that check() rejects formats as its literal text.
    explicit UserPattern(std::string_view pattern);

    /// Empty when usable, else why not.
    static std::string check(std::string_view pattern);

    /// Writes the name for `index`; returns its length. `out` holds at least maxLength().
    size_t format(uint32_t index, char* out) const;
    std::string format(uint32_t index) const;
    size_t maxLength() const;

  private:
    std::string prefix_;
    std::string suffix_;
    bool has_number_ = false;
    bool zero_pad_ = false;
    uint8_t width_ = 0;
};

}  // namespace gatehouse::bench
