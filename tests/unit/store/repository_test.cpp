// The operator-facing operations (what `gatehouse nas|service|subscriber` call): errors name
// the field, secrets and passwords never come back out.
#include <gtest/gtest.h>

#include "core/store/nas_repository.hpp"
#include "core/store/service_repository.hpp"
#include "core/store/subscriber_repository.hpp"
#include "core/store/validate.hpp"
#include "tests/unit/store/pg_fixture.hpp"

namespace gatehouse::store {
namespace {

crypto::SecretBox testBox() {
    crypto::SecretBox::Key k;
    k.fill(7);
    return crypto::SecretBox(k);
}

class Repository : public testing::PgTest {
  protected:
    void SetUp() override {
        PgTest::SetUp();
        ServiceInput s;
        s.name = "Home-20M";
        s.download = "20M";
        s.upload = "5M";
        ASSERT_TRUE(addService(conn(), s).has_value());
    }
    SubscriberInput alice() {
        SubscriberInput in;
        in.username = "alice";
        in.password = "hunter2";
        in.service = "Home-20M";
        return in;
    }
    crypto::SecretBox box_ = testBox();
};

TEST_F(Repository, NasAddThenListShowsHasSecretNotTheSecret) {
    NasInput in = testing::nasInput("bng1", "10.0.0.1", "s3cr3t-value");
    ASSERT_TRUE(addNas(conn(), in).has_value());
    auto rows = listNas(conn());
    ASSERT_TRUE(rows.has_value());
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ((*rows)[0].name, "bng1");
    EXPECT_EQ((*rows)[0].ip, "10.0.0.1");
    EXPECT_EQ((*rows)[0].type, "mikrotik");
    EXPECT_EQ((*rows)[0].coa_port, 1700);  // RouterOS default
    EXPECT_TRUE((*rows)[0].has_secret);
}

TEST_F(Repository, NasInvalidIpNamesTheField) {
    auto r = addNas(conn(), testing::nasInput("bng1", "10.0.0.300", "s"));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, StoreErrorKind::kInvalid);
    EXPECT_EQ(describe(r.error()), "ip: invalid IPv4 address '10.0.0.300'");
}

TEST_F(Repository, NasUnknownTypeNamesTheField) {
    auto r = addNas(conn(), testing::nasInput("b", "10.0.0.1", "s", "x"));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().field, "type");
}

TEST_F(Repository, NasDuplicateIpRefused) {
    ASSERT_TRUE(addNas(conn(), testing::nasInput("a", "10.0.0.1", "s")).has_value());
    auto r = addNas(conn(), testing::nasInput("b", "10.0.0.1", "s"));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, StoreErrorKind::kDuplicate);
    EXPECT_EQ(describe(r.error()), "ip: '10.0.0.1' already exists");
}

TEST_F(Repository, NasDeleteByNameOrIpAndUnknownIsNotFound) {
    ASSERT_TRUE(addNas(conn(), testing::nasInput("a", "10.0.0.1", "s")).has_value());
    ASSERT_TRUE(addNas(conn(), testing::nasInput("b", "10.0.0.2", "s")).has_value());
    EXPECT_TRUE(deleteNas(conn(), "a").has_value());
    EXPECT_TRUE(deleteNas(conn(), "10.0.0.2").has_value());
    auto r = deleteNas(conn(), "a");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, StoreErrorKind::kNotFound);
}

TEST_F(Repository, ServiceRatesParsedAndListed) {
    auto rows = listServices(conn());
    ASSERT_TRUE(rows.has_value());
    ASSERT_EQ(rows->size(), 1u);
    EXPECT_EQ((*rows)[0].download_bps, 20000000u);
    EXPECT_EQ((*rows)[0].upload_bps, 5000000u);
    EXPECT_EQ(formatRate((*rows)[0].download_bps), "20M");
}

TEST_F(Repository, ServiceBadRateNamesTheField) {
    auto r = addService(conn(), testing::serviceInput("x", "20M", "fast"));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().field, "upload");
}

