// tshark (Wireshark's RADIUS dissector) as an independent judge of packets our PacketWriter
// makes: it decodes User-Password with the secret and validates Response Authenticators and
// the Accounting-Request authenticator. A deliberately corrupted packet proves it can fail.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "core/crypto/hiding.hpp"
#include "core/radius/writer.hpp"
#include "tests/integration/process.hpp"

namespace gatehouse::radius {
namespace {

using crypto::SharedSecret;

// A classic pcap file of raw IPv4/UDP datagrams on 127.0.0.1 (LINKTYPE_RAW).
class PcapWriter {
  public:
    explicit PcapWriter(const std::string& path) : out_(path, std::ios::binary) {
        put32(0xa1b2c3d4);
        put16(2);
        put16(4);
        put32(0);
        put32(0);
        put32(65535);
        put32(101);  // LINKTYPE_RAW
    }
    void add(uint16_t sport, uint16_t dport, ByteSpan payload) {
        const uint16_t udp_len = static_cast<uint16_t>(8 + payload.size());
        const uint16_t ip_len = static_cast<uint16_t>(20 + udp_len);
        put32(++seconds_);
        put32(0);
        put32(ip_len);
        put32(ip_len);
        uint8_t ip[20] = {0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1};
        storeBe16(ip + 2, ip_len);
        uint32_t sum = 0;
        for (int i = 0; i < 20; i += 2)
            sum += loadBe16(ip + i);
        while (sum >> 16)
            sum = (sum & 0xffff) + (sum >> 16);
        storeBe16(ip + 10, static_cast<uint16_t>(~sum));
        out_.write(reinterpret_cast<const char*>(ip), sizeof(ip));
        uint8_t udp[8];
        storeBe16(udp, sport);
        storeBe16(udp + 2, dport);
        storeBe16(udp + 4, udp_len);
        storeBe16(udp + 6, 0);  // no checksum (legal for UDP over IPv4)
        out_.write(reinterpret_cast<const char*>(udp), sizeof(udp));
        out_.write(reinterpret_cast<const char*>(payload.data()),
                   static_cast<long>(payload.size()));
    }

    void close() { out_.close(); }

  private:
    void put16(uint16_t v) { out_.write(reinterpret_cast<const char*>(&v), 2); }
    void put32(uint32_t v) { out_.write(reinterpret_cast<const char*>(&v), 4); }
    std::ofstream out_;
    uint32_t seconds_ = 1700000000;
};

size_t countOf(const std::string& haystack, const std::string& needle) {
    size_t n = 0;
    for (size_t pos = haystack.find(needle); pos != std::string::npos;
         pos = haystack.find(needle, pos + 1)) {
        ++n;
    }
    return n;
}

TEST(Tshark, ValidatesAuthenticatorsAndDecodesPasswordOfOurPackets) {
    ASSERT_TRUE(testing::haveProgram("tshark")) << "tshark missing: run scripts/bootstrap";
    SharedSecret secret("testing123");
    const std::string path =
        ::testing::TempDir() + "gatehouse_tshark_" + std::to_string(getpid()) + ".pcap";
    PcapWriter pcap(path);
    std::array<uint8_t, kMaxPacketLength> req_buf, resp_buf;

    // 1. Access-Request (PAP, MA first) and its Access-Accept.
    uint8_t ra[16];
    crypto::randomBytes(ra, sizeof(ra));
    PacketWriter req(req_buf);
    req.begin(Code::kAccessRequest, 7, ra);
    req.addMessageAuthenticator();
    req.addString(attr::kUserName, "alice");
    req.addUserPassword(asBytes("alicepass"), secret, ra);
    req.addIpv4(attr::kNasIpAddress, 0x7f000001);
    auto request = req.finishRequest(secret);
    ASSERT_TRUE(request);
    pcap.add(40000, 1812, *request);

    PacketWriter resp(resp_buf);
    resp.begin(Code::kAccessAccept, 7);
    resp.addMessageAuthenticator();
    resp.addVendorString(vendor::kMikrotik, 8, "10M/20M");
    resp.addSalted(vendor::kMicrosoft, ms::kMppeSendKey, std::array<uint8_t, 16>{}, secret, ra,
                   crypto::nextSalt());
    auto response = resp.finishResponse(secret, ra);
    ASSERT_TRUE(response);
    pcap.add(1812, 40000, *response);

    // 2. Accounting-Request (computed authenticator) and its response.
    req.begin(Code::kAccountingRequest, 8);
    req.addInteger(attr::kAcctStatusType, 1);
    req.addString(attr::kUserName, "alice");
    req.addString(attr::kAcctSessionId, "81000001");
    auto acct = req.finishRequest(secret);
    ASSERT_TRUE(acct);
    pcap.add(40001, 1813, *acct);
    std::array<uint8_t, 16> acct_auth;
    std::copy_n(acct->data() + 4, 16, acct_auth.begin());
    resp.begin(Code::kAccountingResponse, 8);
    auto acct_resp = resp.finishResponse(secret, acct_auth.data());
    ASSERT_TRUE(acct_resp);
    pcap.add(1813, 40001, *acct_resp);

    // 3. CoA-Request and CoA-NAK with Error-Cause.
    req.begin(Code::kCoaRequest, 9);
    req.addMessageAuthenticator();
    req.addString(attr::kUserName, "alice");
    req.addVendorString(vendor::kMikrotik, 8, "5M/10M");
    auto coa = req.finishRequest(secret);
    ASSERT_TRUE(coa);
    pcap.add(40002, 3799, *coa);
    std::array<uint8_t, 16> coa_auth;
    std::copy_n(coa->data() + 4, 16, coa_auth.begin());
    resp.begin(Code::kCoaNak, 9);
    resp.addInteger(attr::kErrorCause, 503);
    auto coa_resp = resp.finishResponse(secret, coa_auth.data());
    ASSERT_TRUE(coa_resp);
    pcap.add(3799, 40002, *coa_resp);

    // 4. A second Access-Request whose Access-Reject we corrupt by one bit: must be flagged.
    crypto::randomBytes(ra, sizeof(ra));
    req.begin(Code::kAccessRequest, 10, ra);
    req.addMessageAuthenticator();
    req.addString(attr::kUserName, "bob");
    auto request2 = req.finishRequest(secret);
    ASSERT_TRUE(request2);
    pcap.add(40003, 1812, *request2);
    resp.begin(Code::kAccessReject, 10);
    resp.addMessageAuthenticator();
    resp.addString(attr::kReplyMessage, "no");
    auto reject = resp.finishResponse(secret, ra);
    ASSERT_TRUE(reject);
    Bytes corrupted(reject->begin(), reject->end());
    corrupted.back() ^= 0x01;
    pcap.add(1812, 40003, corrupted);

    pcap.close();
    auto r =
        testing::runProcess({"tshark", "-n", "-r", path, "-o", "radius.shared_secret:testing123",
                             "-o", "radius.validate_authenticator:TRUE", "-V", "-O", "radius"},
                            "");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const std::string& out = r.output;
    EXPECT_NE(out.find("User-Password: alicepass"), std::string::npos) << out;
    EXPECT_NE(out.find("Mikrotik-Rate-Limit: 10M/20M"), std::string::npos) << out;
    // Access-Accept, Accounting-Response, CoA-NAK correct; the corrupted reject incorrect; the
    // Accounting-Request correct (tshark marks only an incorrect one).
    EXPECT_EQ(countOf(out, "[correct]"), 3u) << out;
    EXPECT_EQ(countOf(out, "[incorrect]"), 1u) << out;
    // std::remove(path.c_str());
}

}  // namespace
}  // namespace gatehouse::radius
