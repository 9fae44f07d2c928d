// The quarantine of accounting records PostgreSQL refuses for what they are
// (core/store/accounting_quarantine.hpp): durable JSON lines an operator can read.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "core/store/accounting_quarantine.hpp"

namespace gatehouse::store {
namespace {

class QuarantineDir : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/gh-quarantine-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override { std::system(("rm -rf '" + dir_ + "'").c_str()); }
    std::vector<nlohmann::json> lines(const std::string& path) {
        std::vector<nlohmann::json> out;
        std::ifstream in(path);
        std::string line;
        while (std::getline(in, line))
            out.push_back(nlohmann::json::parse(line));
        return out;
    }
    std::string dir_;
};

AccountingRecord stop() {
    AccountingRecord r;
    r.status = AcctStatus::kStop;
    r.event_time = 1700000000;
    r.session_id = "81a00007";
    r.unique_id = "u1";
    r.username = "alice";
    r.nas_ip = 0x0a000001;
    r.framed_ip = 0x64400005;
    r.input_octets = (uint64_t{1} << 32) + 5;
    r.terminate_cause = "User-Request";
    r.tags = {"late"};
    return r;
}

TEST_F(QuarantineDir, EachRecordIsOneJsonLineWithItsError) {
    AccountingQuarantine q(dir_);
    ASSERT_TRUE(q.add(stop(), "22003: bigint out of range"));
    AccountingRecord second = stop();
    second.framed_ip.reset();
    second.username = std::string("bad\xff\x00name", 8);  // wire octets, not UTF-8
    ASSERT_TRUE(q.add(second, "23502: null value"));
    const auto got = lines(q.path());
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0]["error"], "22003: bigint out of range");
    EXPECT_EQ(got[0]["record"]["status"], "Stop");
    EXPECT_EQ(got[0]["record"]["nas_ip"], "10.0.0.1");
    EXPECT_EQ(got[0]["record"]["framed_ip"], "100.64.0.5");
    EXPECT_EQ(got[0]["record"]["input_octets"], (uint64_t{1} << 32) + 5);
    EXPECT_EQ(got[0]["record"]["tags"], nlohmann::json::array({"late"}));
    EXPECT_TRUE(got[1]["record"]["framed_ip"].is_null());
    EXPECT_EQ(got[1]["error"], "23502: null value");
    struct stat st {};
    ASSERT_EQ(::stat(q.path().c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(QuarantineDir, AnUnwritableDirectoryIsAnErrorNamingTheFile) {
    AccountingQuarantine q(dir_ + "/missing");
    auto r = q.add(stop(), "x");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find(dir_ + "/missing/quarantine.jsonl"), std::string::npos) << r.error();
}

TEST(PermanentSqlState, DataIntegritySyntaxAndRaisedErrorsArePermanent) {
    for (const char* s : {"22003", "23505", "42601", "P0001"})
        EXPECT_TRUE(isPermanentSqlState(s)) << s;
    for (const char* s : {"57014", "40P01", "40001", "08006", "53100", "XX000", "", "22"})
        EXPECT_FALSE(isPermanentSqlState(s)) << s;
}

}  // namespace
}  // namespace gatehouse::store
