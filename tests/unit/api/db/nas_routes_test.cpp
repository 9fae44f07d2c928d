// /api/v1/nas against a real PostgreSQL and Redis: secrets never leave, validation names the
// field, permissions and reseller scope, delete refused while sessions are open, audit rows.
#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/api/routes/nas.hpp"
#include "core/crypto/secret_box.hpp"
#include "core/store/nas_repository.hpp"
#include "tests/unit/api/db/auth_fixture.hpp"

namespace gatehouse::api::testing {
namespace {

using nlohmann::json;

const std::string kPassword = "correct horse battery";
const std::string kSecret = "Radius-Secret-Text-42";
const std::string kApiPassword = "RouterOS-Pass-Text-77";

crypto::SecretBox::Key testKey() {
    crypto::SecretBox::Key key{};
    key.fill(0x42);
    return key;
}

class NasRoutes : public AuthTest {
  protected:
    void SetUp() override {
        AuthTest::SetUp();
        box_ = std::make_shared<crypto::SecretBox>(testKey());
        router_ = std::make_unique<Router>();
        addAuthRoutes(*router_, deps_);
        NasDeps nas;
        nas.db = pool_.get();
        nas.auth = makeAuthenticator(deps_);
        nas.box = box_;
        // Nothing listens on these: the probes fail quickly and predictably.
        nas.test.radius_port = 9;
        nas.test.timeout_ms = 100;
        nas.test.attempts = 1;
        nas.test.api_timeout_ms = 200;
        addNasRoutes(*router_, nas);
    }

    std::string tokenOf(const std::string& username, const std::string& role,
                        std::optional<int64_t> reseller = {}) {
        addAdminRow(username, kPassword, role, reseller);
        return tokensFor(username, kPassword).first;
    }
    std::string root() {
        if (root_.empty())
            root_ = tokenOf("root", "superadmin");
        return root_;
    }
    json nasBody(const std::string& name, const std::string& ip) {
        return {{"name", name}, {"ip", ip}, {"secret", kSecret}};
    }
    int64_t createNas(const std::string& name, const std::string& ip) {
        auto r = call("POST", "/api/v1/nas", nasBody(name, ip), root());
        EXPECT_EQ(r.status, 201) << r.body;
        return body(r)["id"].get<int64_t>();
    }
    void openSession(int64_t nas_id, const std::string& user) {
        sql("INSERT INTO radacct (acctsessionid, acctuniqueid, username, nas_id, nasipaddress,"
            " acctstarttime, acctupdatetime) SELECT 'sid-" +
            user + "', 'u-" + user + "', '" + user + "', id, ip, now(), now() FROM nas_devices" +
            " WHERE id = " + std::to_string(nas_id));
    }
    /// GET /api/v1/nas with query parameters (call() sends none).
    HttpResponse listPage(std::map<std::string, std::string> query) {
        HttpRequest req;
        req.method = "GET";
        req.path = "/api/v1/nas";
        req.query = std::move(query);
        req.peer_ip = "192.0.2.10";
        req.headers["authorization"] = "Bearer " + root();
        return router().dispatch(req);
    }
    static json error(const HttpResponse& r) { return body(r)["error"]; }

