#pragma once
// core/metrics: Prometheus text exposition (version 0.0.4) of what the server counts, served on GET
// /metrics by a small HTTP/1.1 listener (Asio, its own thread, loopback by default) and read back
// by `gatehouse status`. Names are gatehouse_*; counters end in _total.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/process/counters.hpp"
#include "core/store/accounting_writer.hpp"
#include "core/store/log_writer.hpp"
#include "core/util/expected.hpp"

namespace gatehouse::metrics {

/// Everything /metrics shows, gathered at scrape time. Optional parts are absent when that
/// component does not run (no --db: no writers).
struct MetricsSnapshot {
    process::Counters totals;  // summed over workers (Counters::addTo)
    uint64_t received = 0;
    unsigned workers = 0;
    uint64_t nas_count = 0;
    uint64_t subscriber_count = 0;
    uint64_t snapshot_version = 0;
    std::optional<store::LogWriterStats> logs;
    using Accounting = store::AccountingWriterStats;
    std::optional<Accounting> accounting;
};

std::string renderMetrics(const MetricsSnapshot& m);

class MetricsHttpServer {
  public:
    using Source = std::function<void(MetricsSnapshot&)>;
    MetricsHttpServer(std::string bind, uint16_t port, Source source);
    ~MetricsHttpServer();  // stop()
    /// Binds (an error names the address) and starts the listener thread.
    Expected<void, std::string> start();
    void stop();
    uint16_t port() const;  // the bound port (0 in the constructor: any free port)

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

/// GET http://host:port/metrics with a timeout; the body, or an error naming what failed.
Expected<std::string, std::string> fetchMetrics(const std::string& host, uint16_t port,
                                                int timeout_ms = 2000);

}  // namespace gatehouse::metrics
