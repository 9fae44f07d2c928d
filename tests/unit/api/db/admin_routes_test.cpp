// /api/v1/admins and /api/v1/roles: permissions, reseller scope, validation, audit.
#include <gtest/gtest.h>

#include <set>

#include "tests/unit/api/db/auth_fixture.hpp"

namespace gatehouse::api::testing {
namespace {

using nlohmann::json;

const std::string kPassword = "correct horse battery";

class Admins : public AuthTest {
  protected:
    std::string tokenOf(const std::string& username, const std::string& role,
                        std::optional<int64_t> reseller = {}) {
        addAdminRow(username, kPassword, role, reseller);
        return tokensFor(username, kPassword).first;
    }
};

TEST_F(Admins, SuperadminRoleHoldsTheWholeCatalogue) {
    pqxx::work txn(conn());
    auto roles = listRoles(txn);
    ASSERT_TRUE(roles);
    std::set<std::string> catalogue;
    for (const auto& p : permissionCatalogue())
        catalogue.insert(std::string(p.name));
    std::map<std::string, std::set<std::string>> by_name;
    for (const auto& r : *roles) {
        by_name[r.name] = {r.permissions.begin(), r.permissions.end()};
        for (const auto& p : r.permissions)
            EXPECT_TRUE(catalogue.count(p)) << r.name << " names unknown " << p;
        EXPECT_TRUE(r.builtin);
    }
    EXPECT_EQ(by_name["superadmin"], catalogue);
    for (const auto& p : by_name["operator"])
        EXPECT_NE(p.rfind("admins.", 0), 0u) << p;
    EXPECT_FALSE(by_name["operator"].count("settings.edit"));
    EXPECT_EQ(by_name["reseller"],
              (std::set<std::string>{"nas.view", "subscribers.view", "subscribers.create",
                                     "subscribers.edit", "subscribers.delete", "services.view",
                                     "sessions.view", "sessions.disconnect"}));
    for (const auto& p : by_name["viewer"])
        EXPECT_EQ(p.substr(p.size() - 5), ".view") << p;
}

TEST_F(Admins, OperatorGets403OnCreateNamingAdminsCreate) {
    auto token = tokenOf("oper", "operator");
    auto r = call("POST", "/api/v1/admins",
                  {{"username", "new"}, {"password", kPassword}, {"role", "viewer"}}, token);
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(body(r)["error"]["code"], "forbidden");
    EXPECT_EQ(body(r)["error"]["message"], "permission admins.create is required");
    EXPECT_EQ(call("GET", "/api/v1/admins", nullptr, token).status, 403);
    EXPECT_EQ(sql("SELECT count(*) FROM admins")[0][0].as<int64_t>(), 1);
}

TEST_F(Admins, CreateIsAuditedInTheSameTransactionWithThePasswordMasked) {
    auto token = tokenOf("root", "superadmin");
    auto r =
        call("POST", "/api/v1/admins",
             {{"username", "bob"}, {"password", "bobs password 1"}, {"role", "viewer"}}, token);
    ASSERT_EQ(r.status, 201) << r.body;
    const auto created = body(r);
    EXPECT_EQ(created["username"], "bob");
    EXPECT_EQ(created["role"], "viewer");
    EXPECT_FALSE(created.contains("password_hash"));
    auto audit = sql(
        "SELECT admin_username, resource, resource_id, before IS NULL, after::text FROM audit_log "
        "WHERE action = 'create'");
    ASSERT_EQ(audit.size(), 1u);
    EXPECT_EQ(audit[0][0].as<std::string>(), "root");
    EXPECT_EQ(audit[0][1].as<std::string>(), "admin");
    EXPECT_EQ(audit[0][2].as<std::string>(), std::to_string(created["id"].get<int64_t>()));
    EXPECT_TRUE(audit[0][3].as<bool>());
    auto after = json::parse(audit[0][4].as<std::string>());
    EXPECT_EQ(after["password"], "***");
    EXPECT_EQ(after["username"], "bob");
    EXPECT_EQ(audit[0][4].as<std::string>().find("bobs password"), std::string::npos);
    EXPECT_EQ(loginAs("bob", "bobs password 1").status, 200);
}

TEST_F(Admins, CreateValidatesEachFieldByName) {
    auto token = tokenOf("root", "superadmin");
    auto field = [&](json in) {
        auto r = call("POST", "/api/v1/admins", in, token);
        EXPECT_EQ(r.status / 100, 4) << r.body;
        return body(r)["error"].value("field", "");
    };
    EXPECT_EQ(field({{"username", "Bad Name"}, {"password", kPassword}, {"role", "viewer"}}),
              "username");
    EXPECT_EQ(field({{"username", "ab"}, {"password", kPassword}, {"role", "viewer"}}), "username");
    EXPECT_EQ(field({{"username", "bob"}, {"password", "short"}, {"role", "viewer"}}), "password");
    EXPECT_EQ(field({{"username", "bob"}, {"password", kPassword}, {"role", "king"}}), "role");
    EXPECT_EQ(field({{"username", "bob"},
                     {"password", kPassword},
                     {"role", "viewer"},
                     {"reseller_id", 999}}),
              "reseller_id");
    EXPECT_EQ(field({{"username", "bob"}, {"password", kPassword}}), "role");
    auto dup = call("POST", "/api/v1/admins",
                    {{"username", "root"}, {"password", kPassword}, {"role", "viewer"}}, token);
    EXPECT_EQ(dup.status, 409);
    EXPECT_EQ(body(dup)["error"]["field"], "username");
    EXPECT_EQ(sql("SELECT count(*) FROM audit_log WHERE action = 'create'")[0][0].as<int64_t>(), 0);
}

TEST_F(Admins, ResellerAdminCannotSeeAnotherResellersAdminById) {
    const int64_t r1 = addResellerRow("north");
    const int64_t r2 = addResellerRow("south");
    sql("UPDATE roles SET permissions = permissions || '{admins.view}' WHERE name = 'reseller'");
    auto token = tokenOf("north-admin", "reseller", r1);
    const auto other = addAdminRow("south-admin", kPassword, "reseller", r2);
    const auto mine = addAdminRow("north-clerk", kPassword, "reseller", r1);

    auto foreign = call("GET", "/api/v1/admins/" + std::to_string(other.id), nullptr, token);
    auto missing = call("GET", "/api/v1/admins/999999", nullptr, token);
    EXPECT_EQ(foreign.status, 404);
    EXPECT_EQ(foreign.body, missing.body);  // nothing tells the id exists
    EXPECT_EQ(call("GET", "/api/v1/admins/" + std::to_string(mine.id), nullptr, token).status, 200);

    auto list = body(call("GET", "/api/v1/admins", nullptr, token));
    std::set<std::string> names;
    for (const auto& a : list["items"])
        names.insert(a["username"]);
    EXPECT_EQ(names, (std::set<std::string>{"north-admin", "north-clerk"}));
}

TEST_F(Admins, ResellerAdminCannotCreateOutsideItsResellerNorASuperadmin) {
    const int64_t r1 = addResellerRow("north");
    const int64_t r2 = addResellerRow("south");
    sql("UPDATE roles SET permissions = permissions || '{admins.view,admins.create}' "
        "WHERE name = 'reseller'");
    auto token = tokenOf("north-admin", "reseller", r1);

    auto outside = call(
        "POST", "/api/v1/admins",
        {{"username", "spy"}, {"password", kPassword}, {"role", "reseller"}, {"reseller_id", r2}},
        token);
    EXPECT_EQ(outside.status, 403);
    EXPECT_EQ(body(outside)["error"]["field"], "reseller_id");
    auto whole_isp = call("POST", "/api/v1/admins",
                          {{"username", "spy"},
                           {"password", kPassword},
                           {"role", "reseller"},
                           {"reseller_id", nullptr}},
                          token);
    EXPECT_EQ(whole_isp.status, 403);

    auto super =
        call("POST", "/api/v1/admins",
             {{"username", "boss"}, {"password", kPassword}, {"role", "superadmin"}}, token);
    EXPECT_EQ(super.status, 403);
    EXPECT_EQ(body(super)["error"]["field"], "role");

    auto ok = call("POST", "/api/v1/admins",
                   {{"username", "clerk"}, {"password", kPassword}, {"role", "reseller"}}, token);
    ASSERT_EQ(ok.status, 201) << ok.body;
    EXPECT_EQ(body(ok)["reseller"]["id"], r1);  // defaults to the creator's reseller
}

TEST_F(Admins, NobodyRaisesTheirOwnPermissions) {
    sql("UPDATE roles SET permissions = permissions || '{admins.view,admins.edit}' "
        "WHERE name = 'operator'");
    const auto self = addAdminRow("oper", kPassword, "operator");
    auto token = tokensFor("oper", kPassword).first;
    auto own_role =
        call("PATCH", "/api/v1/admins/" + std::to_string(self.id), {{"role", "superadmin"}}, token);
    EXPECT_EQ(own_role.status, 403);
    EXPECT_EQ(body(own_role)["error"]["field"], "role");

    const auto other = addAdminRow("helper", kPassword, "viewer");
    auto grant = call("PATCH", "/api/v1/admins/" + std::to_string(other.id),
                      {{"role", "superadmin"}}, token);
    EXPECT_EQ(grant.status, 403);
    EXPECT_EQ(body(grant)["error"]["field"], "role");

    const auto boss = addAdminRow("boss", kPassword, "superadmin");
    auto demote =
        call("PATCH", "/api/v1/admins/" + std::to_string(boss.id), {{"enabled", false}}, token);
    EXPECT_EQ(demote.status, 403);
    EXPECT_EQ(
        sql("SELECT role_id FROM admins WHERE id = " + std::to_string(self.id))[0][0].as<int64_t>(),
        self.role_id);
}

TEST_F(Admins, PasswordChangeIsAuditedMaskedAndEndsOldSessions) {
    auto root = tokenOf("root", "superadmin");
    const auto bob = addAdminRow("bob", kPassword, "viewer");
    auto bob_token = tokensFor("bob", kPassword).first;
    auto r = call("PATCH", "/api/v1/admins/" + std::to_string(bob.id),
                  {{"password", "a brand new secret"}, {"role", "operator"}}, root);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(body(r)["role"], "operator");
    EXPECT_EQ(call("GET", "/api/v1/auth/me", nullptr, bob_token).status, 401);
    EXPECT_EQ(loginAs("bob", kPassword).status, 401);
    EXPECT_EQ(loginAs("bob", "a brand new secret").status, 200);

    auto audit =
        sql("SELECT before::text, after::text FROM audit_log WHERE action = 'update' AND "
            "resource = 'admin'");
    ASSERT_EQ(audit.size(), 1u);
    auto before = json::parse(audit[0][0].as<std::string>());
    auto after = json::parse(audit[0][1].as<std::string>());
    EXPECT_EQ(before["role"], "viewer");
    EXPECT_EQ(after["role"], "operator");
    EXPECT_EQ(after["password"], "***");
    EXPECT_EQ(audit[0][1].as<std::string>().find("brand new"), std::string::npos);
}

TEST_F(Admins, PatchOfAnUnknownOrMalformedIdIs404) {
    auto root = tokenOf("root", "superadmin");
    EXPECT_EQ(call("PATCH", "/api/v1/admins/424242", {{"enabled", false}}, root).status, 404);
    EXPECT_EQ(call("PATCH", "/api/v1/admins/abc", {{"enabled", false}}, root).status, 404);
    EXPECT_EQ(call("GET", "/api/v1/admins/-1", nullptr, root).status, 404);
}

TEST_F(Admins, RolesListsTheBuiltinsAndTheCatalogue) {
    auto token = tokenOf("watcher", "viewer");
    auto r = call("GET", "/api/v1/roles", nullptr, token);
    ASSERT_EQ(r.status, 200) << r.body;
    auto j = body(r);
    std::vector<std::string> names;
    for (const auto& role : j["items"])
        names.push_back(role["name"]);
    EXPECT_EQ(names, (std::vector<std::string>{"superadmin", "operator", "reseller", "viewer"}));
    EXPECT_EQ(j["permissions"].size(), permissionCatalogue().size());
}

TEST_F(Admins, CliStyleAddThenLoginWorks) {
    // What `gatehouse admin add` does: addAdmin in a transaction, by reseller name.
    addResellerRow("north");
    {
        pqxx::work txn(conn());
        auto reseller = findReseller(txn, "north");
        ASSERT_TRUE(reseller);
        AdminInput in;
        in.username = "cli-admin";
        in.password = "typed on stdin 123";
        in.role = "reseller";
        in.reseller_id = *reseller;
        ASSERT_TRUE(addAdmin(txn, in, kTestArgon2));
        EXPECT_EQ(findReseller(txn, "nowhere").error().field, "reseller");
        txn.commit();
    }
    auto r = loginAs("cli-admin", "typed on stdin 123");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(body(r)["admin"]["reseller"]["name"], "north");
}

}  // namespace
}  // namespace gatehouse::api::testing
