// Black-box checks of the codec and crypto against FreeRADIUS's radclient (freeradius-utils):
// radclient builds the requests (PAP, CHAP, MS-CHAPv1, MS-CHAPv2, accounting, CoA, Disconnect,
// Status-Server), our codec decodes and verifies them, and radclient in turn verifies our
// responses (Response Authenticator, Message-Authenticator) and decrypts our hidden attributes.
#include <gtest/gtest.h>

#include <functional>
#include <future>
#include <string>

#include "core/crypto/chap.hpp"
#include "core/crypto/hiding.hpp"
#include "core/crypto/mschap.hpp"
#include "core/radius/authenticator.hpp"
#include "core/radius/packet.hpp"
#include "core/radius/writer.hpp"
#include "tests/integration/process.hpp"
#include "tests/integration/udp_peer.hpp"

namespace gatehouse::radius {
namespace {

using crypto::SharedSecret;
using testing::ProcessResult;
using testing::UdpPeer;

constexpr const char* kSecret = "testing123";

const Dictionary& dict() {
    return Dictionary::builtin();
}

// What the test saw on its side of one exchange.
struct Exchange {
    bool received = false;
    Bytes request;
    ProcessResult radclient;
};

using Handler = std::function<void(const Packet& request, UdpPeer& peer)>;

// Runs `radclient -x 127.0.0.1:PORT <command> <secret>` with `input` on stdin, serves the
// first request it sends with `handler`, and returns both sides.
Exchange exchange(const std::string& command, const std::string& input, const Handler& handler,
                  const std::string& client_secret = kSecret) {
    UdpPeer peer;
    Exchange ex;
    auto client = std::async(std::launch::async, [&] {
        return testing::runProcess(
            {"radclient", "-x", "-t", "2", "-r", "1", "127.0.0.1:" + std::to_string(peer.port()),
             command, client_secret},
            input);
    });
    if (auto datagram = peer.receive(10000)) {
        ex.received = true;
        ex.request = *datagram;
        auto packet = decodePacket(ex.request, dict());
        EXPECT_TRUE(packet) << (packet ? "" : describe(packet.error()));
        if (packet)
            handler(*packet, peer);
    }
    ex.radclient = client.get();
    return ex;
}

void send(UdpPeer& peer, PacketWriter& w, const SharedSecret& secret, const Packet& request) {
    auto wire = w.finishResponse(secret, request.authenticator());
    ASSERT_TRUE(wire) << describe(wire.error());
    peer.reply(wire->data(), wire->size());
}

TEST(Radclient, PapRequestDecodesAndOurAcceptPassesItsChecks) {
    SharedSecret secret(kSecret);
    std::string password;
    auto ex = exchange(
        "auth",
        "User-Name = \"alice\"\nUser-Password = \"alicepass\"\nNAS-IP-Address = 127.0.0.1\n"
        "Message-Authenticator = 0x00\n",
        [&](const Packet& req, UdpPeer& peer) {
            EXPECT_EQ(req.code(), Code::kAccessRequest);
            EXPECT_EQ(checkRequestMessageAuthenticator(req, secret), MaCheck::kValid);
            const AttrRef* pw = req.find(0, attr::kUserPassword);
            ASSERT_NE(pw, nullptr);
            uint8_t plain[128];
            auto n = crypto::unhideUserPassword(req.value(*pw), secret, req.authenticator(), plain);
            ASSERT_TRUE(n);
            password.assign(reinterpret_cast<char*>(plain), *n);

            std::array<uint8_t, kMaxPacketLength> buf;
            PacketWriter w(buf);
            w.begin(Code::kAccessAccept, req.id());
            w.addMessageAuthenticator();
            w.addString(attr::kReplyMessage, "Hello alice");
            w.addVendorString(vendor::kMikrotik, 8, "10M/20M");
            w.addIpv4(attr::kFramedIpAddress, 0x0a000005);
            send(peer, w, secret, req);
        });
    ASSERT_TRUE(ex.received) << ex.radclient.output;
    EXPECT_EQ(password, "alicepass");
    EXPECT_EQ(ex.radclient.exit_code, 0) << ex.radclient.output;
    EXPECT_NE(ex.radclient.output.find("Received Access-Accept"), std::string::npos)
        << ex.radclient.output;
    EXPECT_NE(ex.radclient.output.find("Mikrotik-Rate-Limit = \"10M/20M\""), std::string::npos);
    EXPECT_NE(ex.radclient.output.find("Framed-IP-Address = 10.0.0.5"), std::string::npos);
    EXPECT_NE(ex.radclient.output.find("Reply-Message = \"Hello alice\""), std::string::npos);
}

TEST(Radclient, LongestPasswordRoundTrips) {
    SharedSecret secret(kSecret);
    const std::string longpw = std::string(
        "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz"
        "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefg");
    ASSERT_EQ(longpw.size(), 125u);
    std::string seen;
    auto ex = exchange("auth",
                       "User-Name = \"longpw\"\nUser-Password = \"" + longpw +
                           "\"\nMessage-Authenticator = 0x00\n",
                       [&](const Packet& req, UdpPeer& peer) {
                           const AttrRef* pw = req.find(0, attr::kUserPassword);
                           ASSERT_NE(pw, nullptr);
                           EXPECT_EQ(pw->value_length, 128);
                           uint8_t plain[128];
                           auto n = crypto::unhideUserPassword(req.value(*pw), secret,
                                                               req.authenticator(), plain);
                           ASSERT_TRUE(n);
                           seen.assign(reinterpret_cast<char*>(plain), *n);
                           std::array<uint8_t, kMaxPacketLength> buf;
                           PacketWriter w(buf);
                           w.begin(Code::kAccessReject, req.id());
                           w.addMessageAuthenticator();
                           send(peer, w, secret, req);
                       });
    EXPECT_EQ(seen, longpw);
    EXPECT_NE(ex.radclient.output.find("Received Access-Reject"), std::string::npos)
        << ex.radclient.output;
}

TEST(Radclient, ChapWithRequestAuthenticatorAsChallengeVerifies) {
    bool ok = false, wrong_ok = true;
    auto ex = exchange(
        "auth", "User-Name = \"alice\"\nCHAP-Password = \"alicepass\"\n",
        [&](const Packet& req, UdpPeer&) {
            const AttrRef* chap = req.find(0, attr::kChapPassword);
            ASSERT_NE(chap, nullptr);
            EXPECT_EQ(req.find(0, attr::kChapChallenge), nullptr);
            ByteSpan challenge(req.authenticator(), 16);
            ok = crypto::chapVerify(req.value(*chap), asBytes("alicepass"), challenge);
            wrong_ok = crypto::chapVerify(req.value(*chap), asBytes("alicepasz"), challenge);
        });
    ASSERT_TRUE(ex.received);
    EXPECT_TRUE(ok);
    EXPECT_FALSE(wrong_ok);
}

TEST(Radclient, ChapWithChapChallengeVerifies) {
    bool ok = false;
    auto ex = exchange(
        "auth",
        "User-Name = \"alice\"\nCHAP-Challenge = 0x5c5d5e5f606162636465666768696a6b\n"
        "CHAP-Password = \"alicepass\"\n",
        [&](const Packet& req, UdpPeer&) {
            const AttrRef* chap = req.find(0, attr::kChapPassword);
            const AttrRef* challenge = req.find(0, attr::kChapChallenge);
            ASSERT_NE(chap, nullptr);
            ASSERT_NE(challenge, nullptr);
            ok = crypto::chapVerify(req.value(*chap), asBytes("alicepass"), req.value(*challenge));
        });
    ASSERT_TRUE(ex.received);
    EXPECT_TRUE(ok);
}

TEST(Radclient, MsChapV1VerifiesAndItDecryptsOurMppeKeys) {
    SharedSecret secret(kSecret);
    bool ok = false;
    auto ex = exchange(
        "auth", "User-Name = \"alice\"\nMS-CHAP-Password = \"alicepass\"\n",
        [&](const Packet& req, UdpPeer& peer) {
            const AttrRef* challenge = req.find(vendor::kMicrosoft, ms::kChapChallenge);
            const AttrRef* response = req.find(vendor::kMicrosoft, ms::kChapResponse);
            ASSERT_NE(challenge, nullptr);
            ASSERT_NE(response, nullptr);
            auto result = crypto::verifyMsChapV1(req.value(*response), req.value(*challenge),
                                                 crypto::ntPasswordHash("alicepass"));
            ok = result.ok;
            ASSERT_TRUE(ok);
            std::array<uint8_t, kMaxPacketLength> buf;
            PacketWriter w(buf);
            w.begin(Code::kAccessAccept, req.id());
            w.addMessageAuthenticator();
            const AttrDef* keys = dict().byName("MS-CHAP-MPPE-Keys");
            ASSERT_NE(keys, nullptr);
            EXPECT_TRUE(w.add(*keys, result.mppe_keys, secret, req.authenticator()));
            w.addVendorInteger(vendor::kMicrosoft, ms::kMppeEncryptionPolicy, 1);
            w.addVendorInteger(vendor::kMicrosoft, ms::kMppeEncryptionTypes, 6);
            send(peer, w, secret, req);
        });
    ASSERT_TRUE(ex.received);
    EXPECT_TRUE(ok);
    // The same plaintext FreeRADIUS sent for alice (test-vectors.md 6): radclient decrypted it.
    EXPECT_NE(ex.radclient.output.find(
                  "MS-CHAP-MPPE-Keys = 0x0000000000000000b75c9b2212e169ba248daadfa6597528"),
              std::string::npos)
        << ex.radclient.output;
    EXPECT_NE(ex.radclient.output.find("MS-MPPE-Encryption-Types = RC4-40or128-bit-Allowed"),
              std::string::npos);
}

// RFC 2759 9.2 values, as in real-clients.md: radclient cannot compute MS-CHAPv2 itself.
const char* kMsChapV2Request =
    "User-Name = \"User\"\nNAS-IP-Address = 127.0.0.1\n"
    "MS-CHAP-Challenge = 0x5B5D7C7D7B3F2F3E3C2C602132262628\n"
    "MS-CHAP2-Response = "
    "0x010021402324255E262A28295F2B3A337C7E000000000000000082309ECD8D708B5EA08FAA3981CD8354423311"
    "4A3D85D6DF\n"
    "Message-Authenticator = 0x00\n";

void answerMsChapV2(const Packet& req, UdpPeer& peer, std::string_view password) {
    SharedSecret secret(kSecret);
    EXPECT_EQ(checkRequestMessageAuthenticator(req, secret), MaCheck::kValid);
    const AttrRef* challenge = req.find(vendor::kMicrosoft, ms::kChapChallenge);
    const AttrRef* response = req.find(vendor::kMicrosoft, ms::kChap2Response);
    ASSERT_NE(challenge, nullptr);
    ASSERT_NE(response, nullptr);
    auto result = crypto::verifyMsChapV2(req.value(*response), req.value(*challenge), "User",
                                         crypto::ntPasswordHash(password));
    std::array<uint8_t, kMaxPacketLength> buf;
    PacketWriter w(buf);
    if (result.ok) {
        w.begin(Code::kAccessAccept, req.id());
        w.addMessageAuthenticator();
        w.addVendor(vendor::kMicrosoft, ms::kChap2Success, asBytes(result.success));
        EXPECT_TRUE(w.addSalted(vendor::kMicrosoft, ms::kMppeRecvKey, result.recv_key, secret,
                                req.authenticator(), crypto::nextSalt()));
        EXPECT_TRUE(w.addSalted(vendor::kMicrosoft, ms::kMppeSendKey, result.send_key, secret,
                                req.authenticator(), crypto::nextSalt()));
        w.addVendorInteger(vendor::kMicrosoft, ms::kMppeEncryptionPolicy, 1);
        w.addVendorInteger(vendor::kMicrosoft, ms::kMppeEncryptionTypes, 6);
    } else {
        w.begin(Code::kAccessReject, req.id());
        w.addMessageAuthenticator();
        const uint8_t new_challenge[16] = {0xb4, 0xd9, 0xf2, 0xda, 0xca, 0xfc, 0x7f, 0x15,
                                           0x47, 0x97, 0x93, 0xe7, 0x37, 0x62, 0x3c, 0xb4};
        std::string error = crypto::msChapError(req.value(*response)[0],
                                                crypto::MsChapErrorCode::kAuthenticationFailure,
                                                true, new_challenge, "Authentication rejected");
        w.addVendor(vendor::kMicrosoft, ms::kChapError, asBytes(error));
    }
    send(peer, w, secret, req);
}

TEST(Radclient, MsChapV2AcceptCarriesKeysRadclientDecryptsToRfc3079Values) {
    auto ex = exchange("auth", kMsChapV2Request, [](const Packet& req, UdpPeer& peer) {
        answerMsChapV2(req, peer, "clientPass");
    });
    ASSERT_TRUE(ex.received);
    const std::string& out = ex.radclient.output;
    EXPECT_NE(out.find("Received Access-Accept"), std::string::npos) << out;
    // MS-CHAP2-Success = ident 01 + "S=407A5589115FD0D6209F510FE9C04566932CDA56".
    EXPECT_NE(
        out.find("MS-CHAP2-Success = 0x01533d34303741353538393131354644304436323039463531304645"
                 "394330343536363933324344413536"),
        std::string::npos)
        << out;
    EXPECT_NE(out.find("MS-MPPE-Recv-Key = 0xd5f0e9521e3ea9589645e86051c82226"), std::string::npos);
    EXPECT_NE(out.find("MS-MPPE-Send-Key = 0x8b7cdc149b993a1ba118cb153f56dccb"), std::string::npos);
}

TEST(Radclient, MsChapV2WrongPasswordGetsRejectWithMsChapError) {
    auto ex = exchange("auth", kMsChapV2Request, [](const Packet& req, UdpPeer& peer) {
        answerMsChapV2(req, peer, "wrongPass");
    });
    ASSERT_TRUE(ex.received);
    const std::string& out = ex.radclient.output;
    EXPECT_NE(out.find("Received Access-Reject"), std::string::npos) << out;
    // radclient prints this string attribute with the ident octet escaped.
    EXPECT_NE(out.find(R"(MS-CHAP-Error = "\001E=691 R=1 C=b4d9f2dacafc7f15479793e737623cb4 V=3 )"
                       R"(M=Authentication rejected")"),
              std::string::npos)
        << out;
}

TEST(Radclient, AccountingRequestAuthenticatorVerifiesAndResponseIsAccepted) {
    SharedSecret secret(kSecret);
    bool verified = false;
    bool wrong_secret_verified = true;
    auto ex = exchange(
        "acct",
        "Acct-Status-Type = Interim-Update\nUser-Name = \"alice\"\nAcct-Session-Id = \"81000001\"\n"
        "Acct-Input-Octets = 1000\nAcct-Input-Gigawords = 2\nAcct-Output-Octets = 500\n"
        "Acct-Session-Time = 3600\nNAS-IP-Address = 127.0.0.1\n",
        [&](const Packet& req, UdpPeer& peer) {
            EXPECT_EQ(req.code(), Code::kAccountingRequest);
            verified = verifyRequestAuthenticator(req, secret);
            wrong_secret_verified = verifyRequestAuthenticator(req, SharedSecret("testing124"));
            const AttrRef* giga = req.find(0, attr::kAcctInputGigawords);
            ASSERT_NE(giga, nullptr);
            EXPECT_EQ(loadBe32(req.value(*giga).data()), 2u);
            std::array<uint8_t, kMaxPacketLength> buf;
            PacketWriter w(buf);
            w.begin(Code::kAccountingResponse, req.id());
            send(peer, w, secret, req);
        });
    ASSERT_TRUE(ex.received);
    EXPECT_TRUE(verified);
    EXPECT_FALSE(wrong_secret_verified);
    EXPECT_NE(ex.radclient.output.find("Received Accounting-Response"), std::string::npos)
        << ex.radclient.output;
    EXPECT_EQ(ex.radclient.exit_code, 0);
}

TEST(Radclient, CoaRequestWithMessageAuthenticatorVerifiesAndAckIsAccepted) {
    SharedSecret secret(kSecret);
    bool verified = false;
    MaCheck ma = MaCheck::kAbsent;
    auto ex = exchange("coa",
                       "User-Name = \"alice\"\nAcct-Session-Id = \"81000001\"\n"
                       "Mikrotik-Rate-Limit = \"5M/10M\"\nMessage-Authenticator = 0x00\n",
                       [&](const Packet& req, UdpPeer& peer) {
                           EXPECT_EQ(req.code(), Code::kCoaRequest);
                           verified = verifyRequestAuthenticator(req, secret);
                           ma = checkRequestMessageAuthenticator(req, secret);
                           const AttrRef* rate = req.find(vendor::kMikrotik, 8);
                           ASSERT_NE(rate, nullptr);
                           EXPECT_EQ(req.text(*rate), "5M/10M");
                           std::array<uint8_t, kMaxPacketLength> buf;
                           PacketWriter w(buf);
                           w.begin(Code::kCoaAck, req.id());
                           send(peer, w, secret, req);
                       });
    ASSERT_TRUE(ex.received);
    EXPECT_TRUE(verified);
    EXPECT_EQ(ma, MaCheck::kValid);
    EXPECT_NE(ex.radclient.output.find("Received CoA-ACK"), std::string::npos)
        << ex.radclient.output;
}

TEST(Radclient, DisconnectNakCarriesErrorCauseRadclientNames) {
    SharedSecret secret(kSecret);
    bool verified = false;
    auto ex =
        exchange("disconnect", "User-Name = \"nosuch\"\n", [&](const Packet& req, UdpPeer& peer) {
            EXPECT_EQ(req.code(), Code::kDisconnectRequest);
            verified = verifyRequestAuthenticator(req, secret);
            std::array<uint8_t, kMaxPacketLength> buf;
            PacketWriter w(buf);
            w.begin(Code::kDisconnectNak, req.id());
            w.addInteger(attr::kErrorCause, 503);
            send(peer, w, secret, req);
        });
    ASSERT_TRUE(ex.received);
    EXPECT_TRUE(verified);
    EXPECT_NE(ex.radclient.output.find("Received Disconnect-NAK"), std::string::npos)
        << ex.radclient.output;
    EXPECT_NE(ex.radclient.output.find("Error-Cause = Session-Context-Not-Found"),
              std::string::npos);
}

TEST(Radclient, StatusServerCarriesValidMessageAuthenticator) {
    SharedSecret secret(kSecret);
    MaCheck ma = MaCheck::kAbsent;
    auto ex =
        exchange("status", "Message-Authenticator = 0x00\n", [&](const Packet& req, UdpPeer& peer) {
            EXPECT_EQ(req.code(), Code::kStatusServer);
            ma = checkRequestMessageAuthenticator(req, secret);
            std::array<uint8_t, kMaxPacketLength> buf;
            PacketWriter w(buf);
            w.begin(Code::kAccessAccept, req.id());
            w.addMessageAuthenticator();
            send(peer, w, secret, req);
        });
    ASSERT_TRUE(ex.received);
    EXPECT_EQ(ma, MaCheck::kValid);
    EXPECT_NE(ex.radclient.output.find("Received Access-Accept"), std::string::npos)
        << ex.radclient.output;
}

TEST(Radclient, WrongSecretFailsBothWays) {
    SharedSecret secret(kSecret);
    MaCheck ma = MaCheck::kAbsent;
    std::string password;
    auto ex = exchange(
        "auth",
        "User-Name = \"alice\"\nUser-Password = \"alicepass\"\nMessage-Authenticator = 0x00\n",
        [&](const Packet& req, UdpPeer& peer) {
            ma = checkRequestMessageAuthenticator(req, secret);
            const AttrRef* pw = req.find(0, attr::kUserPassword);
            ASSERT_NE(pw, nullptr);
            uint8_t plain[128];
            auto n = crypto::unhideUserPassword(req.value(*pw), secret, req.authenticator(), plain);
            if (n)
                password.assign(reinterpret_cast<char*>(plain), *n);
            // Answer anyway: radclient, holding the other secret, must refuse our answer.
            std::array<uint8_t, kMaxPacketLength> buf;
            PacketWriter w(buf);
            w.begin(Code::kAccessAccept, req.id());
            w.addMessageAuthenticator();
            send(peer, w, secret, req);
        },
        "not-the-secret");
    ASSERT_TRUE(ex.received);
    EXPECT_EQ(ma, MaCheck::kInvalid);
    EXPECT_NE(password, "alicepass");
    EXPECT_EQ(ex.radclient.output.find("Received Access-Accept"), std::string::npos)
        << ex.radclient.output;
    EXPECT_NE(ex.radclient.exit_code, 0);
}

}  // namespace
}  // namespace gatehouse::radius
