#pragma once
// The subscriber, session and usage routes on top of AuthTest (real PostgreSQL and Redis):
// the same router as AuthTest's plus those groups, tokens by role, and rows the NAS would have
// written (radacct sessions, usage counters) put in with plain SQL.
#include <map>
#include <optional>
#include <string>

#include "core/api/routes/sessions.hpp"
#include "core/api/routes/subscribers.hpp"
#include "core/crypto/secret_box.hpp"
#include "tests/unit/api/db/auth_fixture.hpp"

namespace gatehouse::api::testing {

inline const std::string kAdminPassword = "correct horse battery";

inline crypto::SecretBox testBox() {
    crypto::SecretBox::Key key{};
    key.fill(0x42);
    return crypto::SecretBox(key);
}

class SubscriberApiTest : public AuthTest {
  protected:
    void SetUp() override {
        AuthTest::SetUp();
        router_ = std::make_unique<Router>();
        addAuthRoutes(*router_, deps_);
        SubscriberDeps subscribers;
        subscribers.box = testBox();
        addSubscriberRoutes(*router_, subscribers, deps_);
        addSessionRoutes(*router_, SessionDeps{}, deps_);
    }

    /// A fresh admin of `role` (in `reseller`, if given), logged in: the access token.
    std::string tokenOf(const std::string& username, const std::string& role,
                        std::optional<int64_t> reseller = {}) {
        addAdminRow(username, kAdminPassword, role, reseller);
        return tokensFor(username, kAdminPassword).first;
    }

    /// GET `path` with a query string (the router takes it already split and decoded).
    HttpResponse get(const std::string& token, const std::string& path,
                     const std::map<std::string, std::string>& query = {}) {
        HttpRequest req;
        req.method = "GET";
        req.path = path;
        req.query = query;
        req.peer_ip = "192.0.2.10";
        req.headers["authorization"] = "Bearer " + token;
        return router().dispatch(req);
    }

    int64_t addNasRow(const std::string& name, const std::string& ip) {
        return sql("INSERT INTO nas_devices (name, ip, secret) VALUES ('" + name + "', '" + ip +
                   "', 'testing123') RETURNING id")[0][0]
            .as<int64_t>();
    }

    int64_t addServiceRow(const std::string& name) {
        return sql("INSERT INTO services (name, download_bps, upload_bps) VALUES ('" + name +
                   "', 10000000, 5000000) RETURNING id")[0][0]
            .as<int64_t>();
    }

    /// POST /api/v1/subscribers; the new id (fails the test on any other answer).
    int64_t create(const std::string& token, const nlohmann::json& in) {
        auto r = call("POST", "/api/v1/subscribers", in, token);
        EXPECT_EQ(r.status, 201) << r.body;
        return r.status == 201 ? body(r)["id"].get<int64_t>() : 0;
    }

    void setReseller(int64_t subscriber_id, int64_t reseller_id) {
        sql("UPDATE subscribers SET reseller_id = " + std::to_string(reseller_id) +
            " WHERE id = " + std::to_string(subscriber_id));
    }

    struct SessionRow {
        std::string username;
        std::optional<int64_t> subscriber_id;
        std::optional<int64_t> nas_id;
        std::string nas_ip = "10.0.0.1";
        std::string acct_session_id = "81a00001";
        std::string framed_ip = "100.64.0.10";
        std::string start = "now() - interval '1 hour'";  // SQL
        std::string stop = "NULL";                        // SQL
    };
    static SessionRow sessionOf(std::string username, std::optional<int64_t> subscriber_id,
                                std::optional<int64_t> nas_id = {}) {
        SessionRow s;
        s.username = std::move(username);
        s.subscriber_id = subscriber_id;
        s.nas_id = nas_id;
        return s;
    }
    /// A radacct row as the accounting writer leaves it: the radacctid.
    int64_t addSession(const SessionRow& s) {
        static int unique = 0;
        auto opt = [](const std::optional<int64_t>& v) {
            return v ? std::to_string(*v) : std::string("NULL");
        };
        return sql("INSERT INTO radacct (acctsessionid, acctuniqueid, username, subscriber_id,"
                   " nas_id, nasipaddress, framedipaddress, acctstarttime, acctupdatetime,"
                   " acctstoptime, acctinputoctets, acctoutputoctets, acctsessiontime,"
                   " acctterminatecause) VALUES ('" +
                   s.acct_session_id + "', 'u" + std::to_string(++unique) + "', '" + s.username +
                   "', " + opt(s.subscriber_id) + ", " + opt(s.nas_id) + ", '" + s.nas_ip + "', '" +
                   s.framed_ip + "', " + s.start + ", " + s.start + ", " + s.stop +
                   ", 1000, 2000, 3600, " +
                   (s.stop == "NULL" ? std::string("NULL") : std::string("'User-Request'")) +
                   ") RETURNING radacctid")[0][0]
            .as<int64_t>();
    }

    int64_t count(const std::string& from_where) {
        return sql("SELECT count(*) FROM " + from_where)[0][0].as<int64_t>();
    }
};

}  // namespace gatehouse::api::testing
