#include "core/net/routeros_client.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>

namespace gatehouse::net {
namespace {

int64_t nowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

RosError err(RosError::Kind kind, std::string message) {
    return RosError{kind, std::move(message), -1};
}

std::string opensslError(std::string_view what) {
    std::string out(what);
    while (unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof(buf));
        out += ": ";
        out += buf;
    }
    return out;
}

// OpenSSL writes to the socket with write(), so a peer that has gone away raises SIGPIPE, which
// would kill a process that has not ignored it. Block it on this thread for the call and swallow
// one that we caused; the EPIPE still reaches us as an SSL error.
class SigpipeGuard {
  public:
    SigpipeGuard() {
        sigset_t pipe_only;
        sigemptyset(&pipe_only);
        sigaddset(&pipe_only, SIGPIPE);
        sigset_t pending;
        sigpending(&pending);
        was_pending_ = sigismember(&pending, SIGPIPE) == 1;
        blocked_ = pthread_sigmask(SIG_BLOCK, &pipe_only, &old_) == 0;
    }
    ~SigpipeGuard() {
        if (!blocked_)
            return;
        sigset_t pending;
        sigpending(&pending);
        if (!was_pending_ && sigismember(&pending, SIGPIPE) == 1) {
            sigset_t pipe_only;
            sigemptyset(&pipe_only);
            sigaddset(&pipe_only, SIGPIPE);
            const timespec zero{0, 0};
            sigtimedwait(&pipe_only, nullptr, &zero);
        }
        pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    }
    SigpipeGuard(const SigpipeGuard&) = delete;
    SigpipeGuard& operator=(const SigpipeGuard&) = delete;

