// radacct and the usage counters against a real PostgreSQL: the issue-5 rules (Start opens,
// Interim/Stop move forward, a Stop closes once, NAS On/Off close that NAS), exact usage
// deltas in the ISP's time zone, idempotent replay, and the monthly partitions.
#include "core/store/accounting_repository.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <vector>

#include "tests/unit/store/pg_fixture.hpp"

namespace gatehouse::store {
namespace {

constexpr uint32_t kNasA = 0x0A000001;  // 10.0.0.1
constexpr uint32_t kNasB = 0x0A000002;  // 10.0.0.2
constexpr uint64_t kGiB = 1ULL << 30;

/// (upload, download) as the usage tables hold them.
std::pair<int64_t, int64_t> bytes(int64_t upload, int64_t download) {
    return {upload, download};
}

/// 2026-06-15 12:00:00 UTC: a fixed time for tests where the day matters.
constexpr int64_t kJune15Noon = 1781524800;

class AccountingApply : public testing::PgTest {
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
        r.nas_port_type = "Ethernet";
        r.calling_station_id = "AA:BB:CC:DD:EE:FF";
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
    AccountingRecord nasEvent(AcctStatus status, uint32_t nas_ip, int64_t t) {
        AccountingRecord r;
        r.status = status;
        r.event_time = t;
        r.received_at = t;
        r.nas_ip = nas_ip;
        return r;
    }

    ApplyResult apply(const std::vector<AccountingRecord>& records, const std::string& tz = "UTC",
                      const KnownSessions* sessions = nullptr) {
        pqxx::work txn(conn());
        auto result = AccountingRepository::apply(txn, records, tz, {}, sessions);
        txn.commit();
        return result;
    }

    /// One radacct column of a session, as text ("" for NULL).
    std::string column(const std::string& uid, const std::string& col) {
        auto r = sql("SELECT " + col + " FROM radacct WHERE acctuniqueid = '" + uid + "'");
        if (r.size() != 1)
            return "<" + std::to_string(r.size()) + " rows>";
        return r[0][0].is_null() ? "" : r[0][0].as<std::string>();
    }
    int64_t epoch(const std::string& uid, const std::string& col) {
        return sql("SELECT extract(epoch FROM " + col +
                   ")::bigint FROM radacct WHERE"
                   " acctuniqueid = '" +
                   uid + "'")[0][0]
            .as<int64_t>();
    }
    /// (upload, download) of a subscriber's daily row, or (-1, -1) without one.
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
    int count(const std::string& query) { return sql(query)[0][0].as<int>(); }

    /// A managed pool address owned (in_use) by `subscriber`.
    void assignPoolIp(const std::string& ip, int64_t subscriber) {
        sql("INSERT INTO ip_pool_assignments (pool_name, ip, status, subscriber_id, assigned_at)"
            " VALUES ('pool1', '" +
            ip + "', 'in_use', " + std::to_string(subscriber) + ", now())");
    }
    std::string poolStatus(const std::string& ip) {
        auto r =
            sql("SELECT status || '/' || COALESCE(subscriber_id::text, '-') FROM"
                " ip_pool_assignments WHERE ip = '" +
                ip + "'");
        return r[0][0].as<std::string>();
    }

