// AccountingRepository::apply with `known` (what the writer's LiveState holds): the touched
// subscribers it reports without reading them back must be exactly what a read-back of the
// database gives after the batch - open sessions moved by the batch's Starts, Stops and NAS
// On/Off, usage and tier from the upserts, and a subscriber `known` does not hold read back.
#include <gtest/gtest.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/store/accounting_repository.hpp"
#include "tests/unit/store/pg_fixture.hpp"

namespace gatehouse::store {
namespace {

constexpr uint32_t kNas = 0x0A000001;        // 10.0.0.1
constexpr int64_t kJune15Noon = 1781524800;  // 2026-06-15 12:00:00 UTC

class AccountingKnownState : public testing::PgTest {
  protected:
    void SetUp() override {
        PgTest::SetUp();
        alice_ = insertSubscriber("alice");
        bob_ = insertSubscriber("bob");
    }

    AccountingRecord record(AcctStatus status, const std::string& uid, int64_t subscriber,
                            int64_t t, uint64_t in = 0, uint64_t out = 0) {
        AccountingRecord r;
        r.status = status;
        r.event_time = t;
        r.received_at = t;
        r.session_id = "sid-" + uid;
        r.unique_id = uid;
        r.username = subscriber == bob_ ? "bob" : "alice";
        r.subscriber_id = subscriber;
        r.nas_id = 1;
        r.nas_ip = kNas;
        r.session_time = status == AcctStatus::kStart ? 0 : 60;
        r.input_octets = in;
        r.output_octets = out;
        return r;
    }
    AccountingRecord nasOn(int64_t t) {
        AccountingRecord r;
        r.status = AcctStatus::kAccountingOn;
        r.event_time = t;
        r.received_at = t;
        r.nas_ip = kNas;
        return r;
    }

    /// Every subscriber as the database has it at `now` (a missing one has nothing).
    std::map<int64_t, SubscriberLiveState> readBack(int64_t now) {
        pqxx::work txn(conn());
        std::map<int64_t, SubscriberLiveState> out;
        for (const auto& s : AccountingRepository::loadLiveState(txn, "UTC", now))
            out[s.subscriber_id] = s;
        return out;
    }

    /// Applies `batch` with `known` = the database's state before it, as the writer's
    /// LiveState would hold it (a subscriber left out: nothing), unless `hide` names one it
    /// does not hold at all. Expects every touched subscriber to equal the read-back after.
    ApplyResult applyKnowing(const std::vector<AccountingRecord>& batch,
                             std::optional<int64_t> hide = std::nullopt) {
        int64_t newest = 0;
        for (const auto& r : batch)
            newest = std::max(newest, r.event_time);
        auto before = readBack(newest);
        KnownLiveState known = [&](int64_t id) -> std::optional<SubscriberLiveState> {
            if (hide && *hide == id)
                return std::nullopt;
            auto it = before.find(id);
            SubscriberLiveState s;
            s.subscriber_id = id;
            if (it != before.end())
                s = it->second;
            if (stale_tier_)
                s.current_tier = *stale_tier_;
            return s;
        };
        ApplyResult result;
        {
            pqxx::work txn(conn());
            result = AccountingRepository::apply(txn, batch, "UTC", known);
            txn.commit();
        }
        auto after = readBack(newest);
        for (const auto& s : result.touched) {
            SubscriberLiveState want;
            want.subscriber_id = s.subscriber_id;
            if (auto it = after.find(s.subscriber_id); it != after.end())
                want = it->second;
            SCOPED_TRACE("subscriber " + std::to_string(s.subscriber_id));
            EXPECT_EQ(s.open_sessions, want.open_sessions);
            EXPECT_EQ(s.current_tier, want.current_tier);
            EXPECT_EQ(s.usage.daily_upload, want.usage.daily_upload);
            EXPECT_EQ(s.usage.daily_download, want.usage.daily_download);
            EXPECT_EQ(s.usage.monthly_upload, want.usage.monthly_upload);
            EXPECT_EQ(s.usage.monthly_download, want.usage.monthly_download);
        }
        return result;
    }

    const SubscriberLiveState* find(const ApplyResult& r, int64_t id) {
        for (const auto& s : r.touched)
            if (s.subscriber_id == id)
                return &s;
        return nullptr;
    }

