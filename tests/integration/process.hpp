#pragma once
// Runs a real program (radclient, tshark, text2pcap) with text on stdin and captures what it
// prints. Integration tests only.
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace gatehouse::testing {

struct ProcessResult {
    int exit_code = -1;  // -1: did not exit normally
    std::string output;  // stdout and stderr interleaved
};

/// Runs argv[0] (found on PATH) with `input` on its stdin; kills it after timeout_seconds.
ProcessResult runProcess(const std::vector<std::string>& argv, const std::string& input,
                         int timeout_seconds = 30);

/// True when `program` is on PATH.
bool haveProgram(const std::string& program);

/// A program left running for a test (a responder, a server): started, its stdout read up to
/// the first line starting with `ready` (30 s at most), its stderr to `err_file`. SIGTERM and
/// reaped on destruction.
class ChildProcess {
  public:
    ChildProcess(std::vector<std::string> argv, const std::string& ready,
                 const std::string& err_file = "/dev/null");
    ~ChildProcess();
    ChildProcess(ChildProcess&& other) noexcept;
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    ChildProcess& operator=(ChildProcess&&) = delete;

    /// The ready line ("" when the child never printed it).
    const std::string& line() const { return line_; }
    /// The number after `key` in the ready line ("port=" or "READY "); 0 when absent.
    uint16_t number(const std::string& key) const;

  private:
    pid_t pid_ = -1;
    std::string line_;
};

/// tests/nas/routeros_responder.py with `seed` (default: tests/nas/seed.json) and `flags`,
/// up to its "READY <port>" line.
class RouterOsResponder {
  public:
    explicit RouterOsResponder(const std::vector<std::string>& flags = {},
                               const std::string& seed = "",
                               const std::string& err_file = "/dev/null");
    uint16_t port() const { return child_.number("READY "); }

  private:
    ChildProcess child_;
};

}  // namespace gatehouse::testing
