#pragma once
// A small world for the pipeline tests (and the net tests): three NASes, a few subscribers,
// a Lua policy with a known behaviour, and helpers that build requests as a NAS would.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/crypto/chap.hpp"
#include "core/crypto/hiding.hpp"
#include "core/crypto/md5.hpp"
#include "core/crypto/mschap.hpp"
#include "core/policy/bundle.hpp"
#include "core/policy/store.hpp"
#include "core/radius/authenticator.hpp"
#include "core/radius/dictionary.hpp"
#include "core/radius/packet.hpp"
#include "core/radius/writer.hpp"
#include "core/store/snapshot.hpp"

namespace gatehouse::process::testing {

inline constexpr uint32_t kStrictNas = 0x0a000001;   // 10.0.0.1: requires MA (the default)
inline constexpr uint32_t kLegacyNas = 0x0a000002;   // 10.0.0.2: no MA required, limit_proxy_state
inline constexpr uint32_t kLaxNas = 0x0a000003;      // 10.0.0.3: no MA, Proxy-State allowed
inline constexpr uint32_t kUnknownNas = 0x0a000063;  // 10.0.0.99
inline const std::string kSecret = "s3cret-nas";

// authorize(): "blocked" is rejected by the policy (reason "account disabled", MS-CHAP 647,
// with a Reply-Message); "pool" gets a NAS pool, "managed" a Gatehouse-managed pool, "checked"
// a static address checked for conflicts first; everyone
// else an accept with a static address, timeouts and two reply attributes.
inline const char* kPolicy = R"(
function authorize(req, sub, nas)
  if sub.username == "blocked" then
    return reject("account disabled", { mschap_error = 647,
                                        reply = { ["Reply-Message"] = "disabled" } })
  end
  if sub.username == "pool" then
    return accept({ ["Reply-Message"] = "hi" }, { ip = { nas_pool = "pppoe-pool" } })
  end
  if sub.username == "managed" then
    return accept({}, { ip = { pool = "managed-1" } })
  end
  if sub.username == "checked" then
    return accept({}, { ip = { static = "10.1.2.5",
                               on_conflict = { attempts = 3, subnet = "10.1.2.0/24" } } })
  end
  return accept({ ["Reply-Message"] = "hi", ["Acct-Interim-Interval"] = 300 },
                { ip = { static = "10.9.0.5" }, session_timeout = 3600, idle_timeout = 600 })
end
function accounting(req, sub, nas)
  if sub == nil then return discard("unknown user") end
  return record({})
end
)";

inline std::shared_ptr<store::NasEntry> nasEntry(uint32_t ip, bool require_ma, bool limit_ps) {
    auto e = std::make_shared<store::NasEntry>();
    e->nas.id = ip & 0xff;
    e->nas.name = "nas" + std::to_string(ip & 0xff);
    e->nas.ip = "10.0.0." + std::to_string(ip & 0xff);
    e->secret = std::make_shared<const crypto::SharedSecret>(kSecret);
    e->require_message_authenticator = require_ma;
    e->limit_proxy_state = limit_ps;
    return e;
}

inline void addUser(store::Snapshot& s, const std::string& name, const std::string& password) {
    auto sub = std::make_shared<policy::Subscriber>();
    sub->id = static_cast<int64_t>(s.subscribers_.size() + 1);
    sub->username = name;
    auto e = std::make_shared<store::SubscriberEntry>();
    e->subscriber = sub;
    e->password = password;
    e->nt_hash = crypto::ntPasswordHash(password);
    s.subscribers_[name] = e;
}

inline std::shared_ptr<const store::Snapshot> smallSnapshot() {
    auto s = std::make_shared<store::Snapshot>();
    s->nas_[kStrictNas] = nasEntry(kStrictNas, true, true);
    s->nas_[kLegacyNas] = nasEntry(kLegacyNas, false, true);
    s->nas_[kLaxNas] = nasEntry(kLaxNas, false, false);
    for (const char* name : {"alice", "blocked", "pool", "managed", "checked"})
        addUser(*s, name, "wonderland");
    s->version_ = 1;
    return s;
}

inline std::unique_ptr<policy::PolicyStore> policyStore(const std::string& source = kPolicy) {
    auto store = std::make_unique<policy::PolicyStore>(radius::Dictionary::builtin(),
                                                       policy::StoreOptions{});
    auto bundle = policy::PolicyBundle::fromFiles({policy::PolicyFile{"default.lua", source}},
                                                  policy::EngineConfig{});
    const policy::ReloadReport r = store->reloadBundle(bundle, "startup");
    EXPECT_TRUE(r.ok) << r.describe();
    return store;
}

/// How a test NAS builds one request.
struct Request {
    radius::Code code = radius::Code::kAccessRequest;
    uint8_t id = 7;
    bool message_authenticator = true;
    std::array<uint8_t, 16> auth{};  // Access-Request / Status-Server authenticator
    std::string secret = kSecret;
    std::function<void(radius::PacketWriter&, const crypto::SharedSecret&, const uint8_t*)> fill;
};

