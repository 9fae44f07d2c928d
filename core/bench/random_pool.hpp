#pragma once
// Request Authenticators and challenges must be unpredictable (RFC 2865 3), so they come from
// OpenSSL's CSPRNG; asking it for 4 KiB at a time instead of 16 octets per request makes the
// cost per request a few nanoseconds. One pool per thread.
#include <array>
#include <cstddef>
#include <cstdint>

namespace gatehouse::bench {

class RandomPool {
  public:
    /// Copies n (<= 256) fresh random octets to out; no octet is ever handed out twice.
    void take(uint8_t* out, size_t n);

  private:
    static constexpr size_t kSize = 4096;
    std::array<uint8_t, kSize> buf_{};
    size_t used_ = kSize;
};

}  // namespace gatehouse::bench