    int64_t alice_ = 0;
    int64_t bob_ = 0;
};

TEST_F(AccountingApply, StartInterimStopOpensUpdatesAndClosesOneRow) {
    const int64_t t = kJune15Noon;
    auto opened = apply({start("s1", t)});
    EXPECT_EQ(opened.opened, 1u);
    EXPECT_EQ(column("s1", "acctstoptime"), "");
    EXPECT_EQ(epoch("s1", "acctstarttime"), t);
    EXPECT_EQ(column("s1", "nasipaddress"), "10.0.0.1");
    EXPECT_EQ(column("s1", "username"), "alice");
    EXPECT_EQ(column("s1", "acctsessionid"), "sid-s1");
    EXPECT_EQ(column("s1", "nasporttype"), "Ethernet");

    auto updated = apply({interim("s1", t + 300, 1000, 5000, 300)});
    EXPECT_EQ(updated.updated, 1u);
    EXPECT_EQ(updated.opened, 0u);
    EXPECT_EQ(column("s1", "acctinputoctets"), "1000");
    EXPECT_EQ(column("s1", "acctoutputoctets"), "5000");
    EXPECT_EQ(column("s1", "acctsessiontime"), "300");
    EXPECT_EQ(epoch("s1", "acctupdatetime"), t + 300);

    auto closed = apply({stop("s1", t + 400, 1500, 7000, 400)});
    EXPECT_EQ(closed.closed, 1u);
    EXPECT_EQ(closed.updated, 0u);
    EXPECT_EQ(epoch("s1", "acctstoptime"), t + 400);
    EXPECT_EQ(column("s1", "acctterminatecause"), "User-Request");
    EXPECT_EQ(column("s1", "acctinputoctets"), "1500");
    EXPECT_EQ(count("SELECT count(*) FROM radacct"), 1);
    EXPECT_EQ(daily(alice_, "2026-06-15"), bytes(1500, 7000));
}

TEST_F(AccountingApply, KnownSessionsSkipCreationAndTheRestIsTheSame) {
    const int64_t t = kJune15Noon;
    KnownSessions known;
    auto opened = apply({start("s1", t)}, "UTC", &known);
    EXPECT_EQ(opened.opened, 1u);
    EXPECT_EQ(opened.session_keys, std::vector<std::string>{"s1"});
    for (const auto& key : opened.session_keys)
        known.add(key);

    // Known: only statement 2 runs, with the same effect as without the hint.
    auto updated =
        apply({interim("s1", t + 300, 1000, 5000, 300), start("s2", t + 300)}, "UTC", &known);
    EXPECT_EQ(updated.updated, 1u);
    EXPECT_EQ(updated.opened, 1u);  // s2 was not known: created
    EXPECT_EQ(column("s1", "acctinputoctets"), "1000");
    EXPECT_EQ(epoch("s1", "acctupdatetime"), t + 300);
    EXPECT_EQ(count("SELECT count(*) FROM radacct"), 2);
    EXPECT_EQ(daily(alice_, "2026-06-15"), bytes(1000, 5000));

    // The hint is trusted: a key said to exist is never offered for creation.
    KnownSessions wrong;
    wrong.add("s3");
    auto skipped = apply({start("s3", t)}, "UTC", &wrong);
    EXPECT_EQ(skipped.opened, 0u);
    EXPECT_EQ(count("SELECT count(*) FROM radacct WHERE acctuniqueid = 's3'"), 0);
}

TEST(KnownSessionsTest, ForgetsTheOlderGenerationWhenTheNewerIsFull) {
    KnownSessions known(2);
    known.add("a");
    known.add("b");
    known.add("c");  // "a" and "b" become the older generation
    EXPECT_TRUE(known.contains("a"));
    EXPECT_TRUE(known.contains("c"));
    known.add("d");
    known.add("e");  // "c", "d" older; "a", "b" forgotten
    EXPECT_FALSE(known.contains("a"));
    EXPECT_FALSE(known.contains("b"));
    EXPECT_TRUE(known.contains("c"));
    EXPECT_TRUE(known.contains("e"));
    EXPECT_EQ(known.size(), 3u);
    known.add("");
    EXPECT_FALSE(known.contains(""));
}

TEST_F(AccountingApply, InterimBeforeStartOpensTheSessionAtEventMinusSessionTime) {
    auto r = apply({interim("s1", kJune15Noon, 100, 200, 600)});
    EXPECT_EQ(r.opened, 1u);
    EXPECT_EQ(epoch("s1", "acctstarttime"), kJune15Noon - 600);
    EXPECT_EQ(column("s1", "acctstoptime"), "");
    EXPECT_EQ(column("s1", "acctinputoctets"), "100");

    // The late Start changes nothing (and does not fail).
    auto late = apply({start("s1", kJune15Noon - 590)});
    EXPECT_EQ(late.opened, 0u);
    EXPECT_EQ(late.ignored, 1u);
    EXPECT_EQ(epoch("s1", "acctstarttime"), kJune15Noon - 600);
    EXPECT_EQ(column("s1", "acctinputoctets"), "100");
}

TEST_F(AccountingApply, StopWithoutStartOpensAClosedSession) {
    auto r = apply({stop("s1", kJune15Noon, 10, 20, 60)});
    EXPECT_EQ(r.opened, 1u);
    EXPECT_EQ(r.closed, 1u);
    EXPECT_EQ(epoch("s1", "acctstarttime"), kJune15Noon - 60);
    EXPECT_EQ(epoch("s1", "acctstoptime"), kJune15Noon);
    EXPECT_EQ(daily(alice_, "2026-06-15"), bytes(10, 20));
}

TEST_F(AccountingApply, RepeatedStopIsIgnored) {
    apply({start("s1", kJune15Noon), stop("s1", kJune15Noon + 100, 10, 20, 100)});
    auto again = apply({stop("s1", kJune15Noon + 200, 50, 60, 200, "Idle-Timeout")});
    EXPECT_EQ(again.closed, 0u);
    EXPECT_EQ(again.ignored, 1u);
    EXPECT_EQ(epoch("s1", "acctstoptime"), kJune15Noon + 100);
    EXPECT_EQ(column("s1", "acctterminatecause"), "User-Request");
    EXPECT_EQ(column("s1", "acctinputoctets"), "10");
    EXPECT_EQ(daily(alice_, "2026-06-15"), bytes(10, 20));
}

TEST_F(AccountingApply, InterimAfterStopChangesNothing) {
    apply({start("s1", kJune15Noon), stop("s1", kJune15Noon + 100, 10, 20, 100)});
    auto late = apply({interim("s1", kJune15Noon + 300, 99, 99, 300)});
    EXPECT_EQ(late.ignored, 1u);
    EXPECT_EQ(column("s1", "acctinputoctets"), "10");
    EXPECT_EQ(epoch("s1", "acctupdatetime"), kJune15Noon + 100);
}

TEST_F(AccountingApply, CountersNeverGoBackwards) {
    apply({start("s1", kJune15Noon), interim("s1", kJune15Noon + 300, 1000, 2000, 300)});
    auto back = apply({interim("s1", kJune15Noon + 600, 500, 2500, 200)});
    EXPECT_EQ(back.updated, 1u);  // download and the update time moved
    EXPECT_EQ(column("s1", "acctinputoctets"), "1000");
    EXPECT_EQ(column("s1", "acctoutputoctets"), "2500");
    EXPECT_EQ(column("s1", "acctsessiontime"), "300");
    EXPECT_EQ(daily(alice_, "2026-06-15"), bytes(1000, 2500));

    auto stale = apply({interim("s1", kJune15Noon + 100, 10, 10, 100)});  // reordered, old
    EXPECT_EQ(stale.ignored, 1u);
    EXPECT_EQ(epoch("s1", "acctupdatetime"), kJune15Noon + 600);
    EXPECT_EQ(daily(alice_, "2026-06-15"), bytes(1000, 2500));
}

TEST_F(AccountingApply, GigawordTotalsAreStored) {
    const uint64_t up = 5 * kGiB + 123;
    const uint64_t down = 40 * kGiB + 7;
    apply({start("s1", kJune15Noon), interim("s1", kJune15Noon + 300, up, down, 300)});
    EXPECT_EQ(column("s1", "acctinputoctets"), std::to_string(up));
    EXPECT_EQ(column("s1", "acctoutputoctets"), std::to_string(down));
    EXPECT_EQ(daily(alice_, "2026-06-15"),
              std::make_pair(static_cast<int64_t>(up), static_cast<int64_t>(down)));
    EXPECT_EQ(monthly(alice_, "2026-06-01"),
              std::make_pair(static_cast<int64_t>(up), static_cast<int64_t>(down)));
}

TEST_F(AccountingApply, UsageDeltaAccumulatesAcrossInterimsWithoutDoubleCounting) {
    apply({start("s1", kJune15Noon)});
    apply({interim("s1", kJune15Noon + 300, 100, 1000, 300)});
    apply({interim("s1", kJune15Noon + 600, 250, 3000, 600)});
    apply({stop("s1", kJune15Noon + 700, 300, 3500, 700)});
    EXPECT_EQ(daily(alice_, "2026-06-15"), bytes(300, 3500));
    EXPECT_EQ(monthly(alice_, "2026-06-01"), bytes(300, 3500));
    // A second session of the same subscriber adds to the same day.
    apply({interim("s2", kJune15Noon + 800, 5, 6, 10)});
    EXPECT_EQ(daily(alice_, "2026-06-15"), bytes(305, 3506));
}

TEST_F(AccountingApply, ApplyingTheSameBatchTwiceChangesNoUsage) {
    std::vector<AccountingRecord> batch = {start("s1", kJune15Noon),
                                           interim("s1", kJune15Noon + 300, 100, 200, 300),
                                           interim("s2", kJune15Noon + 300, 7, 8, 30)};
    auto first = apply(batch);
    EXPECT_EQ(first.opened, 2u);
    auto second = apply(batch);
    EXPECT_EQ(second.opened, 0u);
    EXPECT_EQ(second.updated, 0u);
    EXPECT_EQ(second.ignored, 2u);
    EXPECT_EQ(daily(alice_, "2026-06-15"), bytes(107, 208));
    EXPECT_EQ(count("SELECT count(*) FROM radacct"), 2);

    std::vector<AccountingRecord> closing = {stop("s1", kJune15Noon + 400, 150, 250, 400)};
    apply(closing);
    apply(closing);
    EXPECT_EQ(daily(alice_, "2026-06-15"), bytes(157, 258));
}

TEST_F(AccountingApply, AccountingOnClosesOnlyThatNasSessions) {
    auto on_b = interim("b1", kJune15Noon, 1, 1, 10);
    on_b.nas_ip = kNasB;
    apply({start("a1", kJune15Noon - 100), start("a2", kJune15Noon - 50), on_b,
           stop("a3", kJune15Noon - 10, 1, 1, 10)});
    auto r = apply({nasEvent(AcctStatus::kAccountingOn, kNasA, kJune15Noon)});
    EXPECT_EQ(r.closed, 2u);
    EXPECT_EQ(epoch("a1", "acctstoptime"), kJune15Noon);
    EXPECT_EQ(column("a1", "acctterminatecause"), "NAS-Reboot");
    EXPECT_EQ(column("a1", "acctsessiontime"), "100");
    EXPECT_EQ(column("a2", "acctterminatecause"), "NAS-Reboot");
    EXPECT_EQ(column("a3", "acctterminatecause"), "User-Request");  // already closed
    EXPECT_EQ(column("b1", "acctstoptime"), "");
    ASSERT_EQ(r.touched.size(), 1u);  // alice lost her sessions
    EXPECT_EQ(r.touched[0].subscriber_id, alice_);
    EXPECT_EQ(r.touched[0].open_sessions, 1u);  // b1 on the other NAS
}

TEST_F(AccountingApply, AccountingOffInABatchIsAppliedInOrder) {
    // Start, then the NAS goes down, then a new session after it came back.
    auto r = apply({start("a1", kJune15Noon),
                    nasEvent(AcctStatus::kAccountingOff, kNasA, kJune15Noon + 60),
                    interim("a1", kJune15Noon + 120, 5, 5, 120), start("a2", kJune15Noon + 200)});
    EXPECT_EQ(r.opened, 2u);
    EXPECT_EQ(r.closed, 1u);
    EXPECT_EQ(r.ignored, 1u);  // the Interim of the closed session
    EXPECT_EQ(epoch("a1", "acctstoptime"), kJune15Noon + 60);
    EXPECT_EQ(column("a1", "acctinputoctets"), "0");
    EXPECT_EQ(column("a2", "acctstoptime"), "");
}

TEST_F(AccountingApply, AccountingOnReleasesPoolAddressesOfClosedSessions) {
    assignPoolIp("100.64.0.5", alice_);
    auto a1 = start("a1", kJune15Noon);
    a1.framed_ip = 0x64400005;
    apply({a1});
    auto r = apply({nasEvent(AcctStatus::kAccountingOn, kNasA, kJune15Noon + 10)});
    EXPECT_EQ(r.closed, 1u);
    EXPECT_EQ(poolStatus("100.64.0.5"), "available/-");
}

TEST_F(AccountingApply, EventAt2330UtcCountsOnTheNextDayInBaghdad) {
    const int64_t t = kJune15Noon + 11 * 3600 + 30 * 60;  // 2026-06-15 23:30 UTC
    auto r = apply({interim("s1", t, 100, 200, 60)}, "Asia/Baghdad");
    EXPECT_EQ(daily(alice_, "2026-06-16"), bytes(100, 200));
    EXPECT_EQ(daily(alice_, "2026-06-15"), bytes(-1, -1));
    ASSERT_EQ(r.touched.size(), 1u);
    EXPECT_EQ(r.touched[0].usage.daily_upload, 100u);
    EXPECT_EQ(r.touched[0].usage.daily_download, 200u);
    // The same instant is still the 15th in UTC.
    apply({interim("s2", t, 1, 2, 60)}, "UTC");
    EXPECT_EQ(daily(alice_, "2026-06-15"), bytes(1, 2));
}

TEST_F(AccountingApply, MonthEndInTheZoneSplitsUsageBetweenMonths) {
    // 2026-06-30 20:30 UTC = 2026-06-30 23:30 in Baghdad, 21:30 UTC = 2026-07-01 00:30.
    const int64_t june30 = kJune15Noon + 15 * 86400 + 8 * 3600 + 30 * 60;
    apply({interim("s1", june30, 100, 100, 60), interim("s1", june30 + 3600, 150, 300, 3660)},
          "Asia/Baghdad");
    EXPECT_EQ(monthly(alice_, "2026-06-01"), bytes(100, 100));
    EXPECT_EQ(monthly(alice_, "2026-07-01"), bytes(50, 200));
    EXPECT_EQ(daily(alice_, "2026-07-01"), bytes(50, 200));
}

TEST_F(AccountingApply, SessionsAcrossAMonthBoundaryLandInTwoPartitionsAndAreFound) {
    const int64_t month_start =
        sql("SELECT extract(epoch FROM date_trunc('month', now() AT TIME ZONE 'UTC')"
            " AT TIME ZONE 'UTC')::bigint")[0][0]
            .as<int64_t>();
    apply({start("old", month_start - 3600), start("new", month_start + 3600)});
    auto parts =
        sql("SELECT tableoid::regclass::text FROM radacct WHERE acctuniqueid IN ('old', 'new')"
            " ORDER BY acctstarttime");
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_NE(parts[0][0].as<std::string>(), parts[1][0].as<std::string>());
    EXPECT_NE(parts[0][0].as<std::string>(), "radacct_default");
    EXPECT_NE(parts[1][0].as<std::string>(), "radacct_default");

    auto r = apply({interim("old", month_start + 7200, 10, 10, 10800),
                    stop("new", month_start + 7200, 20, 20, 3600)});
    EXPECT_EQ(r.updated, 1u);
    EXPECT_EQ(r.closed, 1u);
    EXPECT_EQ(r.opened, 0u);
    EXPECT_EQ(column("old", "acctinputoctets"), "10");
    EXPECT_NE(column("new", "acctstoptime"), "");
}

TEST_F(AccountingApply, SameSessionRecordsInOneBatchCollapseInOrder) {
    auto r = apply({start("s1", kJune15Noon), interim("s1", kJune15Noon + 300, 100, 1000, 300),
                    interim("s1", kJune15Noon + 600, 200, 2000, 600),
                    stop("s1", kJune15Noon + 700, 250, 2500, 700)});
    EXPECT_EQ(r.opened, 1u);
    EXPECT_EQ(r.closed, 1u);
    EXPECT_EQ(count("SELECT count(*) FROM radacct"), 1);
    EXPECT_EQ(epoch("s1", "acctstarttime"), kJune15Noon);
    EXPECT_EQ(epoch("s1", "acctstoptime"), kJune15Noon + 700);
    EXPECT_EQ(column("s1", "acctinputoctets"), "250");
    EXPECT_EQ(daily(alice_, "2026-06-15"), bytes(250, 2500));

    // Same again on a known session: Interim, Interim, Stop in one batch.
    apply({start("s2", kJune15Noon)});
    auto known = apply({interim("s2", kJune15Noon + 300, 10, 10, 300),
                        interim("s2", kJune15Noon + 600, 20, 20, 600),
                        stop("s2", kJune15Noon + 700, 30, 30, 700)});
    EXPECT_EQ(known.closed, 1u);
    EXPECT_EQ(column("s2", "acctinputoctets"), "30");
    EXPECT_EQ(daily(alice_, "2026-06-15"), bytes(280, 2530));
}

TEST_F(AccountingApply, StopThenLaterRecordsInOneBatchKeepTheFirstStop) {
    auto r = apply({start("s1", kJune15Noon), stop("s1", kJune15Noon + 100, 10, 10, 100),
                    interim("s1", kJune15Noon + 200, 99, 99, 200),
                    stop("s1", kJune15Noon + 300, 150, 150, 300, "Idle-Timeout")});
    EXPECT_EQ(r.closed, 1u);
    EXPECT_EQ(r.ignored, 2u);
    EXPECT_EQ(epoch("s1", "acctstoptime"), kJune15Noon + 100);
    EXPECT_EQ(column("s1", "acctterminatecause"), "User-Request");
    EXPECT_EQ(column("s1", "acctinputoctets"), "10");
    EXPECT_EQ(daily(alice_, "2026-06-15"), bytes(10, 10));

    // The same on a session that already exists.
    apply({start("s2", kJune15Noon)});
    apply({stop("s2", kJune15Noon + 100, 5, 5, 100), stop("s2", kJune15Noon + 300, 9, 9, 300)});
    EXPECT_EQ(epoch("s2", "acctstoptime"), kJune15Noon + 100);
    EXPECT_EQ(column("s2", "acctinputoctets"), "5");
}

TEST_F(AccountingApply, InterimsStraddlingMidnightInOneBatchSplitTheDelta) {
    const int64_t before = kJune15Noon + 12 * 3600 - 60;  // 23:59 UTC
    apply({start("s1", before - 600)});
    apply({interim("s1", before, 100, 100, 600), interim("s1", before + 120, 130, 160, 720)});
    EXPECT_EQ(daily(alice_, "2026-06-15"), bytes(100, 100));
    EXPECT_EQ(daily(alice_, "2026-06-16"), bytes(30, 60));
}

TEST_F(AccountingApply, StopReleasesThePoolAddressUnlessAnotherOpenSessionUsesIt) {
    assignPoolIp("100.64.0.7", alice_);
    auto s1 = start("s1", kJune15Noon);
    s1.framed_ip = 0x64400007;
    apply({s1});
    // Reconnect: the new session's Start (same managed address) came before the old Stop.
    auto s2 = start("s2", kJune15Noon + 100);
    s2.framed_ip = 0x64400007;
    apply({s2, stop("s1", kJune15Noon + 90, 1, 1, 90)});
    EXPECT_EQ(poolStatus("100.64.0.7"), "in_use/" + std::to_string(alice_));
    apply({stop("s2", kJune15Noon + 200, 1, 1, 100)});
    EXPECT_EQ(poolStatus("100.64.0.7"), "available/-");
}

TEST_F(AccountingApply, StopDoesNotReleaseAnotherSubscribersAddress) {
    assignPoolIp("100.64.0.8", bob_);
    auto s1 = stop("s1", kJune15Noon, 1, 1, 10);
    s1.framed_ip = 0x64400008;  // alice's session claims bob's address
    apply({s1});
    EXPECT_EQ(poolStatus("100.64.0.8"), "in_use/" + std::to_string(bob_));
}

TEST_F(AccountingApply, TouchedReportsUsageOpenSessionsAndTierAfterTheBatch) {
    sql("UPDATE subscribers SET current_tier = 2 WHERE id = " + std::to_string(bob_));
    auto bob1 = interim("b1", kJune15Noon, 1000, 2000, 60);
    bob1.subscriber_id = bob_;
    bob1.username = "bob";
    auto unknown = start("x1", kJune15Noon);
    unknown.subscriber_id = 0;
    unknown.username = "stranger";
    apply({interim("a0", kJune15Noon - 86400, 5, 5, 60)});  // yesterday: month only
    auto r = apply({start("a1", kJune15Noon), interim("a2", kJune15Noon, 10, 20, 60),
                    stop("a2", kJune15Noon + 10, 15, 30, 70), bob1, unknown});
    ASSERT_EQ(r.touched.size(), 2u);
    const auto& a = r.touched[0].subscriber_id == alice_ ? r.touched[0] : r.touched[1];
    const auto& b = r.touched[0].subscriber_id == bob_ ? r.touched[0] : r.touched[1];
    EXPECT_EQ(a.subscriber_id, alice_);
    EXPECT_EQ(a.open_sessions, 2u);  // a0, a1
    EXPECT_EQ(a.usage.daily_upload, 15u);
    EXPECT_EQ(a.usage.daily_download, 30u);
    EXPECT_EQ(a.usage.monthly_upload, 20u);
    EXPECT_EQ(a.usage.monthly_download, 35u);
    EXPECT_EQ(a.current_tier, 0);
    EXPECT_EQ(b.subscriber_id, bob_);
    EXPECT_EQ(b.open_sessions, 1u);
    EXPECT_EQ(b.usage.daily_download, 2000u);
    EXPECT_EQ(b.current_tier, 2);
    EXPECT_EQ(column("x1", "subscriber_id"), "");  // stored anyway
}

TEST_F(AccountingApply, UnknownOrDeletedSubscriberDoesNotFailTheBatch) {
    auto ghost = interim("g1", kJune15Noon, 10, 10, 60);
    ghost.subscriber_id = 987654;
    auto r = apply({ghost, interim("s1", kJune15Noon, 1, 2, 60)});
    EXPECT_EQ(r.opened, 2u);
    EXPECT_EQ(column("g1", "subscriber_id"), "987654");
    EXPECT_EQ(daily(alice_, "2026-06-15"), bytes(1, 2));
    EXPECT_EQ(count("SELECT count(*) FROM subscriber_usage_daily"), 1);
}

TEST_F(AccountingApply, OddTextIsStoredNotRejected) {
    auto r = interim("s1", kJune15Noon, 1, 1, 60);
    r.username = std::string("a\"b\\c,{d}\0e\xff", 12);
    r.tags = {"fup", "has \"quote\"", "x,y"};
    apply({r});
    EXPECT_EQ(column("s1", "username"), "a\"b\\c,{d}?e?");  // NUL and 0xFF: '?'
    EXPECT_EQ(column("s1", "array_length(tags, 1)"), "3");
    EXPECT_EQ(column("s1", "tags[2]"), "has \"quote\"");
}

TEST_F(AccountingApply, ATwoThousandRecordBatchIsAppliedExactly) {
    std::vector<AccountingRecord> batch;
    // 500 sessions already open, 1,500 records: Interims and Stops of those, new Starts and
    // Interims of unknown sessions, several records per session in places.
    std::vector<AccountingRecord> opening;
    for (int i = 0; i < 500; ++i)
        opening.push_back(start("k" + std::to_string(i), kJune15Noon));
    apply(opening);
    uint64_t up = 0;
    uint64_t down = 0;
    for (int i = 0; i < 500; ++i) {
        std::string uid = "k" + std::to_string(i);
        batch.push_back(interim(uid, kJune15Noon + 300, 100 + i, 200 + i, 300));
        if (i % 5 == 0)
            batch.push_back(stop(uid, kJune15Noon + 400, 150 + i, 260 + i, 400));
        up += i % 5 == 0 ? 150 + i : 100 + i;
        down += i % 5 == 0 ? 260 + i : 200 + i;
    }
    for (int i = 0; batch.size() < 2000; ++i) {
        std::string uid = "n" + std::to_string(i);
        auto rec = i % 2 ? interim(uid, kJune15Noon + 300, 7, 9, 300) : start(uid, kJune15Noon);
        rec.subscriber_id = bob_;
        batch.push_back(rec);
        if (rec.status == AcctStatus::kInterimUpdate) {
            up += 7;
            down += 9;
        }
    }
    auto r = apply(batch);
    EXPECT_EQ(r.opened, 1400u);
    EXPECT_EQ(r.closed, 100u);
    EXPECT_EQ(r.updated, 400u);
    EXPECT_EQ(count("SELECT count(*) FROM radacct"), 1900);
    EXPECT_EQ(count("SELECT count(*) FROM acct_sessions"), 1900);
    EXPECT_EQ(count("SELECT count(*) FROM radacct WHERE acctstoptime IS NOT NULL"), 100);
    auto sums = sql("SELECT sum(upload), sum(download) FROM subscriber_usage_daily");
    EXPECT_EQ(sums[0][0].as<uint64_t>(), up);
    EXPECT_EQ(sums[0][1].as<uint64_t>(), down);
    EXPECT_EQ(count("SELECT sum(acctinputoctets) FROM radacct"), static_cast<int>(up));
}

TEST_F(AccountingApply, SpoolBatchBookkeeping) {
    pqxx::work txn(conn());
    EXPECT_FALSE(AccountingRepository::spoolBatchApplied(txn, "node1", 7));
    AccountingRepository::markSpoolBatchApplied(txn, "node1", 7);
    AccountingRepository::markSpoolBatchApplied(txn, "node1", 7);  // no error
    EXPECT_TRUE(AccountingRepository::spoolBatchApplied(txn, "node1", 7));
    EXPECT_FALSE(AccountingRepository::spoolBatchApplied(txn, "node1", 8));
    EXPECT_FALSE(AccountingRepository::spoolBatchApplied(txn, "node2", 7));
    txn.abort();
    pqxx::work again(conn());
    EXPECT_FALSE(AccountingRepository::spoolBatchApplied(again, "node1", 7));  // rolled back
}

TEST_F(AccountingApply, RecordTierChangeWritesTheJobAndCurrentTier) {
    {
        pqxx::work txn(conn());
        AccountingRepository::recordTierChange(txn, alice_, 0, 2, "monthly quota FUP2");
        txn.commit();
    }
    auto job =
        sql("SELECT subscriber_id, from_tier, to_tier, reason, status, attempts FROM"
            " tier_change_jobs");
    ASSERT_EQ(job.size(), 1u);
    EXPECT_EQ(job[0][0].as<int64_t>(), alice_);
    EXPECT_EQ(job[0][1].as<int>(), 0);
    EXPECT_EQ(job[0][2].as<int>(), 2);
    EXPECT_EQ(job[0][3].as<std::string>(), "monthly quota FUP2");
    EXPECT_EQ(job[0][4].as<std::string>(), "pending");
    EXPECT_EQ(job[0][5].as<int>(), 0);
    EXPECT_EQ(count("SELECT current_tier FROM subscribers WHERE id = " + std::to_string(alice_)),
              2);
    EXPECT_EQ(count("SELECT current_tier FROM subscribers WHERE id = " + std::to_string(bob_)), 0);
}

TEST_F(AccountingApply, CloseStaleSessionsClosesOnlyOlderThanTheBoundAndReleasesTheirIp) {
    assignPoolIp("100.64.0.9", alice_);
    auto old_session = interim("old", kJune15Noon, 1, 1, 60);
    old_session.framed_ip = 0x64400009;
    apply({old_session, interim("fresh", kJune15Noon + 3000, 1, 1, 60)});
    pqxx::work txn(conn());
    auto r = AccountingRepository::closeStaleSessions(txn, 1800, kJune15Noon + 3600);
    txn.commit();
    EXPECT_EQ(r.closed, 1u);
    EXPECT_EQ(r.addresses_released, 1u);
    EXPECT_EQ(epoch("old", "acctstoptime"), kJune15Noon);
    EXPECT_EQ(column("old", "acctterminatecause"), "Stale-Session");
    EXPECT_EQ(column("fresh", "acctstoptime"), "");
    EXPECT_EQ(poolStatus("100.64.0.9"), "available/-");
}

TEST_F(AccountingApply, LoadLiveStateReturnsOpenSessionsAndMonthUsage) {
    auto bob_old = interim("b0", kJune15Noon - 20 * 86400, 500, 600, 60);  // May: not this month
    bob_old.subscriber_id = bob_;
    apply({interim("a1", kJune15Noon - 86400, 10, 20, 60), interim("a2", kJune15Noon, 1, 2, 60),
           stop("a3", kJune15Noon, 100, 200, 60), bob_old});
    apply({stop("b0", kJune15Noon - 20 * 86400 + 10, 500, 600, 70)});
    const int64_t carol = insertSubscriber("carol");
    sql("INSERT INTO subscriber_usage_monthly VALUES (" + std::to_string(carol) +
        ", '2026-06-01', 3, 4)");
    pqxx::work txn(conn());
    auto live = AccountingRepository::loadLiveState(txn, "UTC", kJune15Noon + 60);
    ASSERT_EQ(live.size(), 2u);  // alice (open + usage), carol (usage); bob: closed, May only
    EXPECT_EQ(live[0].subscriber_id, alice_);
    EXPECT_EQ(live[0].open_sessions, 2u);
    EXPECT_EQ(live[0].usage.monthly_upload, 111u);
    EXPECT_EQ(live[0].usage.monthly_download, 222u);
    EXPECT_EQ(live[0].usage.daily_upload, 101u);
    EXPECT_EQ(live[0].usage.daily_download, 202u);
    EXPECT_EQ(live[1].subscriber_id, carol);
    EXPECT_EQ(live[1].open_sessions, 0u);
    EXPECT_EQ(live[1].usage.monthly_download, 4u);
}

// --- the schema -----------------------------------------------------------------------------

using AccountingSchema = AccountingApply;

TEST_F(AccountingSchema, PartitionsExistFromLastMonthThroughThreeAhead) {
    auto r =
        sql("SELECT count(*) FROM pg_inherits WHERE inhparent = 'radacct'::regclass AND"
            " inhrelid::regclass::text ~ '^radacct_[0-9]{4}_[0-9]{2}$'");
    EXPECT_EQ(r[0][0].as<int>(), 5);
    EXPECT_TRUE(sql("SELECT to_regclass('radacct_' || to_char(now() AT TIME ZONE 'UTC',"
                    " 'YYYY_MM')) IS NOT NULL")[0][0]
                    .as<bool>());
    EXPECT_EQ(count("SELECT gh_ensure_radacct_partitions(3)"), 0);  // nothing missing
    EXPECT_EQ(count("SELECT gh_ensure_radacct_partitions(4)"), 1);
}

TEST_F(AccountingSchema, EveryPartitionLeavesRoomForHotInterimUpdates) {
    // Migration 3: existing partitions and the ones created later, default included.
    EXPECT_EQ(count("SELECT gh_ensure_radacct_partitions(5)"), 2);
    EXPECT_EQ(count("SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                    " WHERE i.inhparent = 'radacct'::regclass"
                    " AND NOT COALESCE(c.reloptions, '{}') @> ARRAY['fillfactor=60']"),
              0);
    EXPECT_EQ(count("SELECT count(*) FROM pg_inherits WHERE inhparent = 'radacct'::regclass"), 8);
}

TEST_F(AccountingSchema, EnsurePartitionsMovesRowsOutOfTheDefaultPartition) {
    const int64_t month_start =
        sql("SELECT extract(epoch FROM date_trunc('month', now() AT TIME ZONE 'UTC')"
            " AT TIME ZONE 'UTC')::bigint")[0][0]
            .as<int64_t>();
    sql("DROP TABLE radacct_" +
        sql("SELECT to_char(now() AT TIME ZONE 'UTC', 'YYYY_MM')")[0][0].as<std::string>());
    apply({start("s1", month_start + 60)});
    EXPECT_EQ(column("s1", "tableoid::regclass::text"), "radacct_default");
    EXPECT_EQ(count("SELECT gh_ensure_radacct_partitions(3)"), 1);
    EXPECT_NE(column("s1", "tableoid::regclass::text"), "radacct_default");
    apply({interim("s1", month_start + 120, 5, 5, 60)});  // still found by its key
    EXPECT_EQ(column("s1", "acctinputoctets"), "5");
}

TEST_F(AccountingSchema, AcctuniqueidIsOneRowEvenWithDifferentDerivedStarts) {
    // Two Interims without a Start derive different start times (clock jitter): one row.
    apply({interim("s1", kJune15Noon, 1, 1, 60)});
    apply({interim("s1", kJune15Noon + 300, 2, 2, 370)});
    EXPECT_EQ(count("SELECT count(*) FROM radacct WHERE acctuniqueid = 's1'"), 1);
    EXPECT_EQ(epoch("s1", "acctstarttime"), kJune15Noon - 60);
}

// --- throughput, by hand: --gtest_also_run_disabled_tests --gtest_filter='*Throughput*' ------

TEST_F(AccountingApply, DISABLED_Throughput) {
    constexpr int kBatches = 50;
    constexpr int kBatchSize = 1000;
    std::vector<int64_t> subscribers;
    for (int i = 0; i < 200; ++i)
        subscribers.push_back(insertSubscriber("user" + std::to_string(i)));
    // A month's history first, so lookups run against a realistically sized table: 200,000
    // sessions, 10% still open.
    sql("INSERT INTO radacct (acctsessionid, acctuniqueid, username, nasipaddress, acctstarttime,"
        " acctupdatetime, acctstoptime) SELECT 'h' || g, 'h' || g, 'user' || g % 200,"
        " '10.0.0.1', now() - interval '1 hour', now(),"
        " CASE WHEN g % 10 <> 0 THEN now() END FROM generate_series(1, 200000) g");
    sql("INSERT INTO acct_sessions SELECT acctuniqueid, radacctid, acctstarttime FROM radacct");
    sql("ANALYZE");
    // Mixed traffic: per batch 200 Starts, 700 Interims of open sessions, 100 Stops.
    std::vector<std::string> open;
    uint64_t next = 0;
    int64_t t = std::time(nullptr) - kBatches * 60;  // this month's partition
    double seconds = 0;
    for (int b = 0; b < kBatches; ++b) {
        std::vector<AccountingRecord> batch;
        batch.reserve(kBatchSize);
        t += 60;
        for (int i = 0; i < 200; ++i) {
            std::string uid = "t" + std::to_string(next++);
            auto r = start(uid, t);
            r.subscriber_id = subscribers[next % subscribers.size()];
            batch.push_back(r);
        }
        for (int i = 0; i < 800 && !open.empty(); ++i) {
            size_t k =
                (static_cast<size_t>(b) * 7919 + static_cast<size_t>(i) * 104729) % open.size();
            const std::string& uid = open[k];
            auto r = i < 700 ? interim(uid, t, 1000ULL * b + i, 5000ULL * b + i, 60 * b)
                             : stop(uid, t, 1000ULL * b + i, 5000ULL * b + i, 60 * b);
            r.subscriber_id = subscribers[std::hash<std::string>{}(uid) % subscribers.size()];
            batch.push_back(r);
        }
        while (batch.size() < kBatchSize) {
            std::string uid = "t" + std::to_string(next++);
            batch.push_back(interim(uid, t, 10, 10, 10));
        }
        auto t0 = std::chrono::steady_clock::now();
        pqxx::work txn(conn());
        AccountingRepository::apply(txn, batch, "Asia/Baghdad");
        txn.commit();
        seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        for (const auto& r : batch)
            if (r.status == AcctStatus::kStart)
                open.push_back(r.unique_id);
    }
    std::printf("apply+commit: %d batches of %d records in %.3f s = %.0f records/s\n", kBatches,
                kBatchSize, seconds, kBatches * kBatchSize / seconds);
}

}  // namespace
}  // namespace gatehouse::store
