#include "core/api/jwt_key.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>
#include <string>

namespace gatehouse::api {
namespace {

std::string hex(const std::string& bytes) {
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 0xf];
    }
    return out;
}

std::array<uint8_t, 32> countingKey() {
    std::array<uint8_t, 32> key{};
    for (size_t i = 0; i < key.size(); ++i)
        key[i] = static_cast<uint8_t>(i);
    return key;
}

// Expected value computed independently with Python's hmac module (RFC 5869 2.2 and 2.3 by
// hand: PRK = HMAC(0^32, IKM); OKM = HMAC(PRK, info || 0x01)):
//   prk = hmac.new(b"\0"*32, bytes(range(32)), "sha256").digest()
//   hmac.new(prk, b"gatehouse api jwt v1\x01", "sha256").hexdigest()
TEST(JwtKey, DerivationMatchesHkdfSha256ByHand) {
    EXPECT_EQ(hex(deriveJwtKey(countingKey())),
              "13f28b1c0b5fb28b6d21a364e307d9d666ce4b24a53385d638e4e605636ec869");
}

TEST(JwtKey, DiffersFromTheBoxKeyAndIs32Bytes) {
    const auto key = countingKey();
    const std::string derived = deriveJwtKey(key);
    EXPECT_EQ(derived.size(), 32u);
    EXPECT_NE(derived, std::string(key.begin(), key.end()));
}

class JwtKeyFile : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/gh-jwtkey-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override { (void)std::system(("rm -rf '" + dir_ + "'").c_str()); }
    std::string dir_;
};

TEST_F(JwtKeyFile, ReadsTheSecretBoxKeyFile) {
    const std::string path = dir_ + "/gatehouse.key";
    {
        std::ofstream out(path);
        out << "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n";
    }
    ::chmod(path.c_str(), 0600);
    auto key = loadJwtKey(path);
    ASSERT_TRUE(key) << key.error();
    EXPECT_EQ(*key, deriveJwtKey(countingKey()));
}

TEST_F(JwtKeyFile, CreatesAMissingFileAndGivesTheSameKeyTwice) {
    const std::string path = dir_ + "/sub/gatehouse.key";
    auto first = loadJwtKey(path);
    ASSERT_TRUE(first) << first.error();
    auto second = loadJwtKey(path);
    ASSERT_TRUE(second) << second.error();
    EXPECT_EQ(*first, *second);
    EXPECT_EQ(first->size(), 32u);
}

TEST_F(JwtKeyFile, RefusesAFileReadableByOthers) {
    const std::string path = dir_ + "/gatehouse.key";
    {
        std::ofstream out(path);
        out << "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n";
    }
    ::chmod(path.c_str(), 0644);
    auto key = loadJwtKey(path);
    ASSERT_FALSE(key);
    EXPECT_EQ(key.error(), "key file: " + path + " is readable by group or others; chmod 600 it");
}

}  // namespace
}  // namespace gatehouse::api
