#include "core/store/redis_client.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

#include "tests/unit/api/redis_fixture.hpp"

namespace gatehouse::store {
namespace {

using api::testing::PrivateRedis;
class RedisCommand : public api::testing::RedisTest {};

TEST(RedisUrlParse, ReadsEveryPart) {
    auto url = parseRedisUrl("redis://:s3cret@cache.example:6380/2");
    ASSERT_TRUE(url) << url.error().message;
    EXPECT_EQ(url->host, "cache.example");
    EXPECT_EQ(url->port, 6380);
    EXPECT_EQ(url->username, "");
    EXPECT_EQ(url->password, "s3cret");
    EXPECT_EQ(url->db, 2);
}

TEST(RedisUrlParse, DefaultsPortAndDbAndNoPassword) {
    auto url = parseRedisUrl("redis://127.0.0.1");
    ASSERT_TRUE(url);
    EXPECT_EQ(url->host, "127.0.0.1");
    EXPECT_EQ(url->port, 6379);
    EXPECT_EQ(url->password, "");
    EXPECT_EQ(url->db, 0);
    auto slash = parseRedisUrl("redis://h:1/");
    ASSERT_TRUE(slash);
    EXPECT_EQ(slash->db, 0);
}

TEST(RedisUrlParse, ReadsIpv6UserAndEscapedPassword) {
    auto url = parseRedisUrl("redis://panel:p%40ss%2Fw:rd@[::1]:7000/0");
    ASSERT_TRUE(url) << url.error().message;
    EXPECT_EQ(url->host, "::1");
    EXPECT_EQ(url->port, 7000);
    EXPECT_EQ(url->username, "panel");
    EXPECT_EQ(url->password, "p@ss/w:rd");
}

struct UrlCase {
    const char* url;
    RedisUrlErrorCode code;
};

// Test names show the URL (gtest would print the struct's bytes, pointers included).
void PrintTo(const UrlCase& c, std::ostream* os) {
    *os << c.url;
}

class RedisUrlRejects : public ::testing::TestWithParam<UrlCase> {};

TEST_P(RedisUrlRejects, WithNamedError) {
    auto url = parseRedisUrl(GetParam().url);
    ASSERT_FALSE(url) << GetParam().url;
    EXPECT_EQ(url.error().code, GetParam().code) << url.error().message;
    // The password never appears in an error message.
    EXPECT_EQ(url.error().message.find("hunter2"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Bad, RedisUrlRejects,
    ::testing::Values(UrlCase{"http://h:6379", RedisUrlErrorCode::kBadScheme},
                      UrlCase{"h:6379", RedisUrlErrorCode::kBadScheme},
                      UrlCase{"rediss://h:6379", RedisUrlErrorCode::kBadScheme},
                      UrlCase{"redis://", RedisUrlErrorCode::kMissingHost},
                      UrlCase{"redis://:hunter2@:6379", RedisUrlErrorCode::kMissingHost},
                      UrlCase{"redis://[::1", RedisUrlErrorCode::kMissingHost},
                      UrlCase{"redis://h:0", RedisUrlErrorCode::kBadPort},
                      UrlCase{"redis://h:65536", RedisUrlErrorCode::kBadPort},
                      UrlCase{"redis://h:", RedisUrlErrorCode::kBadPort},
                      UrlCase{"redis://h:+1", RedisUrlErrorCode::kBadPort},
                      UrlCase{"redis://h:63x9", RedisUrlErrorCode::kBadPort},
                      UrlCase{"redis://h:6379/x", RedisUrlErrorCode::kBadDb},
                      UrlCase{"redis://h:6379/-1", RedisUrlErrorCode::kBadDb},
                      UrlCase{"redis://:hunter2%G0@h:6379", RedisUrlErrorCode::kBadEscape},
                      UrlCase{"redis://:hunter2%4@h:6379", RedisUrlErrorCode::kBadEscape},
                      UrlCase{"redis://hunter2@h:6379", RedisUrlErrorCode::kBadUserinfo}));

TEST_F(RedisCommand, RepliesOfEveryType) {
    const std::string key = prefix() + "k";
    auto status = redis().command({"SET", key, "v"});
    ASSERT_TRUE(status) << status.error().message;
    EXPECT_EQ(status->type, RedisReply::Type::kStatus);
    EXPECT_EQ(status->str, "OK");

    auto nil = redis().command({"GET", prefix() + "missing"});
    ASSERT_TRUE(nil);
    EXPECT_EQ(nil->type, RedisReply::Type::kNil);

    auto n = redis().command({"INCR", prefix() + "n"});
    ASSERT_TRUE(n);
    EXPECT_EQ(n->type, RedisReply::Type::kInteger);
    EXPECT_EQ(n->integer, 1);

    auto array = redis().command({"MGET", key, prefix() + "missing"});
    ASSERT_TRUE(array);
    ASSERT_EQ(array->type, RedisReply::Type::kArray);
    ASSERT_EQ(array->elements.size(), 2u);
    EXPECT_EQ(array->elements[0].type, RedisReply::Type::kString);
    EXPECT_EQ(array->elements[0].str, "v");
    EXPECT_EQ(array->elements[1].type, RedisReply::Type::kNil);

    auto error = redis().command({"INCR", key});  // "v" is not an integer
    ASSERT_TRUE(error);
    EXPECT_TRUE(error->isError());
    EXPECT_EQ(error->str, "ERR value is not an integer or out of range");
}

TEST_F(RedisCommand, ArgumentsAreBinarySafe) {
    const std::string key = prefix() + std::string("bin\0 key\r\n", 10);
    const std::string value("\0\x01\xff %s\r\n$3", 10);
    ASSERT_TRUE(redis().command(std::vector<std::string>{"SET", key, value}));
    auto back = redis().command(std::vector<std::string>{"GET", key});
    ASSERT_TRUE(back);
    ASSERT_EQ(back->type, RedisReply::Type::kString);
    EXPECT_EQ(back->str, value);
}

TEST_F(RedisCommand, OneClientSharedByThreads) {
    const std::string key = prefix() + "shared";
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 100; ++i)
                (void)redis().command({"INCR", key});
        });
    for (auto& t : threads)
        t.join();
    auto total = redis().command({"GET", key});
    ASSERT_TRUE(total);
    EXPECT_EQ(total->str, "400");
}

TEST(RedisClient, WrongPasswordIsAnAuthError) {
    RedisUrl url = api::testing::sharedRedisUrl();
    url.password = "not-the-password";
    RedisClient client(url);
    auto reply = client.command({"PING"});
    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error().code, RedisErrorCode::kAuth);
    const std::string expected = "redis 127.0.0.1:" + std::to_string(url.port) +
                                 ": AUTH refused: WRONGPASS invalid username-password pair or "
                                 "user is disabled.";
    EXPECT_EQ(reply.error().message, expected);
    EXPECT_EQ(reply.error().message.find("not-the-password"), std::string::npos);
}

