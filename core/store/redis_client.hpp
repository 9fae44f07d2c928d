#pragma once
// A small synchronous Redis client over hiredis, for the admin API's helpers (token blacklist,
// login rate limits). Redis is never on the RADIUS path (ARCHITECTURE.md): a blocking call with
// a short timeout is fine here, and one mutex lets the API's threads share one connection.
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/expected.hpp"

struct redisContext;

namespace gatehouse::store {

enum class RedisUrlErrorCode {
    kBadScheme,    // not "redis://"
    kBadUserinfo,  // userinfo without ':' (the form is [user]:password@)
    kMissingHost,
    kBadPort,    // not 1..65535
    kBadDb,      // not a non-negative decimal after '/'
    kBadEscape,  // a malformed %XX in the password
};

struct RedisUrlError {
    RedisUrlErrorCode code;
    std::string message;  // never contains the password
};

struct RedisUrl {
    std::string host;
    uint16_t port = 6379;
    std::string username;  // empty: AUTH <password> (requirepass); else AUTH <user> <password>
    std::string password;  // empty: no AUTH
    int db = 0;
};

/// redis://[[user]:password@]host[:port][/db]; host may be [v6]. The password is %-decoded.
Expected<RedisUrl, RedisUrlError> parseRedisUrl(std::string_view url);

struct RedisReply {
    enum class Type { kNil, kInteger, kString, kArray, kStatus, kError };
    Type type = Type::kNil;
    int64_t integer = 0;
    std::string str;  // kString (binary safe), kStatus, kError
    std::vector<RedisReply> elements;

    bool isError() const { return type == Type::kError; }
};

enum class RedisErrorCode {
    kConnect,  // could not connect (refused, timeout, DNS)
    kAuth,     // AUTH or SELECT refused
    kIo,       // the connection broke during a command (after one retry)
    kTimeout,  // no reply within command_timeout (not retried: the command may still run)
};

struct RedisError {
    RedisErrorCode code;
    std::string message;
};

struct RedisOptions {
    std::chrono::milliseconds connect_timeout{1000};
    // Commands are O(1) on a local server; past this the API answers 503 rather than hang.
    std::chrono::milliseconds command_timeout{500};
};

class RedisClient {
  public:
    explicit RedisClient(RedisUrl url, RedisOptions options = {});
    ~RedisClient();
    RedisClient(const RedisClient&) = delete;
    RedisClient& operator=(const RedisClient&) = delete;

    /// One command in argv form (binary safe: no format string). A server error is a reply of
    /// type kError, not an Unexpected. Connects lazily; on a broken connection it reconnects
    /// and sends the command once more.
    Expected<RedisReply, RedisError> command(std::span<const std::string> argv);
    Expected<RedisReply, RedisError> command(std::initializer_list<std::string_view> argv);

  private:
    struct ContextDeleter {
        void operator()(redisContext* c) const;
    };
    using Context = std::unique_ptr<redisContext, ContextDeleter>;

    Expected<void, RedisError> connectLocked();
    Expected<RedisReply, RedisError> commandLocked(const std::vector<const char*>& argv,
                                                   const std::vector<size_t>& lens);

    const RedisUrl url_;
    const RedisOptions options_;
    std::mutex mutex_;
    Context context_;
};

}  // namespace gatehouse::store
