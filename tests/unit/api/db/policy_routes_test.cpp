// /api/v1/policies against a real PostgreSQL and Redis: the files on disk and how they are read
// (no path outside the policy directory), reload through the radius role's PolicyStore (a good
// file publishes, a broken one is 422 naming file:line while the old policy keeps serving) or,
// without it, a check answered 202, every reload audited, and eval in a fresh VM with the
// subscriber and NAS as the server would see them, cut to the caller's reseller.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "core/api/routes/policies.hpp"
#include "core/policy/store.hpp"
#include "core/radius/dictionary.hpp"
#include "core/store/nas_repository.hpp"
#include "tests/unit/api/db/subscriber_fixture.hpp"

namespace gatehouse::api::testing {
namespace {

using nlohmann::json;

// Greets the subscriber by name on the NAS it came from, at its service's rate; unknown users
// and disabled accounts are rejected. The test file pins both, so a reload runs real tests.
const std::string kPolicy = R"(function authorize(req, sub, nas)
  if sub == nil then return reject("unknown user") end
  if not sub.enabled then return reject("account disabled") end
  return accept({
    ["Reply-Message"] = "hello " .. sub.username .. " on " .. nas.name,
    ["Mikrotik-Rate-Limit"] = string.format("%dk/%dk", sub.service.upload_bps / 1000,
                                            sub.service.download_bps / 1000),
  })
end
function accounting(req, sub, nas) return record({}) end
)";
const std::string kPolicyTest = R"(local t = require("testing")
test("unknown users are rejected", function()
  local d = authorize(t.request{ ["User-Name"] = "nobody" }, nil, t.nas{})
  t.eq(d.decision, "reject")
end)
)";

class NullSink : public policy::PolicyEventSink {
  public:
    void event(std::string_view, std::string_view) override {}
};

class PolicyRoutes : public SubscriberApiTest {
  protected:
    void SetUp() override {
        SubscriberApiTest::SetUp();
        std::string tmpl =
            (std::filesystem::temp_directory_path() / "gh-api-policy-XXXXXX").string();
        dir_ = ::mkdtemp(tmpl.data());
        write("default.lua", kPolicy);
        write("default.test.lua", kPolicyTest);
        write("vendors/mikrotik.lua", "return {}\n");
        live_ = std::make_shared<LivePolicies>();
        addRoutes();
    }
    void TearDown() override {
        if (live_)
            live_->detach();
        router_.reset();
        store_.reset();
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
        SubscriberApiTest::TearDown();
    }

    /// The router of SubscriberApiTest plus the policy routes; `live` attaches a PolicyStore
    /// as `gatehouse serve` does when the radius role runs in the process.
    void addRoutes() {
        PolicyDeps deps;
        deps.directory = dir_;
        deps.live = live_;
        deps.box = std::make_shared<crypto::SecretBox>(testBox());
        addPolicyRoutes(*router_, deps, deps_);
    }
    void startRadius() {
        policy::StoreOptions options;
        options.directory = dir_;
        options.sink = &sink_;
        store_ = std::make_unique<policy::PolicyStore>(radius::Dictionary::builtin(), options);
        live_->remember(store_->reload("startup"));
        ASSERT_EQ(store_->generation(), 1u);
        live_->attach(store_.get(), nullptr);
    }
    void write(const std::string& name, const std::string& text) {
        const auto p = std::filesystem::path(dir_) / name;
        std::filesystem::create_directories(p.parent_path());
        std::ofstream(p, std::ios::trunc) << text;
    }
    std::string root() {
        if (root_.empty())
            root_ = tokenOf("root", "superadmin");
        return root_;
    }
    json eval(const json& in, const std::string& token = "") {
        auto r = call("POST", "/api/v1/policies/eval", in, token.empty() ? root() : token);
        EXPECT_EQ(r.status, 200) << r.body;
        return body(r);
    }
    /// A subscriber created through the API (its password sealed with the test key), on a
    /// 10M/5M service.
    int64_t subscriberWithService(const std::string& username, std::optional<int64_t> reseller) {
        if (sql("SELECT 1 FROM services WHERE name = 'gold'").empty())
            addServiceRow("gold");
        json in = {{"username", username}, {"password", "pw"}, {"service", "gold"}};
        if (reseller)
            in["reseller_id"] = *reseller;
        return create(root(), in);
    }
    int64_t auditCount(const std::string& where) {
        return count("audit_log WHERE resource = 'policy' AND " + where);
    }
    static json error(const HttpResponse& r) { return body(r)["error"]; }