TEST(RedisClient, NoServerIsAConnectError) {
    // A port that was free a moment ago: nothing listens there.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    RedisUrl url;
    url.host = "127.0.0.1";
    url.port = ntohs(addr.sin_port);
    RedisClient client(url);
    auto reply = client.command({"PING"});
    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error().code, RedisErrorCode::kConnect);
    EXPECT_EQ(reply.error().message,
              "redis 127.0.0.1:" + std::to_string(url.port) + ": Connection refused");
}

TEST(RedisClient, CommandTimesOutAgainstASilentServer) {
    // A listening socket that never answers: the kernel completes the handshake, no reply comes.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(fd, 4), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    RedisUrl url;
    url.host = "127.0.0.1";
    url.port = ntohs(addr.sin_port);
    RedisOptions options;
    options.command_timeout = std::chrono::milliseconds(50);
    RedisClient client(url, options);
    auto reply = client.command({"PING"});
    ::close(fd);
    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error().code, RedisErrorCode::kTimeout);
    EXPECT_EQ(reply.error().message, "redis: command timed out");
}

TEST(RedisClient, ReconnectsAfterServerRestart) {
    PrivateRedis server;
    RedisClient client(server.url());
    ASSERT_TRUE(client.command({"SET", "before", "1"}));

    server.stop();
    auto down = client.command({"PING"});
    ASSERT_FALSE(down);
    EXPECT_EQ(down.error().code, RedisErrorCode::kConnect);

    server.start();
    auto pong = client.command({"PING"});
    ASSERT_TRUE(pong) << pong.error().message;
    EXPECT_EQ(pong->str, "PONG");
}

TEST(RedisClient, RetriesOnceOnAConnectionThatDiedWhileIdle) {
    PrivateRedis server;
    RedisClient client(server.url());
    ASSERT_TRUE(client.command({"PING"}));
    // Restarted between two commands: the client's socket is stale, the next command must
    // still succeed (reconnect + AUTH + resend), not surface the broken pipe.
    server.stop();
    server.start();
    auto reply = client.command({"SET", "after", "1"});
    ASSERT_TRUE(reply) << reply.error().message;
    EXPECT_EQ(reply->str, "OK");
}

TEST(RedisClient, SelectsTheDatabaseFromTheUrl) {
    RedisUrl url = api::testing::sharedRedisUrl();
    url.db = 3;
    RedisClient client(url);
    auto reply = client.command({"CLIENT", "INFO"});
    ASSERT_TRUE(reply) << reply.error().message;
    EXPECT_NE(reply->str.find(" db=3 "), std::string::npos) << reply->str;
    url.db = 99;
    RedisClient bad(url);
    auto refused = bad.command({"PING"});
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, RedisErrorCode::kAuth);
    EXPECT_NE(refused.error().message.find("SELECT 99 refused: ERR DB index is out of range"),
              std::string::npos)
        << refused.error().message;
}

}  // namespace
}  // namespace gatehouse::store