TEST_F(Repository, SubscriberPasswordIsNotStoredInPlaintext) {
    ASSERT_TRUE(addSubscriber(conn(), box_, alice()).has_value());
    auto stored = sql("SELECT password_enc FROM subscribers")[0][0].as<std::string>();
    EXPECT_EQ(stored.find("hunter2"), std::string::npos);
    EXPECT_EQ(stored.substr(0, 4), "gh1:");
    auto opened = box_.open(stored, "alice");
    ASSERT_TRUE(opened.has_value());
    EXPECT_EQ(*opened, "hunter2");
}

TEST_F(Repository, SubscriberUnknownServiceNamesTheField) {
    auto in = alice();
    in.service = "Nope";
    auto r = addSubscriber(conn(), box_, in);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, StoreErrorKind::kUnknownReference);
    EXPECT_EQ(describe(r.error()), "service: unknown service 'Nope'");
}

TEST_F(Repository, SubscriberDuplicateUsernameNamesTheField) {
    ASSERT_TRUE(addSubscriber(conn(), box_, alice()).has_value());
    auto r = addSubscriber(conn(), box_, alice());
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, StoreErrorKind::kDuplicate);
    EXPECT_EQ(describe(r.error()), "username: 'alice' already exists");
}

TEST_F(Repository, SubscriberInvalidStaticIpNamesTheField) {
    auto in = alice();
    in.static_ip = "100.64.0";
    auto r = addSubscriber(conn(), box_, in);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().field, "static_ip");
}

TEST_F(Repository, SubscriberSetChangesOnlyTheGivenFields) {
    auto in = alice();
    in.static_ip = "100.64.0.1";
    ASSERT_TRUE(addSubscriber(conn(), box_, in).has_value());
    SubscriberPatch patch;
    patch.mac = "aa-bb-cc-dd-ee-ff";
    patch.expires = "2026-12-31";
    patch.enabled = "no";
    ASSERT_TRUE(updateSubscriber(conn(), nullptr, "alice", patch).has_value());
    auto rows = listSubscribers(conn(), {});
    ASSERT_TRUE(rows.has_value());
    ASSERT_EQ(rows->size(), 1u);
    const auto& s = (*rows)[0];
    EXPECT_EQ(s.service, "Home-20M");
    EXPECT_EQ(s.static_ip, "100.64.0.1");
    EXPECT_EQ(s.mac, "AA:BB:CC:DD:EE:FF");
    ASSERT_TRUE(s.expires_at.has_value());
    EXPECT_EQ(formatTime(*s.expires_at), "2026-12-31T23:59:59Z");
    EXPECT_FALSE(s.enabled);
}

TEST_F(Repository, SubscriberSetPasswordReseals) {
    ASSERT_TRUE(addSubscriber(conn(), box_, alice()).has_value());
    SubscriberPatch patch;
    patch.password = "new-pass";
    ASSERT_TRUE(updateSubscriber(conn(), &box_, "alice", patch).has_value());
    auto stored = sql("SELECT password_enc FROM subscribers")[0][0].as<std::string>();
    EXPECT_EQ(*box_.open(stored, "alice"), "new-pass");
}

TEST_F(Repository, SubscriberSetUnknownUserIsNotFound) {
    SubscriberPatch patch;
    patch.enabled = "yes";
    auto r = updateSubscriber(conn(), nullptr, "ghost", patch);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, StoreErrorKind::kNotFound);
    EXPECT_EQ(r.error().field, "username");
}

TEST_F(Repository, SubscriberDeleteThenListIsEmpty) {
    ASSERT_TRUE(addSubscriber(conn(), box_, alice()).has_value());
    ASSERT_TRUE(deleteSubscriber(conn(), "alice").has_value());
    EXPECT_TRUE(listSubscribers(conn(), {})->empty());
    EXPECT_EQ(deleteSubscriber(conn(), "alice").error().kind, StoreErrorKind::kNotFound);
}

}  // namespace
}  // namespace gatehouse::store