    std::string dir_;
    std::string root_;
    NullSink sink_;
    std::shared_ptr<LivePolicies> live_;
    std::unique_ptr<policy::PolicyStore> store_;
};

std::map<std::string, std::string> replyOf(const json& decision) {
    std::map<std::string, std::string> out;
    for (const auto& a : decision["reply"])
        out[a["name"].get<std::string>()] = a["value"].get<std::string>();
    return out;
}

TEST_F(PolicyRoutes, ListsTheLuaFilesWithTheEntryAndNoLoadedPolicyWithoutRadius) {
    write("README.md", "not a policy\n");
    auto r = get(root(), "/api/v1/policies");
    ASSERT_EQ(r.status, 200) << r.body;
    const json b = body(r);
    EXPECT_EQ(b["entry"], "default.lua");
    EXPECT_EQ(b["radius_in_process"], false);
    EXPECT_TRUE(b["loaded"].is_null());
    ASSERT_EQ(b["files"].size(), 3u);
    EXPECT_EQ(b["files"][0]["path"], "default.lua");
    EXPECT_EQ(b["files"][0]["entry"], true);
    EXPECT_EQ(b["files"][0]["size"], kPolicy.size());
    EXPECT_EQ(b["files"][1]["path"], "default.test.lua");
    EXPECT_EQ(b["files"][1]["test"], true);
    EXPECT_EQ(b["files"][2]["path"], "vendors/mikrotik.lua");
    EXPECT_EQ(b["files"][2]["entry"], false);
}

TEST_F(PolicyRoutes, ListShowsTheLoadedGenerationAndTheLastReloadWithRadiusInProcess) {
    startRadius();
    const json b = body(get(root(), "/api/v1/policies"));
    EXPECT_EQ(b["radius_in_process"], true);
    EXPECT_EQ(b["loaded"]["generation"], 1);
    EXPECT_EQ(b["loaded"]["version"], store_->current()->fingerprint());
    EXPECT_TRUE(b["loaded"]["loaded_at"].is_string());
    EXPECT_EQ(b["loaded"]["last_reload"]["outcome"], "reloaded");
    EXPECT_EQ(b["loaded"]["last_reload"]["trigger"], "startup");
    EXPECT_EQ(b["loaded"]["last_reload"]["tests_passed"], 1);
}

