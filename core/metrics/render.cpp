// Prometheus text exposition format 0.0.4: for each metric family one "# HELP name text" line,
// one "# TYPE name counter|gauge" line, then its samples "name{label="value"} number".
// Every family is always present, with every kind it has (zeros included), so that a series
// never appears out of nowhere and rate() over a fresh counter works from the first scrape.
#include <string>
#include <string_view>

#include "core/metrics/metrics.hpp"
#include "core/radius/packet.hpp"

namespace gatehouse::metrics {

namespace {

class Writer {
  public:
    void family(std::string_view name, std::string_view type, std::string_view help) {
        out_ += "# HELP ";
        out_ += name;
        out_ += ' ';
        out_ += help;  // our own fixed text: no backslash or newline to escape
        out_ += "\n# TYPE ";
        out_ += name;
        out_ += ' ';
        out_ += type;
        out_ += '\n';
    }
    void sample(std::string_view name, uint64_t value) {
        out_ += name;
        out_ += ' ';
        out_ += std::to_string(value);
        out_ += '\n';
    }
    void sample(std::string_view name, std::string_view label, std::string_view label_value,
                uint64_t value) {
        out_ += name;
        out_ += '{';
        out_ += label;
        out_ += "=\"";
        appendEscaped(label_value);
        out_ += "\"} ";
        out_ += std::to_string(value);
        out_ += '\n';
    }
    void counter(std::string_view name, std::string_view help, uint64_t value) {
        family(name, "counter", help);
        sample(name, value);
    }
    void gauge(std::string_view name, std::string_view help, uint64_t value) {
        family(name, "gauge", help);
        sample(name, value);
    }
    std::string take() { return std::move(out_); }

