// The codec's hot path: what one worker does per Access-Request and per Access-Accept.
//   codec_bench --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <array>
#include <cstdlib>

#include "core/crypto/hiding.hpp"
#include "core/radius/authenticator.hpp"
#include "core/radius/packet.hpp"
#include "core/radius/writer.hpp"
#include "tests/unit/radius/codec_test_dict.hpp"

namespace gatehouse::radius {
namespace {

const crypto::SharedSecret& secret() {
    static const crypto::SharedSecret s("mikrotik-shared-secret");
    return s;
}

const uint8_t kRequestAuth[16] = {0x5a, 0x01, 0x77, 0x3c, 0x90, 0x12, 0xfe, 0x44,
                                  0x08, 0xb1, 0x6d, 0x2e, 0xc3, 0x55, 0x19, 0xa7};

// What RouterOS sends for a PPPoE login (MA first, as with require-message-auth).
Bytes pppoeAccessRequest() {
    std::array<uint8_t, kMaxPacketLength> buf{};
    PacketWriter w(buf);
    w.begin(Code::kAccessRequest, 0x2c, kRequestAuth);
    w.addMessageAuthenticator();
    w.addInteger(attr::kServiceType, 2);
    w.addInteger(7, 1);  // Framed-Protocol PPP
    w.addString(attr::kNasPortId, "ether5-vlan120");
    w.addInteger(attr::kNasPortType, 15);  // Ethernet
    w.addString(attr::kUserName, "subscriber-0012345@isp");
    w.addString(attr::kCallingStationId, "4C:5E:0C:12:34:56");
    w.addString(attr::kCalledStationId, "pppoe-service-1");
    w.addString(attr::kAcctSessionId, "81a0003f");
    w.addUserPassword(asBytes("Sup3rSecretPass"), secret(), kRequestAuth);
    w.addInteger(attr::kNasPort, 15728761);
    w.addString(attr::kNasIdentifier, "bng-core-01");
    w.addIpv4(attr::kNasIpAddress, 0x0a000101);
    auto r = w.finishRequest(secret());
    if (!r)
        std::abort();
    return Bytes(r->begin(), r->end());
}

void BM_DecodeAndVerifyPppoeAccessRequest(benchmark::State& state) {
    const Dictionary& dict = test::codecDict();
    const Bytes wire = pppoeAccessRequest();
    Packet p;
    for (auto _ : state) {
        auto r = decodeInto(wire, dict, p);
        const MaCheck m = checkRequestMessageAuthenticator(p, secret());
        benchmark::DoNotOptimize(r);
        benchmark::DoNotOptimize(m);
        if (!r || m != MaCheck::kValid)
            state.SkipWithError("decode or MA failed");
    }
    state.SetLabel(std::to_string(wire.size()) + " octets");
}
BENCHMARK(BM_DecodeAndVerifyPppoeAccessRequest);

void BM_DecodeOnlyPppoeAccessRequest(benchmark::State& state) {
    const Dictionary& dict = test::codecDict();
    const Bytes wire = pppoeAccessRequest();
    Packet p;
    for (auto _ : state) {
        auto r = decodeInto(wire, dict, p);
        benchmark::DoNotOptimize(r);
    }
}
BENCHMARK(BM_DecodeOnlyPppoeAccessRequest);

void BM_PapUnhide(benchmark::State& state) {
    const Dictionary& dict = test::codecDict();
    const Bytes wire = pppoeAccessRequest();
    Packet p;
    if (!decodeInto(wire, dict, p))
        std::abort();
    const AttrRef* pw = p.find(0, attr::kUserPassword);
    uint8_t plain[128];
    for (auto _ : state) {
        auto n = crypto::unhideUserPassword(p.value(*pw), secret(), p.authenticator(), plain);
        benchmark::DoNotOptimize(n);
        benchmark::DoNotOptimize(plain);
    }
}
BENCHMARK(BM_PapUnhide);

void BM_EncodeAccessAcceptWithMa(benchmark::State& state) {
    std::array<uint8_t, kMaxPacketLength> buf{};
    PacketWriter w(buf);
    size_t size = 0;
    for (auto _ : state) {
        w.begin(Code::kAccessAccept, 0x2c);
        w.addMessageAuthenticator();
        w.addVendorString(vendor::kMikrotik, 8, "50M/100M 60M/120M 40M/80M 10/10 8 20M/40M");
        w.addIpv4(attr::kFramedIpAddress, 0x640a0b0c);
        w.addInteger(attr::kAcctInterimInterval, 300);
        w.addInteger(attr::kSessionTimeout, 86400);
        auto r = w.finishResponse(secret(), kRequestAuth);
        benchmark::DoNotOptimize(r);
        size = r->size();
    }
    state.SetLabel(std::to_string(size) + " octets");
}
BENCHMARK(BM_EncodeAccessAcceptWithMa);

}  // namespace
}  // namespace gatehouse::radius

BENCHMARK_MAIN();
