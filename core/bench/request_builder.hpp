#pragma once
// Builds one request of each kind into a slot buffer with the project's PacketWriter: what a
// BNG sends for a PPPoE subscriber (PAP, CHAP, MS-CHAPv2), its accounting, or Status-Server.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "core/bench/options.hpp"
#include "core/bench/random_pool.hpp"
#include "core/bench/user_pattern.hpp"
#include "core/crypto/md5.hpp"
#include "core/radius/types.hpp"
#include "core/radius/writer.hpp"
#include "core/util/expected.hpp"

namespace gatehouse::bench {

struct RequestSpec {
    uint8_t id = 0;
    uint32_t user = 0;  // index in the population
    // Accounting only: step 0 is Start, 1..interims Interim-Update, interims+1 Stop.
    uint32_t acct_step = 0;
    uint64_t session_number = 0;  // unique per session within this run
    uint32_t event_time = 0;      // Event-Timestamp, seconds since 1970
};

enum class AcctStatus : uint32_t { kStart = 1, kStop = 2, kInterimUpdate = 3 };

class RequestBuilder {
  public:
    /// `run_nonce` goes into every Acct-Session-Id so that two runs never collide.
    RequestBuilder(const Options& options, uint32_t run_nonce);

    /// Writes the request into buf and returns its length; the Request Authenticator is at
    /// buf[4..20) once built (random for Access-Request/Status-Server, MD5 for accounting).
    Expected<size_t, radius::EncodeError> build(const RequestSpec& spec,
                                                std::span<uint8_t, radius::kMaxPacketLength> buf,
                                                RandomPool& rng) const;

    Mode mode() const { return mode_; }
    const crypto::SharedSecret& secret() const { return secret_; }
    const UserPattern& users() const { return user_pattern_; }
    const UserPattern& passwords() const { return password_pattern_; }
    /// Requests per accounting session: Start, the interims, Stop.
    uint32_t acctSteps() const { return interims_ + 2; }
    AcctStatus acctStatus(uint32_t step) const;
    /// "<8 hex nonce><16 hex number>": the Acct-Session-Id of a session.
    std::string sessionId(uint64_t session_number) const;

  private:
    size_t writeSessionId(uint64_t session_number, char* out) const;

    Mode mode_;
    crypto::SharedSecret secret_;
    UserPattern user_pattern_;
    UserPattern password_pattern_;
    uint32_t nas_ip_;  // host order
    uint32_t interims_;
    uint32_t run_nonce_;
    bool message_authenticator_;
};

}  // namespace gatehouse::bench
