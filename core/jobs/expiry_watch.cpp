#include "core/jobs/expiry_watch.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <pqxx/pqxx>

namespace gatehouse::jobs {

namespace {

// pg_advisory_xact_lock key, "gh_expy" in ASCII: two leaders for a split second (a failover)
// must not both see "no expiry job yet" and write two.
constexpr long long kExpiryLock = 0x67685f65787079;

// A grace longer than this is a typo; make_interval(days => ...) takes an int.
constexpr uint32_t kMaxGraceDays = 36500;

// settings.grace_days as the snapshot loader reads it: digits only, else the default 0.
uint32_t graceDays(const std::string& text) {
    uint32_t days = 0;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, days);
    if (ec != std::errc() || ptr != end || text.empty())
        return 0;
    return std::min(days, kMaxGraceDays);
}

// The subscribers whose cut moment passed during one of their open sessions and that have no
// expiry job since: one job each. Driven by the open sessions (the partial index
// radacct_open_by_subscriber): they are the online subscribers, a bounded set, whereas
// expired accounts accumulate for ever.
constexpr const char* kQueueExpiry = R"sql(
WITH online AS (
    SELECT DISTINCT r.subscriber_id AS id FROM radacct r
    WHERE r.acctstoptime IS NULL AND r.subscriber_id IS NOT NULL
), cut AS (
    SELECT s.id, s.current_tier, s.expires_at + make_interval(days => $1) AS cut_at
    FROM subscribers s JOIN online o ON o.id = s.id
    WHERE s.expires_at IS NOT NULL
), due AS (
    SELECT c.* FROM cut c
    WHERE c.cut_at <= now()
      AND EXISTS (SELECT 1 FROM radacct r WHERE r.acctstoptime IS NULL
                  AND r.subscriber_id = c.id AND r.acctstarttime < c.cut_at)
      AND NOT EXISTS (SELECT 1 FROM tier_change_jobs j WHERE j.kind = 'expiry'
                      AND j.subscriber_id = c.id AND j.created_at >= c.cut_at)
), queued AS (
    INSERT INTO tier_change_jobs (subscriber_id, from_tier, to_tier, reason, kind)
    SELECT id, current_tier, current_tier,
           'cut at ' || to_char(cut_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
           'expiry'
    FROM due
    RETURNING subscriber_id, reason
)
SELECT s.username, q.reason FROM queued q JOIN subscribers s ON s.id = q.subscriber_id
ORDER BY s.username
)sql";

}  // namespace

ExpiryWatch::ExpiryWatch(ExpiryWatchOptions options) : options_(std::move(options)) {}

void ExpiryWatch::say(const std::string& line) {
    if (options_.log)
        options_.log(line);
    else
        fmt::print(stderr, "gatehouse.{}\n", line);
}

Job ExpiryWatch::job() {
    Job j;
    j.name = "expiry";
    j.interval = options_.interval;
    j.run = [this](const JobContext& context) { runOnce(context); };
    return j;
}

ExpiryWatchRun ExpiryWatch::runOnce(const JobContext& context) {
    ExpiryWatchRun run;
    if (context.cancelled())
        return run;
    pqxx::connection conn(options_.conninfo);
    pqxx::work txn(conn);
    txn.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kExpiryLock) + ")");
    // The cut moment as policies/default.lua's expiry_state computes it: the grace days count
    // only with expired_action = "grace" ("reject" and "walled_garden" end at expiry).
    std::string action = "reject";
    uint32_t grace_days = 0;
    for (const auto& r : txn.exec(
             "SELECT key, value FROM settings WHERE key IN ('expired_action', 'grace_days')")) {
        if (r[0].as<std::string>() == "expired_action")
            action = r[1].as<std::string>();
        else
            grace_days = graceDays(r[1].as<std::string>());
    }
    const int days = action == "grace" ? static_cast<int>(grace_days) : 0;
    for (const auto& r : txn.exec_params(kQueueExpiry, days)) {
        ++run.queued;
        say(fmt::format("jobs.expiry user={} {}", r[0].as<std::string>(), r[1].as<std::string>()));
    }
    txn.commit();
    return run;
}

}  // namespace gatehouse::jobs
