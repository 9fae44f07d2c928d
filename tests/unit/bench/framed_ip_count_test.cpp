// The generator counts Access-Accepts that carry an address (scripts/bench pool checks that
// every Accept of a pool or static-address run got one).
#include <gtest/gtest.h>

#include <array>
#include <optional>

#include "core/bench/request_builder.hpp"
#include "core/bench/slot_table.hpp"
#include "core/radius/writer.hpp"

namespace gatehouse::bench {
namespace {

using radius::Code;

class FramedIpCount : public ::testing::Test {
  protected:
    FramedIpCount() : builder_(makeOptions(), 1), table_(4) {}

    static Options makeOptions() {
        Options o;
        o.secret = "testing123";
        return o;
    }

    uint8_t send() {
        const auto id = static_cast<uint8_t>(table_.acquire());
        table_.prepare(id);
        auto len = builder_.build({.id = id, .user = id}, table_.buffer(id), rng_);
        EXPECT_TRUE(len.has_value());
        table_.markSent(id, *len, 0, 1000, 5000);
        return id;
    }

    // An answer to request `id`; `address` (host order) as Framed-IP-Address unless absent.
    Bytes answer(uint8_t id, Code code, std::optional<uint32_t> address) {
        std::array<uint8_t, radius::kMaxPacketLength> buf{};
        radius::PacketWriter w(buf);
        const ByteSpan request = table_.request(id);
        w.begin(code, request[1]);
        w.addMessageAuthenticator();
        if (address)
            w.addIpv4(radius::attr::kFramedIpAddress, *address);
        auto done = w.finishResponse(builder_.secret(), request.data() + 4);
        EXPECT_TRUE(done.has_value());
        return Bytes(done->begin(), done->end());
    }

    void receive(const Bytes& datagram) {
        table_.onResponse(datagram, 2000, builder_.secret(), true, scratch_, counters_, latency_);
    }

    RequestBuilder builder_;
    SlotTable table_;
    RandomPool rng_;
    radius::Packet scratch_;
    Counters counters_;
    LatencyHistogram latency_;
};

TEST_F(FramedIpCount, AcceptWithAnAddressIsCounted) {
    const uint8_t id = send();
    receive(answer(id, Code::kAccessAccept, 0x0a000001));
    EXPECT_EQ(counters_.accepted, 1u);
    EXPECT_EQ(counters_.accepted_with_framed_ip, 1u);
}

TEST_F(FramedIpCount, AcceptWithoutAnAddressIsNotCounted) {
    const uint8_t id = send();
    receive(answer(id, Code::kAccessAccept, std::nullopt));
    EXPECT_EQ(counters_.accepted, 1u);
    EXPECT_EQ(counters_.accepted_with_framed_ip, 0u);
}

TEST_F(FramedIpCount, ZeroAddressOfAnUnfinishedClaimIsNotCounted) {
    const uint8_t id = send();
    receive(answer(id, Code::kAccessAccept, 0));
    EXPECT_EQ(counters_.accepted, 1u);
    EXPECT_EQ(counters_.accepted_with_framed_ip, 0u);
}

TEST_F(FramedIpCount, RejectIsNeverCounted) {
    const uint8_t id = send();
    receive(answer(id, Code::kAccessReject, 0x0a000001));
    EXPECT_EQ(counters_.rejected, 1u);
    EXPECT_EQ(counters_.accepted_with_framed_ip, 0u);
}

TEST_F(FramedIpCount, MergeAddsTheCount) {
    Counters a, b;
    a.accepted_with_framed_ip = 2;
    b.accepted_with_framed_ip = 3;
    a.merge(b);
    EXPECT_EQ(a.accepted_with_framed_ip, 5u);
}

}  // namespace
}  // namespace gatehouse::bench