    std::shared_ptr<crypto::SecretBox> box_;
    std::string root_;
};

TEST_F(NasRoutes, CreateReportsHasSecretAndNoResponseEverCarriesTheSecrets) {
    json in = nasBody("core-1", "10.0.0.1");
    in["api_username"] = "gatehouse";
    in["api_password"] = kApiPassword;
    auto created = call("POST", "/api/v1/nas", in, root());
    ASSERT_EQ(created.status, 201) << created.body;
    const json row = body(created);
    EXPECT_EQ(row["name"], "core-1");
    EXPECT_EQ(row["ip"], "10.0.0.1");
    EXPECT_EQ(row["type"], "mikrotik");
    EXPECT_EQ(row["coa_port"], 1700);
    EXPECT_EQ(row["has_secret"], true);
    EXPECT_EQ(row["has_api_password"], true);
    EXPECT_EQ(row["api_username"], "gatehouse");
    EXPECT_FALSE(row.contains("secret"));
    EXPECT_FALSE(row.contains("api_password"));
    const std::string id = std::to_string(row["id"].get<int64_t>());

    auto list = call("GET", "/api/v1/nas", nullptr, root());
    auto one = call("GET", "/api/v1/nas/" + id, nullptr, root());
    ASSERT_EQ(list.status, 200) << list.body;
    ASSERT_EQ(one.status, 200) << one.body;
    for (const auto* raw : {&created.body, &list.body, &one.body}) {
        EXPECT_EQ(raw->find(kSecret), std::string::npos) << *raw;
        EXPECT_EQ(raw->find(kApiPassword), std::string::npos) << *raw;
    }
    // Sealed as the CLI seals it: under the row id, opened by the same key.
    auto stored = sql("SELECT secret, api_password_enc FROM nas_devices WHERE id = " + id);
    EXPECT_EQ(stored[0][0].as<std::string>(), kSecret);
    auto opened = box_->open(stored[0][1].as<std::string>(),
                             store::apiPasswordAssociatedData(std::stoll(id)));
    ASSERT_TRUE(opened);
    EXPECT_EQ(*opened, kApiPassword);
}

TEST_F(NasRoutes, CreateRefusesBadInputNamingTheField) {
    auto bad_ip = call("POST", "/api/v1/nas", nasBody("core-1", "10.0.0.300"), root());
    EXPECT_EQ(bad_ip.status, 400);
    EXPECT_EQ(error(bad_ip)["code"], "invalid");
    EXPECT_EQ(error(bad_ip)["field"], "ip");

    json no_secret = {{"name", "core-1"}, {"ip", "10.0.0.1"}};
    auto missing = call("POST", "/api/v1/nas", no_secret, root());
    EXPECT_EQ(missing.status, 400);
    EXPECT_EQ(error(missing)["field"], "secret");

    createNas("core-1", "10.0.0.1");
    auto duplicate = call("POST", "/api/v1/nas", nasBody("core-1", "10.0.0.2"), root());
    EXPECT_EQ(duplicate.status, 409);
    EXPECT_EQ(error(duplicate)["field"], "name");

    auto unknown = call("POST", "/api/v1/nas", {{"name", "x"}, {"shared", "y"}}, root());
    EXPECT_EQ(error(unknown)["field"], "shared");
    EXPECT_EQ(sql("SELECT count(*) FROM nas_devices")[0][0].as<int64_t>(), 1);
}

TEST_F(NasRoutes, ViewerMayListButGets403NamingNasCreate) {
    auto viewer = tokenOf("watcher", "viewer");
    auto r = call("POST", "/api/v1/nas", nasBody("core-1", "10.0.0.1"), viewer);
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(error(r)["code"], "forbidden");
    EXPECT_EQ(error(r)["message"], "permission nas.create is required");
    EXPECT_EQ(call("GET", "/api/v1/nas", nullptr, viewer).status, 200);
    EXPECT_EQ(sql("SELECT count(*) FROM nas_devices")[0][0].as<int64_t>(), 0);
    EXPECT_EQ(call("GET", "/api/v1/nas").status, 401);
}

TEST_F(NasRoutes, ResellerSeesOnlyItsNasAndAnothersLooksMissing) {
    const int64_t mine = createNas("north-1", "10.0.1.1");
    const int64_t theirs = createNas("south-1", "10.0.2.1");
    const int64_t north = addResellerRow("north");
    sql("INSERT INTO reseller_nas VALUES (" + std::to_string(north) + ", " + std::to_string(mine) +
        ")");
    auto reseller = tokenOf("north-admin", "reseller", north);

    auto list = call("GET", "/api/v1/nas", nullptr, reseller);
    ASSERT_EQ(list.status, 200) << list.body;
    const json page = body(list);
    EXPECT_EQ(page["total"], 1);
    ASSERT_EQ(page["items"].size(), 1u);
    EXPECT_EQ(page["items"][0]["name"], "north-1");

    EXPECT_EQ(call("GET", "/api/v1/nas/" + std::to_string(mine), nullptr, reseller).status, 200);
    auto foreign = call("GET", "/api/v1/nas/" + std::to_string(theirs), nullptr, reseller);
    auto missing = call("GET", "/api/v1/nas/987654", nullptr, reseller);
    EXPECT_EQ(foreign.status, 404);
    EXPECT_EQ(foreign.body, missing.body);
}

TEST_F(NasRoutes, DeleteIsRefusedWhileASessionIsOpenAndNamesIt) {
    const int64_t id = createNas("core-1", "10.0.0.1");
    openSession(id, "alice");
    const std::string path = "/api/v1/nas/" + std::to_string(id);
    auto refused = call("DELETE", path, nullptr, root());
    EXPECT_EQ(refused.status, 409);
    EXPECT_EQ(error(refused)["code"], "conflict");
    EXPECT_EQ(error(refused)["message"],
              "NAS core-1 has 1 open session (alice); disconnect them first");
    EXPECT_EQ(sql("SELECT count(*) FROM nas_devices")[0][0].as<int64_t>(), 1);

    sql("UPDATE radacct SET acctstoptime = now()");
    EXPECT_EQ(call("DELETE", path, nullptr, root()).status, 204);
    EXPECT_EQ(sql("SELECT count(*) FROM nas_devices")[0][0].as<int64_t>(), 0);
    auto audit =
        sql("SELECT before->>'name', after IS NULL FROM audit_log WHERE action = "
            "'delete' AND resource = 'nas' AND resource_id = '" +
            std::to_string(id) + "'");
    ASSERT_EQ(audit.size(), 1u);
    EXPECT_EQ(audit[0][0].as<std::string>(), "core-1");
    EXPECT_TRUE(audit[0][1].as<bool>());
    EXPECT_EQ(call("DELETE", path, nullptr, root()).status, 404);
}

TEST_F(NasRoutes, AuditRowsMaskTheSecrets) {
    json in = nasBody("core-1", "10.0.0.1");
    in["api_username"] = "gatehouse";
    in["api_password"] = kApiPassword;
    auto created = call("POST", "/api/v1/nas", in, root());
    ASSERT_EQ(created.status, 201) << created.body;
    const std::string id = std::to_string(body(created)["id"].get<int64_t>());
    auto patched =
        call("PATCH", "/api/v1/nas/" + id, {{"secret", "Another-Secret-Text-9"}}, root());
    ASSERT_EQ(patched.status, 200) << patched.body;

    auto rows =
        sql("SELECT action, before::text, after::text, after->>'secret' FROM audit_log"
            " WHERE resource = 'nas' ORDER BY id");
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0][0].as<std::string>(), "create");
    EXPECT_EQ(rows[1][0].as<std::string>(), "update");
    for (const auto& row : rows) {
        EXPECT_EQ(row[3].as<std::string>(), "***");
        for (int col : {1, 2}) {
            const std::string text = row[col].is_null() ? "" : row[col].as<std::string>();
            EXPECT_EQ(text.find(kSecret), std::string::npos) << text;
            EXPECT_EQ(text.find(kApiPassword), std::string::npos) << text;
            EXPECT_EQ(text.find("Another-Secret-Text-9"), std::string::npos) << text;
        }
    }
    EXPECT_EQ(json::parse(rows[0][2].as<std::string>())["api_password"], "***");
}

