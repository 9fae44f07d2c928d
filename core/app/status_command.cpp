// `gatehouse status`: what a running server counts, read from its /metrics endpoint
// (docs/observability.md) and printed as a short report for a terminal. Exit 1 when the
// server cannot be reached, so scripts can use it as a health check.
#include <fmt/core.h>

#include <map>
#include <memory>
#include <sstream>
#include <string>

#include "core/app/commands.hpp"
#include "core/metrics/metrics.hpp"

namespace gatehouse::app {

namespace {

struct StatusFlags {
    std::string host = "127.0.0.1";
    uint16_t port = 9812;
    bool raw = false;
};

/// "name{labels} value" lines of the exposition, comments skipped.
std::map<std::string, double> parseSamples(const std::string& text) {
    std::map<std::string, double> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#')
            continue;
        const size_t space = line.rfind(' ');
        if (space == std::string::npos)
            continue;
        try {
            out[line.substr(0, space)] = std::stod(line.substr(space + 1));
        } catch (const std::exception&) {
        }
    }
    return out;
}

int runStatus(const StatusFlags& flags) {
    auto body = metrics::fetchMetrics(flags.host, flags.port);
    if (!body) {
        fmt::print(stderr, "status: {} (is `gatehouse serve` running with metrics_port = {}?)\n",
                   body.error(), flags.port);
        return 1;
    }
    if (flags.raw) {
        fmt::print("{}", *body);
        return 0;
    }
    const auto s = parseSamples(*body);
    auto v = [&](const std::string& name) -> uint64_t {
        auto it = s.find(name);
        return it == s.end() ? 0 : static_cast<uint64_t>(it->second);
    };
    auto sumPrefix = [&](const std::string& prefix) {
        uint64_t total = 0;
        for (const auto& [name, value] : s)
            if (name.rfind(prefix, 0) == 0)
                total += static_cast<uint64_t>(value);
        return total;
    };
    fmt::print("server      workers={} nas={} subscribers={} snapshot={}\n", v("gatehouse_workers"),
               v("gatehouse_nas"), v("gatehouse_subscribers"), v("gatehouse_snapshot_version"));
    fmt::print("requests    received={} accepts={} rejects={} accounting={} status={}\n",
               v("gatehouse_received_total"), v("gatehouse_accepts_total"),
               sumPrefix("gatehouse_rejects_total"), v("gatehouse_accounting_answered_total"),
               v("gatehouse_status_answered_total"));
    fmt::print("drops       total={}", sumPrefix("gatehouse_drops_total"));
    for (const auto& [name, value] : s)
        if (name.rfind("gatehouse_drops_total{", 0) == 0 && value > 0)
            fmt::print(" {}={}", name.substr(28, name.size() - 30), static_cast<uint64_t>(value));
    fmt::print("\n");
    for (const auto& [name, value] : s)
        if (name.rfind("gatehouse_policy_rejects_total{", 0) == 0)
            fmt::print("reject      {} {}\n", name.substr(38, name.size() - 40),
                       static_cast<uint64_t>(value));
    if (s.count("gatehouse_database_up") != 0) {
        fmt::print(
            "accounting  database={} committed={} batches={} max_batch={} queue={} spooled={} "
            "spool_pending={} replayed={} lost={} tier_changes={} stale_closed={}\n",
            v("gatehouse_database_up") ? "up" : "DOWN",
            v("gatehouse_accounting_committed_records_total"),
            v("gatehouse_accounting_committed_batches_total"),
            v("gatehouse_accounting_max_batch_size"), v("gatehouse_accounting_queue_depth"),
            v("gatehouse_accounting_spooled_records_total"),
            v("gatehouse_accounting_spool_pending_records"),
            v("gatehouse_accounting_replayed_records_total"), v("gatehouse_accounting_lost_total"),
            v("gatehouse_accounting_tier_changes_total"),
            v("gatehouse_accounting_stale_closed_total"));
    }
    if (s.count("gatehouse_log_queue_depth") != 0) {
        fmt::print("logs        written={} dropped={} failed={} queue={}\n",
                   v("gatehouse_log_events_written_total"), v("gatehouse_log_events_dropped_total"),
                   v("gatehouse_log_events_failed_total"), v("gatehouse_log_queue_depth"));
    }
    return 0;
}

}  // namespace

void addStatusCommand(CLI::App& app) {
    auto flags = std::make_shared<StatusFlags>();
    CLI::App* status =
        app.add_subcommand("status", "What a running server counts (its /metrics endpoint)");
    status->add_option("--host", flags->host, "metrics address of the server (127.0.0.1)");
    status->add_option("--port", flags->port, "metrics_port of the server (9812)");
    status->add_flag("--raw", flags->raw, "print the Prometheus text as served");
    status->callback([flags] { throw CLI::RuntimeError(runStatus(*flags)); });
}

}  // namespace gatehouse::app
