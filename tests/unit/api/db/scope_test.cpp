// Reseller scope on single rows: another reseller's row is "not found", exactly like a row that
// does not exist, so guessing ids reveals nothing.
#include <gtest/gtest.h>

#include "core/api/http.hpp"
#include "core/api/permissions.hpp"
#include "tests/unit/store/pg_fixture.hpp"

namespace gatehouse::api {
namespace {

class Scope : public store::testing::PgTest {
  protected:
    int64_t reseller(const std::string& name) {
        return sql("INSERT INTO resellers (name) VALUES ('" + name + "') RETURNING id")[0][0]
            .as<int64_t>();
    }
    int64_t subscriberOf(const std::string& username, int64_t reseller_id) {
        const int64_t id = insertSubscriber(username);
        sql("UPDATE subscribers SET reseller_id = " + std::to_string(reseller_id) +
            " WHERE id = " + std::to_string(id));
        return id;
    }
    int64_t nas(const std::string& name, const std::string& ip) {
        return sql("INSERT INTO nas_devices (name, ip, secret) VALUES ('" + name + "', '" + ip +
                   "', 'testing123') RETURNING id")[0][0]
            .as<int64_t>();
    }
    static Caller resellerCaller(int64_t reseller_id) {
        Caller c;
        c.admin_id = 1;
        c.reseller_id = reseller_id;
        return c;
    }
    /// The 404 message, or "" when the row is visible.
    template <class F>
    std::string notFound(F&& check) {
        pqxx::work txn(conn());
        try {
            check(txn);
            return "";
        } catch (const ApiError& e) {
            EXPECT_EQ(e.status(), 404);
            return e.what();
        }
    }
};

TEST_F(Scope, ResellerSeesOwnSubscriberAndNotAnothersWhichLooksMissing) {
    const int64_t north = reseller("north");
    const int64_t south = reseller("south");
    const int64_t mine = subscriberOf("n1", north);
    const int64_t theirs = subscriberOf("s1", south);
    const Caller c = resellerCaller(north);
    EXPECT_EQ(notFound([&](auto& t) { ensureSubscriberVisible(t, c, mine); }), "");
    const std::string foreign = notFound([&](auto& t) { ensureSubscriberVisible(t, c, theirs); });
    EXPECT_EQ(foreign, "subscriber not found");
    EXPECT_EQ(notFound([&](auto& t) { ensureSubscriberVisible(t, c, 987654); }), foreign);
    EXPECT_EQ(notFound([&](auto& t) { ensureSubscriberVisible(t, Caller{}, theirs); }), "");
}

TEST_F(Scope, ResellerSeesOnlyNasAssignedInResellerNas) {
    const int64_t north = reseller("north");
    const int64_t assigned = nas("core-1", "10.0.0.1");
    const int64_t other = nas("core-2", "10.0.0.2");
    sql("INSERT INTO reseller_nas VALUES (" + std::to_string(north) + ", " +
        std::to_string(assigned) + ")");
    const Caller c = resellerCaller(north);
    EXPECT_EQ(notFound([&](auto& t) { ensureNasVisible(t, c, assigned); }), "");
    EXPECT_EQ(notFound([&](auto& t) { ensureNasVisible(t, c, other); }), "NAS not found");
    auto rows = sql("SELECT n.name FROM nas_devices n WHERE " + nasScopeSql(c, "n"));
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0][0].as<std::string>(), "core-1");
}

TEST_F(Scope, ResellerWithoutAssignmentsSeesNoNas) {
    const int64_t lonely = reseller("lonely");
    nas("core-1", "10.0.0.1");
    auto rows =
        sql("SELECT count(*) FROM nas_devices n WHERE " + nasScopeSql(resellerCaller(lonely), "n"));
    EXPECT_EQ(rows[0][0].as<int64_t>(), 0);
}

}  // namespace
}  // namespace gatehouse::api
