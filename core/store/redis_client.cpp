#include "core/store/redis_client.hpp"
#include "core/util/hex.hpp"

#include <hiredis/hiredis.h>
#include <signal.h>

#include <cerrno>
#include <charconv>
#include <ctime>
#include <optional>

namespace gatehouse::store {
namespace {

Unexpected<RedisUrlError> urlFail(RedisUrlErrorCode code, std::string message) {
    return unexpected(RedisUrlError{code, std::move(message)});
}

Unexpected<RedisError> fail(RedisErrorCode code, std::string message) {
    return unexpected(RedisError{code, std::move(message)});
}

std::optional<std::string> percentDecode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out.push_back(text[i]);
            continue;
        }
        if (text.size() - i < 3)
            return std::nullopt;
        const int hi = hexDigitValue(text[i + 1]);
        const int lo = hexDigitValue(text[i + 2]);
        if (hi < 0 || lo < 0)
            return std::nullopt;
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
    }
    return out;
}

template <class T>
std::optional<T> parseDecimal(std::string_view digits) {
    T value{};
    if (digits.empty() || digits[0] == '+' || digits[0] == '-')
        return std::nullopt;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc{} || end != digits.data() + digits.size())
        return std::nullopt;
    return value;
}

timeval toTimeval(std::chrono::milliseconds ms) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
    return tv;
}

RedisReply convert(const redisReply* r) {
    RedisReply out;
    switch (r->type) {
        case REDIS_REPLY_INTEGER:
            out.type = RedisReply::Type::kInteger;
            out.integer = r->integer;
            break;
        case REDIS_REPLY_STRING:
            out.type = RedisReply::Type::kString;
            out.str.assign(r->str, r->len);
            break;
        case REDIS_REPLY_STATUS:
            out.type = RedisReply::Type::kStatus;
            out.str.assign(r->str, r->len);
            break;
        case REDIS_REPLY_ERROR:
            out.type = RedisReply::Type::kError;
            out.str.assign(r->str, r->len);
            break;
        case REDIS_REPLY_ARRAY:
            out.type = RedisReply::Type::kArray;
            out.elements.reserve(r->elements);
            for (size_t i = 0; i < r->elements; ++i)
                out.elements.push_back(convert(r->element[i]));
            break;
        default:
            out.type = RedisReply::Type::kNil;
            break;
    }
    return out;
}

// hiredis 0.14 writes with write(2): on a socket the server has reset, that raises SIGPIPE,
// whose default action kills the process. Block it on this thread for the call and swallow one
// it raised, so a restarted Redis is an error we retry, not a dead API node.
class SigpipeGuard {
  public:
    SigpipeGuard() {
        sigemptyset(&pipe_);
        sigaddset(&pipe_, SIGPIPE);
        sigset_t pending;
        sigemptyset(&pending);
        sigpending(&pending);
        was_pending_ = sigismember(&pending, SIGPIPE) == 1;
        pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
    }
    ~SigpipeGuard() {
        sigset_t pending;
        sigemptyset(&pending);
        sigpending(&pending);
        if (!was_pending_ && sigismember(&pending, SIGPIPE) == 1) {
            const timespec zero{0, 0};
            while (sigtimedwait(&pipe_, nullptr, &zero) == -1 && errno == EINTR) {
            }
        }
        pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    }
    SigpipeGuard(const SigpipeGuard&) = delete;
    SigpipeGuard& operator=(const SigpipeGuard&) = delete;

  private:
    sigset_t pipe_;
    sigset_t old_;
    bool was_pending_ = false;
};

}  // namespace

Expected<RedisUrl, RedisUrlError> parseRedisUrl(std::string_view url) {
    constexpr std::string_view kScheme = "redis://";
    if (url.substr(0, kScheme.size()) != kScheme)
        return urlFail(RedisUrlErrorCode::kBadScheme, "Redis URL must start with redis://");
    std::string_view rest = url.substr(kScheme.size());
    RedisUrl out;
    // The last '@' ends the userinfo, so an unescaped '@' or '/' in a password still works.
    if (const size_t at = rest.rfind('@'); at != std::string_view::npos) {
        const std::string_view userinfo = rest.substr(0, at);
        rest = rest.substr(at + 1);
        const size_t colon = userinfo.find(':');
        if (colon == std::string_view::npos)
            return urlFail(RedisUrlErrorCode::kBadUserinfo,
                           "Redis URL userinfo must be [user]:password");
        auto user = percentDecode(userinfo.substr(0, colon));
        auto password = percentDecode(userinfo.substr(colon + 1));
        if (!user || !password)
            return urlFail(RedisUrlErrorCode::kBadEscape, "Redis URL userinfo has a bad %-escape");
        out.username = std::move(*user);
        out.password = std::move(*password);
    }
    std::string_view hostport = rest;
    if (const size_t slash = rest.find('/'); slash != std::string_view::npos) {
        hostport = rest.substr(0, slash);
        const std::string_view db = rest.substr(slash + 1);
        if (!db.empty()) {
            const auto n = parseDecimal<int>(db);
            if (!n)
                return urlFail(RedisUrlErrorCode::kBadDb,
                               "Redis URL database '" + std::string(db) + "' is not a number");
            out.db = *n;
        }
    }
    std::string_view port;
    bool has_port = false;
    if (!hostport.empty() && hostport[0] == '[') {
        const size_t close = hostport.find(']');
        if (close == std::string_view::npos)
            return urlFail(RedisUrlErrorCode::kMissingHost, "Redis URL has an unclosed [");
        out.host = std::string(hostport.substr(1, close - 1));
        const std::string_view after = hostport.substr(close + 1);
        if (!after.empty()) {
            if (after[0] != ':')
                return urlFail(RedisUrlErrorCode::kBadPort, "Redis URL: junk after ]");
            port = after.substr(1);
            has_port = true;
        }
    } else if (const size_t colon = hostport.find(':'); colon != std::string_view::npos) {
        out.host = std::string(hostport.substr(0, colon));
        port = hostport.substr(colon + 1);
        has_port = true;
    } else {
        out.host = std::string(hostport);
    }
    if (out.host.empty())
        return urlFail(RedisUrlErrorCode::kMissingHost, "Redis URL has no host");
    if (has_port) {
        const auto n = parseDecimal<uint32_t>(port);
        if (!n || *n == 0 || *n > 65535)
            return urlFail(RedisUrlErrorCode::kBadPort,
                           "Redis URL port '" + std::string(port) + "' is not 1..65535");
        out.port = static_cast<uint16_t>(*n);
    }
    return out;
}