    int64_t alice_ = 0;
    int64_t bob_ = 0;
    std::optional<int> stale_tier_;  // what `known` says the tier is, when set
};

TEST_F(AccountingKnownState, StartsInterimsAndStopsMoveTheKnownStateLikeTheDatabase) {
    const int64_t t = kJune15Noon;
    auto first = applyKnowing({record(AcctStatus::kStart, "a1", alice_, t),
                               record(AcctStatus::kStart, "a2", alice_, t),
                               record(AcctStatus::kStart, "b1", bob_, t)});
    ASSERT_NE(find(first, alice_), nullptr);
    EXPECT_EQ(find(first, alice_)->open_sessions, 2u);
    auto second = applyKnowing({record(AcctStatus::kInterimUpdate, "a1", alice_, t + 300, 10, 20),
                                record(AcctStatus::kStop, "a2", alice_, t + 300, 5, 6),
                                record(AcctStatus::kStop, "b1", bob_, t + 300, 1, 2)});
    ASSERT_NE(find(second, alice_), nullptr);
    EXPECT_EQ(find(second, alice_)->open_sessions, 1u);
    EXPECT_EQ(find(second, alice_)->usage.daily_upload, 15u);
    EXPECT_EQ(find(second, bob_)->open_sessions, 0u);
    // A repeated Stop and a late Interim change nothing.
    applyKnowing({record(AcctStatus::kStop, "a2", alice_, t + 400, 5, 6),
                  record(AcctStatus::kInterimUpdate, "b1", bob_, t + 400, 9, 9)});
}

TEST_F(AccountingKnownState, AStopOrInterimWithoutItsStartOpensAndClosesOnce) {
    auto r = applyKnowing({record(AcctStatus::kStop, "a1", alice_, kJune15Noon, 7, 8),
                           record(AcctStatus::kInterimUpdate, "a2", alice_, kJune15Noon, 1, 1)});
    EXPECT_EQ(find(r, alice_)->open_sessions, 1u);  // a2; a1 opened closed
}

TEST_F(AccountingKnownState, AccountingOnClosesEverySessionOfTheNas) {
    applyKnowing({record(AcctStatus::kStart, "a1", alice_, kJune15Noon),
                  record(AcctStatus::kStart, "a2", alice_, kJune15Noon),
                  record(AcctStatus::kStart, "b1", bob_, kJune15Noon)});
    auto r = applyKnowing(
        {nasOn(kJune15Noon + 60), record(AcctStatus::kStart, "a3", alice_, kJune15Noon + 70)});
    EXPECT_EQ(find(r, alice_)->open_sessions, 1u);  // a3
    ASSERT_NE(find(r, bob_), nullptr);              // touched only through the NAS restart
    EXPECT_EQ(find(r, bob_)->open_sessions, 0u);
}

TEST_F(AccountingKnownState, ARecordWithoutSubscriberMovesTheSessionsOwner) {
    applyKnowing({record(AcctStatus::kStart, "b1", bob_, kJune15Noon)});
    // The user was deleted from the snapshot meanwhile: the Stop carries no subscriber.
    auto r = applyKnowing({record(AcctStatus::kStop, "b1", 0, kJune15Noon + 60, 3, 4)});
    ASSERT_NE(find(r, bob_), nullptr);
    EXPECT_EQ(find(r, bob_)->open_sessions, 0u);
}

TEST_F(AccountingKnownState, ASubscriberTheCallerDoesNotHoldIsReadBack) {
    applyKnowing({record(AcctStatus::kInterimUpdate, "b1", bob_, kJune15Noon, 100, 200)});
    auto r = applyKnowing({record(AcctStatus::kStart, "b2", bob_, kJune15Noon + 60)}, bob_);
    EXPECT_EQ(find(r, bob_)->open_sessions, 2u);
    EXPECT_EQ(find(r, bob_)->usage.monthly_download, 200u);
}

TEST_F(AccountingKnownState, TierComesFromTheDatabaseWhenTheBatchAddsUsage) {
    applyKnowing({record(AcctStatus::kStart, "a1", alice_, kJune15Noon)});
    sql("UPDATE subscribers SET current_tier = 2 WHERE id = " + std::to_string(alice_));
    stale_tier_ = 0;
    auto r =
        applyKnowing({record(AcctStatus::kInterimUpdate, "a1", alice_, kJune15Noon + 60, 1, 1)});
    EXPECT_EQ(find(r, alice_)->current_tier, 2);
}

}  // namespace
}  // namespace gatehouse::store
