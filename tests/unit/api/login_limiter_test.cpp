#include "core/api/login_limiter.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "tests/unit/api/redis_fixture.hpp"

namespace gatehouse::api {
namespace {

using Limited = LoginDecision::LimitedBy;

class LoginLimiterTest : public testing::RedisTest {
  protected:
    LoginLimiter limiter() { return LoginLimiter(redis(), LoginLimits{}, prefix()); }
};

TEST_F(LoginLimiterTest, SixthAttemptForAUserIsRefusedWithRetryAfter) {
    auto lim = limiter();
    for (int i = 0; i < 5; ++i) {
        auto d = lim.attempt("192.0.2.1", "alice");
        ASSERT_TRUE(d) << d.error().message;
        EXPECT_TRUE(d->allowed) << "attempt " << i + 1;
    }
    auto refused = lim.attempt("192.0.2.1", "alice");
    ASSERT_TRUE(refused);
    EXPECT_FALSE(refused->allowed);
    EXPECT_EQ(refused->limited_by, Limited::kUser);
    EXPECT_GT(refused->retry_after.count(), 0);
    EXPECT_LE(refused->retry_after, std::chrono::seconds(15 * 60));
}

TEST_F(LoginLimiterTest, EleventhAttemptFromAnAddressIsRefused) {
    auto lim = limiter();
    for (int i = 0; i < 10; ++i) {
        auto d = lim.attempt("198.51.100.7", "user" + std::to_string(i));
        ASSERT_TRUE(d);
        EXPECT_TRUE(d->allowed) << "attempt " << i + 1;
    }
    auto refused = lim.attempt("198.51.100.7", "someone-new");
    ASSERT_TRUE(refused);
    EXPECT_FALSE(refused->allowed);
    EXPECT_EQ(refused->limited_by, Limited::kIp);
    EXPECT_GT(refused->retry_after.count(), 0);
    EXPECT_LE(refused->retry_after, std::chrono::seconds(60));
}

TEST_F(LoginLimiterTest, SuccessClearsTheUserCounter) {
    auto lim = limiter();
    for (int i = 0; i < 5; ++i)
        ASSERT_TRUE(lim.attempt("192.0.2.1", "alice"));
    ASSERT_TRUE(lim.succeeded("alice"));
    auto key = redis().command({"EXISTS", lim.userKey("alice")});
    ASSERT_TRUE(key);
    EXPECT_EQ(key->integer, 0);
    for (int i = 0; i < 4; ++i) {
        auto d = lim.attempt("192.0.2.1", "alice");
        ASSERT_TRUE(d);
        EXPECT_TRUE(d->allowed);
    }
}

TEST_F(LoginLimiterTest, SuccessDoesNotClearTheAddressCounter) {
    auto lim = limiter();
    for (int i = 0; i < 10; ++i)
        ASSERT_TRUE(lim.attempt("192.0.2.9", "u" + std::to_string(i)));
    ASSERT_TRUE(lim.succeeded("u0"));
    auto d = lim.attempt("192.0.2.9", "u0");
    ASSERT_TRUE(d);
    EXPECT_FALSE(d->allowed);
    EXPECT_EQ(d->limited_by, Limited::kIp);
}

TEST_F(LoginLimiterTest, UserLimitDoesNotBlockOtherUsersFromTheSameAddress) {
    auto lim = limiter();
    for (int i = 0; i < 6; ++i)
        ASSERT_TRUE(lim.attempt("192.0.2.1", "alice"));
    auto bob = lim.attempt("192.0.2.1", "bob");
    ASSERT_TRUE(bob);
    EXPECT_TRUE(bob->allowed);
}

TEST_F(LoginLimiterTest, BlockedAddressDoesNotCountAgainstTheUser) {
    auto lim = limiter();
    for (int i = 0; i < 10; ++i)
        ASSERT_TRUE(lim.attempt("203.0.113.5", "filler" + std::to_string(i)));
    for (int i = 0; i < 20; ++i) {
        auto d = lim.attempt("203.0.113.5", "carol");
        ASSERT_TRUE(d);
        EXPECT_EQ(d->limited_by, Limited::kIp);
    }
    // carol's own counter never moved: from another address she has all five attempts.
    for (int i = 0; i < 5; ++i) {
        auto d = lim.attempt("203.0.113.6", "carol");
        ASSERT_TRUE(d);
        EXPECT_TRUE(d->allowed) << "attempt " << i + 1;
    }
}

TEST_F(LoginLimiterTest, CountersExpireWithTheirWindow) {
    auto lim = limiter();
    ASSERT_TRUE(lim.attempt("192.0.2.1", "alice"));
    auto ip_key = lim.ipKey("192.0.2.1");
    ASSERT_TRUE(ip_key);
    const int64_t ip_ttl = pttl(*ip_key);
    EXPECT_GT(ip_ttl, 0);
    EXPECT_LE(ip_ttl, 60 * 1000);
    const int64_t user_ttl = pttl(lim.userKey("alice"));
    EXPECT_GT(user_ttl, 60 * 1000);
    EXPECT_LE(user_ttl, 15 * 60 * 1000);
}

TEST_F(LoginLimiterTest, UsernamesAreCaseFoldedAndHashed) {
    auto lim = limiter();
    EXPECT_EQ(lim.userKey("Alice"), lim.userKey("alice"));
    // sha256("alice")
    EXPECT_EQ(
        lim.userKey("ALICE"),
        prefix() + "rl:user:2bd806c97f0e00af1a1fc3328fa763a9269723c8db8fac4f93af71db186d6e90");
    const std::string odd("a\r\n*\0 b", 7);
    const std::string key = lim.userKey(odd);
    EXPECT_EQ(key.size(), prefix().size() + 8 + 64);
    for (int i = 0; i < 5; ++i)
        ASSERT_TRUE(lim.attempt("192.0.2.1", i % 2 ? "Alice" : "aLiCe"));
    auto d = lim.attempt("192.0.2.2", "alice");
    ASSERT_TRUE(d);
    EXPECT_FALSE(d->allowed);
}

TEST_F(LoginLimiterTest, Ipv6ClientsAreCountedPerSlash64) {
    auto lim = limiter();
    auto a = lim.ipKey("2001:db8:1:2::1");
    auto b = lim.ipKey("2001:db8:1:2:ffff:ffff:ffff:5");
    auto c = lim.ipKey("2001:db8:1:3::1");
    ASSERT_TRUE(a && b && c);
    EXPECT_EQ(*a, *b);
    EXPECT_NE(*a, *c);
    EXPECT_EQ(*a, prefix() + "rl:ip:20010db800010002/64");
    auto mapped = lim.ipKey("::ffff:192.0.2.1");
    ASSERT_TRUE(mapped);
    EXPECT_EQ(*mapped, prefix() + "rl:ip:192.0.2.1");
    auto bad = lim.ipKey("192.0.2.1; DEL *");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, LimiterErrorCode::kBadAddress);
    auto refused = lim.attempt("not-an-ip", "alice");
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, LimiterErrorCode::kBadAddress);
}

