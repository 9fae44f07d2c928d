// authorize() cost: a tiny inline policy and the shipped policies/default.lua, for a typical
// MikroTik PPPoE Access-Request, with the JIT off (the default: the budget is exact) and on.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/crypto/md5.hpp"
#include "core/policy/host.hpp"
#include "core/radius/value.hpp"
#include "core/radius/writer.hpp"

namespace gatehouse::bench {
namespace {

using namespace gatehouse::policy;

const radius::Dictionary& dict() {
    return radius::Dictionary::builtin();
}

/// A MikroTik PPPoE Access-Request as RouterOS 7 sends it, and its subscriber.
struct PppoeRequest {
    PppoeRequest() {
        const std::pair<const char*, const char*> attrs[] = {
            {"User-Name", "alice@isp.example"},
            {"Service-Type", "Framed-User"},
            {"Framed-Protocol", "PPP"},
            {"NAS-Port", "15728653"},
            {"NAS-Port-Type", "Ethernet"},
            {"NAS-Port-Id", "ether2-pppoe"},
            {"Calling-Station-Id", "AA:BB:CC:DD:EE:01"},
            {"Called-Station-Id", "pppoe-service"},
            {"NAS-Identifier", "mt-core-1"},
            {"NAS-IP-Address", "10.255.0.1"},
            {"Acct-Session-Id", "81a0000b"},
            {"Mikrotik-Host-IP", "10.255.0.1"},
        };
        static const crypto::SharedSecret kSecret("secret");
        uint8_t auth[16] = {};
        radius::PacketWriter w(buffer, &dict());
        w.begin(radius::Code::kAccessRequest, 1, auth);
        for (const auto& [name, text] : attrs) {
            const radius::AttrDef* def = dict().byName(name);
            if (def == nullptr) {
                continue;
            }
            auto wire = radius::parseValue(dict(), *def, text);
            if (wire) {
                w.add(*def, *wire, kSecret, auth);
            }
        }
        auto out = w.finishRequest(kSecret);
        packet = std::move(*radius::decodePacket(*out, dict()));
        auto svc = std::make_shared<Service>();
        svc->id = 3;
        svc->name = "Home 20M";
        svc->download_bps = 20000000;
        svc->upload_bps = 5000000;
        svc->burst_download_bps = 40000000;
        svc->burst_upload_bps = 10000000;
        svc->burst_threshold_download_bps = 15000000;
        svc->burst_threshold_upload_bps = 4000000;
        svc->burst_time_s = 8;
        svc->pool_name = "pppoe-pool";
        svc->address_list = "home";
        svc->fup = {FupTier{"FUP1", 50000000000ull, 0, 10000000, 2000000, "fup1"},
                    FupTier{"FUP2", 80000000000ull, 0, 4000000, 1000000, "fup2"}};
        sub.id = 42;
        sub.username = "alice@isp.example";
        sub.mac = "AA:BB:CC:DD:EE:01";
        sub.service = svc;
        sub.usage = Usage{1000000, 20000000, 300000000, 4000000000ull};
        nas.id = 1;
        nas.name = "mt-core-1";
        nas.ip = "10.255.0.1";
        nas.type = "mikrotik";
        ctx.request = &packet;
        ctx.dict = &dict();
        ctx.auth_method = "pap";
        ctx.subscriber = &sub;
        ctx.nas = &nas;
        ctx.settings = &settings;
        ctx.now = 1700000000;
    }
    std::array<uint8_t, radius::kMaxPacketLength> buffer{};
    radius::Packet packet;
    Subscriber sub;
    Nas nas;
    Settings settings;
    RequestContext ctx;
};

const char* kTinyPolicy = R"(
function authorize(req, sub, nas)
  if not sub or not sub.enabled then return reject("no") end
  return accept({ ["Mikrotik-Rate-Limit"] = "5M/20M" })
end)";

void runAuthorize(benchmark::State& state, std::shared_ptr<const PolicyBundle> bundle) {
    auto host = PolicyHost::create(std::move(bundle), dict());
    if (!host) {
        state.SkipWithError(host.error().describe().c_str());
        return;
    }
    PppoeRequest r;
    Decision first = (*host)->authorize(r.ctx);
    if (!first.policy_error.empty() || !first.accept) {
        state.SkipWithError(("not an accept: " + first.reason + first.policy_error).c_str());
        return;
    }
    for (auto _ : state) {
        Decision d = (*host)->authorize(r.ctx);
        benchmark::DoNotOptimize(d);
    }
    state.counters["reply_attrs"] = static_cast<double>(first.reply.size());
}

void BM_AuthorizeTiny(benchmark::State& state) {
    EngineConfig config;
    config.jit = state.range(0) != 0;
    runAuthorize(state, PolicyBundle::fromFiles({{"default.lua", kTinyPolicy}}, config));
}
BENCHMARK(BM_AuthorizeTiny)->ArgName("jit")->Arg(0)->Arg(1);

void BM_AuthorizeDefaultPolicy(benchmark::State& state) {
    EngineConfig config;
    config.jit = state.range(0) != 0;
    auto bundle = PolicyBundle::loadDirectory(std::string(GH_SOURCE_DIR) + "/policies", config);
    if (!bundle) {
        state.SkipWithError(bundle.error().describe().c_str());
        return;
    }
    runAuthorize(state, *bundle);
}
BENCHMARK(BM_AuthorizeDefaultPolicy)->ArgName("jit")->Arg(0)->Arg(1);

}  // namespace
}  // namespace gatehouse::bench

BENCHMARK_MAIN();