  private:
    sigset_t old_;
    bool was_pending_ = false;
    bool blocked_ = false;
};

// Waits for `events` on fd until the deadline; false on timeout.
Expected<bool, RosError> waitFd(int fd, short events, int64_t deadline_ms) {
    for (;;) {
        const int64_t left = deadline_ms - nowMs();
        if (left <= 0)
            return false;
        pollfd pfd{fd, events, 0};
        const int r = ::poll(&pfd, 1, static_cast<int>(std::min<int64_t>(left, 60'000)));
        if (r > 0)
            return true;
        if (r < 0 && errno != EINTR)
            return unexpected(err(RosError::kConnect, fmt::format("poll: {}", strerror(errno))));
    }
}

std::string hexOf(const unsigned char* data, size_t n) {
    static const char* kDigits = "0123456789abcdef";
    std::string out;
    out.reserve(2 * n);
    for (size_t i = 0; i < n; ++i) {
        out.push_back(kDigits[data[i] >> 4]);
        out.push_back(kDigits[data[i] & 0x0F]);
    }
    return out;
}

std::string normalizedPin(std::string_view pin) {
    std::string out;
    for (char c : pin) {
        if (std::isxdigit(static_cast<unsigned char>(c)))
            out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    }
    return out;
}

bool isIpLiteral(const std::string& host) {
    in6_addr a6;
    in_addr a4;
    return inet_pton(AF_INET, host.c_str(), &a4) == 1 ||
           inet_pton(AF_INET6, host.c_str(), &a6) == 1;
}

// "=name=value" -> (name, value); the value may itself contain '=' (reference §2).
std::pair<std::string, std::string> splitAttribute(std::string_view word) {
    word.remove_prefix(1);
    const auto eq = word.find('=');
    if (eq == std::string_view::npos)
        return {std::string(word), std::string()};
    return {std::string(word.substr(0, eq)), std::string(word.substr(eq + 1))};
}

std::optional<std::vector<uint8_t>> fromHex(std::string_view hex) {
    if (hex.size() % 2 != 0)
        return std::nullopt;
    std::vector<uint8_t> out;
    for (size_t i = 0; i < hex.size(); i += 2) {
        unsigned v = 0;
        auto r = std::from_chars(hex.data() + i, hex.data() + i + 2, v, 16);
        if (r.ec != std::errc() || r.ptr != hex.data() + i + 2)
            return std::nullopt;
        out.push_back(static_cast<uint8_t>(v));
    }
    return out;
}

std::string valueOr(const RosRow& row, const char* key) {
    auto it = row.find(key);
    return it == row.end() ? std::string() : it->second;
}

}  // namespace

std::string RosError::text() const {
    if (kind == kTrap && category >= 0)
        return fmt::format("trap (category {}): {}", category, message);
    return fmt::format("{}: {}", kindName(kind), message);
}

const char* kindName(RosError::Kind kind) {
    switch (kind) {
        case RosError::kConnect:
            return "connect";
        case RosError::kTls:
            return "tls";
        case RosError::kTimeout:
            return "timeout";
        case RosError::kClosed:
            return "closed";
        case RosError::kProtocol:
            return "protocol";
        case RosError::kLoginFailed:
            return "login failed";
        case RosError::kTrap:
            return "trap";
        case RosError::kFatal:
            return "fatal";
        case RosError::kNotConnected:
            return "not connected";
        case RosError::kUsage:
            return "usage";
    }
    return "unknown";
}

// One TCP connection, optionally wrapped in TLS; non-blocking fd, every wait bounded by poll().
class RouterOsClient::Connection {
  public:
    ~Connection() {
        if (ssl_) {
            SigpipeGuard guard;
            SSL_shutdown(ssl_);  // best effort close_notify; never waits
            SSL_free(ssl_);
        }
        if (ctx_)
            SSL_CTX_free(ctx_);
        if (fd_ >= 0)
            ::close(fd_);
    }

    Expected<void, RosError> open(const std::string& host, uint16_t port, int64_t deadline_ms) {
        addrinfo hints{};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        addrinfo* res = nullptr;
        const std::string service = std::to_string(port);
        // getaddrinfo has no deadline; NAS rows normally hold IP literals, which never block.
        const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
        if (rc != 0)
            return unexpected(
                err(RosError::kConnect, fmt::format("resolve {}: {}", host, gai_strerror(rc))));
        std::string last = "no address";
        for (addrinfo* ai = res; ai; ai = ai->ai_next) {
            int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                              ai->ai_protocol);
            if (fd < 0) {
                last = strerror(errno);
                continue;
            }
            int r = ::connect(fd, ai->ai_addr, ai->ai_addrlen);
            if (r != 0 && errno == EINPROGRESS) {
                auto ready = waitFd(fd, POLLOUT, deadline_ms);
                if (!ready || !*ready) {
                    ::close(fd);
                    freeaddrinfo(res);
                    if (!ready)
                        return unexpected(ready.error());
                    return unexpected(err(RosError::kTimeout,
                                          fmt::format("connect to {}:{} timed out", host, port)));
                }
                int so_error = 0;
                socklen_t len = sizeof(so_error);
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
                r = so_error == 0 ? 0 : -1;
                errno = so_error;
            }
            if (r == 0) {
                int one = 1;
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                fd_ = fd;
                freeaddrinfo(res);
                return {};
            }
            last = strerror(errno);
            ::close(fd);
        }
        freeaddrinfo(res);
        return unexpected(
            err(RosError::kConnect, fmt::format("connect to {}:{}: {}", host, port, last)));
    }

    Expected<void, RosError> startTls(const std::string& host, const RosTlsOptions& options,
                                      int64_t deadline_ms) {
        ERR_clear_error();
        ctx_ = SSL_CTX_new(TLS_client_method());
        if (!ctx_)
            return unexpected(err(RosError::kTls, opensslError("SSL_CTX_new")));
        SSL_CTX_set_options(ctx_, SSL_OP_IGNORE_UNEXPECTED_EOF);
        if (options.allow_anonymous_dh) {
            // Reference §1: a router without a certificate offers only ADH suites, which need
            // security level 0 and do not exist in TLS 1.3. Authenticated suites stay first.
            if (SSL_CTX_set_cipher_list(ctx_,
                                        "ECDHE+AESGCM:ECDHE+CHACHA20:DHE+AESGCM:ECDHE+AES:"
                                        "ADH-AES256-GCM-SHA384:ADH-AES128-GCM-SHA256:"
                                        "ADH-AES256-SHA256:ADH-AES128-SHA256:@SECLEVEL=0") != 1)
                return unexpected(err(RosError::kTls, opensslError("cipher list")));
            SSL_CTX_set_max_proto_version(ctx_, TLS1_2_VERSION);
        }
        if (options.verify_peer) {
            SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
            const int ok = options.ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx_)
                                                   : SSL_CTX_load_verify_locations(
                                                         ctx_, options.ca_file.c_str(), nullptr);
            if (ok != 1)
                return unexpected(err(RosError::kTls, opensslError("loading CA certificates")));
        } else {
            SSL_CTX_set_verify(ctx_, SSL_VERIFY_NONE, nullptr);
        }
        ssl_ = SSL_new(ctx_);
        if (!ssl_ || SSL_set_fd(ssl_, fd_) != 1)
            return unexpected(err(RosError::kTls, opensslError("SSL_new")));
        const bool ip = isIpLiteral(host);
        if (!ip)
            SSL_set_tlsext_host_name(ssl_, host.c_str());
        if (options.verify_peer) {
            X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
            const int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str())
                              : X509_VERIFY_PARAM_set1_host(param, host.c_str(), 0);
            if (ok != 1)
                return unexpected(err(RosError::kTls, opensslError("setting expected host")));
        }
        for (;;) {
            ERR_clear_error();
            int r;
            {
                SigpipeGuard guard;
                r = SSL_connect(ssl_);
            }
            if (r == 1)
                break;
            const int e = SSL_get_error(ssl_, r);
            short events = 0;
            if (e == SSL_ERROR_WANT_READ)
                events = POLLIN;
            else if (e == SSL_ERROR_WANT_WRITE)
                events = POLLOUT;
            if (events == 0) {
                std::string why = opensslError("TLS handshake failed");
                const long verify = SSL_get_verify_result(ssl_);
                if (verify != X509_V_OK)
                    why += fmt::format(" (certificate: {})", X509_verify_cert_error_string(verify));
                return unexpected(err(RosError::kTls, why));
            }
            auto ready = waitFd(fd_, events, deadline_ms);
            if (!ready)
                return unexpected(ready.error());
            if (!*ready)
                return unexpected(err(RosError::kTimeout, "TLS handshake timed out"));
        }
        X509* cert = SSL_get0_peer_certificate(ssl_);
        if ((options.verify_peer || !options.pin_sha256.empty()) && !cert)
            return unexpected(
                err(RosError::kTls, fmt::format("router sent no certificate (cipher {}): cannot "
                                                "authenticate it",
                                                SSL_get_cipher_name(ssl_))));
        if (!options.pin_sha256.empty()) {
            unsigned char md[EVP_MAX_MD_SIZE];
            unsigned int md_len = 0;
            if (X509_digest(cert, EVP_sha256(), md, &md_len) != 1)
                return unexpected(err(RosError::kTls, opensslError("certificate digest")));
            const std::string got = hexOf(md, md_len);
            if (got != normalizedPin(options.pin_sha256))
                return unexpected(
                    err(RosError::kTls,
                        fmt::format("certificate SHA-256 {} does not match the pin", got)));
        }
        return {};
    }

