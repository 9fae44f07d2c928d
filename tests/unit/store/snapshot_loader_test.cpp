#include "core/store/snapshot_loader.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "core/crypto/mschap.hpp"
#include "core/store/nas_repository.hpp"
#include "core/store/service_repository.hpp"
#include "core/store/subscriber_repository.hpp"
#include "tests/unit/store/pg_fixture.hpp"

namespace gatehouse::store {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

class Loader : public testing::PgTest {
  protected:
    void SetUp() override {
        PgTest::SetUp();
        ASSERT_TRUE(addService(conn(), testing::serviceInput("Home", "20M", "5M", "pppoe-pool"))
                        .has_value());
        for (const char* name : {"alice", "bob"})
            ASSERT_TRUE(
                addSubscriber(conn(), box_,
                              testing::subscriberInput(name, std::string(name) + "-pw", "Home"))
                    .has_value());
        ASSERT_TRUE(addNas(conn(), testing::nasInput("bng1", "10.0.0.1", "s3cr3t")).has_value());
    }
    // Waits for the holder to publish a snapshot satisfying pred; the brief's bound is a second.
    template <class Pred>
    std::shared_ptr<const Snapshot> waitFor(Pred pred, milliseconds limit = milliseconds(1000)) {
        auto deadline = steady_clock::now() + limit;
        while (steady_clock::now() < deadline) {
            auto snap = holder_.current();
            if (pred(*snap))
                return snap;
            std::this_thread::sleep_for(milliseconds(5));
        }
        return nullptr;
    }

    crypto::SecretBox box_{crypto::SecretBox::Key{}};
    SnapshotHolder holder_;
};

TEST_F(Loader, LoadsSubscribersWithSharedServiceAndNtHash) {
    auto snap = loadSnapshot(conn(), box_);
    ASSERT_EQ(snap->subscriberCount(), 2u);
    const auto* alice = snap->subscriber("alice");
    const auto* bob = snap->subscriber("bob");
    ASSERT_NE(alice, nullptr);
    ASSERT_NE(bob, nullptr);
    EXPECT_EQ(alice->password, "alice-pw");
    EXPECT_EQ(alice->nt_hash, crypto::ntPasswordHash("alice-pw"));
    ASSERT_NE(alice->subscriber->service, nullptr);
    EXPECT_EQ(alice->subscriber->service.get(), bob->subscriber->service.get());
    EXPECT_EQ(alice->subscriber->service->download_bps, 20000000u);
    EXPECT_EQ(alice->subscriber->service->pool_name, "pppoe-pool");
    EXPECT_EQ(snap->subscriber("carol"), nullptr);
}

TEST_F(Loader, LoadsNasWithSecretByAddress) {
    auto snap = loadSnapshot(conn(), box_);
    const auto* nas = snap->nasByIp(0x0a000001);
    ASSERT_NE(nas, nullptr);
    EXPECT_EQ(nas->nas.name, "bng1");
    EXPECT_EQ(nas->nas.type, "mikrotik");
    EXPECT_EQ(nas->nas.coa_port, 1700);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(nas->secret->bytes().data()),
                          nas->secret->bytes().size()),
              "s3cr3t");
    EXPECT_TRUE(nas->require_message_authenticator);
}

TEST_F(Loader, LoadsSettingsOverDefaults) {
    sql("INSERT INTO settings (key, value) VALUES ('interim_interval', '30'), ('hard_cut', 'yes'),"
        " ('brand', 'ACME')");
    auto snap = loadSnapshot(conn(), box_);
    EXPECT_EQ(snap->settings().interim_interval, 30u);
    EXPECT_TRUE(snap->settings().hard_cut);
    EXPECT_EQ(snap->settings().expired_action, "reject");
    EXPECT_EQ(snap->settings().extra.at("brand"), "ACME");
}

TEST_F(Loader, SubscriberSealedUnderAnotherKeyIsLeftOut) {
    crypto::SecretBox::Key other;
    other.fill(9);
    ASSERT_TRUE(
        addSubscriber(conn(), crypto::SecretBox(other), testing::subscriberInput("mallory", "x"))
            .has_value());
    auto snap = loadSnapshot(conn(), box_);
    EXPECT_EQ(snap->subscriberCount(), 2u);
    EXPECT_EQ(snap->subscriber("mallory"), nullptr);
}

