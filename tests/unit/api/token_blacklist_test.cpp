#include "core/api/token_blacklist.hpp"

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/api/redis_fixture.hpp"

namespace gatehouse::api {
namespace {

class Blacklist : public testing::RedisTest {};

constexpr int64_t kNow = 1700000000;
const std::string kJti = "00112233445566778899aabbccddeeff";
const std::string kOtherJti = "ffeeddccbbaa99887766554433221100";

TEST_F(Blacklist, RevokedTokenIsRevokedOthersAreNot) {
    TokenBlacklist blacklist(redis(), prefix());
    auto before = blacklist.isRevoked(kJti);
    ASSERT_TRUE(before) << before.error().message;
    EXPECT_FALSE(*before);
    ASSERT_TRUE(blacklist.revoke(kJti, kNow + 900, kNow));
    auto after = blacklist.isRevoked(kJti);
    ASSERT_TRUE(after);
    EXPECT_TRUE(*after);
    auto other = blacklist.isRevoked(kOtherJti);
    ASSERT_TRUE(other);
    EXPECT_FALSE(*other);
}

TEST_F(Blacklist, BlacklistEntryDiesWithTheToken) {
    TokenBlacklist blacklist(redis(), prefix());
    ASSERT_TRUE(blacklist.revoke(kJti, kNow + 900, kNow));
    EXPECT_EQ(blacklist.keyFor(kJti), prefix() + "revoked:" + kJti);
    const int64_t ttl_ms = pttl(blacklist.keyFor(kJti));
    EXPECT_GT(ttl_ms, 0);
    EXPECT_LE(ttl_ms, 900 * 1000);
}

TEST_F(Blacklist, RevokingAClaimsSetUsesItsExp) {
    TokenBlacklist blacklist(redis(), prefix());
    auto claims = newClaims("42", TokenType::kRefresh, kNow, kRefreshTokenLifetime);
    ASSERT_TRUE(claims);
    ASSERT_TRUE(blacklist.revoke(*claims, kNow + 100));
    const int64_t ttl_ms = pttl(blacklist.keyFor(claims->jti));
    EXPECT_GT(ttl_ms, 0);
    EXPECT_LE(ttl_ms, (kRefreshTokenLifetime.count() - 100) * 1000);
    auto revoked = blacklist.isRevoked(claims->jti);
    ASSERT_TRUE(revoked);
    EXPECT_TRUE(*revoked);
}

TEST_F(Blacklist, RevokingAnExpiredTokenWritesNothing) {
    TokenBlacklist blacklist(redis(), prefix());
    ASSERT_TRUE(blacklist.revoke(kJti, kNow, kNow));
    ASSERT_TRUE(blacklist.revoke(kJti, kNow - 10, kNow));
    auto exists = redis().command({"EXISTS", blacklist.keyFor(kJti)});
    ASSERT_TRUE(exists);
    EXPECT_EQ(exists->integer, 0);
}

TEST_F(Blacklist, BlacklistRefusesJtiThatIsNotOurs) {
    TokenBlacklist blacklist(redis(), prefix());
    for (const std::string bad : {"", "0011", "00112233445566778899AABBCCDDEEFF",
                                  "00112233445566778899aabbccddeef*", "gh:revoked:*"}) {
        auto r = blacklist.revoke(bad, kNow + 900, kNow);
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().code, BlacklistErrorCode::kBadJti);
        auto q = blacklist.isRevoked(bad);
        ASSERT_FALSE(q) << bad;
        EXPECT_EQ(q.error().code, BlacklistErrorCode::kBadJti);
    }
}

TEST(TokenBlacklist, RedisDownFailsClosed) {
    testing::PrivateRedis server;
    store::RedisClient client(server.url());
    TokenBlacklist blacklist(client, "gh:");
    ASSERT_TRUE(blacklist.isRevoked(kJti));
    server.stop();
    auto revoked = blacklist.isRevoked(kJti);
    ASSERT_FALSE(revoked);  // an error, never "not revoked"
    EXPECT_EQ(revoked.error().code, BlacklistErrorCode::kRedis);
    auto revoke = blacklist.revoke(kJti, kNow + 900, kNow);
    ASSERT_FALSE(revoke);
    EXPECT_EQ(revoke.error().code, BlacklistErrorCode::kRedis);
}

}  // namespace
}  // namespace gatehouse::api