TEST_F(LoginLimiterTest, WorksAfterScriptCacheIsFlushed) {
    auto lim = limiter();
    ASSERT_TRUE(lim.attempt("192.0.2.1", "alice"));
    ASSERT_TRUE(redis().command({"SCRIPT", "FLUSH"}));
    auto d = lim.attempt("192.0.2.1", "alice");
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_TRUE(d->allowed);
    auto count = redis().command({"GET", lim.userKey("alice")});
    ASSERT_TRUE(count);
    EXPECT_EQ(count->str, "2");
}

TEST_F(LoginLimiterTest, CustomLimits) {
    LoginLimiter lim(
        redis(), LoginLimits{100, std::chrono::seconds(60), 1, std::chrono::seconds(5)}, prefix());
    ASSERT_TRUE(lim.attempt("192.0.2.1", "dave")->allowed);
    auto d = lim.attempt("192.0.2.1", "dave");
    ASSERT_TRUE(d);
    EXPECT_FALSE(d->allowed);
    EXPECT_GT(d->retry_after.count(), 0);
    EXPECT_LE(d->retry_after.count(), 5);
}

TEST_F(LoginLimiterTest, RefusesZeroLimitsAtStartup) {
    EXPECT_THROW(LoginLimiter(redis(), LoginLimits{0, std::chrono::seconds(60), 5,
                                                   std::chrono::seconds(60)}),
                 std::invalid_argument);
    EXPECT_THROW(LoginLimiter(redis(), LoginLimits{10, std::chrono::seconds(0), 5,
                                                   std::chrono::seconds(60)}),
                 std::invalid_argument);
}

TEST(LoginLimiter, RedisDownFailsClosed) {
    testing::PrivateRedis server;
    store::RedisClient client(server.url());
    LoginLimiter lim(client);
    ASSERT_TRUE(lim.attempt("192.0.2.1", "alice"));
    server.stop();
    auto d = lim.attempt("192.0.2.1", "alice");
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().code, LimiterErrorCode::kRedis);
}

}  // namespace
}  // namespace gatehouse::api