void RedisClient::ContextDeleter::operator()(redisContext* c) const {
    redisFree(c);
}

RedisClient::RedisClient(RedisUrl url, RedisOptions options)
    : url_(std::move(url)), options_(options) {}

RedisClient::~RedisClient() = default;

Expected<void, RedisError> RedisClient::connectLocked() {
    const std::string where = url_.host + ":" + std::to_string(url_.port);
    Context c(
        redisConnectWithTimeout(url_.host.c_str(), url_.port, toTimeval(options_.connect_timeout)));
    if (!c)
        return fail(RedisErrorCode::kConnect, "redis " + where + ": cannot allocate a context");
    if (c->err != 0)
        return fail(RedisErrorCode::kConnect, "redis " + where + ": " + c->errstr);
    if (redisSetTimeout(c.get(), toTimeval(options_.command_timeout)) != REDIS_OK)
        return fail(RedisErrorCode::kConnect, "redis " + where + ": cannot set timeout");
    context_ = std::move(c);

    if (!url_.password.empty()) {
        std::vector<const char*> argv{"AUTH"};
        std::vector<size_t> lens{4};
        if (!url_.username.empty()) {
            argv.push_back(url_.username.data());
            lens.push_back(url_.username.size());
        }
        argv.push_back(url_.password.data());
        lens.push_back(url_.password.size());
        auto reply = commandLocked(argv, lens);
        if (!reply || reply->isError()) {
            context_.reset();
            // The server's text (WRONGPASS ...) names no secret; ours never includes it.
            return fail(RedisErrorCode::kAuth, "redis " + where + ": AUTH refused: " +
                                                   (reply ? reply->str : reply.error().message));
        }
    }
    if (url_.db != 0) {
        const std::string db = std::to_string(url_.db);
        auto reply = commandLocked({"SELECT", db.c_str()}, {6, db.size()});
        if (!reply || reply->isError()) {
            context_.reset();
            return fail(RedisErrorCode::kAuth, "redis " + where + ": SELECT " + db + " refused: " +
                                                   (reply ? reply->str : reply.error().message));
        }
    }
    return {};
}

// One round trip on the current context; on failure the context is dropped (hiredis cannot
// reuse a context after an I/O error).
Expected<RedisReply, RedisError> RedisClient::commandLocked(const std::vector<const char*>& argv,
                                                            const std::vector<size_t>& lens) {
    SigpipeGuard guard;
    errno = 0;
    auto* raw = static_cast<redisReply*>(
        redisCommandArgv(context_.get(), static_cast<int>(argv.size()),
                         // hiredis 0.14 takes char** but only reads the strings.
                         const_cast<const char**>(argv.data()), lens.data()));
    const int saved_errno = errno;
    if (raw == nullptr) {
        std::string message = context_->errstr;
        const bool timed_out =
            context_->err == REDIS_ERR_IO && (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK);
        context_.reset();
        if (timed_out)
            return fail(RedisErrorCode::kTimeout, "redis: command timed out");
        return fail(RedisErrorCode::kIo, "redis: " + message);
    }
    RedisReply reply = convert(raw);
    freeReplyObject(raw);
    return reply;
}

Expected<RedisReply, RedisError> RedisClient::command(std::span<const std::string> argv) {
    std::vector<const char*> ptrs;
    std::vector<size_t> lens;
    ptrs.reserve(argv.size());
    lens.reserve(argv.size());
    for (const auto& a : argv) {
        ptrs.push_back(a.data());
        lens.push_back(a.size());
    }
    std::lock_guard lock(mutex_);
    for (int attempt = 0;; ++attempt) {
        const bool fresh = !context_;
        if (fresh) {
            if (auto ok = connectLocked(); !ok)
                return unexpected(ok.error());
        }
        auto reply = commandLocked(ptrs, lens);
        // Retry once, and only on a connection made earlier: it may have died while idle (a
        // Redis restart). A new connection that fails, or a timeout, is reported as it is: a
        // command that timed out may still run, and we would run it twice.
        if (reply || fresh || attempt > 0 || reply.error().code == RedisErrorCode::kTimeout)
            return reply;
    }
}

Expected<RedisReply, RedisError> RedisClient::command(
    std::initializer_list<std::string_view> argv) {
    std::vector<std::string> copy(argv.begin(), argv.end());
    return command(std::span<const std::string>(copy));
}

}  // namespace gatehouse::store
