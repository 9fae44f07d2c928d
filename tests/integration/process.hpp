#pragma once
// Runs a real program (radclient, tshark, text2pcap) with text on stdin and captures what it
// prints. Integration tests only.
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

}  // namespace gatehouse::testing
