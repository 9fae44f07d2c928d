// Cost of each credential check on the hot path (step 4 of ARCHITECTURE.md) and of the
// hashing around it. No figure here is asserted; see the crypto task report for numbers.
#include <benchmark/benchmark.h>

#include <array>
#include <cstdlib>
#include <string>

#include "core/crypto/chap.hpp"
#include "core/crypto/hiding.hpp"
#include "core/crypto/md5.hpp"
#include "core/crypto/mschap.hpp"
#include "core/crypto/pap.hpp"
#include "core/util/bytes.hpp"

namespace gatehouse::crypto {
namespace {

Bytes hex(std::string_view text) {
    auto b = fromHex(text);
    if (!b)
        std::abort();
    return *b;
}

const Bytes kRa = hex("00112233445566778899aabbccddeeff");

void BM_PapVerify(benchmark::State& state) {
    const SharedSecret secret("testing123");
    const Bytes hidden = hex("7ad1fdc99f0d03593966d16d25fb04c8");  // "alicepass"
    for (auto _ : state) {
        benchmark::DoNotOptimize(papVerify(hidden, secret, kRa.data(), asBytes("alicepass")));
    }
}
BENCHMARK(BM_PapVerify);

void BM_ChapVerify(benchmark::State& state) {
    const Bytes chap_password = hex("07dbcb766c78973b88a73ac6e539e33fdf");
    const Bytes challenge = hex("5c5d5e5f606162636465666768696a6b");
    for (auto _ : state) {
        benchmark::DoNotOptimize(chapVerify(chap_password, asBytes("alicepass"), challenge));
    }
}
BENCHMARK(BM_ChapVerify);

const Bytes kMsChap2Response = hex(
    "010021402324255e262a28295f2b3a337c7e000000000000000082309ecd8d708b5ea08faa3981cd83544233114a"
    "3d85d6df");
const Bytes kMsChapChallenge = hex("5b5d7c7d7b3f2f3e3c2c602132262628");

// The subscriber cache keeps the NT hash, so the check starts from it (success path: NT
// response, authenticator response, MPPE master and both start keys).
void BM_MsChapV2Verify(benchmark::State& state) {
    const NtHash hash = ntPasswordHash("clientPass");
    for (auto _ : state) {
        MsChapV2Result r = verifyMsChapV2(kMsChap2Response, kMsChapChallenge, "User", hash);
        benchmark::DoNotOptimize(r);
    }
}
BENCHMARK(BM_MsChapV2Verify);

void BM_MsChapV2VerifyWrongPassword(benchmark::State& state) {
    const NtHash hash = ntPasswordHash("wrongPass");
    for (auto _ : state) {
        MsChapV2Result r = verifyMsChapV2(kMsChap2Response, kMsChapChallenge, "User", hash);
        benchmark::DoNotOptimize(r);
    }
}
BENCHMARK(BM_MsChapV2VerifyWrongPassword);

void BM_NtPasswordHash(benchmark::State& state) {
    for (auto _ : state)
        benchmark::DoNotOptimize(ntPasswordHash("clientPass"));
}
BENCHMARK(BM_NtPasswordHash);

void BM_HmacMd5Packet100(benchmark::State& state) {
    const SharedSecret secret("testing123");
    Bytes packet(100);
    for (size_t i = 0; i < packet.size(); ++i)
        packet[i] = static_cast<uint8_t>(i);
    for (auto _ : state)
        benchmark::DoNotOptimize(secret.hmac().mac(packet));
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * 100);
}
BENCHMARK(BM_HmacMd5Packet100);

// One MS-MPPE-Send-Key value: 16-octet key, salted (RFC 2548 2.4.2).
void BM_MppeKeyEncrypt(benchmark::State& state) {
    const SharedSecret secret("testing123");
    const Bytes key = hex("8b7cdc149b993a1ba118cb153f56dccb");
    std::array<uint8_t, 34> out{};
    for (auto _ : state) {
        auto n = saltEncrypt(key, secret, kRa.data(), 0x8001, out.data());
        benchmark::DoNotOptimize(n);
        benchmark::DoNotOptimize(out);
    }
}
BENCHMARK(BM_MppeKeyEncrypt);

}  // namespace
}  // namespace gatehouse::crypto

BENCHMARK_MAIN();
