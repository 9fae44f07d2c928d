#include "core/api/password_hash.hpp"

#include <gtest/gtest.h>

#include <string>

namespace gatehouse::api {
namespace {

TEST(PasswordHash, HashThenVerifyRoundTrips) {
    auto encoded = hashPassword("correct horse battery staple", kTestArgon2);
    ASSERT_TRUE(encoded) << encoded.error().message;
    EXPECT_EQ(encoded->rfind("$argon2id$v=19$m=64,t=1,p=1$", 0), 0u) << *encoded;
    auto ok = verifyPassword("correct horse battery staple", *encoded);
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_TRUE(*ok);
}

TEST(PasswordHash, WrongPasswordDoesNotVerify) {
    auto encoded = hashPassword("s3cret-admin", kTestArgon2);
    ASSERT_TRUE(encoded);
    auto ok = verifyPassword("s3cret-admin ", *encoded);
    ASSERT_TRUE(ok);
    EXPECT_FALSE(*ok);
    ok = verifyPassword("S3cret-admin", *encoded);
    ASSERT_TRUE(ok);
    EXPECT_FALSE(*ok);
}

TEST(PasswordHash, SamePasswordGetsADifferentSaltEachTime) {
    auto a = hashPassword("same", kTestArgon2);
    auto b = hashPassword("same", kTestArgon2);
    ASSERT_TRUE(a && b);
    EXPECT_NE(*a, *b);
    auto pa = parsePhc(*a);
    ASSERT_TRUE(pa);
    EXPECT_EQ(pa->salt.size(), kSaltBytes);
    EXPECT_EQ(pa->hash.size(), kHashBytes);
}

TEST(PasswordHash, DefaultParametersAreAtLeastOwaspFloor) {
    EXPECT_GE(kDefaultArgon2.memory_kib, 19456u);
    EXPECT_GE(kDefaultArgon2.iterations, 2u);
    EXPECT_EQ(kDefaultArgon2.parallelism, 1u);
}

TEST(PasswordHash, ProductionParametersHashAndVerify) {
    // One real-cost round trip (64 MiB): the shipped defaults must be accepted by libargon2.
    auto encoded = hashPassword("production-cost", kDefaultArgon2);
    ASSERT_TRUE(encoded) << encoded.error().message;
    EXPECT_EQ(encoded->rfind("$argon2id$v=19$m=65536,t=3,p=1$", 0), 0u) << *encoded;
    auto ok = verifyPassword("production-cost", *encoded);
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_TRUE(*ok);
    auto rehash = needsRehash(*encoded, kDefaultArgon2);
    ASSERT_TRUE(rehash);
    EXPECT_FALSE(*rehash);
}

TEST(PasswordHash, RefusesEmptyPassword) {
    auto h = hashPassword("", kTestArgon2);
    ASSERT_FALSE(h);
    EXPECT_EQ(h.error().code, PasswordErrorCode::kEmptyPassword);
    auto encoded = hashPassword("x", kTestArgon2);
    ASSERT_TRUE(encoded);
    auto v = verifyPassword("", *encoded);
    ASSERT_FALSE(v);
    EXPECT_EQ(v.error().code, PasswordErrorCode::kEmptyPassword);
}

TEST(PasswordHash, RefusesPasswordOver1024Bytes) {
    const std::string at_limit(kMaxPasswordBytes, 'a');
    EXPECT_TRUE(hashPassword(at_limit, kTestArgon2));
    auto h = hashPassword(at_limit + "a", kTestArgon2);
    ASSERT_FALSE(h);
    EXPECT_EQ(h.error().code, PasswordErrorCode::kPasswordTooLong);
    EXPECT_EQ(h.error().message, "password is longer than 1024 bytes");
}

TEST(PasswordHash, ErrorMessagesNeverContainThePassword) {
    const std::string password(2000, 'Q');
    auto h = hashPassword(password, kTestArgon2);
    ASSERT_FALSE(h);
    EXPECT_EQ(h.error().message.find("QQQQ"), std::string::npos);
}

TEST(PasswordHash, VerifiesAKnownLibargon2Hash) {
    // Made with the reference CLI (Debian package argon2):
    //   echo -n password | argon2 somesalt -id -t 2 -m 6 -p 1 -l 32 -e
    const std::string encoded =
        "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ$"
        "FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI";
    auto phc = parsePhc(encoded);
    ASSERT_TRUE(phc) << phc.error().message;
    EXPECT_EQ(phc->params, (Argon2Params{64, 2, 1}));
    EXPECT_EQ(phc->version, 19u);
    EXPECT_EQ(std::string(phc->salt.begin(), phc->salt.end()), "somesalt");
    auto ok = verifyPassword("password", encoded);
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_TRUE(*ok);
}

TEST(PasswordHash, NeedsRehashWhenParametersDiffer) {
    auto encoded = hashPassword("pw", kTestArgon2);
    ASSERT_TRUE(encoded);
    auto same = needsRehash(*encoded, kTestArgon2);
    ASSERT_TRUE(same);
    EXPECT_FALSE(*same);
    auto stronger = needsRehash(*encoded, Argon2Params{128, 1, 1});
    ASSERT_TRUE(stronger);
    EXPECT_TRUE(*stronger);
    auto more_passes = needsRehash(*encoded, Argon2Params{64, 2, 1});
    ASSERT_TRUE(more_passes);
    EXPECT_TRUE(*more_passes);
}

TEST(PasswordHash, NeedsRehashWhenSaltIsShorterThanOurs) {
    // 8-byte salt ("somesalt"): valid for libargon2, weaker than the 16 bytes we make.
    auto r = needsRehash(
        "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI",
        Argon2Params{64, 2, 1});
    ASSERT_TRUE(r);
    EXPECT_TRUE(*r);
}

TEST(PhcParse, ReadsParametersSaltAndHash) {
    auto phc = parsePhc(
        "$argon2id$v=19$m=19456,t=2,p=1$AAAAAAAAAAAAAAAAAAAAAA$"
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    ASSERT_TRUE(phc) << phc.error().message;
    EXPECT_EQ(phc->params, (Argon2Params{19456, 2, 1}));
    EXPECT_EQ(phc->salt.size(), 16u);
    EXPECT_EQ(phc->hash.size(), 32u);
}

struct PhcCase {
    const char* encoded;
    PasswordErrorCode code;
};

// Test names show the string (gtest would print the struct's bytes, pointers included).
void PrintTo(const PhcCase& c, std::ostream* os) {
    *os << c.encoded;
}

class PhcRejects : public ::testing::TestWithParam<PhcCase> {};

TEST_P(PhcRejects, WithNamedError) {
    auto phc = parsePhc(GetParam().encoded);
    ASSERT_FALSE(phc) << GetParam().encoded;
    EXPECT_EQ(phc.error().code, GetParam().code) << phc.error().message;
}

constexpr const char* kSalt = "c29tZXNhbHQ";

INSTANTIATE_TEST_SUITE_P(
    Malformed, PhcRejects,
    ::testing::Values(
        PhcCase{"", PasswordErrorCode::kMalformedHash},
        PhcCase{"plaintext", PasswordErrorCode::kMalformedHash},
        PhcCase{
            "$argon2i$v=19$m=64,t=2,p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI",
            PasswordErrorCode::kUnsupportedHash},
        PhcCase{
            "$argon2id$v=16$m=64,t=2,p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI",
            PasswordErrorCode::kUnsupportedHash},
        PhcCase{"$argon2id$m=64,t=2,p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI",
                PasswordErrorCode::kMalformedHash},
        PhcCase{
            "$argon2id$v=19$t=2,m=64,p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI",
            PasswordErrorCode::kMalformedHash},
        PhcCase{
            "$argon2id$v=19$m=064,t=2,p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI",
            PasswordErrorCode::kMalformedHash},
        PhcCase{
            "$argon2id$v=19$m=-64,t=2,p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI",
            PasswordErrorCode::kMalformedHash},
        PhcCase{
            "$argon2id$v=19$m=4,t=2,p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI",
            PasswordErrorCode::kParamsOutOfRange},
        PhcCase{"$argon2id$v=19$m=4194304,t=2,p=1$c29tZXNhbHQ$"
                "FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI",
                PasswordErrorCode::kParamsOutOfRange},
        PhcCase{
            "$argon2id$v=19$m=64,t=0,p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI",
            PasswordErrorCode::kParamsOutOfRange},
        PhcCase{
            "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ=$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI",
            PasswordErrorCode::kMalformedHash},
        PhcCase{"$argon2id$v=19$m=64,t=2,p=1$c29tZQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI",
                PasswordErrorCode::kMalformedHash},  // 4-byte salt
        PhcCase{
            "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSJ",
            PasswordErrorCode::kMalformedHash},  // non-canonical last character
        PhcCase{
            "$argon2id$v=19$m=64,t=2,p=1$c29tZXNhbHQ$FqGkmHNGCd0BRW2kBt6fPZ2pPmyGwwChL8FGUhTOSSI$",
            PasswordErrorCode::kMalformedHash}));

TEST(PasswordHash, VerifyReportsAMalformedStoredHash) {
    auto v = verifyPassword("password", std::string("$argon2id$v=19$m=64,t=2,p=1$") + kSalt);
    ASSERT_FALSE(v);
    EXPECT_EQ(v.error().code, PasswordErrorCode::kMalformedHash);
}

}  // namespace
}  // namespace gatehouse::api
