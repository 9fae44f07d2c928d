// Accounting-Request -> AccountingRecord: every field, the 64-bit counters (RFC 2869 5.1, 5.2),
// the event time (RFC 2869 5.3 Event-Timestamp over RFC 2866 5.2 Acct-Delay-Time), the derived
// unique session id, and the statuses that are not stored.
#include "core/process/accounting_extract.hpp"

#include <gtest/gtest.h>

#include "tests/unit/process/fixture.hpp"

namespace gatehouse::process {
namespace {

using namespace testing;
namespace attr = radius::attr;

constexpr int64_t kNowUnix = 1700000000;
constexpr uint32_t kNasIp = kStrictNas;  // 10.0.0.1

using Fill = std::function<void(radius::PacketWriter&)>;

class AccountingExtract : public ::testing::Test {
  protected:
    AccountingExtract() : snapshot_(smallSnapshot()), nas_(nasEntry(kNasIp, true, true)) {}

    /// An Accounting-Request holding what `fill` adds, decoded as the pipeline sees it.
    radius::Packet packet(const Fill& fill) {
        Request r;
        r.code = radius::Code::kAccountingRequest;
        r.message_authenticator = false;
        r.fill = [fill](radius::PacketWriter& w, const crypto::SharedSecret&, const uint8_t*) {
            fill(w);
        };
        wire_ = build(r);
        auto decoded = radius::decodePacket(wire_, radius::Dictionary::builtin());
        EXPECT_TRUE(decoded.has_value());
        return decoded ? std::move(*decoded) : radius::Packet{};
    }

    Expected<store::AccountingRecord, std::string> extract(const Fill& fill,
                                                           const std::string& user = "alice") {
        const radius::Packet p = packet(fill);
        return extractAccountingRecord(p, radius::Dictionary::builtin(), *nas_, kNasIp,
                                       snapshot_->subscriber(user), Now{5000, kNowUnix});
    }

    store::AccountingRecord extractOk(const Fill& fill, const std::string& user = "alice") {
        auto r = extract(fill, user);
        EXPECT_TRUE(r.has_value()) << (r ? "" : r.error());
        return r ? std::move(*r) : store::AccountingRecord{};
    }

    /// One session of alice as a MikroTik reports it; `status` 1, 3 or 2.
    static Fill session(uint32_t status, const std::string& sid = "81a00001",
                        const std::string& user = "alice") {
        return [status, sid, user](radius::PacketWriter& w) {
            w.addString(attr::kUserName, user);
            w.addInteger(attr::kAcctStatusType, status);
            w.addString(attr::kAcctSessionId, sid);
            w.addString(attr::kNasPortId, "ether1");
            w.addInteger(attr::kNasPort, 15728640);
            if (status != 1) {
                w.addInteger(attr::kAcctSessionTime, 600 * (status == 2 ? 2 : 1));
                w.addInteger(attr::kAcctInputOctets, 1000 * status);
            }
        };
    }

