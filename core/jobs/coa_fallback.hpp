#pragma once
// The MikroTik API side of CoA (docs/coa.md "Fallback" and "Verification"): find the session a
// coa_requests row names in /ppp/active, and the Disconnect fallback that removes it when the
// router did not act on the RADIUS Disconnect-Request (timeout or NAK). Blocking: the jobs
// role only.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/crypto/secret_box.hpp"
#include "core/jobs/nas_probe.hpp"
#include "core/jobs/nas_target.hpp"
#include "core/net/coa_sender.hpp"
#include "core/net/routeros_client.hpp"
#include "core/util/expected.hpp"

namespace gatehouse::jobs {

/// Logs in to the NAS's API (TLS on api_ssl_port when api_use_ssl). Needs
/// nas.api_password (openApiPassword()). The error is one line with the address.
Expected<std::unique_ptr<net::RouterOsClient>, std::string> connectNasApi(
    const NasTarget& nas, const ApiCheckOptions& options);

/// RouterOS shows the Acct-Session-Id it sends as "0x81000001"; accounting stores "81000001".
bool sameSessionId(std::string_view router, std::string_view accounting);

/// Of `listed` (the user's /ppp/active entries), those the request names: by session id when
/// both sides have one, else by address when both have one, else the only entry.
std::vector<net::RouterOsClient::ActiveSession> matchActive(
    const std::vector<net::RouterOsClient::ActiveSession>& listed,
    const std::string& acct_session_id, const std::string& framed_ip);

/// The value of attribute `name` in a row's attribute list, "" when absent.
std::string attributeValue(const store::CoaAttributeList& attributes, std::string_view name);

struct CoaFallbackOptions {
    std::string conninfo;  // to read the NAS row (credentials are never cached)
    ApiCheckOptions api;
    /// One line per fallback ("coa.fallback id=... result=..."); stderr when empty.
    std::function<void(std::string_view)> log;
};

/// The Disconnect fallback for CoaSenderOptions::fallback: for a NAS of type mikrotik with API
/// credentials, /ppp/active/print ?name=<user>, then /ppp/active/remove =.id= of each entry the
/// request names. Ended when something was removed or nothing is listed (the session is gone
/// either way); failed when the API could not be used; not tried for other NAS.
class MikrotikDisconnectFallback {
  public:
    MikrotikDisconnectFallback(CoaFallbackOptions options, std::optional<crypto::SecretBox> box);

    net::CoaFallbackResult operator()(const store::ClaimedCoa& row, const net::CoaOutcome& outcome);
    /// A hook for CoaSenderOptions::fallback that calls this object (which must outlive it).
    net::CoaFallback hook();

  private:
    net::CoaFallbackResult run(const store::ClaimedCoa& row);
    void say(const std::string& line);

    CoaFallbackOptions options_;
    std::optional<crypto::SecretBox> box_;
};

}  // namespace gatehouse::jobs
