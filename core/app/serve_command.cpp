// `gatehouse serve`: the RADIUS server (docs/server.md). Startup may throw and print; once the
// workers run, SIGTERM/SIGINT stop it gracefully (exit 0) and SIGHUP reloads the policy.
#include <fmt/core.h>
#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <memory>
#include <optional>
#include <string_view>

#include "core/api/routes/policies.hpp"
#include "core/app/api_role.hpp"
#include "core/app/commands.hpp"
#include "core/app/config.hpp"
#include "core/app/jobs_role.hpp"
#include "core/metrics/metrics.hpp"
#include "core/net/seed.hpp"
#include "core/net/server.hpp"
#include "core/policy/reloader.hpp"
#include "core/policy/store.hpp"
#include "core/process/policy_tier_evaluator.hpp"
#include "core/radius/dictionary.hpp"
#include "core/store/accounting_writer.hpp"
#include "core/store/ipam_claim_function.hpp"
#include "core/store/live_state.hpp"
#include "core/store/log_writer.hpp"
#include "core/store/snapshot.hpp"
#include "core/store/snapshot_loader.hpp"

namespace gatehouse::app {

namespace {

struct ServeFlags {
    std::string config_file;
    ServeConfig overrides;
    bool has_bind = false, has_auth = false, has_acct = false, has_workers = false,
         has_policy = false, has_seed = false, has_db = false, has_key_file = false;
    bool has_roles = false;  // --roles (docs/jobs.md)
};

constexpr const char* kDefaultKeyFile = "var/gatehouse.key";

std::string fromEnv(const char* name) {
    const char* v = std::getenv(name);
    return v == nullptr ? std::string{} : std::string(v);
}

// --db: the SnapshotLoader publishes the first snapshot before start() returns, then follows
// LISTEN/NOTIFY, so a NAS or subscriber changed in the database is live without a restart.
// nullopt: the error is printed.
std::optional<std::unique_ptr<store::SnapshotLoader>> startLoader(const ServeConfig& config,
                                                                  store::SnapshotHolder& holder) {
    auto box = crypto::SecretBox::loadOrCreate(config.key_file);
    if (!box) {
        fmt::print(stderr, "key_file: {}\n", box.error());
        return std::nullopt;
    }
    auto loader = std::make_unique<store::SnapshotLoader>(config.db, std::move(*box), holder);
    try {
        loader->start();
    } catch (const std::exception& e) {
        // libpq's messages span lines ("...failed: ...\n\tIs the server running..."): one line.
        std::string msg;
        for (char c : std::string_view(e.what())) {
            if (c == '\n' || c == '\t') {
                if (!msg.empty() && msg.back() != ' ')
                    msg += ' ';
            } else {
                msg += c;
            }
        }
        while (!msg.empty() && msg.back() == ' ')
            msg.pop_back();
        fmt::print(stderr, "db: cannot load from PostgreSQL: {}\n", msg);
        return std::nullopt;
    }
    const auto snap = holder.current();
    const store::LoaderStats stats = loader->stats();
    fmt::print(stderr, "gatehouse.serve.store nas={} subscribers={} decrypt_failures={}\n",
               snap->nasCount(), snap->subscriberCount(), stats.decrypt_failures);
    if (stats.decrypt_failures > 0)
        fmt::print(stderr,
                   "gatehouse.serve.warning key_file: {} subscriber password(s) did not open "
                   "with {} (wrong key file?): they are left out\n",
                   stats.decrypt_failures, config.key_file);
    return loader;
}

void printCounters(const process::Counters& c) {
    fmt::print(stderr,
               "gatehouse.serve.stopped accepts={} rejects={} accounting={} status={} "
               "duplicates_resent={} drops={} unknown_nas={} bad_ma={} missing_ma={}\n",
               c.accepts(), c.totalRejects(), c.accountingAnswers(), c.statusAnswers(),
               c.duplicatesResent(), c.totalDrops(), c.drops(process::DropKind::kUnknownNas),
               c.drops(process::DropKind::kBadMessageAuthenticator),
               c.drops(process::DropKind::kMissingMessageAuthenticator));
}

int runServe(const ServeFlags& flags) {
    ServeConfig config;
    try {
        if (!flags.config_file.empty())
            applyConfigFile(flags.config_file, config);
    } catch (const std::exception& e) {
        fmt::print(stderr, "{}\n", e.what());
        return 2;
    }
    const ServeConfig& o = flags.overrides;
    if (flags.has_bind)
        config.bind = o.bind;
    if (flags.has_auth)
        config.auth_port = o.auth_port;
    if (flags.has_acct)
        config.acct_port = o.acct_port;
    if (flags.has_workers)
        config.workers = o.workers;
    if (flags.has_policy)
        config.policy_dir = o.policy_dir;
    if (flags.has_seed)
        config.seed = o.seed;
    if (flags.has_db)
        config.db = o.db;
    if (flags.has_key_file)
        config.key_file = o.key_file;
    if (flags.has_roles)
        config.roles = o.roles;
    // The environment only fills what neither a flag nor the file set, and GATEHOUSE_DB never
    // overrides an explicit seed (a shell with dev-services' variables can still run --seed).
    if (!config.seed.empty() && !config.db.empty()) {
        fmt::print(stderr,
                   "db: give a database (--db, db =) or a seed file (--seed, seed =), "
                   "not both\n");
        return 2;
    }
    if (config.seed.empty() && config.db.empty())
        config.db = fromEnv("GATEHOUSE_DB");
    if (config.key_file.empty())
        config.key_file = fromEnv("GATEHOUSE_KEY_FILE");
    if (config.redis.empty())
        config.redis = fromEnv("GATEHOUSE_REDIS");
    if (config.key_file.empty())
        config.key_file = kDefaultKeyFile;

    // SIGTERM/SIGINT are taken by sigwait() below: block them before any thread starts (the
    // store loader's included), so every thread inherits the mask and none is interrupted.
    // SIGHUP stays with the Reloader.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    // Roles (docs/jobs.md): the jobs leader election runs beside the RADIUS workers, or alone.
    auto roles = parseRoles(config.roles);
    if (!roles) {
        fmt::print(stderr, "{}\n", roles.error());
        return 2;
    }
    std::unique_ptr<JobsRole> jobs_role;
    if (roles->jobs && (!config.db.empty() || !roles->radius)) {
        jobs_role = startJobsRole(config, roles->radius);
        if (!jobs_role)
            return roles->radius ? 1 : 2;
    } else if (roles->jobs) {
        fmt::print(stderr, "gatehouse.serve.jobs_off no database: the jobs role needs --db\n");
    }
    // The admin API (docs/api.md). Beside RADIUS a failed API start is a warning, as for
    // /metrics: subscribers must not go offline because port 8080 is taken.
    std::unique_ptr<ApiRole> api_role;
    // Beside the radius role the API reloads its PolicyStore directly (attached below, once the
    // startup policy loaded; detached before the store goes).
    auto live_policies = std::make_shared<api::LivePolicies>();
    if (roles->api && (!config.db.empty() || !roles->radius)) {
        api_role = startApiRole(config, roles->radius ? live_policies : nullptr);
        if (!api_role && !roles->radius)
            return config.db.empty() ? 2 : 1;
        if (!api_role)
            fmt::print(stderr, "gatehouse.serve.warning the api role did not start\n");
    } else if (roles->api) {
        fmt::print(stderr, "gatehouse.serve.api_off no database: the api role needs --db\n");
    }
    if (!roles->radius)
        return waitWithoutRadius(config, jobs_role.get(), stop_signals);  // api stops on return

    const radius::Dictionary& dict = radius::Dictionary::builtin();
    store::SnapshotHolder snapshots;
    std::unique_ptr<store::SnapshotLoader> loader;
    if (!config.db.empty()) {
        auto started = startLoader(config, snapshots);
        if (!started)
            return 1;
        loader = std::move(*started);
    } else if (!config.seed.empty()) {
        auto snap = net::loadSeedFile(config.seed, dict);
        if (!snap) {
            fmt::print(stderr, "seed: {}\n", snap.error());
            return 2;
        }
        fmt::print(stderr, "gatehouse.serve.seed nas={} subscribers={} file={}\n",
                   (*snap)->nasCount(), (*snap)->subscriberCount(), config.seed);
        snapshots.publish(*snap);
    } else {
        fmt::print(stderr,
                   "gatehouse.serve.no_data no --db, GATEHOUSE_DB or --seed: every NAS is "
                   "unknown\n");
    }

    policy::StoreOptions store_options;
    store_options.directory = config.policy_dir;
    store_options.engine.max_instructions = config.max_instructions;
    policy::PolicyStore policies(dict, store_options);
    // A refused startup policy has been logged by the store (policy.reload.refused file:line).
    const policy::ReloadReport startup = policies.reload("startup");
    live_policies->remember(startup);
    if (!startup.ok) {
        return 1;
    }
    live_policies->attach(&policies, &snapshots);
    // Declared after `policies` and `snapshots`, so destroyed before them: the API (stopped
    // later, with api_role) then sees nothing attached.
    struct DetachLivePolicies {
        api::LivePolicies& live;
        ~DetachLivePolicies() { live.detach(); }
    } detach_live_policies{*live_policies};

    net::ServerOptions server_options;
    server_options.bind = config.bind;
    server_options.auth_port = config.auth_port;
    server_options.acct_port = config.acct_port;
    server_options.workers = config.workers;
    server_options.duplicate_slots = config.duplicate_slots;
    net::WorkerShared shared{snapshots, policies, dict};
    shared.ack_unstored_accounting = config.ack_unstored_accounting;
    // radius_logs: every decision (accepts too unless radius_logs = rejects), never blocking.
    std::unique_ptr<store::LogWriter> logs;
    if (!config.db.empty() && config.radius_logs != "off") {
        store::LogWriterOptions lo;
        lo.conninfo = config.db;
        lo.retention_days = config.log_retention_days;
        lo.max_rate = config.radius_logs_max_rate;
        logs = std::make_unique<store::LogWriter>(lo);
        logs->start();
        shared.logs = logs.get();
        shared.log_accepts = config.radius_logs == "all";
    }
    // With a database, accounting is durable: answered once committed or spooled.
    std::unique_ptr<store::LiveState> live;
    std::unique_ptr<process::PolicyTierEvaluator> tiers;
    std::unique_ptr<store::AccountingWriter> accounting;
    if (!config.db.empty()) {
        live = std::make_unique<store::LiveState>();
        tiers = std::make_unique<process::PolicyTierEvaluator>(policies, snapshots);
        store::AccountingWriterOptions acct;
        acct.conninfo = config.db;
        acct.spool_dir = config.spool_dir;
        acct.batch_max = config.accounting_batch_max;
        acct.connections = config.accounting_connections;
        acct.queue_max = config.accounting_queue_max;
        acct.statement_timeout_ms = config.accounting_timeout_ms;
        acct.stale_session_s = config.stale_session_minutes < 0
                                   ? store::AccountingWriterOptions::kStaleAuto
                                   : config.stale_session_minutes * 60;
        acct.timezone = [&snapshots] { return snapshots.current()->settings().timezone; };
        if (logs) {
            store::LogWriter* writer = logs.get();
            acct.hourly = [writer] {
                try {
                    writer->prune(std::time(nullptr));
                } catch (const std::exception& e) {
                    fmt::print(stderr, "gatehouse.logs prune failed: {}\n", e.what());
                }
            };
        }
        acct.log = [](std::string_view line) {
            // A line that carries its own event ID (docs/log-events.md) is printed as it is.
            if (line.starts_with("gatehouse."))
                fmt::print(stderr, "{}\n", line);
            else
                fmt::print(stderr, "gatehouse.accounting {}\n", line);
        };
        accounting = std::make_unique<store::AccountingWriter>(acct, live.get(), tiers.get());
        if (auto r = accounting->start(); !r) {
            fmt::print(stderr, "gatehouse.serve.failed {}\n", r.error());
            return 1;
        }
        shared.accounting_writer = accounting.get();
        shared.live = live.get();
    }
    // Pool addresses (IPAM) are claimed in PostgreSQL off the workers' threads. Declared
    // before the server: the workers finish the accepts they hold before it stops.
    std::unique_ptr<store::IpClaimer> ip_claimer;
    if (!config.db.empty()) {
        ip_claimer = std::make_unique<store::IpClaimer>(
            [&config] { return store::makeIpamClaimFunction(config.db); },
            static_cast<size_t>(config.ip_claim_lanes));
        ip_claimer->start();
        shared.ip_claimer = ip_claimer.get();
    }
    net::Server server(server_options, shared);
    if (auto started = server.start(); !started) {
        fmt::print(stderr, "gatehouse.serve.failed {}\n", started.error());
        return 1;
    }

    // /metrics (Prometheus) and /healthz, loopback by default; `gatehouse status` reads it.
    std::unique_ptr<metrics::MetricsHttpServer> metrics_server;
    if (config.metrics_port != 0) {
        metrics_server = std::make_unique<metrics::MetricsHttpServer>(
            config.metrics_bind, config.metrics_port, [&](metrics::MetricsSnapshot& m) {
                server.addCounters(m.totals);
                m.received = server.received();
                m.workers = server.workerCount();
                const auto snap = snapshots.current();
                m.nas_count = snap->nasCount();
                m.subscriber_count = snap->subscriberCount();
                m.snapshot_version = snap->version();
                if (logs)
                    m.logs = logs->stats();
                if (accounting)
                    m.accounting = accounting->stats();
            });
        // RADIUS matters more than its metrics: a port in use is a warning, not a failure.
        if (auto r = metrics_server->start(); !r) {
            fmt::print(stderr, "gatehouse.serve.warning {}: no /metrics\n", r.error());
            metrics_server.reset();
        }
    }

    policy::ReloaderOptions reloader_options;
    reloader_options.directory = config.policy_dir;
    reloader_options.watch_files = config.watch_policies;
    // The store logs every outcome itself (policy.reload.ok / refused / unchanged).
    policy::Reloader reloader(reloader_options, [&](std::string_view trigger) {
        live_policies->remember(policies.reload(trigger));
    });
    if (auto r = reloader.start(); !r)
        fmt::print(stderr, "gatehouse.serve.reloader_failed {}\n", r.error());

    server.waitReady();
    fmt::print(
        "gatehouse.serve.ready bind={} auth_port={} acct_port={} workers={} metrics_port={}\n",
        config.bind, server.authPort(), server.acctPort(), server.workerCount(),
        metrics_server ? metrics_server->port() : 0);
    std::fflush(stdout);

    int signal = 0;
    sigwait(&stop_signals, &signal);
    fmt::print(stderr, "gatehouse.serve.stopping signal={}\n", signal);
    // No new admin writes while the rest winds down.
    if (api_role)
        api_role->stop();
    server.stop();  // stop reading, finish what is in flight (held answers included)
    server.wait();
    if (jobs_role)
        jobs_role->stop();
    if (metrics_server)
        metrics_server->stop();  // its source reads the server and the writers
    if (accounting)
        accounting->stop();  // after the workers: it acknowledges what they hold
    if (logs)
        logs->stop();
    reloader.stop();
    if (loader)
        loader->stop();
    process::Counters totals;
    server.addCounters(totals);
    printCounters(totals);
    return 0;
}

}  // namespace

void addServeCommand(CLI::App& app) {
    auto flags = std::make_shared<ServeFlags>();
    CLI::App* serve = app.add_subcommand("serve", "Run the RADIUS server (docs/server.md)");
    serve->add_option("--config", flags->config_file, "key = value file (docs/server.md)");
    serve->add_option("--bind", flags->overrides.bind, "IPv4 address to listen on (0.0.0.0)")
        ->each([flags](const std::string&) { flags->has_bind = true; });
    serve->add_option("--auth-port", flags->overrides.auth_port, "authentication port (1812)")
        ->each([flags](const std::string&) { flags->has_auth = true; });
    serve->add_option("--acct-port", flags->overrides.acct_port, "accounting port (1813)")
        ->each([flags](const std::string&) { flags->has_acct = true; });
    serve->add_option("--workers", flags->overrides.workers, "worker threads (0: one per core)")
        ->each([flags](const std::string&) { flags->has_workers = true; });
    serve->add_option("--policy-dir", flags->overrides.policy_dir, "Lua policies (policies)")
        ->each([flags](const std::string&) { flags->has_policy = true; });
    serve
        ->add_option("--seed", flags->overrides.seed,
                     "JSON file of NAS rows, services and subscribers (docs/server.md)")
        ->each([flags](const std::string&) { flags->has_seed = true; });
    serve
        ->add_option("--db", flags->overrides.db,
                     "libpq connection string; the data is loaded and kept fresh from "
                     "PostgreSQL (default: $GATEHOUSE_DB unless --seed)")
        ->each([flags](const std::string&) { flags->has_db = true; });
    serve
        ->add_option("--key-file", flags->overrides.key_file,
                     "key of the subscriber passwords (default: $GATEHOUSE_KEY_FILE or "
                     "var/gatehouse.key)")
        ->each([flags](const std::string&) { flags->has_key_file = true; });
    serve
        ->add_option("--roles", flags->overrides.roles,
                     "comma list of radius, api, jobs (default: all; docs/jobs.md)")
        ->each([flags](const std::string&) { flags->has_roles = true; });
    serve->callback([flags] { throw CLI::RuntimeError(runServe(*flags)); });
}

}  // namespace gatehouse::app
