#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <string>

#include "core/metrics/metrics.hpp"

namespace gatehouse::metrics {
namespace {

using process::DropKind;
using process::RejectKind;

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

void fill(MetricsSnapshot& m) {
    process::Counters& c = m.totals;
    for (int i = 0; i < 3; ++i)
        c.drop(DropKind::kUnknownNas);
    c.decodeError(radius::DecodeError::kAttrOverrun);
    c.reject(RejectKind::kBadPassword);
    c.policyReject("say \"no\"\\\nplease");
    c.policyReject("expired");
    for (int i = 0; i < 5; ++i)
        c.accept();
    c.accountingAnswered();
    c.accountingAnswered();
    c.accountingDiscarded();
    c.statusAnswered();
    c.duplicateResent();
    m.received = 42;
    m.workers = 2;
    m.nas_count = 3;
    m.subscriber_count = 1000;
    m.snapshot_version = 9;
}

TEST(RenderMetrics, CountersHaveHelpTypeAndExactSamples) {
    MetricsSnapshot m;
    fill(m);
    std::string text = renderMetrics(m);
    EXPECT_TRUE(contains(text,
                         "# HELP gatehouse_received_total RADIUS datagrams received by the "
                         "workers.\n"
                         "# TYPE gatehouse_received_total counter\n"
                         "gatehouse_received_total 42\n"));
    EXPECT_TRUE(contains(text,
                         "# HELP gatehouse_drops_total RADIUS datagrams dropped without an "
                         "answer.\n"
                         "# TYPE gatehouse_drops_total counter\n"
                         "gatehouse_drops_total{kind=\"unknown_nas\"} 3\n"
                         "gatehouse_drops_total{kind=\"decode\"} 1\n"
                         "gatehouse_drops_total{kind=\"wrong_code\"} 0\n"));
    EXPECT_TRUE(contains(text, "gatehouse_decode_errors_total{kind=\"attr_overrun\"} 1\n"));
    EXPECT_TRUE(contains(text, "gatehouse_decode_errors_total{kind=\"too_short\"} 0\n"));
    EXPECT_TRUE(contains(text,
                         "# TYPE gatehouse_accepts_total counter\n"
                         "gatehouse_accepts_total 5\n"));
    EXPECT_TRUE(contains(text,
                         "gatehouse_rejects_total{kind=\"bad_password\"} 1\n"
                         "gatehouse_rejects_total{kind=\"no_credentials\"} 0\n"
                         "gatehouse_rejects_total{kind=\"policy\"} 2\n"));
    EXPECT_TRUE(contains(text, "gatehouse_accounting_answered_total 2\n"));
    EXPECT_TRUE(contains(text, "gatehouse_accounting_discarded_total 1\n"));
    EXPECT_TRUE(contains(text, "gatehouse_status_answered_total 1\n"));
    EXPECT_TRUE(contains(text, "gatehouse_duplicates_resent_total 1\n"));
    EXPECT_TRUE(contains(text, "# TYPE gatehouse_workers gauge\ngatehouse_workers 2\n"));
    EXPECT_TRUE(contains(text, "gatehouse_nas 3\n"));
    EXPECT_TRUE(contains(text, "gatehouse_subscribers 1000\n"));
    EXPECT_TRUE(contains(text, "gatehouse_snapshot_version 9\n"));
}

TEST(RenderMetrics, PolicyReasonLabelsAreEscaped) {
    MetricsSnapshot m;
    fill(m);
    std::string text = renderMetrics(m);
    // Reasons sorted (std::map); backslash, quote and newline escaped per format 0.0.4.
    EXPECT_TRUE(contains(text,
                         "# TYPE gatehouse_policy_rejects_total counter\n"
                         "gatehouse_policy_rejects_total{reason=\"expired\"} 1\n"
                         "gatehouse_policy_rejects_total{reason=\"say \\\"no\\\"\\\\\\nplease\"} "
                         "1\n"));
}

TEST(RenderMetrics, OptionalPartsAppearOnlyWhenPresent) {
    MetricsSnapshot m;
    std::string bare = renderMetrics(m);
    EXPECT_FALSE(contains(bare, "gatehouse_log_"));
    EXPECT_FALSE(contains(bare, "gatehouse_accounting_committed"));
    EXPECT_FALSE(contains(bare, "gatehouse_database_up"));

    store::LogWriterStats logs;
    logs.queued = 10;
    logs.dropped = 6;
    logs.written = 3;
    logs.failed = 1;
    logs.batches = 2;
    logs.depth = 6;
    logs.pruned = 100;
    m.logs = logs;
    MetricsSnapshot::Accounting acct;
    acct.committed_records = 1234;
    acct.spool_pending_batches = 4;
    acct.lost = 2;
    acct.database_up = false;
    m.accounting = acct;
    std::string text = renderMetrics(m);
    EXPECT_TRUE(contains(text,
                         "# HELP gatehouse_log_events_dropped_total radius_logs events "
                         "refused because the queue was full.\n"
                         "# TYPE gatehouse_log_events_dropped_total counter\n"
                         "gatehouse_log_events_dropped_total 6\n"));
    EXPECT_TRUE(contains(text, "gatehouse_log_events_queued_total 10\n"));
    EXPECT_TRUE(contains(text, "gatehouse_log_events_written_total 3\n"));
    EXPECT_TRUE(contains(text, "gatehouse_log_events_failed_total 1\n"));
    EXPECT_TRUE(contains(text, "gatehouse_log_batches_total 2\n"));
    EXPECT_TRUE(contains(text,
                         "# TYPE gatehouse_log_queue_depth gauge\n"
                         "gatehouse_log_queue_depth 6\n"));
    EXPECT_TRUE(contains(text, "gatehouse_log_rows_pruned_total 100\n"));
    EXPECT_TRUE(contains(text, "gatehouse_accounting_committed_records_total 1234\n"));
    EXPECT_TRUE(contains(text,
                         "# TYPE gatehouse_accounting_spool_pending_batches gauge\n"
                         "gatehouse_accounting_spool_pending_batches 4\n"));
    EXPECT_TRUE(contains(text,
                         "# TYPE gatehouse_accounting_lost_total counter\n"
                         "gatehouse_accounting_lost_total 2\n"));
    EXPECT_TRUE(contains(text, "# TYPE gatehouse_database_up gauge\ngatehouse_database_up 0\n"));
}

// Every sample belongs to a family declared just before it with one HELP and one TYPE line;
// counters end in _total and nothing ends in _total that is not a counter.
TEST(RenderMetrics, EveryFamilyIsWellFormed) {
    MetricsSnapshot m;
    fill(m);
    m.logs = store::LogWriterStats{};
    m.accounting = MetricsSnapshot::Accounting{};
    std::istringstream in(renderMetrics(m));
    std::string line, family, type;
    std::set<std::string> seen;
    int samples = 0;
    while (std::getline(in, line)) {
        ASSERT_FALSE(line.empty());
        if (line.rfind("# HELP ", 0) == 0) {
            family = line.substr(7, line.find(' ', 7) - 7);
            ASSERT_TRUE(seen.insert(family).second) << family;
            ASSERT_TRUE(std::getline(in, line));
            ASSERT_EQ(line.rfind("# TYPE " + family + " ", 0), 0u) << line;
            type = line.substr(8 + family.size());
            ASSERT_TRUE(type == "counter" || type == "gauge") << line;
            bool total = family.size() > 6 && family.compare(family.size() - 6, 6, "_total") == 0;
            EXPECT_EQ(total, type == "counter") << family;
            EXPECT_EQ(family.rfind("gatehouse_", 0), 0u) << family;
            continue;
        }
        std::string name = line.substr(0, line.find_first_of("{ "));
        EXPECT_EQ(name, family) << line;
        ++samples;
    }
    EXPECT_GT(samples, 40);
}

}  // namespace
}  // namespace gatehouse::metrics
