#pragma once
// The three checks of `gatehouse nas test` (docs/jobs.md "Testing a NAS"): does this server
// answer the NAS's RADIUS (secret included), does the RouterOS API let us in, does the NAS's
// CoA port answer a verified Disconnect. Blocking, bounded by the given timeouts: for the CLI
// and the jobs role, never a RADIUS worker. The API check is also the health poller's.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/jobs/nas_target.hpp"
#include "core/net/routeros_client.hpp"
#include "core/radius/dictionary.hpp"
#include "core/util/expected.hpp"

namespace gatehouse::jobs {

struct ProbeResult {
    enum Status : uint8_t { kOk, kFail, kSkipped };
    Status status = kFail;
    std::chrono::milliseconds elapsed{0};
    std::string detail;
};

const char* statusName(ProbeResult::Status s);  // "ok", "FAIL", "skip"

// --- RADIUS --------------------------------------------------------------------------------

struct RadiusProbeOptions {
    std::string server_host = "127.0.0.1";
    uint16_t server_port = 1812;
    /// Address to send from. "": the NAS's own address when it is an address of this host (then
    /// the server takes the probe for that NAS), else whatever the kernel picks.
    std::string source;
    int timeout_ms = 1000;  // per attempt
    int attempts = 2;       // the same datagram each time (RFC 5080 2.2.1)
};

/// Status-Server (RFC 5997) with Message-Authenticator, signed with the NAS's secret. Ok when
/// an Access-Accept (auth port) or Accounting-Response (accounting port) comes back whose
/// Response Authenticator and Message-Authenticator verify with that secret.
ProbeResult probeRadius(const NasTarget& nas, const RadiusProbeOptions& options,
                        const radius::Dictionary& dict);

// --- RouterOS API --------------------------------------------------------------------------

struct ApiCheckOptions {
    int timeout_ms = 5000;  // connect + TLS + login, then each command
    net::RosTlsOptions tls;
};

struct ApiStatus {
    std::string identity, version, uptime, board_name;
    std::string tls_cipher;  // "" on plain TCP
};

/// Logs in (TLS on api_ssl_port when api_use_ssl) with the opened nas.api_password. The error
/// is one line naming the address ("127.0.0.1:8728: login failed: ..."). Shared by the health
/// check and the MikroTik pool sync (core/jobs/mikrotik_sync.hpp).
Expected<void, std::string> connectApi(const NasTarget& nas, const ApiCheckOptions& options,
                                       net::RouterOsClient& client);

/// A MikroTik session id as /ppp/active shows it ("0x81000001") and as the Acct-Session-Id
/// the router sent ("81000001") in one form: without "0x", lower case.
std::string mikrotikSessionKey(std::string_view id);

/// Logs in (TLS on api_ssl_port when api_use_ssl) and reads /system/identity and
/// /system/resource. Needs nas.api_password (openApiPassword()). The error is one line.
Expected<ApiStatus, std::string> readApiStatus(const NasTarget& nas,
                                               const ApiCheckOptions& options);

/// readApiStatus as a check: skipped without API credentials.
ProbeResult probeApi(const NasTarget& nas, const ApiCheckOptions& options);

// --- CoA -----------------------------------------------------------------------------------

struct CoaProbeOptions {
    int timeout_ms = 1000;  // first attempt; doubled per retransmission
    int attempts = 2;
    std::string source;  // local address to send from ("" = any)
};

inline constexpr const char* kProbeUserName = "gatehouse-probe";
inline constexpr const char* kProbeSessionId = "gatehouse-probe";

/// A Disconnect-Request (RFC 5176) for the session "gatehouse-probe", which no NAS has, to the
/// NAS's coa_port. Any verified answer (normally a NAK with Error-Cause 503
/// Session-Context-Not-Found) proves the port open and the secret right; no answer is a FAIL.
ProbeResult probeCoa(const NasTarget& nas, const CoaProbeOptions& options,
                     const radius::Dictionary& dict);

}  // namespace gatehouse::jobs
