#pragma once
// `gatehouse serve` configuration: a file of `key = value` lines (docs/server.md), then the
// command-line flags on top. Exceptions here are fine: this is startup.
#include <cstdint>
#include <string>
#include <string_view>

namespace gatehouse::app {

struct ServeConfig {
    std::string bind = "0.0.0.0";
    uint16_t auth_port = 1812;
    uint16_t acct_port = 1813;
    unsigned workers = 0;  // 0: one per core
    std::string policy_dir = "policies";
    uint64_t max_instructions = 1000000;
    std::string seed;  // JSON snapshot instead of the database (tests, benchmarks)
    std::string db;    // libpq connection string; empty: $GATEHOUSE_DB unless seed is set
    std::string
        redis;  // the API's Redis, redis://[:password@]host[:port][/db]; "": $GATEHOUSE_REDIS
    std::string key_file;  // subscriber password key; empty: $GATEHOUSE_KEY_FILE or the default
    size_t duplicate_slots = 16384;
    bool watch_policies = true;            // reload when a file under policy_dir changes
    bool ack_unstored_accounting = false;  // --seed only: answer accounting nothing stores
    // Durable accounting (docs/accounting.md), with a database.
    std::string spool_dir = "var/spool";
    size_t accounting_batch_max = 2000;
    size_t accounting_connections = 2;  // a large batch is split over this many transactions
    size_t ip_claim_lanes = 2;  // threads (and connections) claiming pool and static addresses
    size_t accounting_queue_max = 200000;
    int64_t accounting_timeout_ms = 2000;  // a slower batch goes to the spool
    // No update for longer: closed (0: never; -1, "auto": one interim interval + 2 minutes,
    // docs/accounting.md "Stale sessions").
    int64_t stale_session_minutes = -1;
    // Logs and metrics (docs/observability.md).
    std::string radius_logs = "all";  // all | rejects | off
    int64_t log_retention_days = 30;
    uint64_t radius_logs_max_rate = 5000;  // events/s written at most (0: no cap)
    std::string metrics_bind = "127.0.0.1";
    uint16_t metrics_port = 9812;  // 0: no /metrics listener
    // Roles and the jobs role (docs/jobs.md).
    std::string roles = "radius,api,jobs";  // comma list
    int64_t nas_health_seconds = 300;       // NAS health poll period (0: off)
    int jobs_retry_ms = 2000;               // a follower tries the leader lock this often
    // The admin API and panel (docs/api.md): nginx in front terminates TLS.
    std::string api_bind = "127.0.0.1";
    uint16_t api_port = 8080;          // 0: any free port (the ready line names it)
    unsigned api_threads = 2;          // Pistache reactor threads
    std::string web_dir = "web/dist";  // the built panel; relative to the working directory
};

/// Applies `key = value` lines to `config`. '#' starts a comment; blank lines are ignored.
/// Throws std::runtime_error naming the line: "FILE:3: unknown key \"bnid\"".
void applyConfigText(std::string_view text, const std::string& name, ServeConfig& config);
void applyConfigFile(const std::string& path, ServeConfig& config);

}  // namespace gatehouse::app