TEST_F(NasRoutes, PatchChangesOnlyGivenFieldsAndRefusesAnEmptySecret) {
    const int64_t id = createNas("core-1", "10.0.0.1");
    const std::string path = "/api/v1/nas/" + std::to_string(id);
    auto r = call("PATCH", path, {{"description", "rack 4"}, {"enabled", false}}, root());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(body(r)["description"], "rack 4");
    EXPECT_EQ(body(r)["enabled"], false);
    EXPECT_EQ(body(r)["has_secret"], true);
    EXPECT_EQ(sql("SELECT secret FROM nas_devices")[0][0].as<std::string>(), kSecret);

    auto empty = call("PATCH", path, {{"secret", ""}}, root());
    EXPECT_EQ(empty.status, 400);
    EXPECT_EQ(error(empty)["field"], "secret");
    auto fixed = call("PATCH", path, {{"require_message_authenticator", false}}, root());
    EXPECT_EQ(fixed.status, 400);
    EXPECT_EQ(error(fixed)["field"], "require_message_authenticator");
    EXPECT_EQ(sql("SELECT secret, name FROM nas_devices")[0][0].as<std::string>(), kSecret);
    EXPECT_EQ(call("PATCH", "/api/v1/nas/987654", {{"description", "x"}}, root()).status, 404);
}

