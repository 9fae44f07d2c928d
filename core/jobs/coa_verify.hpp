#pragma once
// The coa_verify job (docs/coa.md "Verification"), a job of the jobs leader: an ACK says the
// NAS accepted a request, not that anything changed. For each acked row not yet judged:
//   - disconnect: verified when radacct has the session's Stop (no open row left), or, on a
//     MikroTik with API credentials, /ppp/active no longer lists it; unverified when it is
//     still open once the window (default 2 interim intervals) has passed;
//   - coa on a MikroTik with API: unverified when the session is gone from /ppp/active; with
//     Mikrotik-Rate-Limit, verified when the session's dynamic queue ("<pppoe-alice>") has that
//     rate as max-limit, unverified when it has another or there is no queue; without a
//     rate, verified while the session is listed;
//   - coa elsewhere: skipped (nothing to look at).
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/crypto/secret_box.hpp"
#include "core/jobs/nas_probe.hpp"
#include "core/jobs/scheduler.hpp"

namespace gatehouse::jobs {

struct CoaVerifyOptions {
    std::string conninfo;
    std::chrono::milliseconds interval{std::chrono::minutes(1)};
    /// How long after the ACK a still-open session is awaited (the Stop comes at once; the
    /// router drops the entry at once; 2 interim intervals of 5 minutes cover a slow NAS).
    std::chrono::seconds window{std::chrono::minutes(10)};
    size_t batch = 500;  // rows per pass
    ApiCheckOptions api;
    /// One line per verdict ("coa.verify id=... result=..."); stderr when empty.
    std::function<void(std::string_view)> log;
};

struct CoaVerifyRun {
    size_t verified = 0;
    size_t unverified = 0;
    size_t skipped = 0;
    size_t waiting = 0;  // not decided yet (inside the window)
    bool cancelled = false;
};

class CoaVerifier {
  public:
    /// `box` opens the API passwords; nullopt: API NAS are judged from accounting alone.
    CoaVerifier(CoaVerifyOptions options, std::optional<crypto::SecretBox> box);

    /// One pass. Throws what libpqxx throws (the scheduler logs it).
    CoaVerifyRun runOnce(const JobContext& context);
    /// The scheduler entry: "coa_verify" every options.interval.
    Job job();

  private:
    void say(const std::string& line);

    CoaVerifyOptions options_;
    std::optional<crypto::SecretBox> box_;
};

}  // namespace gatehouse::jobs