  private:
    // Label values: backslash, double quote and line feed are the three escapes the format has.
    // Policy reject reasons are free text from Lua, so this is not academic.
    void appendEscaped(std::string_view v) {
        for (char c : v) {
            if (c == '\\')
                out_ += "\\\\";
            else if (c == '"')
                out_ += "\\\"";
            else if (c == '\n')
                out_ += "\\n";
            else
                out_ += c;
        }
    }
    std::string out_;
};

void renderLogs(Writer& w, const store::LogWriterStats& s) {
    w.counter("gatehouse_log_events_queued_total", "radius_logs events accepted into the queue.",
              s.queued);
    w.counter("gatehouse_log_events_dropped_total",
              "radius_logs events refused because the queue was full.", s.dropped);
    w.counter("gatehouse_log_events_written_total", "radius_logs events committed.", s.written);
    w.counter("gatehouse_log_events_failed_total",
              "radius_logs events lost to a database error after being queued.", s.failed);
    w.counter("gatehouse_log_batches_total", "radius_logs insert batches committed.", s.batches);
    w.gauge("gatehouse_log_queue_depth", "radius_logs events waiting in the queue.", s.depth);
    w.counter("gatehouse_log_rows_pruned_total", "radius_logs rows deleted by retention.",
              s.pruned);
}

void renderAccounting(Writer& w, const MetricsSnapshot::Accounting& a) {
    w.counter("gatehouse_accounting_committed_records_total",
              "Accounting records committed to PostgreSQL.", a.committed_records);
    w.counter("gatehouse_accounting_committed_batches_total",
              "Accounting transactions committed to PostgreSQL.", a.committed_batches);
    w.counter("gatehouse_accounting_spooled_records_total",
              "Accounting records written to the local spool while PostgreSQL was down.",
              a.spooled_records);
    w.counter("gatehouse_accounting_spooled_batches_total",
              "Accounting batches written to the local spool.", a.spooled_batches);
    w.counter("gatehouse_accounting_replayed_records_total",
              "Spooled accounting records replayed into PostgreSQL.", a.replayed_records);
    w.counter("gatehouse_accounting_replayed_batches_total",
              "Spooled accounting batches replayed into PostgreSQL.", a.replayed_batches);
    w.counter("gatehouse_accounting_refused_total",
              "Accounting records refused because the writer queue was full (not acknowledged).",
              a.refused);
    w.counter("gatehouse_accounting_lost_total",
              "Accounting records neither committed nor spooled (not acknowledged).", a.lost);
    w.gauge("gatehouse_accounting_queue_depth",
            "Accounting records waiting for the group-commit writer.", a.queue_depth);
    w.gauge("gatehouse_accounting_last_batch_size", "Records in the last committed batch.",
            a.last_batch_size);
    w.gauge("gatehouse_accounting_max_batch_size", "Records in the largest committed batch.",
            a.max_batch_size);
    w.gauge("gatehouse_accounting_spool_pending_batches",
            "Spooled accounting batches not yet replayed.", a.spool_pending_batches);
    w.gauge("gatehouse_accounting_spool_pending_records",
            "Spooled accounting records not yet replayed.", a.spool_pending_records);
    w.counter("gatehouse_accounting_tier_changes_total",
              "FUP tier changes caused by accounting updates.", a.tier_changes);
    w.counter("gatehouse_accounting_stale_closed_total",
              "Sessions closed as stale by the accounting writer.", a.stale_closed);
    w.counter("gatehouse_accounting_sessions_reopened_total",
              "Sessions closed as stale or by NAS reconciliation that later accounting reopened "
              "or closed with the NAS's own stop.",
              a.sessions_reopened);
    w.counter("gatehouse_accounting_reopen_conflicts_total",
              "Reopened sessions whose pool address another subscriber held by then.",
              a.reopen_conflicts);
    w.counter("gatehouse_accounting_quarantined_total",
              "Records PostgreSQL refused for their content, kept in quarantine.jsonl.",
              a.quarantined);
    w.gauge("gatehouse_database_up",
            "1 when the accounting writer reaches PostgreSQL, 0 while it spools.",
            a.database_up ? 1 : 0);
}

}  // namespace

std::string renderMetrics(const MetricsSnapshot& m) {
    using process::DropKind;
    using process::RejectKind;
    const process::Counters& c = m.totals;
    Writer w;

    w.counter("gatehouse_received_total", "RADIUS datagrams received by the workers.", m.received);

    w.family("gatehouse_drops_total", "counter", "RADIUS datagrams dropped without an answer.");
    for (size_t k = 0; k < static_cast<size_t>(DropKind::kCount); ++k) {
        auto kind = static_cast<DropKind>(k);
        w.sample("gatehouse_drops_total", "kind", process::dropKindName(kind), c.drops(kind));
    }

    w.family("gatehouse_decode_errors_total", "counter",
             "Malformed RADIUS datagrams, by decode error.");
    for (size_t k = 0; k < process::kDecodeErrorKinds; ++k) {
        auto kind = static_cast<radius::DecodeError::Kind>(k);
        w.sample("gatehouse_decode_errors_total", "kind", radius::decodeErrorName(kind),
                 c.decodeErrors(kind));
    }

    w.counter("gatehouse_accepts_total", "Access-Accepts sent.", c.accepts());

    w.family("gatehouse_rejects_total", "counter", "Access-Rejects sent, by why.");
    for (size_t k = 0; k < static_cast<size_t>(RejectKind::kCount); ++k) {
        auto kind = static_cast<RejectKind>(k);
        w.sample("gatehouse_rejects_total", "kind", process::rejectKindName(kind), c.rejects(kind));
    }

    w.family("gatehouse_policy_rejects_total", "counter",
             "Access-Rejects decided by the policy, by the reason it gave.");
    for (const auto& [reason, count] : c.policyRejectsByReason())
        w.sample("gatehouse_policy_rejects_total", "reason", reason, count);

    w.counter("gatehouse_accounting_answered_total", "Accounting-Responses sent.",
              c.accountingAnswers());
    w.counter("gatehouse_accounting_discarded_total",
              "Accounting-Requests answered but not stored (discarded by policy or as invalid).",
              c.accountingDiscards());
    w.counter("gatehouse_status_answered_total", "Status-Server requests answered (RFC 5997).",
              c.statusAnswers());
    w.counter("gatehouse_duplicates_resent_total",
              "Duplicate requests answered from the reply cache (RFC 5080 2.2.2).",
              c.duplicatesResent());
    w.counter("gatehouse_ip_rule_not_implemented_total",
              "Accepts sent without an address: the policy named a pool and there is no "
              "database (--seed), so no IPAM.",
              c.ipRulesNotImplemented());

    w.gauge("gatehouse_workers", "RADIUS worker threads.", m.workers);
    w.gauge("gatehouse_nas", "NAS entries in the current snapshot.", m.nas_count);
    w.gauge("gatehouse_subscribers", "Subscribers in the current snapshot.", m.subscriber_count);
    w.gauge("gatehouse_snapshot_version", "Version of the store snapshot the workers use.",
            m.snapshot_version);

    if (m.logs)
        renderLogs(w, *m.logs);
    if (m.accounting)
        renderAccounting(w, *m.accounting);
    return w.take();
}

}  // namespace gatehouse::metrics