    std::shared_ptr<const store::Snapshot> snapshot_;
    std::shared_ptr<store::NasEntry> nas_;
    Bytes wire_;
};

TEST_F(AccountingExtract, CopiesEveryField) {
    const store::AccountingRecord r = extractOk([](radius::PacketWriter& w) {
        w.addString(attr::kUserName, "alice");
        w.addInteger(attr::kAcctStatusType, 2);  // Stop
        w.addString(attr::kAcctSessionId, "81a00007");
        w.addString(attr::kNasPortId, "ether1");
        w.addInteger(attr::kNasPortType, 15);  // Ethernet
        w.addIpv4(attr::kFramedIpAddress, 0x64400005);
        w.addString(attr::kCallingStationId, "AA:BB:CC:DD:EE:FF");
        w.addString(attr::kCalledStationId, "pppoe-home");
        w.addInteger(attr::kAcctSessionTime, 3600);
        w.addInteger(attr::kAcctInputOctets, 123456);
        w.addInteger(attr::kAcctOutputOctets, 654321);
        w.addInteger(attr::kAcctTerminateCause, 1);  // User-Request
        w.addInteger(attr::kEventTimestamp, 1699999990);
    });
    EXPECT_EQ(r.status, store::AcctStatus::kStop);
    EXPECT_EQ(r.event_time, 1699999990);
    EXPECT_EQ(r.received_at, kNowUnix);
    EXPECT_EQ(r.session_id, "81a00007");
    EXPECT_EQ(r.unique_id, deriveUniqueId(kNasIp, "81a00007", "ether1", "alice"));
    EXPECT_EQ(r.username, "alice");
    EXPECT_EQ(r.subscriber_id, snapshot_->subscriber("alice")->subscriber->id);
    EXPECT_NE(r.subscriber_id, 0);
    EXPECT_EQ(r.nas_id, nas_->nas.id);
    EXPECT_EQ(r.nas_ip, kNasIp);
    EXPECT_EQ(r.nas_port_id, "ether1");
    EXPECT_EQ(r.nas_port_type, "Ethernet");
    ASSERT_TRUE(r.framed_ip.has_value());
    EXPECT_EQ(*r.framed_ip, 0x64400005u);
    EXPECT_EQ(r.calling_station_id, "AA:BB:CC:DD:EE:FF");
    EXPECT_EQ(r.called_station_id, "pppoe-home");
    EXPECT_EQ(r.session_time, 3600u);
    EXPECT_EQ(r.input_octets, 123456u);
    EXPECT_EQ(r.output_octets, 654321u);
    EXPECT_EQ(r.terminate_cause, "User-Request");
    EXPECT_TRUE(r.tags.empty());  // the pipeline adds the policy's tags
}

TEST_F(AccountingExtract, AbsentOptionalFieldsStayEmpty) {
    const store::AccountingRecord r = extractOk([](radius::PacketWriter& w) {
        w.addString(attr::kUserName, "alice");
        w.addInteger(attr::kAcctStatusType, 1);
        w.addString(attr::kAcctSessionId, "s");
    });
    EXPECT_EQ(r.status, store::AcctStatus::kStart);
    EXPECT_EQ(r.nas_port_id, "");
    EXPECT_EQ(r.nas_port_type, "");
    EXPECT_FALSE(r.framed_ip.has_value());
    EXPECT_EQ(r.calling_station_id, "");
    EXPECT_EQ(r.called_station_id, "");
    EXPECT_EQ(r.session_time, 0u);
    EXPECT_EQ(r.input_octets, 0u);
    EXPECT_EQ(r.output_octets, 0u);
    EXPECT_EQ(r.terminate_cause, "");
}

TEST_F(AccountingExtract, GigawordsAddTheWrapsOfTheOctetCounters) {
    const store::AccountingRecord r = extractOk([](radius::PacketWriter& w) {
        w.addString(attr::kUserName, "alice");
        w.addInteger(attr::kAcctStatusType, 3);
        w.addString(attr::kAcctSessionId, "s");
        w.addInteger(attr::kAcctInputOctets, 5);
        w.addInteger(attr::kAcctInputGigawords, 2);
        w.addInteger(attr::kAcctOutputOctets, 0xFFFFFFFF);
        w.addInteger(attr::kAcctOutputGigawords, 7);
    });
    EXPECT_EQ(r.input_octets, (uint64_t{2} << 32) + 5);
    EXPECT_EQ(r.output_octets, (uint64_t{7} << 32) + 0xFFFFFFFFu);
}

TEST_F(AccountingExtract, GigawordsAloneCountWholeWraps) {
    const store::AccountingRecord r = extractOk([](radius::PacketWriter& w) {
        w.addString(attr::kUserName, "alice");
        w.addInteger(attr::kAcctStatusType, 3);
        w.addString(attr::kAcctSessionId, "s");
        w.addInteger(attr::kAcctOutputGigawords, 1);
    });
    EXPECT_EQ(r.input_octets, 0u);
    EXPECT_EQ(r.output_octets, uint64_t{1} << 32);
}

TEST_F(AccountingExtract, EventTimestampWinsOverAcctDelayTime) {
    const store::AccountingRecord r = extractOk([](radius::PacketWriter& w) {
        w.addString(attr::kUserName, "alice");
        w.addInteger(attr::kAcctStatusType, 3);
        w.addString(attr::kAcctSessionId, "s");
        w.addInteger(attr::kAcctDelayTime, 30);
        w.addInteger(attr::kEventTimestamp, 1699990000);
    });
    EXPECT_EQ(r.event_time, 1699990000);
    EXPECT_EQ(r.received_at, kNowUnix);
}

TEST_F(AccountingExtract, AcctDelayTimeIsSubtractedFromTheArrivalTime) {
    const store::AccountingRecord r = extractOk([](radius::PacketWriter& w) {
        w.addString(attr::kUserName, "alice");
        w.addInteger(attr::kAcctStatusType, 3);
        w.addString(attr::kAcctSessionId, "s");
        w.addInteger(attr::kAcctDelayTime, 30);
    });
    EXPECT_EQ(r.event_time, kNowUnix - 30);
    EXPECT_EQ(r.received_at, kNowUnix);
}

TEST_F(AccountingExtract, WithoutEitherTheEventIsTheArrival) {
    const store::AccountingRecord r = extractOk(session(1));
    EXPECT_EQ(r.event_time, kNowUnix);
}

TEST_F(AccountingExtract, UniqueIdIsMd5OfNasSessionPortAndUserWithSeparators) {
    // 10.0.0.1, then each field followed by a zero octet (none after the last).
    const std::string input = std::string("\x0a\x00\x00\x01\x00", 5) + "abc" +
                              std::string(1, '\0') + "ether1" + std::string(1, '\0') + "alice";
    EXPECT_EQ(deriveUniqueId(kNasIp, "abc", "ether1", "alice"),
              toHex(crypto::md5({asBytes(input)})));
    EXPECT_EQ(deriveUniqueId(kNasIp, "abc", "ether1", "alice").size(), 32u);
    // Fields cannot run into each other.
    EXPECT_NE(deriveUniqueId(kNasIp, "ab", "cether1", "alice"),
              deriveUniqueId(kNasIp, "abc", "ether1", "alice"));
    EXPECT_NE(deriveUniqueId(kLaxNas, "abc", "ether1", "alice"),
              deriveUniqueId(kNasIp, "abc", "ether1", "alice"));
}

TEST_F(AccountingExtract, UniqueIdIsStableAcrossStartInterimAndStop) {
    const std::string at_start = extractOk(session(1)).unique_id;
    const std::string at_interim = extractOk(session(3)).unique_id;
    const std::string at_stop = extractOk(session(2)).unique_id;
    EXPECT_FALSE(at_start.empty());
    EXPECT_EQ(at_start, at_interim);
    EXPECT_EQ(at_start, at_stop);
    EXPECT_NE(extractOk(session(1, "81a00002")).unique_id, at_start);  // another session
    EXPECT_NE(extractOk(session(1, "81a00001", "bob"), "bob").unique_id, at_start);
}

TEST_F(AccountingExtract, NasPortStandsInForAMissingNasPortId) {
    const store::AccountingRecord r = extractOk([](radius::PacketWriter& w) {
        w.addString(attr::kUserName, "alice");
        w.addInteger(attr::kAcctStatusType, 1);
        w.addString(attr::kAcctSessionId, "s");
        w.addInteger(attr::kNasPort, 7);
    });
    EXPECT_EQ(r.nas_port_id, "");  // not invented for the row
    EXPECT_EQ(r.unique_id, deriveUniqueId(kNasIp, "s", "7", "alice"));
    EXPECT_NE(r.unique_id, deriveUniqueId(kNasIp, "s", "", "alice"));

    // With both, NAS-Port-Id is the one used.
    const store::AccountingRecord both = extractOk([](radius::PacketWriter& w) {
        w.addString(attr::kUserName, "alice");
        w.addInteger(attr::kAcctStatusType, 1);
        w.addString(attr::kAcctSessionId, "s");
        w.addInteger(attr::kNasPort, 7);
        w.addString(attr::kNasPortId, "ether2");
    });
    EXPECT_EQ(both.unique_id, deriveUniqueId(kNasIp, "s", "ether2", "alice"));
}

TEST_F(AccountingExtract, UnknownSubscriberIsKeptWithIdZero) {
    const store::AccountingRecord r = extractOk(session(1, "x", "mallory"), "mallory");
    EXPECT_EQ(r.username, "mallory");
    EXPECT_EQ(r.subscriber_id, 0);
}

TEST_F(AccountingExtract, AccountingOnAndOffAreStoredWithoutASession) {
    for (uint32_t status : {7u, 8u}) {
        const store::AccountingRecord r = extractOk(
            [status](radius::PacketWriter& w) { w.addInteger(attr::kAcctStatusType, status); }, "");
        EXPECT_EQ(r.status, status == 7 ? store::AcctStatus::kAccountingOn
                                        : store::AcctStatus::kAccountingOff);
        EXPECT_EQ(r.session_id, "");
        EXPECT_EQ(r.username, "");
        EXPECT_EQ(r.subscriber_id, 0);
        EXPECT_EQ(r.nas_ip, kNasIp);
    }
}

TEST_F(AccountingExtract, StatusesNotStoredAreErrorsSayingWhich) {
    auto failed = extract([](radius::PacketWriter& w) {
        w.addString(attr::kUserName, "alice");
        w.addInteger(attr::kAcctStatusType, 15);  // Failed (RFC 2866 5.1)
    });
    ASSERT_FALSE(failed.has_value());
    EXPECT_EQ(failed.error(), "Acct-Status-Type 15 not stored");

    auto tunnel = extract([](radius::PacketWriter& w) {
        w.addInteger(attr::kAcctStatusType, 9);  // Tunnel-Start (RFC 2867)
    });
    ASSERT_FALSE(tunnel.has_value());
    EXPECT_EQ(tunnel.error(), "Acct-Status-Type 9 not stored");

    auto none = extract([](radius::PacketWriter& w) { w.addString(attr::kUserName, "alice"); });
    ASSERT_FALSE(none.has_value());
    EXPECT_EQ(none.error(), "no Acct-Status-Type");
}

TEST_F(AccountingExtract, TerminateCauseAndPortTypeUseDictionaryNamesElseNumbers) {
    const store::AccountingRecord named = extractOk([](radius::PacketWriter& w) {
        w.addString(attr::kUserName, "alice");
        w.addInteger(attr::kAcctStatusType, 2);
        w.addString(attr::kAcctSessionId, "s");
        w.addInteger(attr::kAcctTerminateCause, 4);  // Idle-Timeout
        w.addInteger(attr::kNasPortType, 5);         // Virtual
    });
    EXPECT_EQ(named.terminate_cause, "Idle-Timeout");
    EXPECT_EQ(named.nas_port_type, "Virtual");

    const store::AccountingRecord numbered = extractOk([](radius::PacketWriter& w) {
        w.addString(attr::kUserName, "alice");
        w.addInteger(attr::kAcctStatusType, 2);
        w.addString(attr::kAcctSessionId, "s");
        w.addInteger(attr::kAcctTerminateCause, 999);
        w.addInteger(attr::kNasPortType, 4000);
    });
    EXPECT_EQ(numbered.terminate_cause, "999");
    EXPECT_EQ(numbered.nas_port_type, "4000");
}

}  // namespace
}  // namespace gatehouse::process

