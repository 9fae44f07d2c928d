#pragma once
// The NAS health poller (docs/jobs.md "NAS health"), a job of the jobs leader: every 5 minutes
// by default it writes nas_devices.last_seen / is_online / version / identity / uptime /
// board_name / last_check_at / last_check_error (migration 006) for every enabled NAS:
//   - with API credentials: log in over the RouterOS API (TLS when api_use_ssl) and read
//     /system/identity and /system/resource; success is a sign of life;
//   - without: the newest acctupdatetime of its open radacct sessions is the sign of life.
// is_online: the last sign of life is within the online window (5 minutes).
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "core/crypto/secret_box.hpp"
#include "core/jobs/nas_probe.hpp"
#include "core/jobs/scheduler.hpp"

namespace gatehouse::jobs {

struct NasHealthOptions {
    std::string conninfo;
    std::chrono::milliseconds interval{std::chrono::minutes(5)};
    std::chrono::seconds online_window{std::chrono::minutes(5)};
    ApiCheckOptions api;    // timeout per NAS, TLS options
    unsigned parallel = 8;  // API checks at once (an unreachable NAS costs a full timeout)
    /// One line per run and one per NAS whose check result changed; stderr when empty.
    std::function<void(std::string_view)> log;
};

struct NasHealthRun {
    size_t api_ok = 0;
    size_t api_failed = 0;
    size_t passive = 0;      // NAS without API credentials, judged from accounting
    size_t online = 0;       // of all enabled NAS, after this run
    bool cancelled = false;  // leadership lost mid-run: nothing was written
};

class NasHealthPoller {
  public:
    /// `box` opens the API passwords; nullopt: every API NAS fails with "no key file".
    NasHealthPoller(NasHealthOptions options, std::optional<crypto::SecretBox> box);

    /// One pass over every enabled NAS. Throws what libpqxx throws (the scheduler logs it).
    NasHealthRun runOnce(const JobContext& context);
    /// The scheduler entry: "nas_health" every options.interval.
    Job job();

  private:
    void say(const std::string& line);

    NasHealthOptions options_;
    std::optional<crypto::SecretBox> box_;
};

}  // namespace gatehouse::jobs
