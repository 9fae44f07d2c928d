// Job periods from settings.interim_interval: the value read as the snapshot loader reads it,
// bounded to [60 s, 15 min], the verify window two intervals.
#include <gtest/gtest.h>

#include "core/jobs/job_periods.hpp"
#include "tests/unit/store/pg_fixture.hpp"

namespace gatehouse::jobs {
namespace {

using std::chrono::seconds;

TEST(JobPeriods, SyncEveryIntervalAndVerifyWindowTwo) {
    auto p = jobPeriodsFor(seconds(300));
    EXPECT_EQ(p.interim, seconds(300));
    EXPECT_EQ(p.mikrotik_sync, seconds(300));
    EXPECT_EQ(p.coa_verify_window, seconds(600));
    p = jobPeriodsFor(seconds(120));
    EXPECT_EQ(p.mikrotik_sync, seconds(120));
    EXPECT_EQ(p.coa_verify_window, seconds(240));
}

TEST(JobPeriods, BoundedToOneMinuteAndFifteenMinutes) {
    auto p = jobPeriodsFor(seconds(10));
    EXPECT_EQ(p.interim, seconds(60));
    EXPECT_EQ(p.mikrotik_sync, seconds(60));
    EXPECT_EQ(p.coa_verify_window, seconds(120));
    p = jobPeriodsFor(seconds(0));
    EXPECT_EQ(p.mikrotik_sync, seconds(60));
    p = jobPeriodsFor(seconds(3600));
    EXPECT_EQ(p.interim, seconds(900));
    EXPECT_EQ(p.mikrotik_sync, seconds(900));
    EXPECT_EQ(p.coa_verify_window, seconds(1800));
    p = jobPeriodsFor(seconds(900));
    EXPECT_EQ(p.mikrotik_sync, seconds(900));
}

TEST(JobPeriods, DefaultsMatchTheFiveMinuteInterimInterval) {
    JobPeriods p;
    EXPECT_EQ(p.mikrotik_sync, seconds(300));
    EXPECT_EQ(p.coa_verify_window, seconds(600));
}

TEST(InterimSetting, DigitsAreSecondsAnythingElseIsTheDefault) {
    EXPECT_EQ(interimFromSetting(std::string("120")), seconds(120));
    EXPECT_EQ(interimFromSetting(std::string("0")), seconds(0));
    EXPECT_EQ(interimFromSetting(std::nullopt), seconds(300));
    EXPECT_EQ(interimFromSetting(std::string("")), seconds(300));
    EXPECT_EQ(interimFromSetting(std::string("5m")), seconds(300));
    EXPECT_EQ(interimFromSetting(std::string("-60")), seconds(300));
    EXPECT_EQ(interimFromSetting(std::string("9999999999")), seconds(300));
}

class InterimSettingDb : public store::testing::PgTest {};

TEST_F(InterimSettingDb, ReadsTheSettingsRowAndNulloptWithoutOne) {
    EXPECT_EQ(readInterimSetting(conn()), std::nullopt);
    sql("INSERT INTO settings (key, value) VALUES ('interim_interval', '120')");
    EXPECT_EQ(readInterimSetting(conn()), std::optional<std::string>("120"));
    EXPECT_EQ(jobPeriodsFor(interimFromSetting(readInterimSetting(conn()))).coa_verify_window,
              seconds(240));
}

}  // namespace
}  // namespace gatehouse::jobs
