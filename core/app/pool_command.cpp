// `gatehouse pool add|list|show|delete|sync|import`: the Gatehouse-managed IP pools (docs/ipam.md).
// Exit 0: done; 2: refused because of the input or the pool's state (the message names the
// field); 1: PostgreSQL could not be reached or failed.
#include <fmt/core.h>

#include <sys/stat.h>
#include <CLI/CLI.hpp>
#include <chrono>
#include <functional>
#include <iostream>
#include <memory>
#include <pqxx/pqxx>
#include <string>

#include "core/app/cli_errors.hpp"
#include "core/app/commands.hpp"
#include "core/crypto/secret_box.hpp"
#include "core/jobs/mikrotik_sync.hpp"
#include "core/jobs/nas_target.hpp"
#include "core/store/ipam_repository.hpp"

namespace gatehouse::app {
namespace {

struct PoolOptions {
    std::string db;
    store::PoolInput in;
    int grace_minutes = 10;
    std::string key_file = "var/gatehouse.key";  // import: opens the NAS API password
    int grace_seconds = 120;                     // import: reconcile grace
    int api_timeout_ms = 5000;
};

void addDb(CLI::App* cmd, PoolOptions& o) {
    cmd->add_option("--db", o.db, "libpq connection string (default: $GATEHOUSE_DB)")
        ->envname("GATEHOUSE_DB");
}

int refused(const store::StoreError& e) {
    std::cerr << "error: " << store::describe(e) << "\n";
    return e.kind == store::StoreErrorKind::kDatabase ? 1 : 2;
}

// One boundary: a connection failure or any libpqxx exception becomes one line and exit 1.
int guardedCode(const std::function<int()>& body) {
    try {
        return body();
    } catch (const std::exception& e) {
        std::cerr << "error: " << describeFailure(e) << "\n";
        return 1;
    }
}

int runAdd(const PoolOptions& o) {
    // Input errors first, so a typo is reported without a database.
    if (auto ranges = store::parsePoolRanges(o.in.ranges); !ranges)
        return refused(ranges.error());
    pqxx::connection conn(o.db);
    auto change = store::upsertPool(conn, o.in);
    if (!change)
        return refused(change.error());
    if (change->created) {
        fmt::print("pool '{}' created: {} addresses\n", o.in.name, change->size);
    } else {
        fmt::print("pool '{}' updated: {} addresses (+{} -{})\n", o.in.name, change->size,
                   change->added, change->removed);
    }
    if (!change->retired_in_use.empty()) {
        fmt::print("{} address(es) in use outside the new ranges, kept until released:",
                   change->retired_in_use.size());
        for (const auto& ip : change->retired_in_use)
            fmt::print(" {}", ip);
        fmt::print("\n");
    }
    return 0;
}

int runList(const PoolOptions& o) {
    pqxx::connection conn(o.db);
    auto pools = store::poolUsage(conn);
    if (!pools)
        return refused(pools.error());
    fmt::print("{:<20} {:<16} {:<9} {:>7} {:>7} {:>9} {:>8} {}\n", "NAME", "NAS", "SOURCE", "SIZE",
               "IN_USE", "AVAILABLE", "RESERVED", "RANGES");
    for (const auto& p : *pools)
        fmt::print("{:<20} {:<16} {:<9} {:>7} {:>7} {:>9} {:>8} {}{}\n", p.name,
                   p.nas.empty() ? "-" : p.nas, p.source, p.size, p.in_use, p.available, p.reserved,
                   p.ranges.empty() ? "-" : p.ranges,
                   p.retiring == 0 ? "" : fmt::format(" (+{} retiring)", p.retiring));
    return 0;
}

int runShow(const PoolOptions& o) {
    pqxx::connection conn(o.db);
    auto shown = store::showPool(conn, o.in.name);
    if (!shown)
        return refused(shown.error());
    const auto& [u, addresses] = *shown;
    fmt::print("pool {}: {} | nas {} | {} addresses, {} in use, {} available, {} reserved\n",
               u.name, u.ranges.empty() ? "-" : u.ranges, u.nas.empty() ? "any" : u.nas, u.size,
               u.in_use, u.available, u.reserved);
    fmt::print("{:<16} {:<10} {:<24} {:<21} {}\n", "IP", "STATUS", "OWNER", "ASSIGNED_AT",
               "LAST_OWNER");
    for (const auto& a : addresses) {
        std::string owner = a.username;
        if (owner.empty() && a.subscriber_id)
            owner = "#" + std::to_string(*a.subscriber_id);
        fmt::print("{:<16} {:<10} {:<24} {:<21} {}{}\n", a.ip, a.status,
                   owner.empty() ? "-" : owner, a.assigned_at.empty() ? "-" : a.assigned_at,
                   a.last_username.empty() ? "-" : a.last_username, a.retired ? " (retiring)" : "");
    }
    return 0;
}

int runDelete(const PoolOptions& o) {
    pqxx::connection conn(o.db);
    if (auto r = store::deletePool(conn, o.in.name); !r)
        return refused(r.error());
    fmt::print("pool '{}' deleted\n", o.in.name);
    return 0;
}

int runSync(const PoolOptions& o) {
    if (o.grace_minutes < 1) {
        std::cerr << "error: grace: must be at least 1 minute\n";
        return 2;
    }
    pqxx::connection conn(o.db);
    auto changes = store::syncFromSessions(conn, std::chrono::minutes(o.grace_minutes));
    if (!changes)
        return refused(changes.error());
    for (const auto& c : *changes)
        fmt::print("{:<9} {:<16} pool={} subscriber={} {}\n", store::toString(c.kind), c.ip, c.pool,
                   c.subscriber_id ? std::to_string(*c.subscriber_id) : "-", c.reason);
    fmt::print("{} change(s)\n", changes->size());
    return 0;
}

// Pools and /ppp/active of one MikroTik NAS, once (what the mikrotik_sync job does).
int runImport(const PoolOptions& o) {
    if (o.grace_seconds < 0 || o.api_timeout_ms < 1) {
        std::cerr << "error: --grace-seconds must be >= 0 and --api-timeout-ms positive\n";
        return 2;
    }
    pqxx::connection conn(o.db);
    auto nas = jobs::loadNasTarget(conn, o.in.nas);
    if (!nas) {
        std::cerr << "error: nas: no NAS '" << o.in.nas << "'\n";
        return 2;
    }
    if (!nas->hasApi()) {
        std::cerr << "error: nas: '" << nas->name << "' has no API credentials\n";
        return 2;
    }
    struct stat st {};
    if (::stat(o.key_file.c_str(), &st) != 0) {
        std::cerr << "error: key file " << o.key_file << " does not exist (--key-file)\n";
        return 2;
    }
    auto box = crypto::SecretBox::loadOrCreate(o.key_file);
    if (!box) {
        std::cerr << "error: key_file: " << box.error() << "\n";
        return 2;
    }
    std::string error;
    if (!jobs::openApiPassword(*box, *nas, error)) {
        std::cerr << "error: " << error << "\n";
        return 2;
    }
    jobs::ApiCheckOptions api;
    api.timeout_ms = o.api_timeout_ms;
    auto changes = jobs::syncNas(conn, *nas, api, std::chrono::seconds(o.grace_seconds));
    if (!changes) {
        std::cerr << "error: " << changes.error() << "\n";
        return 1;
    }
    for (const auto& c : *changes)
        fmt::print("{:<12} {:<16} {}\n", jobs::toString(c.kind), c.subject, c.reason);
    fmt::print("{} change(s)\n", changes->size());
    return 0;
}

}  // namespace

void addPoolCommand(CLI::App& app) {
    auto* pool = app.add_subcommand("pool", "IP pools Gatehouse hands addresses out from");
    pool->require_subcommand(1);
    auto command = [&](const char* name, const char* help, int (*run)(const PoolOptions&)) {
        auto o = std::make_shared<PoolOptions>();
        auto* cmd = pool->add_subcommand(name, help);
        addDb(cmd, *o);
        cmd->callback([o, run] { throw CLI::RuntimeError(guardedCode([&] { return run(*o); })); });
        return std::make_pair(cmd, o);
    };

    auto [add_cmd, add_o] = command("add", "Create a pool, or replace its ranges", runAdd);
    add_cmd->add_option("name", add_o->in.name, "pool name (as Framed-Pool / the policy names it)")
        ->required();
    add_cmd
        ->add_option("ranges", add_o->in.ranges,
                     "10.0.0.0/24 (hosts only), 10.0.0.10-10.0.0.200, or a comma list")
        ->required();
    add_cmd->add_option("--nas", add_o->in.nas, "serve only this NAS (by name)");
    add_cmd->add_option("--source", add_o->in.source, "manual|mikrotik")->default_str("manual");

    command("list", "Pools with their usage", runList);

    auto [show_cmd, show_o] = command("show", "A pool's addresses and their owners", runShow);
    show_cmd->add_option("name", show_o->in.name, "pool name")->required();

    auto [del_cmd, del_o] =
        command("delete", "Delete a pool (refused while an address is in use)", runDelete);
    del_cmd->add_option("name", del_o->in.name, "pool name")->required();

    auto [sync_cmd, sync_o] =
        command("sync", "Reconcile pool addresses with open sessions (radacct)", runSync);
    sync_cmd
        ->add_option("--grace", sync_o->grace_minutes,
                     "free a claim without a session only after this many minutes")
        ->default_str("10");

    auto [import_cmd, import_o] = command(
        "import", "Import a MikroTik NAS's /ip/pool and reconcile with its /ppp/active", runImport);
    import_cmd->add_option("--nas", import_o->in.nas, "the NAS (name or IP)")->required();
    import_cmd
        ->add_option("--key-file", import_o->key_file,
                     "key the API passwords are sealed with (default: $GATEHOUSE_KEY_FILE or "
                     "var/gatehouse.key)")
        ->envname("GATEHOUSE_KEY_FILE");
    import_cmd
        ->add_option("--grace-seconds", import_o->grace_seconds,
                     "close an open session the router does not list only when it started "
                     "longer ago than this")
        ->default_str("120");
    import_cmd
        ->add_option("--api-timeout-ms", import_o->api_timeout_ms,
                     "RouterOS API timeout (login, then each command)")
        ->default_str("5000");
}

}  // namespace gatehouse::app