    std::string cipher() const { return ssl_ ? SSL_get_cipher_name(ssl_) : ""; }

    /// Reads what is available (at most n); 0 means the peer closed the connection.
    Expected<size_t, RosError> readSome(char* buf, size_t n, int64_t deadline_ms) {
        for (;;) {
            short events = POLLIN;
            if (ssl_) {
                ERR_clear_error();
                const int r = SSL_read(ssl_, buf, static_cast<int>(std::min<size_t>(n, 1 << 30)));
                if (r > 0)
                    return static_cast<size_t>(r);
                const int e = SSL_get_error(ssl_, r);
                if (e == SSL_ERROR_ZERO_RETURN)
                    return size_t{0};
                if (e == SSL_ERROR_WANT_WRITE)
                    events = POLLOUT;
                else if (e == SSL_ERROR_SYSCALL && (errno == ECONNRESET || errno == 0))
                    return size_t{0};
                else if (e != SSL_ERROR_WANT_READ)
                    return unexpected(err(RosError::kClosed, opensslError("TLS read failed")));
            } else {
                const ssize_t r = ::recv(fd_, buf, n, 0);
                if (r > 0)
                    return static_cast<size_t>(r);
                if (r == 0 || errno == ECONNRESET)
                    return size_t{0};
                if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                    return unexpected(
                        err(RosError::kClosed, fmt::format("read: {}", strerror(errno))));
            }
            auto ready = waitFd(fd_, events, deadline_ms);
            if (!ready)
                return unexpected(ready.error());
            if (!*ready)
                return unexpected(err(RosError::kTimeout, "no reply before the deadline"));
        }
    }

