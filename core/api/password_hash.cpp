#include "core/api/password_hash.hpp"

#include <argon2.h>
#include <openssl/rand.h>

#include <charconv>

#include "core/api/base64.hpp"

namespace gatehouse::api {
namespace {

// Bounds for hashes we read back: a stored hash decides how much work verify() does, so a
// tampered or absurd row must not make one login cost seconds or gigabytes.
constexpr uint32_t kMaxMemoryKib = 1u << 20;  // 1 GiB
constexpr uint32_t kMaxIterations = 64;
constexpr uint32_t kMaxParallelism = 16;
constexpr size_t kMinSaltBytes = 8;  // libargon2's ARGON2_MIN_SALT_LENGTH
constexpr size_t kMaxSaltBytes = 64;
constexpr size_t kMinHashBytes = 16;
constexpr size_t kMaxHashBytes = 64;

Unexpected<PasswordError> fail(PasswordErrorCode code, std::string message) {
    return unexpected(PasswordError{code, std::move(message)});
}

Expected<void, PasswordError> checkPassword(std::string_view password) {
    if (password.empty())
        return fail(PasswordErrorCode::kEmptyPassword, "password is empty");
    if (password.size() > kMaxPasswordBytes)
        return fail(PasswordErrorCode::kPasswordTooLong,
                    "password is longer than " + std::to_string(kMaxPasswordBytes) + " bytes");
    return {};
}

Expected<void, PasswordError> checkParams(const Argon2Params& p) {
    if (p.parallelism < 1 || p.parallelism > kMaxParallelism)
        return fail(PasswordErrorCode::kParamsOutOfRange, "p=" + std::to_string(p.parallelism) +
                                                              " outside 1.." +
                                                              std::to_string(kMaxParallelism));
    if (p.iterations < 1 || p.iterations > kMaxIterations)
        return fail(
            PasswordErrorCode::kParamsOutOfRange,
            "t=" + std::to_string(p.iterations) + " outside 1.." + std::to_string(kMaxIterations));
    // RFC 9106 3.1: m must be at least 8*p KiB.
    if (p.memory_kib < 8 * p.parallelism || p.memory_kib > kMaxMemoryKib)
        return fail(PasswordErrorCode::kParamsOutOfRange,
                    "m=" + std::to_string(p.memory_kib) + " outside " +
                        std::to_string(8 * p.parallelism) + ".." + std::to_string(kMaxMemoryKib));
    return {};
}

// "name=<decimal>" with no sign, no leading zero and no overflow.
std::optional<uint32_t> parseField(std::string_view field, std::string_view name) {
    if (field.size() <= name.size() + 1 || field.substr(0, name.size()) != name ||
        field[name.size()] != '=')
        return std::nullopt;
    const std::string_view digits = field.substr(name.size() + 1);
    if (digits.size() > 1 && digits[0] == '0')
        return std::nullopt;
    uint32_t value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc{} || end != digits.data() + digits.size())
        return std::nullopt;
    return value;
}

std::vector<std::string_view> split(std::string_view text, char sep) {
    std::vector<std::string_view> parts;
    size_t start = 0;
    while (true) {
        const size_t pos = text.find(sep, start);
        if (pos == std::string_view::npos) {
            parts.push_back(text.substr(start));
            return parts;
        }
        parts.push_back(text.substr(start, pos - start));
        start = pos + 1;
    }
}

}  // namespace

Expected<PhcHash, PasswordError> parsePhc(std::string_view encoded) {
    const auto malformed = [](std::string what) {
        return fail(PasswordErrorCode::kMalformedHash, "PHC string: " + std::move(what));
    };
    if (encoded.size() > 512)
        return malformed("longer than 512 characters");
    const auto parts = split(encoded, '$');
    // "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
    if (parts.size() != 6 || !parts[0].empty())
        return malformed("expected $alg$v=..$m=..,t=..,p=..$salt$hash");
    if (parts[1] != "argon2id")
        return fail(PasswordErrorCode::kUnsupportedHash, "PHC string: algorithm is not argon2id");
    PhcHash out;
    const auto version = parseField(parts[2], "v");
    if (!version)
        return malformed("bad version field");
    if (*version != ARGON2_VERSION_13)
        return fail(PasswordErrorCode::kUnsupportedHash,
                    "PHC string: Argon2 version " + std::to_string(*version) + " (want 19)");
    out.version = *version;
    const auto fields = split(parts[3], ',');
    if (fields.size() != 3)
        return malformed("expected m=..,t=..,p=..");
    const auto m = parseField(fields[0], "m");
    const auto t = parseField(fields[1], "t");
    const auto p = parseField(fields[2], "p");
    if (!m || !t || !p)
        return malformed("bad m, t or p");
    out.params = Argon2Params{*m, *t, *p};
    if (auto ok = checkParams(out.params); !ok)
        return unexpected(ok.error());
    auto salt = decodeBase64(parts[4], Base64Alphabet::kStandard);
    if (!salt || salt->size() < kMinSaltBytes || salt->size() > kMaxSaltBytes)
        return malformed("bad salt");
    auto hash = decodeBase64(parts[5], Base64Alphabet::kStandard);
    if (!hash || hash->size() < kMinHashBytes || hash->size() > kMaxHashBytes)
        return malformed("bad hash");
    out.salt = std::move(*salt);
    out.hash = std::move(*hash);
    return out;
}

Expected<std::string, PasswordError> hashPassword(std::string_view password,
                                                  const Argon2Params& params) {
    if (auto ok = checkPassword(password); !ok)
        return unexpected(ok.error());
    if (auto ok = checkParams(params); !ok)
        return unexpected(ok.error());
    uint8_t salt[kSaltBytes];
    if (RAND_bytes(salt, sizeof salt) != 1)
        return fail(PasswordErrorCode::kRandomFailed, "RAND_bytes failed");
    std::string encoded(argon2_encodedlen(params.iterations, params.memory_kib, params.parallelism,
                                          kSaltBytes, kHashBytes, Argon2_id),
                        '\0');
    const int rc = argon2id_hash_encoded(params.iterations, params.memory_kib, params.parallelism,
                                         password.data(), password.size(), salt, sizeof salt,
                                         kHashBytes, encoded.data(), encoded.size());
    if (rc != ARGON2_OK)
        return fail(PasswordErrorCode::kHashFailed, argon2_error_message(rc));
    encoded.resize(encoded.find('\0'));  // argon2_encodedlen counts the terminator
    return encoded;
}

Expected<bool, PasswordError> verifyPassword(std::string_view password, std::string_view encoded) {
    if (auto ok = checkPassword(password); !ok)
        return unexpected(ok.error());
    // Our own parse first: it bounds the cost the stored string may ask for.
    if (auto parsed = parsePhc(encoded); !parsed)
        return unexpected(parsed.error());
    const std::string terminated(encoded);
    const int rc = argon2id_verify(terminated.c_str(), password.data(), password.size());
    if (rc == ARGON2_OK)
        return true;
    if (rc == ARGON2_VERIFY_MISMATCH)
        return false;
    return fail(PasswordErrorCode::kHashFailed, argon2_error_message(rc));
}

Expected<bool, PasswordError> needsRehash(std::string_view encoded, const Argon2Params& params) {
    auto parsed = parsePhc(encoded);
    if (!parsed)
        return unexpected(parsed.error());
    return parsed->params != params || parsed->salt.size() < kSaltBytes ||
           parsed->hash.size() != kHashBytes;
}

}  // namespace gatehouse::api
