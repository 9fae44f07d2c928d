// Sessions Gatehouse closed itself (the stale sweep's Stale-Session, the MikroTik reconciler's
// NAS-Reconcile) that the NAS's accounting shows were never stopped: a later Interim reopens
// the row, a later Stop closes it with the real time and cause, the usage in between is counted
// once, the open-session count stays exact and the pool address is taken back when it is free
// (a conflict is reported when it is not). A Stop the NAS sent, or a NAS-Reboot, stays final.
// Against a real PostgreSQL; the writer's part (metrics, the conflict log line) at the end.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/store/accounting_repository.hpp"
#include "core/store/accounting_writer.hpp"
#include "core/store/live_state.hpp"
#include "tests/unit/store/pg_fixture.hpp"

namespace gatehouse::store {
namespace {

constexpr uint32_t kNasA = 0x0A000001;       // 10.0.0.1
constexpr uint32_t kPoolIp = 0x64400007;     // 100.64.0.7
constexpr int64_t kJune15Noon = 1781524800;  // 2026-06-15 12:00:00 UTC

std::pair<int64_t, int64_t> bytes(int64_t upload, int64_t download) {
    return {upload, download};
}

class AccountingReopen : public testing::PgTest {
  protected:
    void SetUp() override {
        PgTest::SetUp();
        alice_ = insertSubscriber("alice");
        bob_ = insertSubscriber("bob");
    }

    AccountingRecord record(AcctStatus status, const std::string& uid, int64_t t, uint64_t in = 0,
                            uint64_t out = 0, uint32_t session_time = 0) {
        AccountingRecord r;
        r.status = status;
        r.event_time = t;
        r.received_at = t;
        r.session_id = "sid-" + uid;
        r.unique_id = uid;
        r.username = "alice";
        r.subscriber_id = alice_;
        r.nas_id = 1;
        r.nas_ip = kNasA;
        r.nas_port_id = "ether1";
        r.session_time = session_time;
        r.input_octets = in;
        r.output_octets = out;
        return r;
    }
    AccountingRecord start(const std::string& uid, int64_t t) {
        return record(AcctStatus::kStart, uid, t);
    }
    AccountingRecord interim(const std::string& uid, int64_t t, uint64_t in, uint64_t out,
                             uint32_t session_time) {
        return record(AcctStatus::kInterimUpdate, uid, t, in, out, session_time);
    }
    AccountingRecord stop(const std::string& uid, int64_t t, uint64_t in, uint64_t out,
                          uint32_t session_time, std::string cause = "User-Request") {
        auto r = record(AcctStatus::kStop, uid, t, in, out, session_time);
        r.terminate_cause = std::move(cause);
        return r;
    }
    AccountingRecord withIp(AccountingRecord r, uint32_t ip = kPoolIp) {
        r.framed_ip = ip;
        return r;
    }

    /// Applies `batch` with `known` = the database's open sessions, usage and tier before it
    /// (what the writer's LiveState holds), and expects every touched subscriber to be what a
    /// read-back of the database gives afterwards.
    ApplyResult apply(const std::vector<AccountingRecord>& batch,
                      const KnownSessions* sessions = nullptr) {
        int64_t newest = 0;
        for (const auto& r : batch)
            newest = std::max(newest, r.event_time);
        auto before = readBack(newest);
        KnownLiveState known = [&](int64_t id) -> std::optional<SubscriberLiveState> {
            SubscriberLiveState s;
            s.subscriber_id = id;
            if (auto it = before.find(id); it != before.end())
                s = it->second;
            return s;
        };
        ApplyResult result;
        {
            pqxx::work txn(conn());
            result = AccountingRepository::apply(txn, batch, "UTC", known, sessions);
            txn.commit();
        }
        auto after = readBack(newest);
        for (const auto& s : result.touched) {
            SubscriberLiveState want;
            if (auto it = after.find(s.subscriber_id); it != after.end())
                want = it->second;
            SCOPED_TRACE("subscriber " + std::to_string(s.subscriber_id));
            EXPECT_EQ(s.open_sessions, want.open_sessions);
            EXPECT_EQ(s.usage.daily_upload, want.usage.daily_upload);
            EXPECT_EQ(s.usage.daily_download, want.usage.daily_download);
            EXPECT_EQ(s.usage.monthly_upload, want.usage.monthly_upload);
            EXPECT_EQ(s.usage.monthly_download, want.usage.monthly_download);
        }
        return result;
    }
    std::map<int64_t, SubscriberLiveState> readBack(int64_t now) {
        pqxx::work txn(conn());
        std::map<int64_t, SubscriberLiveState> out;
        for (const auto& s : AccountingRepository::loadLiveState(txn, "UTC", now))
            out[s.subscriber_id] = s;
        return out;
    }
    const SubscriberLiveState* touched(const ApplyResult& r, int64_t id) {
        for (const auto& s : r.touched)
            if (s.subscriber_id == id)
                return &s;
        return nullptr;
    }

