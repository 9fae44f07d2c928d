#pragma once
// Registration of the operator subcommands that live in core/app/.
#include <CLI/CLI.hpp>

namespace gatehouse::app {

/// `gatehouse dict check FILE...` and `gatehouse dict show NAME`.
void addDictCommand(CLI::App& app);
/// `gatehouse decode [--secret S] [--request-auth HEX] HEX`: a packet as radclient would print it.
void addDecodeCommand(CLI::App& app);
/// `gatehouse policy check|test|eval|replay` (core/app/policy_command.cpp).
void addPolicyCommand(CLI::App& app);
/// `gatehouse migrate`, `nas`, `service`, `subscriber` (core/app/store_commands.cpp).
void addStoreCommands(CLI::App& app);
/// `gatehouse nas test NAME` (core/app/nas_test_command.cpp, docs/jobs.md); after addStoreCommands.
void addNasTestCommand(CLI::App& app);
/// `gatehouse nas health [NAME]` (core/app/nas_health_command.cpp); after addStoreCommands.
void addNasHealthCommand(CLI::App& app);
/// `gatehouse serve`: the RADIUS server (core/app/serve_command.cpp, docs/server.md).
void addServeCommand(CLI::App& app);
/// `gatehouse status`: a running server's counters, from its /metrics endpoint.
void addStatusCommand(CLI::App& app);
/// `gatehouse session disconnect|coa` (core/app/session_command.cpp, docs/coa.md).
void addSessionCommand(CLI::App& app);
/// `gatehouse pool add|list|show|delete|sync` (core/app/pool_command.cpp, docs/ipam.md).
void addPoolCommand(CLI::App& app);
/// `gatehouse admin add|list|passwd` (core/app/admin_command.cpp, docs/api-auth.md).
void addAdminCommand(CLI::App& app);

}  // namespace gatehouse::app