TEST_F(NasRoutes, ListCarriesHealthSessionsAndCoaCountsAndPaginates) {
    const int64_t id = createNas("core-1", "10.0.0.1");
    createNas("core-2", "10.0.0.2");
    sql("UPDATE nas_devices SET is_online = true, version = '7.15.3',"
        " last_seen = '2026-11-20T10:00:00Z' WHERE id = " +
        std::to_string(id));
    openSession(id, "alice");
    openSession(id, "bob");

    auto r = listPage({{"per_page", "1"}});
    ASSERT_EQ(r.status, 200) << r.body;
    const json page = body(r);
    EXPECT_EQ(page["total"], 2);
    EXPECT_EQ(page["page"], 1);
    EXPECT_EQ(page["per_page"], 1);
    ASSERT_EQ(page["items"].size(), 1u);
    const json& item = page["items"][0];
    EXPECT_EQ(item["name"], "core-1");
    EXPECT_EQ(item["is_online"], true);
    EXPECT_EQ(item["version"], "7.15.3");
    EXPECT_EQ(item["last_seen"], "2026-11-20T10:00:00Z");
    EXPECT_EQ(item["active_sessions"], 2);
    EXPECT_EQ(item["coa"]["pending"], 0);
    EXPECT_EQ(item["coa"]["acked"], 0);

    auto second = body(listPage({{"per_page", "1"}, {"page", "2"}}));
    ASSERT_EQ(second["items"].size(), 1u);
    EXPECT_EQ(second["items"][0]["name"], "core-2");
    EXPECT_EQ(second["items"][0]["is_online"], false);
    EXPECT_TRUE(second["items"][0]["last_seen"].is_null());
    auto too_many = listPage({{"per_page", "501"}});
    EXPECT_EQ(too_many.status, 400);
    EXPECT_EQ(error(too_many)["field"], "per_page");
}

TEST_F(NasRoutes, TestReportsEachCheckAndSkipsTheApiWithoutCredentials) {
    auto created =
        call("POST", "/api/v1/nas",
             {{"name", "lab"}, {"ip", "127.0.0.1"}, {"secret", kSecret}, {"coa_port", 9}}, root());
    ASSERT_EQ(created.status, 201) << created.body;
    const std::string id = std::to_string(body(created)["id"].get<int64_t>());
    auto r = call("POST", "/api/v1/nas/" + id + "/test", nullptr, root());
    ASSERT_EQ(r.status, 200) << r.body;
    const json result = body(r);
    EXPECT_EQ(result["name"], "lab");
    EXPECT_EQ(result["ok"], false);
    ASSERT_EQ(result["checks"].size(), 3u);
    EXPECT_EQ(result["checks"][0]["check"], "radius");
    EXPECT_EQ(result["checks"][0]["status"], "fail");
    EXPECT_EQ(result["checks"][1]["check"], "api");
    EXPECT_EQ(result["checks"][1]["status"], "skipped");
    EXPECT_EQ(result["checks"][2]["check"], "coa");
    EXPECT_EQ(result["checks"][2]["status"], "fail");
    EXPECT_EQ(r.body.find(kSecret), std::string::npos);

    auto viewer = tokenOf("watcher", "viewer");
    auto denied = call("POST", "/api/v1/nas/" + id + "/test", nullptr, viewer);
    EXPECT_EQ(denied.status, 403);
    EXPECT_EQ(error(denied)["message"], "permission nas.edit is required");
}