TEST_F(Loader, NasAddedBySqlIsLiveWithinASecond) {
    SnapshotLoader loader(conninfo(), box_, holder_);
    loader.start();
    EXPECT_EQ(holder_.current()->nasCount(), 1u);
    sql("INSERT INTO nas_devices (name, ip, secret, type) VALUES ('bng2', '10.0.0.2', 'x', "
        "'cisco')");
    auto snap = waitFor([](const Snapshot& s) { return s.nasByIp(0x0a000002) != nullptr; });
    ASSERT_NE(snap, nullptr) << "NAS not published within a second";
    EXPECT_EQ(snap->nasByIp(0x0a000002)->nas.type, "cisco");
    EXPECT_EQ(snap->nasCount(), 2u);
}

TEST_F(Loader, NasAddressChangeAndDeleteFollow) {
    SnapshotLoader loader(conninfo(), box_, holder_);
    loader.start();
    sql("UPDATE nas_devices SET ip = '10.0.0.9' WHERE name = 'bng1'");
    ASSERT_NE(waitFor([](const Snapshot& s) {
                  return s.nasByIp(0x0a000009) != nullptr && s.nasByIp(0x0a000001) == nullptr;
              }),
              nullptr);
    sql("DELETE FROM nas_devices");
    ASSERT_NE(waitFor([](const Snapshot& s) { return s.nasCount() == 0; }), nullptr);
}

TEST_F(Loader, SubscriberChangesArePublishedAndOthersShared) {
    SnapshotLoader loader(conninfo(), box_, holder_);
    loader.start();
    auto before = holder_.current();
    sql("UPDATE subscribers SET static_ip = '100.64.0.7', enabled = false WHERE username = "
        "'alice'");
    auto after = waitFor([](const Snapshot& s) {
        auto* a = s.subscriber("alice");
        return a != nullptr && a->subscriber->static_ip == "100.64.0.7";
    });
    ASSERT_NE(after, nullptr);
    EXPECT_FALSE(after->subscriber("alice")->subscriber->enabled);
    EXPECT_GT(after->version(), before->version());
    // bob did not change: the new snapshot points at the very same entry.
    EXPECT_EQ(after->subscriber("bob"), before->subscriber("bob"));

    sql("DELETE FROM subscribers WHERE username = 'alice'");
    ASSERT_NE(waitFor([](const Snapshot& s) { return s.subscriber("alice") == nullptr; }), nullptr);
}

TEST_F(Loader, RenamedSubscriberMovesKey) {
    SnapshotLoader loader(conninfo(), box_, holder_);
    loader.start();
    // A rename needs the password resealed (the username is its associated data).
    sql("UPDATE subscribers SET username = 'bobby', password_enc = " +
        conn().quote(box_.seal("bob-pw", "bobby")) + " WHERE username = 'bob'");
    auto snap = waitFor([](const Snapshot& s) {
        return s.subscriber("bobby") != nullptr && s.subscriber("bob") == nullptr;
    });
    ASSERT_NE(snap, nullptr);
    EXPECT_EQ(snap->subscriber("bobby")->password, "bob-pw");
}

TEST_F(Loader, ServiceChangeReachesItsSubscribers) {
    SnapshotLoader loader(conninfo(), box_, holder_);
    loader.start();
    sql("UPDATE services SET download_bps = 50000000 WHERE name = 'Home'");
    auto snap = waitFor([](const Snapshot& s) {
        auto* b = s.subscriber("bob");
        return b != nullptr && b->subscriber->service->download_bps == 50000000u;
    });
    ASSERT_NE(snap, nullptr);
    EXPECT_EQ(snap->subscriber("alice")->subscriber->service.get(),
              snap->subscriber("bob")->subscriber->service.get());
    EXPECT_EQ(snap->subscriber("alice")->password, "alice-pw");
}

TEST_F(Loader, RadreplyRowsBecomeExtraAttributes) {
    SnapshotLoader loader(conninfo(), box_, holder_);
    loader.start();
    sql("INSERT INTO radreply (subscriber_id, attribute, value)"
        " SELECT id, 'Framed-IP-Address', '100.64.1.1' FROM subscribers WHERE username = 'bob'");
    auto snap = waitFor([](const Snapshot& s) {
        auto* b = s.subscriber("bob");
        return b != nullptr && b->subscriber->extra.size() == 1;
    });
    ASSERT_NE(snap, nullptr);
    EXPECT_EQ(snap->subscriber("bob")->subscriber->extra[0].name, "Framed-IP-Address");
    EXPECT_EQ(snap->subscriber("bob")->subscriber->extra[0].value, "100.64.1.1");
}

TEST_F(Loader, SettingsChangeIsPublished) {
    SnapshotLoader loader(conninfo(), box_, holder_);
    loader.start();
    sql("INSERT INTO settings (key, value) VALUES ('interim_interval', '60')");
    ASSERT_NE(waitFor([](const Snapshot& s) { return s.settings().interim_interval == 60u; }),
              nullptr);
}

}  // namespace
}  // namespace gatehouse::store
