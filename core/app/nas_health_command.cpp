// `gatehouse nas health [NAME]`: what the jobs leader knows of each NAS (docs/jobs.md, "NAS
// health"; docs/coa.md, "CoA health"): online or not, last seen, RouterOS version, the last
// check's error, and the last 24 hours of CoA / Disconnect outcomes with their verification.
// The operator's answer to "is that router alive, and does it obey CoA?" without the panel.
#include <fmt/core.h>

#include <ctime>
#include <memory>
#include <pqxx/pqxx>
#include <string>

#include "core/app/cli_errors.hpp"
#include "core/app/commands.hpp"
#include "core/store/coa_outbox_repository.hpp"

namespace gatehouse::app {

namespace {

struct NasHealthOptions {
    std::string db;
    std::string nas;  // "": every NAS
};

std::string age(int64_t at, int64_t now) {
    if (at < 0)
        return "never";
    const int64_t s = now - at;
    if (s < 120)
        return fmt::format("{}s ago", s);
    if (s < 7200)
        return fmt::format("{}m ago", s / 60);
    if (s < 172800)
        return fmt::format("{}h ago", s / 3600);
    return fmt::format("{}d ago", s / 86400);
}

int run(const NasHealthOptions& o) {
    pqxx::connection conn(o.db);
    auto coa = store::coaHealthByNas(conn);
    if (!coa)
        fail(store::describe(coa.error()));
    pqxx::read_transaction txn(conn);
    auto rows = txn.exec(
        "SELECT id, is_online, extract(epoch FROM last_seen)::bigint, COALESCE(version, ''),"
        " COALESCE(identity, ''), COALESCE(last_check_error, ''),"
        " extract(epoch FROM last_check_at)::bigint, enabled FROM nas_devices");
    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    bool found = false;
    for (const store::CoaNasHealth& c : *coa) {
        if (!o.nas.empty() && c.nas_name != o.nas && c.nas_ip != o.nas)
            continue;
        found = true;
        for (const auto& r : rows) {
            if (r[0].as<int64_t>() != c.nas_id)
                continue;
            const bool online = r[1].as<bool>();
            // -1: never (an optional here trips GCC 12's maybe-uninitialized).
            const int64_t seen = r[2].is_null() ? -1 : r[2].as<int64_t>();
            const int64_t checked = r[6].is_null() ? -1 : r[6].as<int64_t>();
            std::string state = !r[7].as<bool>() ? "disabled"
                                : checked >= 0   ? (online ? "online" : "offline")
                                                 : "not checked yet";
            fmt::print("{} ({})  {}  last seen {}", c.nas_name, c.nas_ip, state, age(seen, now));
            if (!r[3].as<std::string>().empty())
                fmt::print("  RouterOS {}", r[3].as<std::string>());
            if (!r[4].as<std::string>().empty())
                fmt::print("  identity {}", r[4].as<std::string>());
            fmt::print("\n");
            if (!r[5].as<std::string>().empty())
                fmt::print("  last check ({}): {}\n", age(checked, now), r[5].as<std::string>());
        }
        fmt::print(
            "  CoA/Disconnect, last 24h: {} acked ({} through the API), {} NAKed, {} failed, {} "
            "expired, {} pending; verified {}, unverified {}\n",
            c.acked, c.acked_via_api, c.naked, c.failed, c.expired, c.pending, c.verified,
            c.unverified);
        if (c.last_ack_at || c.last_failure_at)
            fmt::print("  last ack {}, last failure {}{}\n", age(c.last_ack_at.value_or(-1), now),
                       age(c.last_failure_at.value_or(-1), now),
                       c.last_failure.empty() ? "" : " (" + c.last_failure + ")");
    }
    if (!found)
        fail(o.nas.empty() ? "no NAS registered" : "nas: no NAS named '" + o.nas + "'");
    return 0;
}

}  // namespace

void addNasHealthCommand(CLI::App& app) {
    // `nas` itself is registered by addStoreCommands (store_commands.cpp).
    CLI::App* nas = app.get_subcommand("nas");
    auto o = std::make_shared<NasHealthOptions>();
    auto* health = nas->add_subcommand(
        "health", "Online state, version and 24 h of CoA outcomes per NAS (docs/jobs.md)");
    health->add_option("NAME", o->nas, "one NAS (name or IP address); default: all");
    health->add_option("--db", o->db, "libpq connection string (default: $GATEHOUSE_DB)")
        ->envname("GATEHOUSE_DB");
    health->callback([o] {
        int code = 0;
        guarded([&] { code = run(*o); });
        if (code != 0)
            throw CLI::RuntimeError(code);
    });
}

}  // namespace gatehouse::app