TEST_F(PolicyRoutes, FileReturnsTheTextOfALuaFileUnderTheDirectory) {
    auto r = get(root(), "/api/v1/policies/file", {{"path", "vendors/mikrotik.lua"}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(body(r)["text"], "return {}\n");
    EXPECT_EQ(body(r)["path"], "vendors/mikrotik.lua");
    EXPECT_EQ(body(r)["entry"], false);
}

TEST_F(PolicyRoutes, FileRefusesPathsOutsideTheDirectoryAndNonLuaFiles) {
    write("notes.txt", "secret plans\n");
    for (const char* bad :
         {"../default.lua", "vendors/../../etc/passwd.lua", "/etc/passwd", "notes.txt",
          "vendors\\mikrotik.lua", "./default.lua", "vendors//mikrotik.lua", ""}) {
        auto r = get(root(), "/api/v1/policies/file", {{"path", bad}});
        EXPECT_EQ(r.status, 400) << bad << " " << r.body;
        EXPECT_EQ(error(r)["field"], "path") << bad;
    }
    EXPECT_EQ(get(root(), "/api/v1/policies/file", {{"path", "lib/none.lua"}}).status, 404);
    // A symlink inside the directory that leads outside it is not followed.
    const std::string outside = dir_ + "-outside.lua";
    std::ofstream(outside) << "-- outside\n";
    std::filesystem::create_symlink(outside, std::filesystem::path(dir_) / "escape.lua");
    EXPECT_EQ(get(root(), "/api/v1/policies/file", {{"path", "escape.lua"}}).status, 404);
    std::filesystem::remove(outside);
}

TEST_F(PolicyRoutes, EachRouteNeedsItsPermission) {
    const auto viewer = tokenOf("watcher", "viewer");  // policies.view only
    EXPECT_EQ(get(viewer, "/api/v1/policies").status, 200);
    auto reload = call("POST", "/api/v1/policies/reload", nullptr, viewer);
    EXPECT_EQ(reload.status, 403);
    EXPECT_EQ(error(reload)["message"], "permission policies.reload is required");
    auto ev = call("POST", "/api/v1/policies/eval", {{"request", {{"User-Name", "a"}}}}, viewer);
    EXPECT_EQ(ev.status, 403);
    EXPECT_EQ(error(ev)["message"], "permission policies.eval is required");
    const auto reseller = tokenOf("north-admin", "reseller");  // no policies.view
    auto list = get(reseller, "/api/v1/policies");
    EXPECT_EQ(list.status, 403);
    EXPECT_EQ(error(list)["message"], "permission policies.view is required");
    EXPECT_EQ(call("GET", "/api/v1/policies").status, 401);
}

TEST_F(PolicyRoutes, ReloadPublishesAChangedPolicyThenReportsUnchanged) {
    startRadius();
    const std::string first = store_->current()->fingerprint();
    write("vendors/mikrotik.lua", "return { version = 2 }\n");
    auto r = call("POST", "/api/v1/policies/reload", nullptr, root());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(body(r)["outcome"], "reloaded");
    EXPECT_EQ(body(r)["generation"], 2);
    EXPECT_EQ(body(r)["version"], store_->current()->fingerprint());
    EXPECT_NE(body(r)["version"], first);
    EXPECT_EQ(store_->generation(), 2u);

    auto again = call("POST", "/api/v1/policies/reload", nullptr, root());
    ASSERT_EQ(again.status, 200) << again.body;
    EXPECT_EQ(body(again)["outcome"], "unchanged");
    EXPECT_EQ(body(again)["generation"], 2);
    EXPECT_EQ(auditCount("action = 'reload' AND after->>'outcome' = 'reloaded'"), 1);
    EXPECT_EQ(auditCount("action = 'reload' AND after->>'outcome' = 'unchanged'"), 1);
    auto who =
        sql("SELECT admin_username, before->>'version' FROM audit_log WHERE action = "
            "'reload' ORDER BY id LIMIT 1");
    EXPECT_EQ(who[0][0].as<std::string>(), "root");
    EXPECT_EQ(who[0][1].as<std::string>(), first);
}

TEST_F(PolicyRoutes, ABrokenFileIs422NamingFileAndLineAndTheOldPolicyKeepsServing) {
    startRadius();
    const std::string serving = store_->current()->fingerprint();
    write("vendors/mikrotik.lua", "return {\n  speed = 10 20\n}\n");
    auto r = call("POST", "/api/v1/policies/reload", nullptr, root());
    ASSERT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(error(r)["code"], "policy_error");
    EXPECT_EQ(error(r)["policy_error"]["file"], "vendors/mikrotik.lua");
    EXPECT_EQ(error(r)["policy_error"]["line"], 2);
    EXPECT_TRUE(error(r)["message"].get<std::string>().starts_with("vendors/mikrotik.lua:2:"))
        << r.body;
    EXPECT_EQ(store_->generation(), 1u);
    EXPECT_EQ(store_->current()->fingerprint(), serving);
    const json list = body(get(root(), "/api/v1/policies"));
    EXPECT_EQ(list["loaded"]["version"], serving);
    EXPECT_EQ(list["loaded"]["last_reload"]["outcome"], "refused");
    EXPECT_EQ(list["loaded"]["last_reload"]["error"]["file"], "vendors/mikrotik.lua");
    EXPECT_EQ(list["loaded"]["last_reload"]["error"]["line"], 2);
    EXPECT_EQ(auditCount("action = 'reload' AND after->>'outcome' = 'refused' AND "
                         "after->'error'->>'file' = 'vendors/mikrotik.lua'"),
              1);
}

TEST_F(PolicyRoutes, AFailingSelfTestIs422AndNamesTheTest) {
    startRadius();
    write("default.test.lua", kPolicyTest + R"(test("always fails", function()
  t.eq(1, 2)
end)
)");
    auto r = call("POST", "/api/v1/policies/reload", nullptr, root());
    ASSERT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(error(r)["policy_error"]["file"], "default.test.lua");
    EXPECT_EQ(error(r)["tests_failed"], 1);
    EXPECT_EQ(error(r)["failed_tests"][0]["name"], "always fails");
    EXPECT_EQ(store_->generation(), 1u);
}

TEST_F(PolicyRoutes, WithoutRadiusInProcessReloadChecksAndAnswers202) {
    auto r = call("POST", "/api/v1/policies/reload", nullptr, root());
    ASSERT_EQ(r.status, 202) << r.body;
    EXPECT_EQ(body(r)["outcome"], "checked");
    EXPECT_EQ(body(r)["tests_passed"], 1);
    EXPECT_NE(body(r)["message"].get<std::string>().find("SIGHUP"), std::string::npos);
    write("default.lua", "function authorize(req, sub, nas)\n  local x 1\nend\n");
    auto broken = call("POST", "/api/v1/policies/reload", nullptr, root());
    ASSERT_EQ(broken.status, 422) << broken.body;
    EXPECT_EQ(error(broken)["policy_error"]["file"], "default.lua");
    EXPECT_EQ(error(broken)["policy_error"]["line"], 2);
    EXPECT_EQ(auditCount("action = 'reload'"), 2);
}

TEST_F(PolicyRoutes, EvalAcceptsAKnownSubscriberWithReplyAttributesFromTheDatabase) {
    subscriberWithService("alice", std::nullopt);
    store::NasInput nas;
    nas.name = "core-1";
    nas.ip = "10.0.0.1";
    nas.secret = "testing123";
    ASSERT_TRUE(store::addNas(conn(), nas));
    const json d =
        eval({{"request",
               {{"User-Name", "alice"}, {"User-Password", "pw"}, {"NAS-IP-Address", "10.0.0.1"}}}});
    EXPECT_EQ(d["decision"], "accept");
    EXPECT_EQ(d["accept"], true);
    EXPECT_EQ(d["reason"], "");
    EXPECT_EQ(d["tier"], 0);
    EXPECT_EQ(d["ip"]["kind"], "none");
    const auto reply = replyOf(d);
    EXPECT_EQ(reply.at("Reply-Message"), "hello alice on core-1");
    EXPECT_EQ(reply.at("Mikrotik-Rate-Limit"), "5000k/10000k");
    EXPECT_FALSE(d["version"].get<std::string>().empty());
    // Named explicitly instead: the same decision.
    const json named = eval(
        {{"request", {{"User-Name", "someone-else"}}}, {"subscriber", "alice"}, {"nas", "core-1"}});
    EXPECT_EQ(replyOf(named).at("Reply-Message"), "hello alice on core-1");
    EXPECT_EQ(count("audit_log WHERE resource = 'policy'"), 0);  // a dry run writes nothing
}

TEST_F(PolicyRoutes, EvalRejectsAnUnknownUserAndTakesTheWholeEvalDocument) {
    const json d = eval({{"request", {{"User-Name", "nobody"}}}});
    EXPECT_EQ(d["decision"], "reject");
    EXPECT_EQ(d["reason"], "unknown user");
    EXPECT_TRUE(d["reply"].empty());
    // The document of `gatehouse policy eval --request`, subscriber given inline.
    const json whole = eval({{"request",
                              {{"request", {{"User-Name", "carol"}}},
                               {"subscriber", {{"username", "carol"}, {"enabled", false}}},
                               {"nas", {{"name", "lab"}}}}}});
    EXPECT_EQ(whole["decision"], "reject");
    EXPECT_EQ(whole["reason"], "account disabled");
}

TEST_F(PolicyRoutes, EvalRefusesBadRequestsNamingTheField) {
    auto fieldOf = [&](const json& in) {
        auto r = call("POST", "/api/v1/policies/eval", in, root());
        EXPECT_EQ(r.status, 400) << in.dump() << " " << r.body;
        return error(r)["field"].get<std::string>();
    };
    EXPECT_EQ(fieldOf(json::object()), "request");
    EXPECT_EQ(fieldOf({{"request", "User-Name=alice"}}), "request");
    EXPECT_EQ(fieldOf({{"request", {{"No-Such-Attribute", "x"}}}}), "request.No-Such-Attribute");
    EXPECT_EQ(fieldOf({{"request", {{"NAS-Port", "seven"}}}}), "request.NAS-Port");
    EXPECT_EQ(fieldOf({{"request", {{"User-Name", "a"}}}, {"nas", 7}}), "nas");
    EXPECT_EQ(fieldOf({{"request", {{"User-Name", "a"}}}, {"verbose", true}}), "verbose");
    EXPECT_EQ(fieldOf({{"request", {{"request", {{"User-Name", "a"}}}, {"code", "Bogus"}}}}),
              "request.code");
}

TEST_F(PolicyRoutes, EvalOfABrokenPolicyIs422WithFileAndLine) {
    write("default.lua", "function authorize(req, sub, nas)\n  return accept({ x = })\nend\n");
    auto r = call("POST", "/api/v1/policies/eval", {{"request", {{"User-Name", "a"}}}}, root());
    ASSERT_EQ(r.status, 422) << r.body;
    EXPECT_EQ(error(r)["policy_error"]["file"], "default.lua");
    EXPECT_EQ(error(r)["policy_error"]["line"], 2);
    // A runtime error while deciding names its line too.
    write("default.lua",
          "function authorize(req, sub, nas)\n  return nil + 1\nend\n"
          "function accounting() return record({}) end\n");
    auto runtime =
        call("POST", "/api/v1/policies/eval", {{"request", {{"User-Name", "a"}}}}, root());
    ASSERT_EQ(runtime.status, 422) << runtime.body;
    EXPECT_EQ(error(runtime)["policy_error"]["file"], "default.lua");
    EXPECT_EQ(error(runtime)["policy_error"]["line"], 2);
}

TEST_F(PolicyRoutes, EvalReturnsThePolicysLogLinesWithTheirLine) {
    write("default.lua",
          "function authorize(req, sub, nas)\n  log.info(\"deciding\")\n"
          "  return reject(\"closed\")\nend\n"
          "function accounting() return record({}) end\n");
    const json d = eval({{"request", {{"User-Name", "a"}}}});
    EXPECT_EQ(d["reason"], "closed");
    ASSERT_EQ(d["log"].size(), 1u) << d.dump();
    EXPECT_EQ(d["log"][0]["level"], "info");
    EXPECT_EQ(d["log"][0]["where"], "default.lua:2");
    EXPECT_EQ(d["log"][0]["message"], "deciding");
}

TEST_F(PolicyRoutes, EvalForAResellerSeesOnlyItsOwnSubscribersAndNas) {
    const int64_t north = addResellerRow("north");
    const int64_t south = addResellerRow("south");
    subscriberWithService("n1", north);
    subscriberWithService("s1", south);
    store::NasInput nas;
    nas.name = "south-core";
    nas.ip = "10.0.0.2";
    nas.secret = "testing123";
    ASSERT_TRUE(store::addNas(conn(), nas));
    sql("INSERT INTO roles (name, description, permissions) VALUES ('reseller-eval', '',"
        " ARRAY['policies.eval'])");
    const auto token = tokenOf("north-admin", "reseller-eval", north);

    auto theirs = call("POST", "/api/v1/policies/eval",
                       {{"request", {{"User-Name", "x"}}}, {"subscriber", "s1"}}, token);
    auto missing = call("POST", "/api/v1/policies/eval",
                        {{"request", {{"User-Name", "x"}}}, {"subscriber", "nobody"}}, token);
    EXPECT_EQ(theirs.status, 404);
    EXPECT_EQ(theirs.body, missing.body);
    EXPECT_EQ(error(theirs)["field"], "subscriber");
    auto nas_theirs = call("POST", "/api/v1/policies/eval",
                           {{"request", {{"User-Name", "n1"}}}, {"nas", "south-core"}}, token);
    EXPECT_EQ(nas_theirs.status, 404);
    EXPECT_EQ(error(nas_theirs)["field"], "nas");
    // By User-Name: another reseller's subscriber is an unknown user.
    EXPECT_EQ(eval({{"request", {{"User-Name", "s1"}}}}, token)["reason"], "unknown user");
    EXPECT_EQ(eval({{"request", {{"User-Name", "n1"}}}}, token)["decision"], "accept");
}

}  // namespace
}  // namespace gatehouse::api::testing