namespace gatehouse::process {
namespace {

// A router without NTP boots at 1970: its Event-Timestamp must not make the sweep close the
// session at once; the arrival time minus Acct-Delay-Time stands instead.
TEST_F(AccountingExtract, ImplausibleEventTimestampFallsBackToTheArrival) {
    for (int64_t ts :
         {int64_t{86400}, kNowUnix + kMaxClockAhead + 1, kNowUnix - kMaxEventAge - 1}) {
        const store::AccountingRecord r = extractOk([ts](radius::PacketWriter& w) {
            w.addString(attr::kUserName, "alice");
            w.addInteger(attr::kAcctStatusType, 3);
            w.addString(attr::kAcctSessionId, "s");
            w.addInteger(attr::kAcctDelayTime, 10);
            w.addInteger(attr::kEventTimestamp, static_cast<uint32_t>(ts));
        });
        EXPECT_EQ(r.event_time, kNowUnix - 10) << ts;
    }
    const store::AccountingRecord edge = extractOk([](radius::PacketWriter& w) {
        w.addString(attr::kUserName, "alice");
        w.addInteger(attr::kAcctStatusType, 3);
        w.addString(attr::kAcctSessionId, "s");
        w.addInteger(attr::kEventTimestamp, static_cast<uint32_t>(kNowUnix - kMaxEventAge));
    });
    EXPECT_EQ(edge.event_time, kNowUnix - kMaxEventAge);
}

}  // namespace
}  // namespace gatehouse::process
