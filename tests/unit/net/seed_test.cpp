#include "core/net/seed.hpp"

#include <gtest/gtest.h>

#include "core/crypto/mschap.hpp"

namespace gatehouse::net {
namespace {

const radius::Dictionary& dict() {
    return radius::Dictionary::builtin();
}

TEST(Seed, LoadsNasServicesSubscribersAndGenerated) {
    auto snap = snapshotFromSeedJson(R"({
      "settings": {"interim_interval": 120},
      "services": {"basic": {"download_bps": "20M", "upload_bps": "5M"}},
      "nas": [{"ip": "127.0.0.1", "secret": "testing123", "type": "mikrotik",
               "require_message_authenticator": false}],
      "subscribers": [{"username": "alice", "password": "wonderland", "service": "basic"}],
      "generate": {"count": 3, "username": "user%03d", "password": "pass%03d",
                   "service": "basic"}})",
                                     dict());
    ASSERT_TRUE(snap.has_value()) << snap.error();
    const store::Snapshot& s = **snap;
    EXPECT_EQ(s.settings().interim_interval, 120u);
    const store::NasEntry* nas = s.nasByIp(0x7f000001);
    ASSERT_NE(nas, nullptr);
    EXPECT_EQ(nas->nas.type, "mikrotik");
    EXPECT_FALSE(nas->require_message_authenticator);
    EXPECT_TRUE(nas->limit_proxy_state);
    EXPECT_EQ(s.subscriberCount(), 4u);
    const store::SubscriberEntry* alice = s.subscriber("alice");
    ASSERT_NE(alice, nullptr);
    EXPECT_EQ(alice->password, "wonderland");
    EXPECT_EQ(alice->nt_hash, crypto::ntPasswordHash("wonderland"));
    ASSERT_NE(alice->subscriber->service, nullptr);
    EXPECT_EQ(alice->subscriber->service->name, "basic");
    EXPECT_EQ(alice->subscriber->service->download_bps, 20000000u);
    const store::SubscriberEntry* generated = s.subscriber("user002");
    ASSERT_NE(generated, nullptr);
    EXPECT_EQ(generated->password, "pass002");
}

TEST(Seed, ErrorsNameTheField) {
    auto r = snapshotFromSeedJson(R"({"nas": [{"ip": "127.0.0.1"}]})", dict());
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), "nas[0].secret: missing");
    r = snapshotFromSeedJson(R"({"subscribers": [{"username": "a", "password": "b",
                                                   "service": "gold"}]})",
                             dict());
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), "subscribers[0].service: no service \"gold\" in services");
    r = snapshotFromSeedJson(R"({"nas": [{"ip": "127.0.0.1", "secret": "s",
        "require_message_authenticator": false, "limit_proxy_state": false}]})",
                             dict());
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(),
              "nas[0]: require_message_authenticator and limit_proxy_state are both off");
    r = snapshotFromSeedJson(R"({"nsa": []})", dict());
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error(), "nsa: unknown field");
}

}  // namespace
}  // namespace gatehouse::net
