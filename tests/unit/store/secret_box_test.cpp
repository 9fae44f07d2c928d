#include "core/crypto/secret_box.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

namespace gatehouse::crypto {
namespace {

SecretBox::Key keyOf(uint8_t fill) {
    SecretBox::Key k;
    k.fill(fill);
    return k;
}

class TempDir {
  public:
    TempDir() {
        char tmpl[] = "/tmp/gh-secretbox-XXXXXX";
        path_ = mkdtemp(tmpl);
    }
    ~TempDir() { std::filesystem::remove_all(path_); }
    const std::string& path() const { return path_; }

  private:
    std::string path_;
};

TEST(SecretBox, RoundTripsWithAssociatedData) {
    SecretBox box(keyOf(1));
    auto sealed = box.seal("hunter2", "alice");
    auto opened = box.open(sealed, "alice");
    ASSERT_TRUE(opened.has_value());
    EXPECT_EQ(*opened, "hunter2");
}

TEST(SecretBox, SealedTextIsPrefixedHexOfNonceCiphertextTag) {
    SecretBox box(keyOf(1));
    auto sealed = box.seal("pw", "u");
    EXPECT_EQ(sealed.substr(0, 4), "gh1:");
    EXPECT_EQ(sealed.size(), 4 + 2 * (SecretBox::kNonceSize + 2 + SecretBox::kTagSize));
    EXPECT_EQ(sealed.find("pw", 4), std::string::npos);
}

TEST(SecretBox, SameInputSealsDifferentlyEachTime) {
    SecretBox box(keyOf(1));
    EXPECT_NE(box.seal("pw", "u"), box.seal("pw", "u"));
}

TEST(SecretBox, EmptyPlaintextRoundTrips) {
    SecretBox box(keyOf(1));
    auto opened = box.open(box.seal("", "u"), "u");
    ASSERT_TRUE(opened.has_value());
    EXPECT_EQ(*opened, "");
}

TEST(SecretBox, WrongKeyFailsAuthentication) {
    auto sealed = SecretBox(keyOf(1)).seal("hunter2", "alice");
    auto opened = SecretBox(keyOf(2)).open(sealed, "alice");
    ASSERT_FALSE(opened.has_value());
    EXPECT_EQ(opened.error(), SecretBoxError::kAuthFailed);
}

TEST(SecretBox, OtherAssociatedDataFailsAuthentication) {
    SecretBox box(keyOf(1));
    auto opened = box.open(box.seal("hunter2", "alice"), "bob");
    ASSERT_FALSE(opened.has_value());
    EXPECT_EQ(opened.error(), SecretBoxError::kAuthFailed);
}

TEST(SecretBox, TamperedCiphertextFailsAuthentication) {
    SecretBox box(keyOf(1));
    auto sealed = box.seal("hunter2", "alice");
    // Change a hex digit of the first ciphertext octet to another valid hex digit (flipping a
    // bit could make it a non-hex character, which is a format error instead).
    char& digit = sealed[4 + 2 * SecretBox::kNonceSize];
    digit = digit == '0' ? '1' : '0';
    auto opened = box.open(sealed, "alice");
    ASSERT_FALSE(opened.has_value());
    EXPECT_EQ(opened.error(), SecretBoxError::kAuthFailed);
}

TEST(SecretBox, MalformedValuesAreFormatErrors) {
    SecretBox box(keyOf(1));
    for (std::string bad : {"hunter2", "gh1:", "gh1:zz", "gh1:0011", "gh1:abc"}) {
        auto opened = box.open(bad, "u");
        ASSERT_FALSE(opened.has_value()) << bad;
        EXPECT_EQ(opened.error(), SecretBoxError::kFormat) << bad;
    }
}

TEST(SecretBoxKeyFile, CreatedOnFirstUseWithMode0600) {
    TempDir dir;
    std::string path = dir.path() + "/sub/gatehouse.key";
    auto box = SecretBox::loadOrCreate(path);
    ASSERT_TRUE(box.has_value()) << box.error();
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    EXPECT_EQ(st.st_size, 65);  // 64 hex digits and a newline
}

TEST(SecretBoxKeyFile, SecondLoadReadsTheSameKey) {
    TempDir dir;
    std::string path = dir.path() + "/gatehouse.key";
    auto first = SecretBox::loadOrCreate(path);
    ASSERT_TRUE(first.has_value());
    auto sealed = first->seal("pw", "u");
    auto second = SecretBox::loadOrCreate(path);
    ASSERT_TRUE(second.has_value());
    auto opened = second->open(sealed, "u");
    ASSERT_TRUE(opened.has_value());
    EXPECT_EQ(*opened, "pw");
}

TEST(SecretBoxKeyFile, RefusesKeyReadableByOthers) {
    TempDir dir;
    std::string path = dir.path() + "/gatehouse.key";
    ASSERT_TRUE(SecretBox::loadOrCreate(path).has_value());
    ::chmod(path.c_str(), 0644);
    auto box = SecretBox::loadOrCreate(path);
    ASSERT_FALSE(box.has_value());
    EXPECT_NE(box.error().find("chmod 600"), std::string::npos) << box.error();
}

TEST(SecretBoxKeyFile, RefusesMalformedKey) {
    TempDir dir;
    std::string path = dir.path() + "/gatehouse.key";
    {
        std::ofstream f(path);
        f << "not a key\n";
    }
    ::chmod(path.c_str(), 0600);
    auto box = SecretBox::loadOrCreate(path);
    ASSERT_FALSE(box.has_value());
    EXPECT_NE(box.error().find("64 hex digits"), std::string::npos) << box.error();
}

}  // namespace
}  // namespace gatehouse::crypto