    StaleResult closeStale(int64_t now) {
        pqxx::work txn(conn());
        auto r = AccountingRepository::closeStaleSessions(txn, 1800, now);
        txn.commit();
        return r;
    }
    /// What the MikroTik reconciler does to a session the router no longer lists
    /// (core/jobs/mikrotik_sync.cpp): closed at `t`, cause NAS-Reconcile, address released.
    void reconcileClose(const std::string& uid, int64_t t) {
        sql("UPDATE radacct SET acctstoptime = to_timestamp(" + std::to_string(t) +
            "), acctterminatecause = 'NAS-Reconcile', acctsessiontime = GREATEST("
            "acctsessiontime, " +
            std::to_string(t) +
            " - extract(epoch FROM acctstarttime)::bigint)"
            " WHERE acctuniqueid = '" +
            uid + "'");
    }

    std::string column(const std::string& uid, const std::string& col) {
        auto r = sql("SELECT " + col + " FROM radacct WHERE acctuniqueid = '" + uid + "'");
        if (r.size() != 1)
            return "<" + std::to_string(r.size()) + " rows>";
        return r[0][0].is_null() ? "" : r[0][0].as<std::string>();
    }
    int64_t epoch(const std::string& uid, const std::string& col) {
        return sql("SELECT extract(epoch FROM " + col +
                   ")::bigint FROM radacct WHERE acctuniqueid = '" + uid + "'")[0][0]
            .as<int64_t>();
    }
    std::pair<int64_t, int64_t> daily(int64_t subscriber, const std::string& day) {
        auto r = sql("SELECT upload, download FROM subscriber_usage_daily WHERE subscriber_id = " +
                     std::to_string(subscriber) + " AND day = '" + day + "'");
        if (r.empty())
            return {-1, -1};
        return {r[0][0].as<int64_t>(), r[0][1].as<int64_t>()};
    }
    std::pair<int64_t, int64_t> monthly(int64_t subscriber, const std::string& month) {
        auto r =
            sql("SELECT upload, download FROM subscriber_usage_monthly WHERE subscriber_id = " +
                std::to_string(subscriber) + " AND month = '" + month + "'");
        if (r.empty())
            return {-1, -1};
        return {r[0][0].as<int64_t>(), r[0][1].as<int64_t>()};
    }

    void addPoolIp(const std::string& ip, const std::string& status,
                   std::optional<int64_t> subscriber, const std::string& pool = "pool1") {
        sql("INSERT INTO ip_pool_assignments (pool_name, ip, status, subscriber_id, assigned_at)"
            " VALUES ('" +
            pool + "', '" + ip + "', '" + status + "', " +
            (subscriber ? std::to_string(*subscriber) : "NULL") + ", " +
            (subscriber ? "now()" : "NULL") + ")");
    }
    void setPoolIp(const std::string& ip, const std::string& status,
                   std::optional<int64_t> subscriber) {
        sql("UPDATE ip_pool_assignments SET status = '" + status + "', subscriber_id = " +
            (subscriber ? std::to_string(*subscriber) : "NULL") + " WHERE ip = '" + ip + "'");
    }
    std::string poolStatus(const std::string& ip) {
        return sql("SELECT status || '/' || COALESCE(subscriber_id::text, '-') FROM"
                   " ip_pool_assignments WHERE ip = '" +
                   ip + "'")[0][0]
            .as<std::string>();
    }