    Expected<void, RosError> writeAll(std::string_view data, int64_t deadline_ms) {
        while (!data.empty()) {
            short events = POLLOUT;
            if (ssl_) {
                ERR_clear_error();
                int r;
                {
                    SigpipeGuard guard;
                    r = SSL_write(ssl_, data.data(),
                                  static_cast<int>(std::min<size_t>(data.size(), 1 << 30)));
                }
                if (r > 0) {
                    data.remove_prefix(static_cast<size_t>(r));
                    continue;
                }
                const int e = SSL_get_error(ssl_, r);
                if (e == SSL_ERROR_WANT_READ)
                    events = POLLIN;
                else if (e != SSL_ERROR_WANT_WRITE)
                    return unexpected(err(RosError::kClosed, opensslError("TLS write failed")));
            } else {
                const ssize_t r = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
                if (r > 0) {
                    data.remove_prefix(static_cast<size_t>(r));
                    continue;
                }
                if (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                    return unexpected(
                        err(RosError::kClosed, fmt::format("write: {}", strerror(errno))));
            }
            auto ready = waitFd(fd_, events, deadline_ms);
            if (!ready)
                return unexpected(ready.error());
            if (!*ready)
                return unexpected(
                    err(RosError::kTimeout, "write did not finish before the deadline"));
        }
        return {};
    }

  private:
    int fd_ = -1;
    SSL_CTX* ctx_ = nullptr;
    SSL* ssl_ = nullptr;
};

RouterOsClient::RouterOsClient() = default;
RouterOsClient::~RouterOsClient() = default;

bool RouterOsClient::connected() const {
    return conn_ && !broken_;
}

void RouterOsClient::close() {
    conn_.reset();
    pending_.clear();
    inbuf_.clear();
    broken_ = err(RosError::kNotConnected, "connection closed by the client");
}

std::string RouterOsClient::tlsCipher() const {
    return conn_ ? conn_->cipher() : std::string();
}

Expected<void, RosError> RouterOsClient::connect(const std::string& host, uint16_t port, bool tls,
                                                 const std::string& username,
                                                 const std::string& password, int timeout_ms) {
    RosConnectOptions options;
    options.host = host;
    options.port = port;
    options.tls = tls;
    options.username = username;
    options.password = password;
    options.timeout_ms = timeout_ms;
    return connect(options);
}

Expected<void, RosError> RouterOsClient::connect(const RosConnectOptions& options) {
    close();
    broken_.reset();
    timeout_ms_ = options.timeout_ms > 0 ? options.timeout_ms : 5000;
    const int64_t deadline = nowMs() + timeout_ms_;
    auto conn = std::make_unique<Connection>();
    if (auto r = conn->open(options.host, options.port, deadline); !r)
        return unexpected(r.error());
    if (options.tls) {
        if (auto r = conn->startTls(options.host, options.tls_options, deadline); !r)
            return unexpected(r.error());
    }
    conn_ = std::move(conn);
    if (auto r = login(options, deadline); !r) {
        const RosError e = r.error();
        close();
        return unexpected(e);
    }
    return {};
}

Expected<void, RosError> RouterOsClient::login(const RosConnectOptions& options,
                                               int64_t deadline_ms) {
    auto attempt = [&](std::vector<std::string> attributes) -> Expected<RosReply, RosError> {
        auto tag = send("/login", attributes);
        if (!tag)
            return unexpected(tag.error());
        auto reply = waitUntil(*tag, deadline_ms);
        if (!reply && reply.error().kind == RosError::kTrap)
            return unexpected(
                RosError{RosError::kLoginFailed, reply.error().message, reply.error().category});
        return reply;
    };

    std::optional<std::string> challenge;
    if (options.legacy_login_only) {
        auto r = attempt({});
        if (!r)
            return unexpected(r.error());
        challenge = r->ret;
        if (!challenge)
            return unexpected(
                err(RosError::kLoginFailed, "router sent no challenge (=ret=) to a bare /login"));
    } else {
        // RouterOS >= 6.43: name and password in one sentence (reference §5).
        auto r = attempt({"=name=" + options.username, "=password=" + options.password});
        if (!r)
            return unexpected(r.error());
        if (!r->ret)
            return {};
        // A pre-6.43 router ignores the password and answers with a challenge.
        challenge = r->ret;
    }

    // Legacy: response = "00" + hex(MD5(0x00 + password + challenge octets)).
    auto octets = fromHex(*challenge);
    if (!octets)
        return unexpected(
            err(RosError::kProtocol, fmt::format("login challenge is not hex: {}", *challenge)));
    std::string input(1, '\0');
    input += options.password;
    input.append(octets->begin(), octets->end());
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    if (EVP_Digest(input.data(), input.size(), md, &md_len, EVP_md5(), nullptr) != 1)
        return unexpected(err(RosError::kProtocol, opensslError("MD5")));
    auto r = attempt({"=name=" + options.username, "=response=00" + hexOf(md, md_len)});
    if (!r)
        return unexpected(r.error());
    return {};
}

Expected<std::string, RosError> RouterOsClient::send(std::string_view command,
                                                     const std::vector<std::string>& attributes,
                                                     const std::vector<std::string>& queries) {
    if (broken_)
        return unexpected(*broken_);
    if (!conn_)
        return unexpected(err(RosError::kNotConnected, "not connected"));
    if (command.empty() || command[0] != '/')
        return unexpected(
            err(RosError::kUsage, fmt::format("command must start with '/': {}", command)));
    std::vector<std::string> words;
    words.reserve(attributes.size() + queries.size() + 2);
    words.emplace_back(command);
    for (const auto& a : attributes) {
        if (a.empty() || a[0] != '=')
            return unexpected(
                err(RosError::kUsage, fmt::format("attribute word must start with '=': {}", a)));
        words.push_back(a);
    }
    for (const auto& q : queries) {
        if (q.empty() || q[0] != '?')
            return unexpected(
                err(RosError::kUsage, fmt::format("query word must start with '?': {}", q)));
        words.push_back(q);
    }
    std::string tag = fmt::format("gh{}", next_tag_++);
    words.push_back(".tag=" + tag);
    auto wire = encodeSentence(words);
    if (!wire)
        return unexpected(err(RosError::kUsage, errorText(wire.error())));
    if (auto w = conn_->writeAll(*wire, nowMs() + timeout_ms_); !w) {
        failAll(w.error());
        return unexpected(w.error());
    }
    pending_.emplace(tag, Pending{});
    return tag;
}

Expected<RosReply, RosError> RouterOsClient::wait(const std::string& tag) {
    return waitUntil(tag, nowMs() + timeout_ms_);
}

Expected<RosReply, RosError> RouterOsClient::waitUntil(const std::string& tag,
                                                       int64_t deadline_ms) {
    for (;;) {
        auto it = pending_.find(tag);
        if (it == pending_.end())
            return unexpected(err(RosError::kUsage, fmt::format("no command with tag {}", tag)));
        if (it->second.done) {
            Pending p = std::move(it->second);
            pending_.erase(it);
            if (p.trap)
                return unexpected(*p.trap);
            return std::move(p.reply);
        }
        if (broken_) {
            pending_.erase(it);
            return unexpected(*broken_);
        }
        if (auto r = readOneSentence(deadline_ms); !r) {
            if (r.error().kind == RosError::kTimeout) {
                // Abandon the command: a late reply to its tag is dropped when it arrives,
                // and the connection stays usable for the next command.
                pending_.erase(tag);
                return unexpected(
                    err(RosError::kTimeout,
                        fmt::format("no complete reply to {} within {} ms", tag, timeout_ms_)));
            }
            pending_.erase(tag);
            return unexpected(r.error());
        }
    }
}

void RouterOsClient::failAll(const RosError& error) {
    broken_ = error;
    conn_.reset();
    inbuf_.clear();
}

Expected<void, RosError> RouterOsClient::readOneSentence(int64_t deadline_ms) {
    if (broken_)
        return unexpected(*broken_);
    if (!conn_)
        return unexpected(err(RosError::kNotConnected, "not connected"));
    Sentence sentence;
    for (;;) {
        auto d = decodeSentence(inbuf_);
        if (!d) {
            const RosError e = err(RosError::kProtocol, errorText(d.error()));
            failAll(e);
            return unexpected(e);
        }
        if (d->sentence) {
            sentence = std::move(*d->sentence);
            inbuf_.erase(0, d->consumed);
            break;
        }
        char buf[16384];
        auto n = conn_->readSome(buf, sizeof(buf), deadline_ms);
        if (!n) {
            if (n.error().kind != RosError::kTimeout)
                failAll(n.error());
            return unexpected(n.error());
        }
        if (*n == 0) {
            const RosError e =
                inbuf_.empty()
                    ? err(RosError::kClosed, "the router closed the connection")
                    : err(RosError::kClosed,
                          fmt::format("the router closed the connection in the middle of a "
                                      "reply sentence ({} octets of it received)",
                                      inbuf_.size()));
            failAll(e);
            return unexpected(e);
        }
        inbuf_.append(buf, *n);
    }

    if (sentence.empty())
        return {};  // an empty sentence carries nothing; tolerate it
    const std::string& kind = sentence[0];
    std::optional<std::string> tag;
    RosRow attrs;
    std::vector<std::string> bare;
    for (size_t i = 1; i < sentence.size(); ++i) {
        const std::string& w = sentence[i];
        if (w.rfind(".tag=", 0) == 0)
            tag = w.substr(5);
        else if (!w.empty() && w[0] == '=')
            attrs.insert(splitAttribute(w));
        else
            bare.push_back(w);
    }

    if (kind == "!fatal") {
        // Reference §3: the reason may come as =message= or as a bare word; the router closes
        // the connection after it, so every outstanding command fails.
        std::string why = valueOr(attrs, "message");
        for (const auto& b : bare)
            why += (why.empty() ? "" : " ") + b;
        const RosError e = err(RosError::kFatal, why.empty() ? "(no reason given)" : why);
        failAll(e);
        return {};
    }

    Pending* p = nullptr;
    if (tag) {
        auto it = pending_.find(*tag);
        if (it != pending_.end())
            p = &it->second;
    } else if (pending_.size() == 1) {
        // Routers echo .tag; a peer that omits it can only mean the one outstanding command.
        p = &pending_.begin()->second;
    }
    if (!p)
        return {};  // reply to an abandoned (timed-out) command

    if (kind == "!re") {
        p->reply.rows.push_back(std::move(attrs));
    } else if (kind == "!done") {
        if (auto it = attrs.find("ret"); it != attrs.end())
            p->reply.ret = it->second;
        p->done = true;
    } else if (kind == "!trap") {
        if (!p->trap) {
            RosError e = err(RosError::kTrap, valueOr(attrs, "message"));
            const std::string cat = valueOr(attrs, "category");
            int c = -1;
            if (!cat.empty() &&
                std::from_chars(cat.data(), cat.data() + cat.size(), c).ec == std::errc())
                e.category = c;
            p->trap = std::move(e);
        }
    }
    // "!empty" (RouterOS 7.18+) only says no rows follow; other unknown reply words are
    // skipped rather than fatal so a newer router does not break the sync.
    return {};
}

Expected<RosReply, RosError> RouterOsClient::call(std::string_view command,
                                                  const std::vector<std::string>& attributes,
                                                  const std::vector<std::string>& queries) {
    auto tag = send(command, attributes, queries);
    if (!tag)
        return unexpected(tag.error());
    return wait(*tag);
}

Expected<std::vector<RosRow>, RosError> RouterOsClient::run(
    std::string_view command, const std::vector<std::string>& attributes,
    const std::vector<std::string>& queries) {
    auto r = call(command, attributes, queries);
    if (!r)
        return unexpected(r.error());
    return std::move(r->rows);
}

Expected<std::string, RosError> RouterOsClient::identity() {
    auto rows = run("/system/identity/print");
    if (!rows)
        return unexpected(rows.error());
    if (rows->empty())
        return unexpected(err(RosError::kProtocol, "/system/identity/print returned no row"));
    return valueOr(rows->front(), "name");
}

Expected<RouterOsClient::Resource, RosError> RouterOsClient::resource() {
    auto rows = run("/system/resource/print", {"=.proplist=version,uptime,cpu-load,board-name"});
    if (!rows)
        return unexpected(rows.error());
    if (rows->empty())
        return unexpected(err(RosError::kProtocol, "/system/resource/print returned no row"));
    const RosRow& row = rows->front();
    Resource r;
    r.version = valueOr(row, "version");
    r.uptime = valueOr(row, "uptime");
    r.board_name = valueOr(row, "board-name");
    const std::string load = valueOr(row, "cpu-load");
    int v = -1;
    if (!load.empty() &&
        std::from_chars(load.data(), load.data() + load.size(), v).ec == std::errc())
        r.cpu_load = v;
    return r;
}

Expected<std::vector<RouterOsClient::Pool>, RosError> RouterOsClient::pools() {
    auto rows = run("/ip/pool/print", {"=.proplist=name,ranges"});
    if (!rows)
        return unexpected(rows.error());
    std::vector<Pool> out;
    out.reserve(rows->size());
    for (const auto& row : *rows)
        out.push_back(Pool{valueOr(row, "name"), valueOr(row, "ranges")});
    return out;
}

Expected<std::vector<RouterOsClient::ActiveSession>, RosError> RouterOsClient::activeSessions(
    const std::optional<std::string>& name) {
    std::vector<std::string> queries;
    if (name)
        queries.push_back("?name=" + *name);
    auto rows = run("/ppp/active/print", {}, queries);
    if (!rows)
        return unexpected(rows.error());
    std::vector<ActiveSession> out;
    out.reserve(rows->size());
    for (const auto& row : *rows) {
        ActiveSession s;
        s.id = valueOr(row, ".id");
        s.name = valueOr(row, "name");
        s.address = valueOr(row, "address");
        s.caller_id = valueOr(row, "caller-id");
        s.uptime = valueOr(row, "uptime");
        s.service = valueOr(row, "service");
        if (auto it = row.find("session-id"); it != row.end())
            s.session_id = it->second;
        out.push_back(std::move(s));
    }
    return out;
}

Expected<void, RosError> RouterOsClient::removeActive(const std::string& id) {
    auto r = run("/ppp/active/remove", {"=.id=" + id});
    if (!r)
        return unexpected(r.error());
    return {};
}

}  // namespace gatehouse::net
