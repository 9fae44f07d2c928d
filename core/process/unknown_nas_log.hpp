#pragma once
// "unknown NAS: 1.2.3.4" is the most common support case, and a misconfigured BNG sends
// thousands of requests a minute: log each address at most once a minute, with how many of
// its packets were dropped since the last line. One instance serves all workers (a NAS's
// source ports spread over them): a mutex, taken only for packets of unknown NASes. Memory is
// bounded.
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace gatehouse::process {

/// Where the pipelines' rare log lines go (the server plugs in its logger; default stderr).
using LogFn = std::function<void(std::string_view line)>;
void logToStderr(std::string_view line);

class UnknownNasLog {
  public:
    static constexpr int64_t kIntervalMs = 60'000;
    static constexpr size_t kMaxAddresses = 4096;

    explicit UnknownNasLog(LogFn log = logToStderr) : log_(std::move(log)) {}

    /// One dropped packet from `ipv4` (host order) at `now_ms` (steady clock). Logs
    /// "radius.drop.unknown_nas nas=1.2.3.4 dropped=N" when this address was not logged in the
    /// last minute; returns whether it did.
    bool dropped(uint32_t ipv4, int64_t now_ms);

  private:
    struct Entry {
        int64_t logged_ms = 0;
        uint64_t dropped = 0;  // since the last line
    };
    LogFn log_;
    std::mutex mu_;
    std::unordered_map<uint32_t, Entry> seen_;
};

std::string ipv4Text(uint32_t ipv4_host_order);

}  // namespace gatehouse::process
