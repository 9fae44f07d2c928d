#pragma once
// Helpers for the policy engine tests: in-memory bundles, real requests built by the codec.
#include <gtest/gtest.h>

#include <array>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "bindings/state.hpp"
#include "core/crypto/md5.hpp"
#include "core/policy/host.hpp"
#include "core/radius/value.hpp"
#include "core/radius/writer.hpp"

namespace gatehouse::policy::enginetest {

inline const radius::Dictionary& dict() {
    return radius::Dictionary::builtin();
}

inline EngineConfig smallBudget(uint64_t n = 100000) {
    EngineConfig c;
    c.max_instructions = n;
    return c;
}

inline Expected<std::unique_ptr<PolicyHost>, PolicyError> tryHost(std::vector<PolicyFile> files,
                                                                  EngineConfig config = {}) {
    return PolicyHost::create(PolicyBundle::fromFiles(std::move(files), config), dict());
}

/// A host for one default.lua; fails the test (and returns nullptr) when it does not compile.
inline std::unique_ptr<PolicyHost> host(const std::string& source, EngineConfig config = {},
                                        std::vector<PolicyFile> more = {}) {
    more.insert(more.begin(), PolicyFile{"default.lua", source});
    auto h = tryHost(std::move(more), config);
    if (!h) {
        ADD_FAILURE() << h.error().describe();
        return nullptr;
    }
    return std::move(*h);
}

/// A log sink that keeps every line.
class CaptureSink : public bindings::LogSink {
  public:
    void write(bindings::LogLevel level, std::string_view where, std::string_view msg) override {
        lines.push_back(std::string(level == bindings::LogLevel::kWarn ? "warn " : "info ") +
                        std::string(where) + " " + std::string(msg));
    }
    std::vector<std::string> lines;
};

/// A request encoded by the PacketWriter and decoded again, with a subscriber, NAS and settings.
struct Request {
    explicit Request(std::vector<std::pair<std::string, std::string>> attrs,
                     radius::Code code = radius::Code::kAccessRequest,
                     std::string_view auth_method = "pap") {
        static const crypto::SharedSecret kSecret("secret");
        uint8_t auth[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
        radius::PacketWriter w(buffer, &dict());
        w.begin(code, 7, auth);
        for (const auto& [name, text] : attrs) {
            const radius::AttrDef* def = dict().byName(name);
            EXPECT_NE(def, nullptr) << name;
            auto wire = radius::parseValue(dict(), *def, text);
            EXPECT_TRUE(wire.has_value()) << name;
            EXPECT_TRUE(w.add(*def, *wire, kSecret, auth)) << name;
        }
        auto out = w.finishRequest(kSecret);
        EXPECT_TRUE(out.has_value());
        auto decoded = radius::decodePacket(*out, dict());
        EXPECT_TRUE(decoded.has_value());
        packet = std::move(*decoded);
        ctx.request = &packet;
        ctx.dict = &dict();
        ctx.auth_method = auth_method;
        ctx.subscriber = &sub;
        ctx.nas = &nas;
        ctx.settings = &settings;
        ctx.now = 1700000000;
    }
    Request(const Request&) = delete;

    std::array<uint8_t, radius::kMaxPacketLength> buffer{};
    radius::Packet packet;
    Subscriber sub;
    Nas nas;
    Settings settings;
    RequestContext ctx;
};

/// A MikroTik PPPoE Access-Request as RouterOS sends it, for a subscriber with a 20M service.
inline std::unique_ptr<Request> pppoeRequest() {
    auto r = std::make_unique<Request>(std::vector<std::pair<std::string, std::string>>{
        {"User-Name", "alice@isp.example"},
        {"Service-Type", "Framed-User"},
        {"Framed-Protocol", "PPP"},
        {"NAS-Port", "15728653"},
        {"NAS-Port-Type", "Ethernet"},
        {"NAS-Port-Id", "ether2-pppoe"},
        {"Calling-Station-Id", "aa-bb-cc-dd-ee-01"},
        {"Called-Station-Id", "pppoe-service"},
        {"NAS-Identifier", "mt-core-1"},
        {"NAS-IP-Address", "10.255.0.1"},
        {"Acct-Session-Id", "81a0000b"},
    });
    auto svc = std::make_shared<Service>();
    svc->id = 3;
    svc->name = "Home 20M";
    svc->download_bps = 20000000;
    svc->upload_bps = 5000000;
    svc->pool_name = "pppoe-pool";
    svc->fup = {FupTier{"FUP1", 50000000000ull, 0, 10000000, 2000000, "fup1"},
                FupTier{"FUP2", 80000000000ull, 0, 4000000, 1000000, "fup2"}};
    r->sub.id = 42;
    r->sub.username = "alice@isp.example";
    r->sub.mac = "AA:BB:CC:DD:EE:01";
    r->sub.service = svc;
    r->sub.usage = Usage{100, 200, 1000, 2000};
    r->nas.id = 1;
    r->nas.name = "mt-core-1";
    r->nas.ip = "10.255.0.1";
    r->nas.type = "mikrotik";
    return r;
}

}  // namespace gatehouse::policy::enginetest
