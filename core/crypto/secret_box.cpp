#include "core/crypto/secret_box.hpp"
#include "core/util/hex.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>

namespace gatehouse::crypto {
namespace {

struct CtxFree {
    void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

constexpr char kHex[] = "0123456789abcdef";

std::string toHex(const uint8_t* p, size_t n) {
    std::string out;
    out.reserve(n * 2);
    for (size_t i = 0; i < n; ++i) {
        out.push_back(kHex[p[i] >> 4]);
        out.push_back(kHex[p[i] & 15]);
    }
    return out;
}

bool fromHex(std::string_view hex, std::string& out) {
    if (hex.size() % 2 != 0)
        return false;
    out.resize(hex.size() / 2);
    for (size_t i = 0; i < out.size(); ++i) {
        int hi = hexDigitValue(hex[2 * i]);
        int lo = hexDigitValue(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = static_cast<char>(hi << 4 | lo);
    }
    return true;
}

std::string errnoText(const std::string& what, const std::string& path) {
    return what + " " + path + ": " + std::strerror(errno);
}

}  // namespace

SecretBox::~SecretBox() {
    OPENSSL_cleanse(key_.data(), key_.size());
}

Expected<SecretBox, std::string> SecretBox::loadOrCreate(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0 && errno == ENOENT) {
        std::error_code ec;
        auto parent = std::filesystem::path(path).parent_path();
        if (!parent.empty())
            std::filesystem::create_directories(parent, ec);
        Key key;
        if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1)
            return unexpected(std::string("key file: no random bytes from OpenSSL"));
        std::string text = toHex(key.data(), key.size()) + "\n";
        // O_EXCL: two processes starting together must not both write a key; the loser reads.
        int wfd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (wfd >= 0) {
            ssize_t n = ::write(wfd, text.data(), text.size());
            bool ok = n == static_cast<ssize_t>(text.size()) && ::fsync(wfd) == 0;
            ::close(wfd);
            OPENSSL_cleanse(text.data(), text.size());
            if (!ok)
                return unexpected(errnoText("key file: cannot write", path));
            return SecretBox(key);
        }
        if (errno != EEXIST)
            return unexpected(errnoText("key file: cannot create", path));
        fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    }
    if (fd < 0)
        return unexpected(errnoText("key file: cannot open", path));
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        ::close(fd);
        return unexpected(errnoText("key file: cannot stat", path));
    }
    if ((st.st_mode & 077) != 0) {
        ::close(fd);
        return unexpected("key file: " + path + " is readable by group or others; chmod 600 it");
    }
    char buf[130];
    ssize_t n = ::read(fd, buf, sizeof buf);
    ::close(fd);
    if (n < 0)
        return unexpected(errnoText("key file: cannot read", path));
    std::string_view text(buf, static_cast<size_t>(n));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
        text.remove_suffix(1);
    std::string raw;
    if (text.size() != kKeySize * 2 || !fromHex(text, raw)) {
        OPENSSL_cleanse(buf, sizeof buf);
        return unexpected("key file: " + path + " must hold 64 hex digits (a 256-bit key)");
    }
    Key key;
    std::memcpy(key.data(), raw.data(), key.size());
    OPENSSL_cleanse(raw.data(), raw.size());
    OPENSSL_cleanse(buf, sizeof buf);
    return SecretBox(key);
}

std::string SecretBox::seal(std::string_view plaintext, std::string_view associated) const {
    std::string out(kNonceSize + plaintext.size() + kTagSize, '\0');
    auto* o = reinterpret_cast<uint8_t*>(out.data());
    if (RAND_bytes(o, kNonceSize) != 1)
        throw std::runtime_error("secret box: no random bytes from OpenSSL");
    CtxPtr ctx(EVP_CIPHER_CTX_new());
    int len = 0;
    bool ok = ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), o) == 1;
    if (ok && !associated.empty())
        ok = EVP_EncryptUpdate(ctx.get(), nullptr, &len,
                               reinterpret_cast<const uint8_t*>(associated.data()),
                               static_cast<int>(associated.size())) == 1;
    if (ok && !plaintext.empty())
        ok = EVP_EncryptUpdate(ctx.get(), o + kNonceSize, &len,
                               reinterpret_cast<const uint8_t*>(plaintext.data()),
                               static_cast<int>(plaintext.size())) == 1;
    ok = ok && EVP_EncryptFinal_ex(ctx.get(), o + kNonceSize + plaintext.size(), &len) == 1;
    ok = ok && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize,
                                   o + kNonceSize + plaintext.size()) == 1;
    if (!ok)
        throw std::runtime_error("secret box: AES-256-GCM encryption failed");
    std::string text(kPrefix);
    text += toHex(o, out.size());
    OPENSSL_cleanse(out.data(), out.size());
    return text;
}

Expected<std::string, SecretBoxError> SecretBox::open(std::string_view sealed,
                                                      std::string_view associated) const {
    if (sealed.substr(0, kPrefix.size()) != kPrefix)
        return unexpected(SecretBoxError::kFormat);
    std::string raw;
    if (!fromHex(sealed.substr(kPrefix.size()), raw) || raw.size() < kNonceSize + kTagSize)
        return unexpected(SecretBoxError::kFormat);
    const auto* r = reinterpret_cast<const uint8_t*>(raw.data());
    size_t ct_len = raw.size() - kNonceSize - kTagSize;
    std::string plain(ct_len, '\0');
    auto* p = reinterpret_cast<uint8_t*>(plain.data());
    CtxPtr ctx(EVP_CIPHER_CTX_new());
    int len = 0;
    if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), r) != 1)
        return unexpected(SecretBoxError::kInternal);
    if (!associated.empty() &&
        EVP_DecryptUpdate(ctx.get(), nullptr, &len,
                          reinterpret_cast<const uint8_t*>(associated.data()),
                          static_cast<int>(associated.size())) != 1)
        return unexpected(SecretBoxError::kInternal);
    if (ct_len > 0 &&
        EVP_DecryptUpdate(ctx.get(), p, &len, r + kNonceSize, static_cast<int>(ct_len)) != 1)
        return unexpected(SecretBoxError::kInternal);
    // The tag is set before Final, which is where GCM compares it (in constant time).
    if (EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize,
                            const_cast<uint8_t*>(r + kNonceSize + ct_len)) != 1)
        return unexpected(SecretBoxError::kInternal);
    if (EVP_DecryptFinal_ex(ctx.get(), p + ct_len, &len) != 1) {
        OPENSSL_cleanse(plain.data(), plain.size());
        return unexpected(SecretBoxError::kAuthFailed);
    }
    return plain;
}

const char* toString(SecretBoxError e) {
    switch (e) {
        case SecretBoxError::kFormat:
            return "malformed sealed value";
        case SecretBoxError::kAuthFailed:
            return "authentication failed (wrong key or tampered value)";
        case SecretBoxError::kInternal:
            return "OpenSSL error";
    }
    return "unknown";
}

}  // namespace gatehouse::crypto
