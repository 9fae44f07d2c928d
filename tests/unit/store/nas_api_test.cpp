// NAS RouterOS API credentials from the operator CLI (`gatehouse nas add|set --api-...`): the
// password sealed with the row id as associated data ("nas:<id>", what the jobs open), a set
// that changes only what it is given, and input errors naming the field.
#include <gtest/gtest.h>

#include "core/store/nas_repository.hpp"
#include "tests/unit/store/pg_fixture.hpp"

namespace gatehouse::store {
namespace {

crypto::SecretBox testBox() {
    crypto::SecretBox::Key k;
    k.fill(9);
    return crypto::SecretBox(k);
}

class NasApi : public testing::PgTest {
  protected:
    NasInput withApi(std::string name, std::string ip) {
        NasInput in = testing::nasInput(std::move(name), std::move(ip), "s3cr3t");
        in.api_username = "gatehouse";
        in.api_password = "s3cr=t";
        return in;
    }
    std::string sealed(int64_t id) {
        return sql("SELECT COALESCE(api_password_enc, '') FROM nas_devices WHERE id = " +
                   std::to_string(id))[0][0]
            .as<std::string>();
    }
    std::string column(int64_t id, const std::string& name) {
        return sql("SELECT " + name +
                   "::text FROM nas_devices WHERE id = " + std::to_string(id))[0][0]
            .as<std::string>();
    }
    crypto::SecretBox box_ = testBox();
};

TEST_F(NasApi, AddSealsThePasswordWithTheRowIdAsAssociatedData) {
    ASSERT_TRUE(addNas(conn(), testing::nasInput("first", "10.0.0.1", "s")).has_value());
    auto id = addNas(conn(), withApi("edge", "10.0.0.2"), &box_);
    ASSERT_TRUE(id.has_value()) << describe(id.error());
    const std::string enc = sealed(*id);
    EXPECT_EQ(enc.substr(0, 4), "gh1:");
    EXPECT_EQ(enc.find("s3cr=t"), std::string::npos);
    EXPECT_EQ(apiPasswordAssociatedData(*id), "nas:" + std::to_string(*id));
    auto opened = box_.open(enc, "nas:" + std::to_string(*id));
    ASSERT_TRUE(opened.has_value());
    EXPECT_EQ(*opened, "s3cr=t");
    // Under another row's id it does not open.
    EXPECT_FALSE(box_.open(enc, "nas:" + std::to_string(*id - 1)).has_value());
    EXPECT_EQ(column(*id, "api_username"), "gatehouse");
    EXPECT_EQ(column(*id, "api_port"), "8728");
    EXPECT_EQ(column(*id, "api_ssl_port"), "8729");
    EXPECT_EQ(column(*id, "api_use_ssl"), "false");
}

TEST_F(NasApi, AddTakesPortsAndTls) {
    NasInput in = withApi("edge", "10.0.0.2");
    in.api_port = "18728";
    in.api_ssl_port = "18729";
    in.api_tls = true;
    auto id = addNas(conn(), in, &box_);
    ASSERT_TRUE(id.has_value());
    EXPECT_EQ(column(*id, "api_port"), "18728");
    EXPECT_EQ(column(*id, "api_ssl_port"), "18729");
    EXPECT_EQ(column(*id, "api_use_ssl"), "true");
}

TEST_F(NasApi, ListShowsHasApiNeverThePassword) {
    ASSERT_TRUE(addNas(conn(), withApi("edge", "10.0.0.2"), &box_).has_value());
    ASSERT_TRUE(addNas(conn(), testing::nasInput("plain", "10.0.0.3", "s")).has_value());
    auto rows = listNas(conn());
    ASSERT_TRUE(rows.has_value());
    ASSERT_EQ(rows->size(), 2u);
    EXPECT_EQ((*rows)[0].name, "edge");
    EXPECT_TRUE((*rows)[0].has_api);
    EXPECT_EQ((*rows)[1].name, "plain");
    EXPECT_FALSE((*rows)[1].has_api);
}

TEST_F(NasApi, AddRefusesHalfCredentialsBadPortsAndAMissingKey) {
    NasInput no_user = testing::nasInput("a", "10.0.0.1", "s");
    no_user.api_password = "pw";
    auto r = addNas(conn(), no_user, &box_);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(describe(r.error()), "api_user: required with an API password");

    NasInput no_password = testing::nasInput("a", "10.0.0.1", "s");
    no_password.api_username = "admin";
    r = addNas(conn(), no_password, &box_);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(describe(r.error()), "api_password: must not be empty");

    r = addNas(conn(), withApi("a", "10.0.0.1"), nullptr);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(describe(r.error()), "api_password: no key to encrypt it with");

    NasInput bad_port = withApi("a", "10.0.0.1");
    bad_port.api_port = "70000";
    r = addNas(conn(), bad_port, &box_);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, StoreErrorKind::kInvalid);
    EXPECT_EQ(describe(r.error()), "api_port: invalid number '70000' (expected 1..65535)");
    EXPECT_EQ(sql("SELECT count(*) FROM nas_devices")[0][0].as<int>(), 0);
}

TEST_F(NasApi, SetWithoutApiPasswordKeepsTheOldOne) {
    auto id = addNas(conn(), withApi("edge", "10.0.0.2"), &box_).value();
    const std::string before = sealed(id);
    NasPatch patch;
    patch.secret = "new-secret";
    patch.coa_port = "3799";
    patch.api_username = "ops";
    patch.api_tls = "yes";
    patch.description = "rack 4";
    auto r = updateNas(conn(), nullptr, "edge", patch);
    ASSERT_TRUE(r.has_value()) << describe(r.error());
    EXPECT_EQ(sealed(id), before);
    EXPECT_EQ(box_.open(sealed(id), "nas:" + std::to_string(id)).value(), "s3cr=t");
    EXPECT_EQ(column(id, "api_username"), "ops");
    EXPECT_EQ(column(id, "api_use_ssl"), "true");
    EXPECT_EQ(column(id, "secret"), "new-secret");
    EXPECT_EQ(column(id, "coa_port"), "3799");
    EXPECT_EQ(column(id, "description"), "rack 4");
    // Untouched: the address, the type, the ports, enabled.
    EXPECT_EQ(column(id, "host(ip)"), "10.0.0.2");
    EXPECT_EQ(column(id, "type"), "mikrotik");
    EXPECT_EQ(column(id, "api_port"), "8728");
    EXPECT_EQ(column(id, "enabled"), "true");
}

TEST_F(NasApi, SetByAddressResealsANewPasswordUnderTheSameId) {
    ASSERT_TRUE(addNas(conn(), testing::nasInput("first", "10.0.0.1", "s")).has_value());
    auto id = addNas(conn(), testing::nasInput("edge", "10.0.0.2", "s")).value();
    EXPECT_EQ(sealed(id), "");
    NasPatch patch;
    patch.api_username = "admin";
    patch.api_password = "fresh";
    patch.api_port = "8730";
    patch.enabled = "no";
    ASSERT_TRUE(updateNas(conn(), &box_, "10.0.0.2", patch).has_value());
    EXPECT_EQ(box_.open(sealed(id), "nas:" + std::to_string(id)).value(), "fresh");
    EXPECT_EQ(column(id, "api_port"), "8730");
    EXPECT_EQ(column(id, "enabled"), "false");
    EXPECT_EQ(sealed(id - 1), "");  // the other NAS is untouched
}

TEST_F(NasApi, SetEmptyApiUserRemovesTheCredentials) {
    auto id = addNas(conn(), withApi("edge", "10.0.0.2"), &box_).value();
    NasPatch patch;
    patch.api_username = "";
    ASSERT_TRUE(updateNas(conn(), nullptr, "edge", patch).has_value());
    EXPECT_EQ(sealed(id), "");
    EXPECT_EQ(column(id, "api_username"), "");
    EXPECT_FALSE(listNas(conn()).value()[0].has_api);
}

TEST_F(NasApi, SetRefusesNamingTheFieldAndChangesNothing) {
    auto id = addNas(conn(), withApi("edge", "10.0.0.2"), &box_).value();
    ASSERT_TRUE(addNas(conn(), testing::nasInput("plain", "10.0.0.3", "s")).has_value());
    const std::string before = sealed(id);
    auto expect = [&](const std::string& target, const NasPatch& patch,
                      const std::string& message) {
        auto r = updateNas(conn(), &box_, target, patch);
        ASSERT_FALSE(r.has_value()) << message;
        EXPECT_EQ(describe(r.error()), message);
    };
    NasPatch p;
    p.coa_port = "0";
    p.secret = "changed";
    expect("edge", p, "coa_port: invalid number '0' (expected 1..65535)");
    p = {};
    p.enabled = "maybe";
    expect("edge", p, "enabled: invalid boolean 'maybe' (expected yes or no)");
    p = {};
    p.api_password = "";
    expect("edge", p, "api_password: must not be empty");
    p = {};
    p.api_password = "pw";
    expect("plain", p, "api_user: required with an API password (this NAS has none)");
    p = {};
    p.api_username = "admin";
    expect("plain", p, "api_password: required: this NAS has no API password yet");
    p = {};
    p.secret = "";
    expect("edge", p, "secret: must not be empty");
    expect("edge", NasPatch{}, "nothing to change (give at least one field)");
    p = {};
    p.description = "x";
    auto missing = updateNas(conn(), &box_, "nosuch", p);
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().kind, StoreErrorKind::kNotFound);
    EXPECT_EQ(describe(missing.error()), "name: no NAS named 'nosuch'");
    EXPECT_EQ(sealed(id), before);
    EXPECT_EQ(column(id, "secret"), "s3cr3t");
}

}  // namespace
}  // namespace gatehouse::store