    /// s1 open with 100/200 octets at t + 60 (and, with `ip`, the pool address), then closed
    /// by the stale sweep at its last update; `also_open`: a second session of alice, s2,
    /// stays open throughout.
    void staleClosedSession(bool ip, bool also_open) {
        const int64_t t = kJune15Noon;
        std::vector<AccountingRecord> batch{start("s1", t), interim("s1", t + 60, 100, 200, 60)};
        if (ip) {
            batch[0] = withIp(batch[0]);
            batch[1] = withIp(batch[1]);
        }
        if (also_open)
            batch.push_back(start("s2", t));
        apply(batch);
        if (also_open)
            apply({interim("s2", t + 3600, 1, 1, 3600)});  // keeps s2 out of the sweep
        auto swept = closeStale(t + 60 + 3600);
        ASSERT_EQ(swept.closed, 1u);
        ASSERT_EQ(column("s1", "acctterminatecause"), "Stale-Session");
        ASSERT_EQ(epoch("s1", "acctstoptime"), t + 60);
    }

    int64_t alice_ = 0;
    int64_t bob_ = 0;
};

TEST_F(AccountingReopen, InterimAfterStaleCloseReopensAndCountsTheUsageInBetweenOnce) {
    staleClosedSession(false, true);
    const int64_t later = kJune15Noon + 4000;
    auto r = apply({interim("s1", later, 150, 300, 4000)});
    EXPECT_EQ(r.reopened, 1u);
    EXPECT_EQ(r.updated, 1u);
    EXPECT_EQ(r.closed, 0u);
    EXPECT_EQ(r.ignored, 0u);
    EXPECT_EQ(column("s1", "acctstoptime"), "");
    EXPECT_EQ(column("s1", "acctterminatecause"), "");
    EXPECT_EQ(column("s1", "tags"), "{reopened}");
    EXPECT_EQ(column("s1", "acctinputoctets"), "150");
    EXPECT_EQ(column("s1", "acctoutputoctets"), "300");
    EXPECT_EQ(column("s1", "acctsessiontime"), "4000");
    EXPECT_EQ(epoch("s1", "acctupdatetime"), later);
    // 100/200 before the sweep, 50/100 after it; s2 added 1/1.
    EXPECT_EQ(daily(alice_, "2026-06-15"), bytes(151, 301));
    EXPECT_EQ(monthly(alice_, "2026-06-01"), bytes(151, 301));
    // One more open session (s2 and s1), none subtracted for the row that was closed.
    ASSERT_NE(touched(r, alice_), nullptr);
    EXPECT_EQ(touched(r, alice_)->open_sessions, 2u);

    // The same Interim again, and an older one: nothing moves, nothing reopens twice.
    auto again =
        apply({interim("s1", later, 150, 300, 4000), interim("s1", later - 10, 140, 290, 3990)});
    EXPECT_EQ(again.reopened, 0u);
    EXPECT_EQ(again.ignored, 1u);
    EXPECT_EQ(daily(alice_, "2026-06-15"), bytes(151, 301));
    EXPECT_EQ(monthly(alice_, "2026-06-01"), bytes(151, 301));
    EXPECT_EQ(touched(again, alice_)->open_sessions, 2u);
}

TEST_F(AccountingReopen, ReopenedSessionKeepsItsTagThroughLaterRecordsAndClosesNormally) {
    staleClosedSession(false, false);
    apply({interim("s1", kJune15Noon + 4000, 150, 300, 4000)});
    auto tagged = interim("s1", kJune15Noon + 4300, 160, 310, 4300);
    tagged.tags = {"fup"};
    auto r = apply({tagged});
    EXPECT_EQ(r.reopened, 0u);  // open now: an ordinary Interim
    EXPECT_EQ(column("s1", "tags"), "{fup,reopened}");
    auto closed = apply({stop("s1", kJune15Noon + 4400, 170, 320, 4400)});
    EXPECT_EQ(closed.closed, 1u);
    EXPECT_EQ(closed.reopened, 0u);
    EXPECT_EQ(column("s1", "acctterminatecause"), "User-Request");
    EXPECT_EQ(column("s1", "tags"), "{fup,reopened}");
    EXPECT_EQ(daily(alice_, "2026-06-15"), bytes(170, 320));
    EXPECT_EQ(touched(closed, alice_)->open_sessions, 0u);
}

TEST_F(AccountingReopen, StopAfterReconcileCloseTakesTheRealStopTimeCauseAndCounters) {
    const int64_t t = kJune15Noon;
    apply({start("s1", t), interim("s1", t + 60, 10, 20, 60), start("s2", t)});
    reconcileClose("s1", t + 300);
    auto r = apply({stop("s1", t + 600, 50, 60, 600, "Lost-Carrier")});
    EXPECT_EQ(r.reopened, 1u);
    EXPECT_EQ(r.closed, 1u);
    EXPECT_EQ(epoch("s1", "acctstoptime"), t + 600);
    EXPECT_EQ(column("s1", "acctterminatecause"), "Lost-Carrier");
    EXPECT_EQ(column("s1", "acctinputoctets"), "50");
    EXPECT_EQ(column("s1", "acctoutputoctets"), "60");
    EXPECT_EQ(column("s1", "acctsessiontime"), "600");
    EXPECT_EQ(column("s1", "tags"), "{reopened}");
    EXPECT_EQ(daily(alice_, "2026-06-15"), bytes(50, 60));
    EXPECT_EQ(monthly(alice_, "2026-06-01"), bytes(50, 60));
    // Closed before and after: s2 is still the only open session.
    EXPECT_EQ(touched(r, alice_)->open_sessions, 1u);
    // A repeated Stop is the usual repeat.
    auto again = apply({stop("s1", t + 600, 50, 60, 600, "Lost-Carrier")});
    EXPECT_EQ(again.reopened, 0u);
    EXPECT_EQ(again.ignored, 1u);
}

TEST_F(AccountingReopen, ReopenIsExactEvenWhenTheCallerNeverSawTheReconcileClose) {
    const int64_t t = kJune15Noon;
    apply({start("s1", t), start("s2", t)});
    reconcileClose("s1", t + 300);  // by the jobs role: this writer's LiveState still says 2
    KnownLiveState stale = [&](int64_t id) -> std::optional<SubscriberLiveState> {
        SubscriberLiveState s;
        s.subscriber_id = id;
        s.open_sessions = id == alice_ ? 2 : 0;
        return s;
    };
    ApplyResult r;
    {
        pqxx::work txn(conn());
        r = AccountingRepository::apply(txn, std::vector{interim("s1", t + 600, 5, 5, 600)}, "UTC",
                                        stale);
        txn.commit();
    }
    EXPECT_EQ(r.reopened, 1u);
    ASSERT_NE(touched(r, alice_), nullptr);
    EXPECT_EQ(touched(r, alice_)->open_sessions, 2u);  // read back, not 2 + 1
    EXPECT_EQ(touched(r, alice_)->usage.daily_upload, 5u);
}

TEST_F(AccountingReopen, InterimAfterTheNasOwnStopIsStillIgnored) {
    const int64_t t = kJune15Noon;
    apply({start("s1", t), stop("s1", t + 100, 10, 10, 100)});
    auto r = apply({interim("s1", t + 200, 20, 20, 200)});
    EXPECT_EQ(r.reopened, 0u);
    EXPECT_EQ(r.ignored, 1u);
    EXPECT_EQ(epoch("s1", "acctstoptime"), t + 100);
    EXPECT_EQ(column("s1", "acctterminatecause"), "User-Request");
    EXPECT_EQ(column("s1", "acctinputoctets"), "10");
    EXPECT_EQ(column("s1", "tags"), "{}");
    EXPECT_EQ(daily(alice_, "2026-06-15"), bytes(10, 10));
}

TEST_F(AccountingReopen, InterimAfterNasRebootIsStillIgnored) {
    const int64_t t = kJune15Noon;
    apply({start("s1", t), interim("s1", t + 60, 10, 10, 60)});
    AccountingRecord on;
    on.status = AcctStatus::kAccountingOn;
    on.event_time = t + 100;
    on.received_at = t + 100;
    on.nas_ip = kNasA;
    apply({on});
    ASSERT_EQ(column("s1", "acctterminatecause"), "NAS-Reboot");
    auto r = apply({interim("s1", t + 200, 20, 20, 200), stop("s1", t + 300, 30, 30, 300)});
    EXPECT_EQ(r.reopened, 0u);
    EXPECT_EQ(column("s1", "acctterminatecause"), "NAS-Reboot");
    EXPECT_EQ(epoch("s1", "acctstoptime"), t + 100);
    EXPECT_EQ(column("s1", "acctinputoctets"), "10");
    EXPECT_EQ(daily(alice_, "2026-06-15"), bytes(10, 10));
}

TEST_F(AccountingReopen, RecordsNotAfterTheAutoCloseAreIgnored) {
    const int64_t t = kJune15Noon;
    apply({start("s1", t), interim("s1", t + 60, 10, 10, 60)});
    reconcileClose("s1", t + 300);
    // Sent before the reconciler's close (delayed in the network): the NAS may well have
    // ended the session since, so it proves nothing.
    auto r = apply({interim("s1", t + 200, 20, 20, 200), stop("s1", t + 300, 25, 25, 300)});
    EXPECT_EQ(r.reopened, 0u);
    EXPECT_EQ(r.ignored, 1u);  // one session, ignored
    EXPECT_EQ(column("s1", "acctterminatecause"), "NAS-Reconcile");
    EXPECT_EQ(epoch("s1", "acctstoptime"), t + 300);
    EXPECT_EQ(column("s1", "acctinputoctets"), "10");
    EXPECT_EQ(column("s1", "tags"), "{}");
    EXPECT_EQ(daily(alice_, "2026-06-15"), bytes(10, 10));
}

TEST_F(AccountingReopen, InterimEqualToTheStaleStopTimeIsARepeatNotAReopen) {
    staleClosedSession(false, false);
    auto r = apply({interim("s1", kJune15Noon + 60, 100, 200, 60)});
    EXPECT_EQ(r.reopened, 0u);
    EXPECT_EQ(column("s1", "acctterminatecause"), "Stale-Session");
}

TEST_F(AccountingReopen, KnownSessionKeysStillReachTheReopen) {
    staleClosedSession(false, false);
    KnownSessions sessions;
    sessions.add("s1");  // the lane committed s1 before: statement 1 is skipped
    auto r = apply({interim("s1", kJune15Noon + 4000, 150, 300, 4000)}, &sessions);
    EXPECT_EQ(r.reopened, 1u);
    EXPECT_EQ(r.opened, 0u);
    EXPECT_EQ(column("s1", "acctstoptime"), "");
}

TEST_F(AccountingReopen, ReopenTakesBackItsFreeAddress) {
    addPoolIp("100.64.0.7", "in_use", alice_);
    staleClosedSession(true, false);
    ASSERT_EQ(poolStatus("100.64.0.7"), "available/-");  // released by the sweep
    auto r = apply({withIp(interim("s1", kJune15Noon + 4000, 150, 300, 4000))});
    EXPECT_EQ(r.reopened, 1u);
    EXPECT_EQ(r.addresses_reclaimed, 1u);
    EXPECT_TRUE(r.reopen_conflicts.empty());
    EXPECT_EQ(poolStatus("100.64.0.7"), "in_use/" + std::to_string(alice_));
    // It is the session's address again: its Stop releases it as usual.
    apply({stop("s1", kJune15Noon + 4100, 160, 310, 4100)});
    EXPECT_EQ(poolStatus("100.64.0.7"), "available/-");
}

TEST_F(AccountingReopen, ReopenLeavesAnAddressAnotherSubscriberHoldsAndReportsIt) {
    addPoolIp("100.64.0.7", "in_use", alice_);
    staleClosedSession(true, false);
    setPoolIp("100.64.0.7", "in_use", bob_);  // handed to bob after the sweep freed it
    // The record carries no address: the row's own is the one checked.
    auto r = apply({interim("s1", kJune15Noon + 4000, 150, 300, 4000)});
    EXPECT_EQ(r.reopened, 1u);
    EXPECT_EQ(r.addresses_reclaimed, 0u);
    EXPECT_EQ(poolStatus("100.64.0.7"), "in_use/" + std::to_string(bob_));
    EXPECT_EQ(column("s1", "acctstoptime"), "");  // the session is reopened all the same
    ASSERT_EQ(r.reopen_conflicts.size(), 1u);
    const ReopenConflict& c = r.reopen_conflicts[0];
    EXPECT_EQ(c.ip, kPoolIp);
    EXPECT_EQ(c.session_id, "sid-s1");
    EXPECT_EQ(c.unique_id, "s1");
    EXPECT_EQ(c.username, "alice");
    EXPECT_EQ(c.holder, bob_);
    EXPECT_EQ(c.why, ReopenConflict::Why::kHeld);
}

TEST_F(AccountingReopen, ReopenReportsAReservedAddressAndOneWhenTheSubscriberHoldsAnother) {
    addPoolIp("100.64.0.7", "in_use", alice_);
    addPoolIp("100.64.0.8", "available", std::nullopt);
    staleClosedSession(true, false);
    // alice logged in again meanwhile and holds .8 of the same pool: taking .7 too would
    // break one-address-per-pool (and fail the batch).
    setPoolIp("100.64.0.8", "in_use", alice_);
    auto r = apply({interim("s1", kJune15Noon + 4000, 150, 300, 4000)});
    EXPECT_EQ(r.reopened, 1u);
    EXPECT_EQ(poolStatus("100.64.0.7"), "available/-");
    ASSERT_EQ(r.reopen_conflicts.size(), 1u);
    EXPECT_EQ(r.reopen_conflicts[0].why, ReopenConflict::Why::kHoldsAnother);
    EXPECT_EQ(r.reopen_conflicts[0].holder, 0);

    // A reserved address is the operator's: left alone, reported.
    apply({stop("s1", kJune15Noon + 4100, 150, 300, 4100)});
    setPoolIp("100.64.0.8", "available", std::nullopt);
    sql("UPDATE radacct SET acctterminatecause = 'Stale-Session' WHERE acctuniqueid = 's1'");
    setPoolIp("100.64.0.7", "reserved", std::nullopt);
    auto reserved = apply({interim("s1", kJune15Noon + 4200, 150, 300, 4200)});
    EXPECT_EQ(reserved.reopened, 1u);
    EXPECT_EQ(poolStatus("100.64.0.7"), "reserved/-");
    ASSERT_EQ(reserved.reopen_conflicts.size(), 1u);
    EXPECT_EQ(reserved.reopen_conflicts[0].why, ReopenConflict::Why::kReserved);
}

TEST_F(AccountingReopen, LateStopOfAStaleSessionDoesNotReleaseTheAddressOfTheReconnect) {
    addPoolIp("100.64.0.7", "in_use", alice_);
    staleClosedSession(true, false);
    // alice reconnected and was given the same address again; the new session's Start is
    // not in yet. The old session's real Stop must not free it.
    setPoolIp("100.64.0.7", "in_use", alice_);
    auto r = apply({withIp(stop("s1", kJune15Noon + 4000, 150, 300, 4000))});
    EXPECT_EQ(r.reopened, 1u);
    EXPECT_EQ(poolStatus("100.64.0.7"), "in_use/" + std::to_string(alice_));
    EXPECT_EQ(daily(alice_, "2026-06-15"), bytes(150, 300));
}

/// The plan of the lookup in statement 2 (the `old` CTE) as the connection's prepared
/// statement gh_acct_update_known has it, generic (as a cached plan is): the lines under
/// "CTE old".
std::vector<std::string> lookupPlan(pqxx::connection& conn) {
    pqxx::work txn(conn);
    txn.exec("SET LOCAL plan_cache_mode = force_generic_plan");
    auto rows = txn.exec(
        "EXPLAIN EXECUTE gh_acct_update_known('{u1}', '{f}', '{f}', '{1}', '{0}', '{NULL}',"
        " '{0}', '{0}', '{0}', '{\"\"}', '{NULL}', '{\"{}\"}', '{}', '{}', '{}', '{}', '{}',"
        " '{}', 'UTC', 0)");
    std::vector<std::string> out;
    size_t indent = std::string::npos;
    for (const auto& row : rows) {
        std::string line = row[0].as<std::string>();
        size_t at = line.find_first_not_of(' ');
        if (indent == std::string::npos) {
            if (line.compare(at, 7, "CTE old") == 0)
                indent = at;
            continue;
        }
        if (at <= indent)
            break;
        out.push_back(line);
    }
    return out;
}

/// The acct_sessions key, then radacct's primary key per partition: no hash over a table,
/// no partial index. A partition with no rows may be a Seq Scan (it costs nothing; the
/// statement's plan before the reopen rule had the same, checked against it).
void expectIndexProbesOnly(const std::vector<std::string>& plan,
                           const std::function<int64_t(const std::string&)>& rows_in) {
    std::string text;
    for (const auto& line : plan)
        text += line + "\n";
    SCOPED_TRACE("CTE old:\n" + text);
    ASSERT_FALSE(plan.empty());
    EXPECT_NE(text.find("Nested Loop"), std::string::npos);
    EXPECT_NE(text.find("Index Scan using acct_sessions_pkey"), std::string::npos);
    EXPECT_EQ(text.find("Hash"), std::string::npos);
    EXPECT_EQ(text.find("Bitmap"), std::string::npos);
    size_t probes = 0;
    for (const auto& line : plan) {
        size_t on = line.find(" on radacct");
        if (on == std::string::npos)
            continue;
        if (line.find("_pkey on radacct") != std::string::npos) {
            ++probes;
            continue;
        }
        size_t seq = line.find("Seq Scan on ");
        ASSERT_NE(seq, std::string::npos) << line;
        std::string partition = line.substr(seq + 12);
        partition = partition.substr(0, partition.find(' '));
        EXPECT_EQ(rows_in(partition), 0) << line;
    }
    EXPECT_GT(probes, 0u);
}

TEST_F(AccountingReopen, TheLookupStaysOneIndexProbePerSessionEmptyOrFull) {
    auto rows_in = [this](const std::string& table) {
        return sql("SELECT count(*) FROM " + table)[0][0].as<int64_t>();
    };
    // Prepares the statements on this connection while the tables are (almost) empty.
    apply({start("p1", kJune15Noon), interim("p1", kJune15Noon + 60, 1, 1, 60)});
    expectIndexProbesOnly(lookupPlan(conn()), rows_in);
    // Some thousands of sessions in this month's partition and the default one, most of them
    // closed, a third of those by the stale sweep.
    const std::string now = "extract(epoch FROM now())::bigint";
    sql("INSERT INTO acct_sessions (acctuniqueid, radacctid, acctstarttime)"
        " SELECT 'u' || i, 100000 + i, to_timestamp(CASE WHEN i % 2 = 0 THEN " +
        now + " - i ELSE " + std::to_string(kJune15Noon) +
        " + i END) FROM generate_series(1, 6000) i");
    sql("INSERT INTO radacct (radacctid, acctsessionid, acctuniqueid, username, subscriber_id,"
        " nasipaddress, acctstarttime, acctupdatetime, acctstoptime, acctterminatecause)"
        " SELECT k.radacctid, 'sid-' || k.acctuniqueid, k.acctuniqueid, 'alice', " +
        std::to_string(alice_) +
        ", '10.0.0.1', k.acctstarttime, k.acctstarttime + interval '60 s',"
        " CASE WHEN k.radacctid % 10 <> 0 THEN k.acctstarttime + interval '60 s' END,"
        " CASE WHEN k.radacctid % 10 = 0 THEN NULL WHEN k.radacctid % 3 = 0"
        " THEN 'Stale-Session' ELSE 'User-Request' END"
        " FROM acct_sessions k WHERE k.acctuniqueid LIKE 'u%'");
    sql("ANALYZE acct_sessions");
    sql("ANALYZE radacct");
    expectIndexProbesOnly(lookupPlan(conn()), rows_in);
}

// --- the writer: metrics, the log line, LiveState ---------------------------------------

using namespace std::chrono_literals;

int64_t unixNow() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

template <class F>
bool eventually(F done) {
    const auto until = std::chrono::steady_clock::now() + 20s;
    while (!done()) {
        if (std::chrono::steady_clock::now() > until)
            return false;
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

class CountingSink : public AckSink {
  public:
    void acknowledged(std::span<const uint64_t> tokens, bool durable) override {
        std::lock_guard lock(mutex_);
        for (uint64_t t : tokens)
            if (durable)
                acked_.push_back(t);
    }
    bool has(uint64_t token) {
        std::lock_guard lock(mutex_);
        return std::find(acked_.begin(), acked_.end(), token) != acked_.end();
    }

  private:
    std::mutex mutex_;
    std::vector<uint64_t> acked_;
};

class AccountingReopenWriter : public AccountingReopen {
  protected:
    void SetUp() override {
        AccountingReopen::SetUp();
        char tmpl[] = "/tmp/gh-reopen-test-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        temp_dir_ = tmpl;
    }
    void TearDown() override {
        if (HasFailure())
            for (const std::string& line : lines())
                std::cerr << "writer log: " << line << "\n";
        std::filesystem::remove_all(temp_dir_);
        AccountingReopen::TearDown();
    }
    std::vector<std::string> lines() {
        std::lock_guard lock(log_mutex_);
        return log_;
    }

    std::string temp_dir_;
    std::mutex log_mutex_;
    std::vector<std::string> log_;
};

TEST_F(AccountingReopenWriter, StaleSweptSessionComesBackCountedLoggedAndLive) {
    AccountingWriterOptions o;
    o.conninfo = conninfo();
    o.spool_dir = temp_dir_ + "/spool";
    o.retry_ms = 50;
    o.sweep_every_ms = 20;
    o.stale_session_s = 1800;
    o.log = [this](std::string_view line) {
        std::lock_guard lock(log_mutex_);
        log_.emplace_back(line);
    };
    addPoolIp("100.64.0.7", "in_use", alice_);
    LiveState live;
    CountingSink sink;
    AccountingWriter writer(o, &live, nullptr);
    ASSERT_TRUE(writer.start().has_value());

    // An hour old at its last update: the next sweep closes it and frees its address.
    const int64_t now = unixNow();
    ASSERT_TRUE(writer.submit(withIp(interim("s1", now - 3600, 100, 200, 60)), &sink, 1));
    ASSERT_TRUE(eventually([&] { return writer.stats().stale_closed == 1; }));
    EXPECT_EQ(poolStatus("100.64.0.7"), "available/-");
    EXPECT_EQ(live.get(alice_).value_or(policy::LiveCounters{}).open_sessions, 0u);
    setPoolIp("100.64.0.7", "in_use", bob_);

    // The lane knows s1 (it committed it): the Interim still reaches the reopen.
    ASSERT_TRUE(writer.submit(withIp(interim("s1", now, 150, 300, 3660)), &sink, 2));
    ASSERT_TRUE(eventually([&] { return sink.has(2); }));
    EXPECT_EQ(column("s1", "acctstoptime"), "");
    EXPECT_EQ(column("s1", "tags"), "{reopened}");
    EXPECT_EQ(poolStatus("100.64.0.7"), "in_use/" + std::to_string(bob_));
    const AccountingWriterStats s = writer.stats();
    EXPECT_EQ(s.sessions_reopened, 1u);
    EXPECT_EQ(s.reopen_conflicts, 1u);
    EXPECT_EQ(live.get(alice_).value_or(policy::LiveCounters{}).open_sessions, 1u);
    const std::string want =
        "gatehouse.accounting.reopen_conflict ip=100.64.0.7 session=sid-s1"
        " user=alice holder=" +
        std::to_string(bob_) + " why=held";
    auto log = lines();
    EXPECT_NE(std::find(log.begin(), log.end(), want), log.end());
    writer.stop();
}

}  // namespace
}  // namespace gatehouse::store
