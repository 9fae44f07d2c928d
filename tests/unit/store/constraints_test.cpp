// The schema itself refuses data that is not true, whatever client writes it.
#include <gtest/gtest.h>

#include <functional>

#include "core/store/error.hpp"
#include "tests/unit/store/pg_fixture.hpp"

namespace gatehouse::store {
namespace {

class Constraints : public testing::PgTest {
  protected:
    void addSubscriber(const std::string& username, const std::string& ip, bool enabled = true) {
        sql("INSERT INTO subscribers (username, password_enc, static_ip, enabled) VALUES ('" +
            username + "', 'gh1:00', " + (ip.empty() ? "NULL" : "'" + ip + "'") + ", " +
            (enabled ? "true" : "false") + ")");
    }
    // The StoreError a statement fails with.
    StoreError failure(const std::function<void()>& f) {
        try {
            f();
        } catch (const std::exception& e) {
            return fromException(e);
        }
        ADD_FAILURE() << "statement succeeded";
        return {};
    }
};

TEST_F(Constraints, DuplicateUsernameRefused) {
    addSubscriber("alice", "");
    auto e = failure([&] { addSubscriber("alice", ""); });
    EXPECT_EQ(e.kind, StoreErrorKind::kDuplicate);
    EXPECT_EQ(e.field, "username");
    EXPECT_EQ(e.message, "'alice' already exists");
}

TEST_F(Constraints, DuplicateStaticIpAmongActiveSubscribersRefused) {
    addSubscriber("alice", "100.64.0.1");
    auto e = failure([&] { addSubscriber("bob", "100.64.0.1"); });
    EXPECT_EQ(e.kind, StoreErrorKind::kDuplicate);
    EXPECT_EQ(e.field, "static_ip");
}

TEST_F(Constraints, DisabledSubscriberMayKeepAnAddressInUse) {
    addSubscriber("alice", "100.64.0.1");
    addSubscriber("old-alice", "100.64.0.1", false);
    // ... but enabling it again would make two active owners.
    auto e =
        failure([&] { sql("UPDATE subscribers SET enabled = true WHERE username = 'old-alice'"); });
    EXPECT_EQ(e.field, "static_ip");
}

TEST_F(Constraints, PlaintextPasswordRefused) {
    auto e = failure([&] {
        sql("INSERT INTO subscribers (username, password_enc) VALUES ('alice', 'hunter2')");
    });
    EXPECT_EQ(e.kind, StoreErrorKind::kInvalid);
    EXPECT_EQ(e.field, "password_enc");
}

TEST_F(Constraints, PoolAddressHasOneOwner) {
    addSubscriber("alice", "");
    addSubscriber("bob", "");
    sql("INSERT INTO ip_pool_assignments (pool_name, ip, status, subscriber_id)"
        " SELECT 'pool1', '10.10.0.5', 'in_use', id FROM subscribers WHERE username = 'alice'");
    auto e = failure([&] {
        sql("INSERT INTO ip_pool_assignments (pool_name, ip, status, subscriber_id)"
            " SELECT 'pool2', '10.10.0.5', 'in_use', id FROM subscribers WHERE username = 'bob'");
    });
    EXPECT_EQ(e.kind, StoreErrorKind::kDuplicate);
    EXPECT_EQ(e.field, "ip");
}

TEST_F(Constraints, SubscriberHoldsOneAddressPerPool) {
    addSubscriber("alice", "");
    sql("INSERT INTO ip_pool_assignments (pool_name, ip, status, subscriber_id)"
        " SELECT 'pool1', '10.10.0.5', 'in_use', id FROM subscribers");
    auto e = failure([&] {
        sql("INSERT INTO ip_pool_assignments (pool_name, ip, status, subscriber_id)"
            " SELECT 'pool1', '10.10.0.6', 'in_use', id FROM subscribers");
    });
    EXPECT_EQ(e.kind, StoreErrorKind::kDuplicate);
    EXPECT_EQ(e.field, "subscriber");
}

TEST_F(Constraints, AvailablePoolAddressHasNoOwner) {
    addSubscriber("alice", "");
    auto e = failure([&] {
        sql("INSERT INTO ip_pool_assignments (pool_name, ip, status, subscriber_id)"
            " SELECT 'pool1', '10.10.0.5', 'available', id FROM subscribers");
    });
    EXPECT_EQ(e.kind, StoreErrorKind::kInvalid);
}

TEST_F(Constraints, NasAddressMustBeOneIpv4Host) {
    auto e = failure([&] {
        sql("INSERT INTO nas_devices (name, ip, secret) VALUES ('n', '10.0.0.0/24', 's')");
    });
    EXPECT_EQ(e.kind, StoreErrorKind::kInvalid);
    EXPECT_EQ(e.field, "ip");
}

TEST_F(Constraints, ServiceWithSubscribersCannotBeDeleted) {
    sql("INSERT INTO services (name, download_bps, upload_bps) VALUES ('Home', 1, 1)");
    sql("INSERT INTO subscribers (username, password_enc, service_id)"
        " SELECT 'alice', 'gh1:00', id FROM services");
    auto e = failure([&] { sql("DELETE FROM services"); });
    EXPECT_EQ(e.kind, StoreErrorKind::kInUse);
    EXPECT_EQ(e.field, "service");
}

}  // namespace
}  // namespace gatehouse::store
