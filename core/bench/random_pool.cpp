#include "core/bench/random_pool.hpp"

#include <openssl/crypto.h>

#include <cstring>

#include "core/crypto/hiding.hpp"

namespace gatehouse::bench {

void RandomPool::take(uint8_t* out, size_t n) {
    if (n > kSize - used_) {
        crypto::randomBytes(buf_.data(), kSize);
        used_ = 0;
    }
    std::memcpy(out, buf_.data() + used_, n);
    // Wipe what was handed out so the pool never holds a copy of a past authenticator.
    OPENSSL_cleanse(buf_.data() + used_, n);
    used_ += n;
}

}  // namespace gatehouse::bench
