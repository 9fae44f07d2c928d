#pragma once
// Runs a benchmark: T threads, each owning its source ports (connected UDP sockets), their
// slot tables, an epoll set, a CSPRNG pool and its own counters and histogram, merged when
// every thread is done. Nothing is shared on the hot path.
#include <atomic>
#include <string>

#include "core/bench/options.hpp"
#include "core/bench/report.hpp"
#include "core/util/expected.hpp"

namespace gatehouse::bench {

/// Sends until --count requests were sent or --duration passed (or `stop` turns true), then
/// waits for what is outstanding to be answered or time out. Errors only at start-up
/// (bad options, sockets).
Expected<Report, std::string> runBench(const Options& options,
                                       const std::atomic<bool>* stop = nullptr);

}  // namespace gatehouse::bench
