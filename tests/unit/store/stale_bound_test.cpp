// The stale bound that follows the interim interval (config stale_session_minutes = auto).
#include <gtest/gtest.h>

#include "core/store/accounting_repository.hpp"
#include "tests/unit/store/pg_fixture.hpp"

namespace gatehouse::store {
namespace {

class StaleBound : public testing::PgTest {
  protected:
    int64_t bound() {
        pqxx::work txn(conn());
        return AccountingRepository::autoStaleBound(txn);
    }
    void interim(const std::string& value) {
        sql("INSERT INTO settings (key, value) VALUES ('interim_interval', '" + value +
            "') ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value");
    }
};

TEST_F(StaleBound, OneInterimIntervalPlusTwoMinutes) {
    EXPECT_EQ(bound(), 300 + 120) << "no setting: the default interval";
    interim("600");
    EXPECT_EQ(bound(), 600 + 120);
}

TEST_F(StaleBound, IntervalIsBoundedAndNonsenseFallsBackToTheDefault) {
    interim("10");
    EXPECT_EQ(bound(), 60 + 120);
    interim("86400");
    EXPECT_EQ(bound(), 900 + 120);
    interim("5 minutes");
    EXPECT_EQ(bound(), 300 + 120);
    interim("99999999999999");
    EXPECT_EQ(bound(), 300 + 120);
}

TEST_F(StaleBound, ThePanelsSettingOverridesTheConfigurationFile) {
    auto effective = [&](int64_t configured_s) {
        pqxx::work txn(conn());
        return AccountingRepository::staleBound(txn, configured_s);
    };
    interim("600");
    EXPECT_EQ(effective(1800), 1800) << "no setting: the configuration file's bound";
    EXPECT_EQ(effective(-1), 600 + 120) << "no setting, configuration auto";
    EXPECT_EQ(effective(0), 0) << "no setting, configuration never";
    auto setting = [&](const std::string& value) {
        sql("INSERT INTO settings (key, value) VALUES ('stale_session_minutes', '" + value +
            "') ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value");
    };
    setting("45");
    EXPECT_EQ(effective(1800), 45 * 60);
    EXPECT_EQ(effective(0), 45 * 60) << "the setting turns a disabled sweep on";
    setting("auto");
    EXPECT_EQ(effective(1800), 600 + 120);
    setting("0");
    EXPECT_EQ(effective(1800), 0) << "the setting turns the sweep off";
    setting("soon");
    EXPECT_EQ(effective(1800), 1800) << "a hand-edited nonsense value: the configuration's";
}

TEST_F(StaleBound, SweepWithTheAutoBoundClosesASessionSilentForOneIntervalOnly) {
    interim("300");
    const int64_t alice = insertSubscriber("alice");
    for (const auto& [id, silent_s] : {std::pair{"s-quiet", 430}, std::pair{"s-fresh", 400}})
        sql("INSERT INTO acct_sessions (acctuniqueid, radacctid, acctstarttime) VALUES ('" +
            std::string(id) +
            "', nextval('radacct_radacctid_seq'), now() - interval '1 hour');"
            "INSERT INTO radacct (radacctid, acctsessionid, acctuniqueid, username, subscriber_id,"
            " nasipaddress, acctstarttime, acctupdatetime) SELECT radacctid, acctuniqueid,"
            " acctuniqueid, 'alice', " +
            std::to_string(alice) + ", '192.0.2.1', acctstarttime, now() - interval '" +
            std::to_string(silent_s) + " s' FROM acct_sessions WHERE acctuniqueid = '" + id + "'");
    pqxx::work txn(conn());
    const int64_t now = txn.exec1("SELECT extract(epoch FROM now())::bigint")[0].as<int64_t>();
    auto r = AccountingRepository::closeStaleSessions(
        txn, AccountingRepository::autoStaleBound(txn), now);
    txn.commit();
    EXPECT_EQ(r.closed, 1u);
    EXPECT_EQ(
        sql("SELECT acctuniqueid FROM radacct WHERE acctterminatecause = 'Stale-Session'")[0][0]
            .as<std::string>(),
        "s-quiet");
}

}  // namespace
}  // namespace gatehouse::store