inline Bytes build(Request r) {
    if (r.auth == std::array<uint8_t, 16>{})
        crypto::randomBytes(r.auth.data(), r.auth.size());
    std::array<uint8_t, radius::kMaxPacketLength> buf{};
    radius::PacketWriter w(buf, &radius::Dictionary::builtin());
    const bool random_auth =
        r.code == radius::Code::kAccessRequest || r.code == radius::Code::kStatusServer;
    w.begin(r.code, r.id, random_auth ? r.auth.data() : nullptr);
    if (r.message_authenticator)
        w.addMessageAuthenticator();
    const crypto::SharedSecret secret(r.secret);
    if (r.fill)
        r.fill(w, secret, r.auth.data());
    auto done = w.finishRequest(secret);
    EXPECT_TRUE(done.has_value());
    return Bytes(done->begin(), done->end());
}

inline Request pap(const std::string& user, const std::string& password) {
    Request r;
    r.fill = [user, password](radius::PacketWriter& w, const crypto::SharedSecret& s,
                              const uint8_t* auth) {
        w.addString(radius::attr::kUserName, user);
        w.addUserPassword(asBytes(password), s, auth);
    };
    return r;
}

inline Request chap(const std::string& user, const std::string& password, bool challenge_attr) {
    Request r;
    crypto::randomBytes(r.auth.data(), r.auth.size());
    r.fill = [user, password, challenge_attr](radius::PacketWriter& w, const crypto::SharedSecret&,
                                              const uint8_t* auth) {
        std::array<uint8_t, 16> challenge{};
        for (size_t i = 0; i < challenge.size(); ++i)
            challenge[i] = static_cast<uint8_t>(0xa0 + i);
        const ByteSpan used = challenge_attr ? ByteSpan(challenge) : ByteSpan(auth, 16);
        const crypto::Digest16 response = crypto::chapResponse(0x42, asBytes(password), used);
        std::array<uint8_t, 17> value{0x42};
        std::copy(response.begin(), response.end(), value.begin() + 1);
        w.addString(radius::attr::kUserName, user);
        w.add(radius::attr::kChapPassword, value);
        if (challenge_attr)
            w.add(radius::attr::kChapChallenge, challenge);
    };
    return r;
}

inline std::array<uint8_t, 16> kAuthChallenge = {1, 2,  3,  4,  5,  6,  7,  8,
                                                 9, 10, 11, 12, 13, 14, 15, 16};
inline std::array<uint8_t, 16> kPeerChallenge = {0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28,
                                                 0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30};

inline Bytes msChapV2Response(const std::string& user, const std::string& password) {
    const crypto::Response24 nt = crypto::generateNtResponse(kAuthChallenge, kPeerChallenge, user,
                                                             crypto::ntPasswordHash(password));
    // ident, flags, peer challenge, 8 reserved zeros, NT-Response (RFC 2548 2.3.2)
    Bytes v(50, 0);
    v[0] = 0x09;
    std::copy(kPeerChallenge.begin(), kPeerChallenge.end(), v.begin() + 2);
    std::copy(nt.begin(), nt.end(), v.begin() + 26);
    return v;
}

inline Request msChapV2(const std::string& user, const std::string& password) {
    Request r;
    r.fill = [user, password](radius::PacketWriter& w, const crypto::SharedSecret&,
                              const uint8_t*) {
        w.addString(radius::attr::kUserName, user);
        w.addVendor(radius::vendor::kMicrosoft, radius::ms::kChapChallenge, kAuthChallenge);
        w.addVendor(radius::vendor::kMicrosoft, radius::ms::kChap2Response,
                    msChapV2Response(user, password));
    };
    return r;
}

inline Request msChapV1(const std::string& user, const std::string& password) {
    Request r;
    r.fill = [user, password](radius::PacketWriter& w, const crypto::SharedSecret&,
                              const uint8_t*) {
        const std::array<uint8_t, 8> challenge = {8, 7, 6, 5, 4, 3, 2, 1};
        const crypto::Response24 nt =
            crypto::challengeResponse(challenge.data(), crypto::ntPasswordHash(password));
        // ident, flags (1: use NT-Response), LM-Response (zeros), NT-Response (RFC 2548 2.1.3)
        std::array<uint8_t, 50> v{};
        v[0] = 0x05;
        v[1] = 0x01;
        std::copy(nt.begin(), nt.end(), v.begin() + 26);
        w.addString(radius::attr::kUserName, user);
        w.addVendor(radius::vendor::kMicrosoft, radius::ms::kChapChallenge, challenge);
        w.addVendor(radius::vendor::kMicrosoft, radius::ms::kChapResponse, v);
    };
    return r;
}

/// A response checked the way a strict client does: decodes, correct Response Authenticator,
/// valid Message-Authenticator as the FIRST attribute (BlastRADIUS).
inline radius::Packet checkedResponse(ByteSpan reply, const Bytes& request, bool expect_ma = true) {
    auto decoded = radius::decodePacket(reply, radius::Dictionary::builtin());
    EXPECT_TRUE(decoded.has_value());
    if (!decoded)
        return {};
    const crypto::SharedSecret secret(kSecret);
    const uint8_t* request_auth = request.data() + 4;
    EXPECT_TRUE(radius::verifyResponseAuthenticator(reply, request_auth, secret));
    EXPECT_EQ(reply[1], request[1]);  // Identifier
    if (expect_ma) {
        EXPECT_GE(reply.size(), 38u);
        EXPECT_EQ(reply[20], radius::attr::kMessageAuthenticator);
        EXPECT_EQ(reply[21], 18);
        EXPECT_EQ(radius::checkResponseMessageAuthenticator(*decoded, request_auth, secret),
                  radius::MaCheck::kValid);
    }
    return std::move(*decoded);
}

}  // namespace gatehouse::process::testing
