#include "core/api/jwt_key.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <cstring>
#include <fstream>
#include <stdexcept>

#include "core/crypto/secret_box.hpp"
#include "core/util/hex.hpp"

namespace gatehouse::api {

std::string deriveJwtKey(const std::array<uint8_t, 32>& box_key) {
    EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
    if (kdf == nullptr)
        throw std::runtime_error("OpenSSL has no HKDF");
    EVP_KDF_CTX* ctx = EVP_KDF_CTX_new(kdf);
    EVP_KDF_free(kdf);
    if (ctx == nullptr)
        throw std::runtime_error("HKDF: no context");
    char digest[] = "SHA256";
    std::string info(kJwtKeyInfo);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<uint8_t*>(box_key.data()),
                                          box_key.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
        OSSL_PARAM_construct_end(),
    };
    std::string out(32, '\0');
    const int ok =
        EVP_KDF_derive(ctx, reinterpret_cast<unsigned char*>(out.data()), out.size(), params);
    EVP_KDF_CTX_free(ctx);
    if (ok != 1)
        throw std::runtime_error("HKDF-SHA256 derivation failed");
    return out;
}

Expected<std::string, std::string> loadJwtKey(const std::string& key_file) {
    // SecretBox does the checks (mode 0600, 64 hex digits) and the first-use creation; it keeps
    // its key private, so the now-validated file is read once more here.
    if (auto box = crypto::SecretBox::loadOrCreate(key_file); !box)
        return unexpected(box.error());
    std::ifstream in(key_file);
    std::string hex;
    in >> hex;
    std::array<uint8_t, 32> key{};
    bool ok = hex.size() == key.size() * 2;
    for (size_t i = 0; ok && i < key.size(); ++i) {
        const int hi = hexDigitValue(hex[2 * i]);
        const int lo = hexDigitValue(hex[2 * i + 1]);
        ok = hi >= 0 && lo >= 0;
        key[i] = static_cast<uint8_t>((hi << 4) | (lo & 0xf));
    }
    OPENSSL_cleanse(hex.data(), hex.size());
    if (!ok)
        return unexpected("key file: " + key_file + " must hold 64 hex digits (a 256-bit key)");
    std::string derived = deriveJwtKey(key);
    OPENSSL_cleanse(key.data(), key.size());
    return derived;
}

}  // namespace gatehouse::api
