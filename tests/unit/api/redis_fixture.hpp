#pragma once
// A real redis-server for the api tests. In order of preference:
//   1. the server ctest starts for the run (fixture gh_redis, tests/unit/api/redis.cmake);
//   2. a private server started for this process under /tmp and stopped when it ends.
// Both come from tests/unit/api/redis-test-server (127.0.0.1, a password, no persistence).
// Each RedisTest gets its own key prefix, so parallel test processes never see each other's keys.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <string>

#include "core/store/redis_client.hpp"

namespace gatehouse::api::testing {

inline std::string redisScript(const std::string& dir, const std::string& verb) {
    return "'" GH_SOURCE_DIR "/tests/unit/api/redis-test-server' " + verb + " '" + dir + "'";
}

inline std::string readLine(const std::string& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

/// A redis-server of its own under a fresh /tmp directory; stop() + start() keep the port.
class PrivateRedis {
  public:
    PrivateRedis() {
        char tmpl[] = "/tmp/gh-redis-test-XXXXXX";
        if (mkdtemp(tmpl) == nullptr)
            throw std::runtime_error("mkdtemp failed");
        dir_ = tmpl;
        start();
    }
    ~PrivateRedis() {
        stop();
        const std::string rm = "rm -rf '" + dir_ + "'";
        (void)std::system(rm.c_str());
    }
    PrivateRedis(const PrivateRedis&) = delete;
    PrivateRedis& operator=(const PrivateRedis&) = delete;

    void start() {
        const std::string cmd = redisScript(dir_, "start");
        if (std::system(cmd.c_str()) != 0)
            throw std::runtime_error("could not start redis: " + cmd);
    }
    void stop() {
        const std::string cmd = redisScript(dir_, "stop");
        (void)std::system(cmd.c_str());
    }
    store::RedisUrl url() const {
        store::RedisUrl u;
        u.host = "127.0.0.1";
        u.port = static_cast<uint16_t>(std::stoi(readLine(dir_ + "/port")));
        u.password = readLine(dir_ + "/password");
        return u;
    }

  private:
    std::string dir_;
};

inline std::unique_ptr<PrivateRedis>& privateRedis() {
    static std::unique_ptr<PrivateRedis> server;
    return server;
}

/// The shared server of this run: ctest's, or one this process starts.
inline const store::RedisUrl& sharedRedisUrl() {
    static const store::RedisUrl url = [] {
        const std::string dir = GH_BINARY_DIR "/tests/redis";
        const std::string port = readLine(dir + "/port");
        if (!port.empty()) {
            store::RedisUrl u;
            u.host = "127.0.0.1";
            u.port = static_cast<uint16_t>(std::stoi(port));
            u.password = readLine(dir + "/password");
            store::RedisClient probe(u);
            auto pong = probe.command({"PING"});
            if (pong && pong->type == store::RedisReply::Type::kStatus)
                return u;
        }
        privateRedis() = std::make_unique<PrivateRedis>();
        return privateRedis()->url();
    }();
    return url;
}

/// Stops the private server, if this process started one, after the last test.
class RedisEnvironment : public ::testing::Environment {
  public:
    void TearDown() override { privateRedis().reset(); }
};
inline ::testing::Environment* const kRedisEnvironment =
    ::testing::AddGlobalTestEnvironment(new RedisEnvironment);

/// Test fixture: a client of the shared server and a key prefix no other test uses; the
/// test's keys are deleted afterwards.
class RedisTest : public ::testing::Test {
  protected:
    void SetUp() override {
        static std::atomic<int> counter{0};
        prefix_ = "gh-test:" + std::to_string(::getpid()) + ":" + std::to_string(counter++) + ":";
        redis_ = std::make_unique<store::RedisClient>(sharedRedisUrl());
    }
    void TearDown() override {
        auto keys = redis_->command({"KEYS", prefix_ + "*"});
        if (keys && keys->type == store::RedisReply::Type::kArray)
            for (const auto& k : keys->elements)
                (void)redis_->command({"DEL", k.str});
    }
    store::RedisClient& redis() { return *redis_; }
    const std::string& prefix() const { return prefix_; }
    int64_t pttl(const std::string& key) {
        auto r = redis_->command({"PTTL", key});
        return r && r->type == store::RedisReply::Type::kInteger ? r->integer : -100;
    }

  private:
    std::string prefix_;
    std::unique_ptr<store::RedisClient> redis_;
};

}  // namespace gatehouse::api::testing
