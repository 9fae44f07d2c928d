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
    std::string seed;      // JSON snapshot instead of the database (tests, benchmarks)
    std::string db;        // libpq connection string; empty: $GATEHOUSE_DB unless seed is set
    std::string key_file;  // subscriber password key; empty: $GATEHOUSE_KEY_FILE or the default
    size_t duplicate_slots = 16384;
    bool watch_policies = true;
    bool ack_unstored_accounting = false;  // tests and benchmarks only (docs/server.md)  // reload
                                           // when a file under policy_dir changes
};

/// Applies `key = value` lines to `config`. '#' starts a comment; blank lines are ignored.
/// Throws std::runtime_error naming the line: "FILE:3: unknown key \"bnid\"".
void applyConfigText(std::string_view text, const std::string& name, ServeConfig& config);
void applyConfigFile(const std::string& path, ServeConfig& config);

}  // namespace gatehouse::app
