#pragma once
// A blocking MikroTik RouterOS API client (TCP 8728, TLS 8729) for the jobs role and the CLI:
// pool import, /ppp/active sync, NAS health. Never used on the RADIUS hot path.
// Protocol: the shared reference routeros-api.md; design notes: docs/routeros-api.md.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/net/routeros_word.hpp"
#include "core/util/expected.hpp"

namespace gatehouse::net {

struct RosError {
    enum Kind {
        kConnect,       // resolve / TCP connect failed
        kTls,           // handshake, verification or pin mismatch
        kTimeout,       // the deadline passed before the reply was complete
        kClosed,        // the router closed the connection (possibly mid-sentence)
        kProtocol,      // bad length prefix, oversized word, reply we cannot place
        kLoginFailed,   // the router refused the credentials (a !trap to /login)
        kTrap,          // !trap to a command: message and category below
        kFatal,         // !fatal: the router closes the connection after it
        kNotConnected,  // no connection (never connected, or lost earlier)
        kUsage,         // bad argument from the caller (e.g. attribute word without '=')
    };
    Kind kind;
    std::string message;
    int category = -1;  // !trap =category= (0..7), -1 when absent

    /// One line for logs and the panel, e.g. "trap (category 0): no such item".
    std::string text() const;
};

const char* kindName(RosError::Kind kind);

using RosRow = std::map<std::string, std::string>;

/// Everything one command got back.
struct RosReply {
    std::vector<RosRow> rows;        // one per !re
    std::optional<std::string> ret;  // !done =ret= (e.g. the .id of an add)
};

struct RosTlsOptions {
    // MikroTik routers ship self-signed certificates, so the default is "encrypted, not
    // authenticated"; set verify_peer (CA chain + host name) or pin_sha256 to authenticate.
    bool verify_peer = false;
    std::string ca_file;     // verify_peer: CA bundle (empty: the system's default paths)
    std::string pin_sha256;  // hex SHA-256 of the router certificate (DER); checked when set
    // api-ssl without a certificate offers only anonymous DH (TLS <= 1.2, OpenSSL security
    // level 0). Off by default; when on, ADH is offered next to the normal ciphers and the
    // protocol is capped at TLS 1.2. An ADH session fails verify_peer / pin_sha256.
    bool allow_anonymous_dh = false;
};

struct RosConnectOptions {
    std::string host;
    uint16_t port = 8728;
    bool tls = false;
    std::string username;
    std::string password;
    int timeout_ms = 5000;  // connect + TLS + login, and then each command on its own
    RosTlsOptions tls_options;
    // Pre-6.43 routers: go straight to the MD5 challenge login instead of sending the password
    // in clear first (the reference's advice for NAS rows marked as old RouterOS).
    bool legacy_login_only = false;
};

class RouterOsClient {
  public:
    RouterOsClient();
    ~RouterOsClient();
    RouterOsClient(const RouterOsClient&) = delete;
    RouterOsClient& operator=(const RouterOsClient&) = delete;

    Expected<void, RosError> connect(const std::string& host, uint16_t port, bool tls,
                                     const std::string& username, const std::string& password,
                                     int timeout_ms);
    Expected<void, RosError> connect(const RosConnectOptions& options);
    void close();
    bool connected() const;

    /// Runs one command and returns its !re rows. `attributes` are full words ("=.id=*1"),
    /// `queries` too ("?name=alice"). A !trap becomes kTrap carrying message and category.
    Expected<std::vector<RosRow>, RosError> run(std::string_view command,
                                                const std::vector<std::string>& attributes = {},
                                                const std::vector<std::string>& queries = {});
    /// Like run() but also returns !done =ret=.
    Expected<RosReply, RosError> call(std::string_view command,
                                      const std::vector<std::string>& attributes = {},
                                      const std::vector<std::string>& queries = {});

    /// Pipelining: send() writes a tagged command and returns its tag; wait(tag) reads until
    /// that command's !done, keeping replies to other tags for their own wait(). Each wait()
    /// has its own deadline of timeout_ms.
    Expected<std::string, RosError> send(std::string_view command,
                                         const std::vector<std::string>& attributes = {},
                                         const std::vector<std::string>& queries = {});
    Expected<RosReply, RosError> wait(const std::string& tag);

    /// The TLS cipher in use ("" on plain TCP), e.g. for the panel's "unauthenticated" warning.
    std::string tlsCipher() const;

    // Convenience commands used by the jobs role.
    struct Resource {
        std::string version, uptime, board_name;
        int cpu_load = -1;  // percent; -1 when the router did not say
    };
    struct Pool {
        std::string name, ranges;
    };
    struct ActiveSession {
        std::string id, name, address, caller_id, uptime, service;
        std::optional<std::string> session_id;  // what the router sends as Acct-Session-Id
    };
    Expected<std::string, RosError> identity();
    Expected<Resource, RosError> resource();
    Expected<std::vector<Pool>, RosError> pools();
    /// All sessions, or only those of `name` (a ?name= query).
    Expected<std::vector<ActiveSession>, RosError> activeSessions(
        const std::optional<std::string>& name = std::nullopt);
    Expected<void, RosError> removeActive(const std::string& id);

  private:
    struct Pending {
        RosReply reply;
        std::optional<RosError> trap;  // the first !trap; the command still ends at !done
        bool done = false;
    };
    class Connection;

    Expected<void, RosError> login(const RosConnectOptions& options, int64_t deadline_ms);
    Expected<void, RosError> readOneSentence(int64_t deadline_ms);
    Expected<RosReply, RosError> waitUntil(const std::string& tag, int64_t deadline_ms);
    void failAll(const RosError& error);

    std::unique_ptr<Connection> conn_;
    std::map<std::string, Pending> pending_;
    std::string inbuf_;
    uint64_t next_tag_ = 1;
    int timeout_ms_ = 5000;
    std::optional<RosError> broken_;  // why the connection is unusable
};

}  // namespace gatehouse::net
