#pragma once
// `gatehouse serve --roles radius,api,jobs` (docs/jobs.md): which parts a process runs, and the
// jobs role itself (Leader + Scheduler + the NAS health job).
#include <signal.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/util/expected.hpp"

namespace gatehouse::app {

struct ServeConfig;

struct Roles {
    bool radius = true;
    bool api = true;  // core/app/api_role.hpp
    bool jobs = true;
};

/// "radius,api,jobs" in any order, at least one. The error names the bad word.
Expected<Roles, std::string> parseRoles(std::string_view text);

class JobsRole {
  public:
    virtual ~JobsRole() = default;
    virtual void stop() = 0;
};

/// Starts the election and the scheduler (config.db, key_file, nas_health_seconds,
/// jobs_retry_ms). `create_key`: make a missing key file (the radius role's loader does so
/// anyway); otherwise a missing one only disables the API checks. nullptr with the reason
/// printed on stderr.
std::unique_ptr<JobsRole> startJobsRole(const ServeConfig& config, bool create_key);

/// `serve` without the radius role: prints the ready line, waits for one of `stop_signals`
/// (already blocked), stops `jobs` (may be null: api alone). Returns 0.
int waitWithoutRadius(const ServeConfig& config, JobsRole* jobs, const sigset_t& stop_signals);

}  // namespace gatehouse::app
