#pragma once
// How a CLI command fails: one line on stderr, "error: ...", and an exit code through CLI11
// (CLI::RuntimeError). Shared by the commands that talk to PostgreSQL.
#include <exception>
#include <functional>
#include <string>

namespace gatehouse::app {

/// "error: <message>" on stderr, exit 1.
[[noreturn]] void fail(const std::string& message);

/// One line for an exception escaping a command: a connection that could not be made says
/// how to name the database; any other libpqxx or OpenSSL failure is described.
std::string describeFailure(const std::exception& e);

/// Runs `body`; an exception (other than CLI11's own) becomes fail(describeFailure(e)).
void guarded(const std::function<void()>& body);

}  // namespace gatehouse::app
