#include "core/app/api_role.hpp"

#include <fmt/core.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <mutex>
#include <pqxx/pqxx>
#include <string>
#include <utility>

#include "core/api/jwt_key.hpp"
#include "core/api/routes/all.hpp"
#include "core/api/routes/policies.hpp"
#include "core/api/server.hpp"
#include "core/app/config.hpp"
#include "core/crypto/secret_box.hpp"
#include "core/store/pg_pool.hpp"
#include "core/store/redis_client.hpp"

#ifndef GH_VERSION
#define GH_VERSION "unknown"
#endif

namespace gatehouse::app {
namespace {

// /api/v1/health needs no login, so anybody can call it in a loop: PostgreSQL is asked at most
// once per kProbeTtl over one kept connection, and a request that arrives while another thread
// is asking gets the last answer instead of waiting (a down database can take a while to say so).
class DatabaseProbe {
  public:
    explicit DatabaseProbe(std::string conninfo) : conninfo_(std::move(conninfo)) {}

    bool ok() {
        std::unique_lock lock(mutex_, std::try_to_lock);
        if (!lock.owns_lock())
            return last_;
        const auto now = std::chrono::steady_clock::now();
        if (checked_ && now - checked_at_ < kProbeTtl)
            return last_;
        try {
            if (!conn_ || !conn_->is_open())
                conn_ = std::make_unique<pqxx::connection>(conninfo_);
            pqxx::nontransaction tx(*conn_);
            tx.exec("SELECT 1");
            last_ = true;
        } catch (const std::exception&) {
            conn_.reset();
            last_ = false;
        }
        checked_ = true;
        checked_at_ = std::chrono::steady_clock::now();
        return last_;
    }

  private:
    static constexpr auto kProbeTtl = std::chrono::seconds(2);
    std::string conninfo_;
    std::mutex mutex_;
    std::unique_ptr<pqxx::connection> conn_;
    bool checked_ = false;
    bool last_ = false;
    std::chrono::steady_clock::time_point checked_at_;
};

/// What the routes use, owned here and outliving the server that calls them.
struct ApiServices {
    std::unique_ptr<store::PgPool> db;
    std::unique_ptr<store::RedisClient> redis;  // null: not configured
};

class RunningApi : public ApiRole {
  public:
    RunningApi(const ServeConfig& config, std::shared_ptr<DatabaseProbe> probe,
               ApiServices services, api::Router router)
        : probe_(std::move(probe)),
          services_(std::move(services)),
          server_(optionsFrom(config), std::move(router)) {}
    ~RunningApi() override { stop(); }

    void start() { server_.start(); }
    uint16_t port() const { return server_.port(); }
    void stop() override { server_.stop(); }

  private:
    static api::ApiServerOptions optionsFrom(const ServeConfig& config) {
        api::ApiServerOptions o;
        o.bind = config.api_bind;
        o.port = config.api_port;
        o.threads = config.api_threads;
        o.web_dir = config.web_dir;
        return o;
    }

    std::shared_ptr<DatabaseProbe> probe_;  // the health route's lambda holds it too
    ApiServices services_;                  // declared before server_: destroyed after it
    api::ApiServer server_;
};

}  // namespace

std::unique_ptr<ApiRole> startApiRole(const ServeConfig& config,
                                      std::shared_ptr<api::LivePolicies> live_policies) {
    if (config.db.empty()) {
        fmt::print(stderr, "roles: the api role needs a database (--db, db =, GATEHOUSE_DB)\n");
        return nullptr;
    }
    auto probe = std::make_shared<DatabaseProbe>(config.db);
    api::ApiDeps deps;
    deps.health.version = GH_VERSION;
    deps.health.database = [probe] { return probe->ok(); };

    // Login, tokens and admins (docs/api-auth.md): PostgreSQL, Redis (blacklist, login limits)
    // and the token key derived from the key file. Without Redis or the key the routes are
    // still there and answer 503, with the reason logged once here.
    ApiServices services;
    services.db = std::make_unique<store::PgPool>(config.db, config.api_threads + 1);
    deps.auth.db = services.db.get();
    if (!config.redis.empty()) {
        const std::string url = config.redis.find("://") == std::string::npos
                                    ? "redis://" + config.redis
                                    : config.redis;
        auto parsed = store::parseRedisUrl(url);
        if (!parsed) {
            fmt::print(stderr, "redis: {}\n", parsed.error().message);
            return nullptr;
        }
        services.redis = std::make_unique<store::RedisClient>(*parsed);
        deps.auth.redis = services.redis.get();
        store::RedisClient* redis = services.redis.get();
        deps.health.redis = [redis] {
            auto pong = redis->command({"PING"});
            return pong.has_value() && pong->type == store::RedisReply::Type::kStatus;
        };
    } else {
        fmt::print(stderr,
                   "gatehouse.api.no_redis login answers 503 until redis = (or GATEHOUSE_REDIS) "
                   "names one (docs/api-auth.md)\n");
    }
    if (auto key = api::loadJwtKey(config.key_file); key) {
        deps.auth.jwt_key = *key;
    } else {
        fmt::print(stderr, "key_file: {}\n", key.error());
        return nullptr;
    }
    // Subscriber passwords are sealed with the same key file's SecretBox, as the CLI does.
    if (auto box = crypto::SecretBox::loadOrCreate(config.key_file); box) {
        deps.subscribers.box = *box;
        deps.nas.box = std::make_shared<crypto::SecretBox>(*box);  // RouterOS API passwords
        deps.policies.box = deps.nas.box;  // eval opens subscriber rows without a live snapshot
    } else {
        fmt::print(stderr, "key_file: {}\n", box.error());
        return nullptr;
    }
    // The policy routes read the files the radius role loads, with its budget.
    deps.policies.directory = config.policy_dir;
    deps.policies.engine.max_instructions = config.max_instructions;
    deps.policies.live = std::move(live_policies);
    // "Test connection" checks this server's RADIUS, as `gatehouse nas test --config` does.
    deps.nas.test.radius_port = config.auth_port;
    if (config.bind != "0.0.0.0")
        deps.nas.test.radius_host = config.bind;
    auto role =
        std::make_unique<RunningApi>(config, probe, std::move(services), api::buildRouter(deps));
    try {
        role->start();
    } catch (const std::exception& e) {
        fmt::print(stderr, "gatehouse.api.failed {}\n", e.what());
        return nullptr;
    }
    std::error_code ec;
    if (!std::filesystem::exists(std::filesystem::path(config.web_dir) / "index.html", ec))
        fmt::print(stderr,
                   "gatehouse.api.panel_not_built web_dir={}: pages explain how to build it "
                   "(npm --prefix web ci && npm --prefix web run build)\n",
                   config.web_dir);
    fmt::print("gatehouse.api.ready bind={} port={} threads={} web_dir={}\n", config.api_bind,
               role->port(), config.api_threads, config.web_dir);
    std::fflush(stdout);
    return role;
}

}  // namespace gatehouse::app
