#pragma once
// A real PostgreSQL for the store tests. In order of preference:
//   1. GATEHOUSE_TEST_DB (a libpq connection string to a server where we may CREATE DATABASE);
//   2. the cluster ctest starts for the run (fixture gh_postgres, tests/unit/store/postgres.cmake);
//   3. a private cluster started for this process under /tmp and stopped when it ends.
// Each test gets a fresh database (dropped afterwards), so tests never see each other's rows.
// Clusters come from scripts/dev-services, which runs PostgreSQL as `postgres` when we are root.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <pqxx/pqxx>

#include <unistd.h>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "core/store/migrations.hpp"
#include "core/store/nas_repository.hpp"
#include "core/store/service_repository.hpp"
#include "core/store/subscriber_repository.hpp"

namespace gatehouse::store::testing {

inline std::string& privateClusterDir() {
    static std::string dir;
    return dir;
}

inline std::string devServices(const std::string& var_dir, const std::string& verb) {
    return "GH_VAR_DIR='" + var_dir +
           "' GH_NO_REDIS=1 GH_PG_TCP=0 '" GH_SOURCE_DIR "/scripts/dev-services' " + verb;
}

inline std::string conninfoOf(const std::string& var_dir) {
    std::ifstream port_file(var_dir + "/postgres/port");
    std::string port;
    if (!(port_file >> port))
        return {};
    return "host=" + var_dir + "/postgres/run port=" + port + " user=gatehouse dbname=gatehouse";
}

inline bool reachable(const std::string& conninfo) {
    if (conninfo.empty())
        return false;
    try {
        pqxx::connection c(conninfo + " connect_timeout=3");
        return c.is_open();
    } catch (const std::exception&) {
        return false;
    }
}

/// The server's connection string (dbname=gatehouse, or whatever GATEHOUSE_TEST_DB names).
inline const std::string& serverConninfo() {
    static const std::string conninfo = [] {
        if (const char* env = std::getenv("GATEHOUSE_TEST_DB"); env != nullptr && *env != '\0')
            return std::string(env);
        std::string shared = conninfoOf(GH_BINARY_DIR "/tests/pg");
        if (reachable(shared))
            return shared;
        char tmpl[] = "/tmp/gh-store-test-XXXXXX";
        if (mkdtemp(tmpl) == nullptr)
            throw std::runtime_error("mkdtemp failed");
        ::chmod(tmpl, 0755);  // the postgres user must reach its data dir below
        privateClusterDir() = tmpl;
        std::string cmd = devServices(tmpl, "start");
        if (std::system(cmd.c_str()) != 0)
            throw std::runtime_error("could not start a private PostgreSQL: " + cmd);
        return conninfoOf(tmpl);
    }();
    return conninfo;
}

/// Stops the private cluster, if this process started one, after the last test.
class PgEnvironment : public ::testing::Environment {
  public:
    void TearDown() override {
        const std::string& dir = privateClusterDir();
        if (dir.empty())
            return;
        std::string stop = devServices(dir, "stop");
        (void)std::system(stop.c_str());
        std::string rm = "rm -rf '" + dir + "'";
        (void)std::system(rm.c_str());
    }
};
inline ::testing::Environment* const kPgEnvironment =
    ::testing::AddGlobalTestEnvironment(new PgEnvironment);

// Input builders (designated initializers would trip -Wmissing-field-initializers).
inline NasInput nasInput(std::string name, std::string ip, std::string secret,
                         std::string type = "mikrotik") {
    NasInput in;
    in.name = std::move(name);
    in.ip = std::move(ip);
    in.secret = std::move(secret);
    in.type = std::move(type);
    return in;
}
inline ServiceInput serviceInput(std::string name, std::string download, std::string upload,
                                 std::string pool = "") {
    ServiceInput in;
    in.name = std::move(name);
    in.download = std::move(download);
    in.upload = std::move(upload);
    in.pool = std::move(pool);
    return in;
}
inline SubscriberInput subscriberInput(std::string username, std::string password,
                                       std::string service = "") {
    SubscriberInput in;
    in.username = std::move(username);
    in.password = std::move(password);
    in.service = std::move(service);
    return in;
}

/// Test fixture: a fresh, migrated database per test; conninfo() reaches it.
class PgTest : public ::testing::Test {
  protected:
    void SetUp() override {
        static std::atomic<int> counter{0};
        db_name_ = "gh_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++);
        {
            pqxx::connection admin(serverConninfo());
            pqxx::nontransaction txn(admin);
            txn.exec("DROP DATABASE IF EXISTS " + db_name_);
            txn.exec("CREATE DATABASE " + db_name_);
        }
        conninfo_ = serverConninfo() + " dbname=" + db_name_;
        conn_ = std::make_unique<pqxx::connection>(conninfo_);
        if (migrate_)
            store::migrate(*conn_);
    }
    void TearDown() override {
        conn_.reset();
        try {
            pqxx::connection admin(serverConninfo());
            pqxx::nontransaction txn(admin);
            txn.exec("DROP DATABASE IF EXISTS " + db_name_ + " WITH (FORCE)");
        } catch (const std::exception&) {
        }
    }
    pqxx::connection& conn() { return *conn_; }
    const std::string& conninfo() const { return conninfo_; }
    /// One SQL statement in its own transaction.
    pqxx::result sql(const std::string& statement) {
        pqxx::work txn(*conn_);
        auto r = txn.exec(statement);
        txn.commit();
        return r;
    }
    /// A bare subscriber row (no service; a placeholder sealed password): its id.
    int64_t insertSubscriber(const std::string& username) {
        pqxx::work txn(*conn_);
        auto r = txn.exec("INSERT INTO subscribers (username, password_enc) VALUES (" +
                          txn.quote(username) + ", 'gh1:00') RETURNING id");
        txn.commit();
        return r[0][0].as<int64_t>();
    }

    bool migrate_ = true;

  private:
    std::string db_name_;
    std::string conninfo_;
    std::unique_ptr<pqxx::connection> conn_;
};

}  // namespace gatehouse::store::testing
