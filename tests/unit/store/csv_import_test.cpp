#include "core/store/csv_import.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "core/store/service_repository.hpp"
#include "core/store/subscriber_repository.hpp"
#include "tests/unit/store/pg_fixture.hpp"

namespace gatehouse::store {
namespace {

class CsvImport : public testing::PgTest {
  protected:
    void SetUp() override {
        PgTest::SetUp();
        ASSERT_TRUE(addService(conn(), testing::serviceInput("Home", "20M", "5M")).has_value());
    }
    // n rows user0..user{n-1}; the row of user `bad` (if any) gets `bad_cells` instead.
    std::string csv(size_t n, size_t bad = SIZE_MAX, const std::string& bad_cells = "") {
        std::string out = "username,password,service,static_ip,mac,expires,enabled\n";
        for (size_t i = 0; i < n; ++i) {
            if (i == bad) {
                out += bad_cells + "\n";
                continue;
            }
            out += "user" + std::to_string(i) + ",pw" + std::to_string(i) + ",Home,100.64." +
                   std::to_string(i / 250) + "." + std::to_string(i % 250 + 1) +
                   ",,2027-01-01,yes\n";
        }
        return out;
    }
    Expected<ImportResult, StoreError> run(const std::string& text) {
        std::istringstream in(text);
        return importSubscribersCsv(conn(), box_, in);
    }
    int64_t count() { return sql("SELECT count(*) FROM subscribers")[0][0].as<int64_t>(); }

    crypto::SecretBox box_{crypto::SecretBox::Key{}};
};

TEST_F(CsvImport, ImportsFiveThousandRows) {
    auto r = run(csv(5000));
    ASSERT_TRUE(r.has_value()) << describe(r.error());
    EXPECT_EQ(r->imported, 5000u);
    EXPECT_EQ(count(), 5000);
    auto row =
        sql("SELECT host(static_ip), password_enc FROM subscribers WHERE username = 'user4999'");
    EXPECT_EQ(row[0][0].as<std::string>(), "100.64.19.250");
    EXPECT_EQ(*box_.open(row[0][1].as<std::string>(), "user4999"), "pw4999");
}

TEST_F(CsvImport, OneBadLineImportsNothingAndNamesTheLine) {
    // Row index 3456 is on line 3458 (line 1 is the header).
    auto r = run(csv(5000, 3456, "user3456,pw,Home,100.64.300.1,,,yes"));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().line, 3458u);
    EXPECT_EQ(r.error().field, "static_ip");
    EXPECT_EQ(describe(r.error()), "line 3458: static_ip: invalid IPv4 address '100.64.300.1'");
    EXPECT_EQ(count(), 0);
}

TEST_F(CsvImport, UnknownServiceNamesLineAndField) {
    auto r = run("username,password,service\nalice,pw,Home\nbob,pw,Gold\n");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(describe(r.error()), "line 3: service: unknown service 'Gold'");
    EXPECT_EQ(count(), 0);
}

TEST_F(CsvImport, DuplicateUsernameInsideTheFileNamesBothLines) {
    auto r = run("username,password\nalice,pw\nbob,pw\nalice,pw2\n");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(describe(r.error()), "line 4: username: 'alice' already on line 2");
}

TEST_F(CsvImport, ConflictWithAnExistingRowNamesTheLine) {
    ASSERT_TRUE(addSubscriber(conn(), box_, testing::subscriberInput("user1200", "x")).has_value());
    auto r = run(csv(2000));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, StoreErrorKind::kDuplicate);
    EXPECT_EQ(r.error().field, "username");
    EXPECT_EQ(r.error().line, 1202u);
    EXPECT_EQ(count(), 1);  // only the row that was there before
}

TEST_F(CsvImport, QuotedFieldsAndColumnsInAnyOrder) {
    auto r = run("password,username\n\"p,w \"\"x\"\"\",alice\n");
    ASSERT_TRUE(r.has_value()) << describe(r.error());
    auto stored = sql("SELECT password_enc FROM subscribers")[0][0].as<std::string>();
    EXPECT_EQ(*box_.open(stored, "alice"), "p,w \"x\"");
}

TEST_F(CsvImport, HeaderErrors) {
    EXPECT_EQ(describe(run("username,secret\n").error()),
              "line 1: secret: unknown column (expected username, password, service, static_ip,"
              " mac, expires, enabled)");
    EXPECT_EQ(describe(run("username,service\n").error()),
              "line 1: password: required column missing from the header");
    EXPECT_EQ(describe(run("").error()), "no header line");
}

TEST_F(CsvImport, WrongFieldCountNamesTheLine) {
    auto r = run("username,password\nalice,pw\nbob\n");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(describe(r.error()), "line 3: expected 2 fields, found 1");
}

}  // namespace
}  // namespace gatehouse::store