TEST_F(NasRoutes, PatchChangesNameAddressAndTypeAndAuditsBeforeAndAfter) {
    const int64_t id = createNas("core-1", "10.0.0.1");
    const std::string path = "/api/v1/nas/" + std::to_string(id);
    auto r =
        call("PATCH", path, {{"name", "core-9"}, {"ip", "10.0.9.1"}, {"type", "cisco"}}, root());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(body(r)["name"], "core-9");
    EXPECT_EQ(body(r)["ip"], "10.0.9.1");
    EXPECT_EQ(body(r)["type"], "cisco");
    EXPECT_EQ(sql("SELECT name, host(ip), type, secret FROM nas_devices WHERE id = " +
                  std::to_string(id))[0][3]
                  .as<std::string>(),
              kSecret);
    auto audit =
        sql("SELECT before->>'name', after->>'name', before->>'ip', after->>'ip', after->>'type'"
            " FROM audit_log WHERE action = 'update' AND resource = 'nas'");
    ASSERT_EQ(audit.size(), 1u);
    EXPECT_EQ(audit[0][0].as<std::string>(), "core-1");
    EXPECT_EQ(audit[0][1].as<std::string>(), "core-9");
    EXPECT_EQ(audit[0][2].as<std::string>(), "10.0.0.1");
    EXPECT_EQ(audit[0][3].as<std::string>(), "10.0.9.1");
    EXPECT_EQ(audit[0][4].as<std::string>(), "cisco");
}

TEST_F(NasRoutes, PatchRefusesBadOrTakenNameAddressAndTypeNamingTheField) {
    const int64_t id = createNas("core-1", "10.0.0.1");
    createNas("core-2", "10.0.0.2");
    const std::string path = "/api/v1/nas/" + std::to_string(id);
    auto fieldOf = [&](const json& in, int status = 400) {
        auto r = call("PATCH", path, in, root());
        EXPECT_EQ(r.status, status) << in.dump() << " " << r.body;
        return error(r)["field"].get<std::string>();
    };
    EXPECT_EQ(fieldOf({{"ip", "10.0.0.300"}}), "ip");
    EXPECT_EQ(fieldOf({{"ip", "10.0.0.2"}}, 409), "ip");  // the other NAS's address
    EXPECT_EQ(fieldOf({{"name", ""}}), "name");
    EXPECT_EQ(fieldOf({{"name", "core-2"}}, 409), "name");
    EXPECT_EQ(fieldOf({{"type", "ascend"}}), "type");
    EXPECT_EQ(fieldOf({{"ip", 7}}), "ip");
    // Nothing changed and nothing was audited.
    auto row = sql("SELECT name, host(ip), type FROM nas_devices WHERE id = " + std::to_string(id));
    EXPECT_EQ(row[0][0].as<std::string>(), "core-1");
    EXPECT_EQ(row[0][1].as<std::string>(), "10.0.0.1");
    EXPECT_EQ(row[0][2].as<std::string>(), "mikrotik");
    EXPECT_EQ(sql("SELECT count(*) FROM audit_log WHERE action = 'update'")[0][0].as<int64_t>(), 0);
}

TEST_F(NasRoutes, ResellerCannotRenameAnotherResellersNas) {
    const int64_t north = addResellerRow("north");
    const int64_t id = createNas("core-1", "10.0.0.1");
    const auto token = tokenOf("north-admin", "operator", north);
    auto r = call("PATCH", "/api/v1/nas/" + std::to_string(id), {{"name", "mine"}}, token);
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(sql("SELECT name FROM nas_devices")[0][0].as<std::string>(), "core-1");
}

}  // namespace
}  // namespace gatehouse::api::testing
