#pragma once
// Dynamic Authorization client (RFC 5176): one CoA-Request or Disconnect-Request to one NAS,
// retransmitted unchanged until an answer or the last timeout. Blocking, with poll()
// deadlines: for the jobs role and the CLI, never a RADIUS worker thread.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/crypto/md5.hpp"
#include "core/radius/dictionary.hpp"
#include "core/radius/packet.hpp"
#include "core/util/bytes.hpp"
#include "core/util/expected.hpp"

namespace gatehouse::net {

enum class CoaKind : uint8_t { kCoa, kDisconnect };

std::string_view coaKindName(CoaKind k);  // "coa", "disconnect" (the outbox's spelling)

/// One attribute as text: a dictionary name ("Mikrotik-Rate-Limit", "ERX-Service-Activate:1"
/// with a tag) and its value as radclient would write it (see radius/value.hpp).
struct CoaAttribute {
    std::string name;
    std::string value;
};

struct CoaTarget {
    std::string ip;  // IPv4 (nas_devices holds IPv4 only)
    uint16_t port = 3799;
    std::string secret;
};

struct CoaRetryPolicy {
    /// Attempt i (from 0) waits min(first_timeout * 2^i, max_timeout) for an answer.
    std::chrono::milliseconds first_timeout{1000};
    int attempts = 3;  // sends in all, the first one included
    std::chrono::milliseconds max_timeout{4000};
};

/// How long attempt `attempt` (0-based) waits; the RFC 5080 2.2.1 style doubling with a cap.
std::chrono::milliseconds attemptTimeout(const CoaRetryPolicy& policy, int attempt);
/// The longest one send() can take: every attempt's timeout added up.
std::chrono::milliseconds maxSendDuration(const CoaRetryPolicy& policy);

struct CoaClientOptions {
    CoaRetryPolicy retry;
    /// Local IPv4 address to send from ("" = any). A MikroTik accepts CoA only from an address
    /// listed in its /radius table, so a multi-homed server must pick the right one.
    std::string source_address;
};

enum class CoaResult : uint8_t {
    kAck,         // Disconnect-ACK / CoA-ACK
    kNak,         // Disconnect-NAK / CoA-NAK (error_cause says why, when the NAS said)
    kTimeout,     // no acceptable answer after every attempt: not a NAK
    kSendError,   // the request could not be sent (socket error, bad address)
    kBuildError,  // the attributes could not be encoded (unknown name, bad value)
};

std::string_view coaResultName(CoaResult r);  // "ack", "nak", "timeout", ...

/// RFC 5176 3.6 (and RFC 7930, draft-ietf-radext-deprecating-radius) Error-Cause names as the
/// dictionaries spell them: 503 -> "Session-Context-Not-Found"; "" when unknown.
std::string_view errorCauseName(uint32_t cause);

struct CoaOutcome {
    CoaResult result = CoaResult::kTimeout;
    uint32_t error_cause = 0;  // Error-Cause of the answer (ACKs may carry 201), 0 when absent
    int sends = 0;             // datagrams sent (1 + retransmissions)
    int ignored = 0;           // answers dropped: wrong source/id/code, bad authenticator or MA
    uint8_t id = 0;            // the request's Identifier
    std::string detail;        // why, for send/build errors and ignored answers (last one)
};

/// "ack", "nak 503 Session-Context-Not-Found", "timeout after 3 sends", "send error: ...".
std::string describe(const CoaOutcome& o);

/// Why an answer was not taken (the first check that failed).
enum class ReplyCheck : uint8_t {
    kAccepted,
    kMalformed,                // does not decode
    kWrongId,                  // Identifier is not the request's
    kWrongCode,                // not the ACK/NAK of this request's code
    kBadAuthenticator,         // Response Authenticator does not verify (RFC 5176 3.5)
    kBadMessageAuthenticator,  // Message-Authenticator present and wrong (RFC 3579 3.2)
};

std::string_view replyCheckName(ReplyCheck c);

/// Encodes the request: Message-Authenticator first (as our server's responses), then the
/// caller's attributes in order, then Event-Timestamp = `now` unless the caller gave one
/// (RFC 5176 3.2: lets the NAS refuse replays). The authenticator is the RFC 5176 3.5 MD5.
Expected<Bytes, std::string> buildCoaRequest(CoaKind kind, uint8_t id,
                                             std::span<const CoaAttribute> attributes,
                                             const crypto::SharedSecret& secret,
                                             const radius::Dictionary& dict, uint32_t now);

/// Checks an answer against the request it claims to answer (source address is the caller's
/// job). On kAccepted, `error_cause` is the Error-Cause value or 0.
ReplyCheck checkCoaReply(ByteSpan reply, ByteSpan request, const crypto::SharedSecret& secret,
                         const radius::Dictionary& dict, uint32_t& error_cause, bool& is_ack);

class CoaClient {
  public:
    explicit CoaClient(const radius::Dictionary& dict, CoaClientOptions options = {});

    /// Sends one request and waits for its answer through every retransmission. The same
    /// datagram (Identifier and authenticator) is re-sent, so the NAS's duplicate detection
    /// (RFC 5080 2.2.2) answers a retransmission instead of acting twice.
    CoaOutcome send(const CoaTarget& target, CoaKind kind,
                    std::span<const CoaAttribute> attributes);

    /// Answers dropped since construction (every reason of ReplyCheck and wrong sources).
    uint64_t ignoredTotal() const { return ignored_total_.load(std::memory_order_relaxed); }
    const CoaClientOptions& options() const { return options_; }

  private:
    const radius::Dictionary& dict_;
    CoaClientOptions options_;
    std::atomic<uint8_t> next_id_;
    std::atomic<uint64_t> ignored_total_{0};
};

}  // namespace gatehouse::net
