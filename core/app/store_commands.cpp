// `gatehouse migrate`, `gatehouse nas|service|subscriber ...`: the operator CLI over the store
// (docs/store.md). Every error names the field; secrets and passwords are never printed.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <functional>
#include <iostream>
#include <optional>
#include <pqxx/connection>
#include <string>
#include <type_traits>

#include "core/app/cli_errors.hpp"
#include "core/app/commands.hpp"
#include "core/crypto/secret_box.hpp"
#include "core/store/csv_import.hpp"
#include "core/store/migrations.hpp"
#include "core/store/nas_repository.hpp"
#include "core/store/service_repository.hpp"
#include "core/store/subscriber_repository.hpp"
#include "core/store/validate.hpp"

namespace gatehouse::app {
namespace {

struct StoreOptions {
    std::string db;
    std::string key_file = "var/gatehouse.key";
};

void addConnectionOptions(CLI::App* cmd, StoreOptions& o, bool with_key) {
    cmd->add_option("--db", o.db, "libpq connection string (default: $GATEHOUSE_DB)")
        ->envname("GATEHOUSE_DB");
    if (with_key)
        cmd->add_option("--key-file", o.key_file,
                        "key for passwords at rest, created 0600 on first use "
                        "(default: $GATEHOUSE_KEY_FILE or var/gatehouse.key)")
            ->envname("GATEHOUSE_KEY_FILE");
}

pqxx::connection connect(const StoreOptions& o) {
    return pqxx::connection(o.db);
}

crypto::SecretBox loadKey(const StoreOptions& o) {
    auto box = crypto::SecretBox::loadOrCreate(o.key_file);
    if (!box)
        fail(box.error());
    return std::move(*box);
}

template <class T>
T orFail(Expected<T, store::StoreError> r) {
    if (!r)
        fail(store::describe(r.error()));
    return std::move(*r);
}

void orFail(Expected<void, store::StoreError> r) {
    if (!r)
        fail(store::describe(r.error()));
}

// `nas add` / `nas set`: what the operator typed was refused (malformed, duplicate, unknown
// NAS) → exit 2 with the field; PostgreSQL itself failed → exit 1 (as `gatehouse pool`).
template <class T>
T orRefuse(Expected<T, store::StoreError> r) {
    if (!r) {
        std::cerr << "error: " << store::describe(r.error()) << "\n";
        throw CLI::RuntimeError(r.error().kind == store::StoreErrorKind::kDatabase ? 1 : 2);
    }
    if constexpr (!std::is_void_v<T>)
        return std::move(*r);
}

void addMigrate(CLI::App& app) {
    auto o = std::make_shared<StoreOptions>();
    auto* cmd = app.add_subcommand("migrate", "Bring the PostgreSQL schema to the current version");
    addConnectionOptions(cmd, *o, false);
    cmd->callback([o] {
        guarded([&] {
            auto conn = connect(*o);
            auto result = store::migrate(conn);
            for (const auto& name : result.applied)
                fmt::print("applied {}\n", name);
            fmt::print("schema at version {}{}\n", result.version,
                       result.applied.empty() ? " (already up to date)" : "");
        });
    });
}

void addNas(CLI::App& app) {
    auto* nas = app.add_subcommand("nas", "NAS devices (BNGs) allowed to talk RADIUS to us");
    nas->require_subcommand(1);

    auto o = std::make_shared<StoreOptions>();
    auto in = std::make_shared<store::NasInput>();
    auto disabled = std::make_shared<bool>(false);
    auto no_ma = std::make_shared<bool>(false);
    auto* add = nas->add_subcommand("add", "Register a NAS");
    addConnectionOptions(add, *o, true);
    add->add_option("--name", in->name, "display name, unique")->required();
    add->add_option("--ip", in->ip, "the IPv4 address the NAS sends RADIUS from")->required();
    add->add_option("--secret", in->secret, "RADIUS shared secret")->required();
    add->add_option("--type", in->type, "mikrotik|generic|cisco|juniper|huawei")
        ->default_str("mikrotik");
    add->add_option("--coa-port", in->coa_port,
                    "CoA/Disconnect port (default 1700 mikrotik, 3799)");
    add->add_option("--description", in->description, "free text");
    add->add_flag("--disabled", *disabled, "add it disabled");
    add->add_flag("--no-require-message-authenticator", *no_ma,
                  "accept Access-Requests without Message-Authenticator (old gear; BlastRADIUS)");
    add->add_option("--api-user", in->api_username, "RouterOS API user (MikroTik)");
    add->add_option("--api-password", in->api_password,
                    "RouterOS API password, stored encrypted (AES-256-GCM, the key file)");
    add->add_option("--api-port", in->api_port, "RouterOS API port (default 8728)");
    add->add_option("--api-ssl-port", in->api_ssl_port, "RouterOS API-SSL port (default 8729)");
    add->add_flag("--api-tls", in->api_tls, "reach the API over TLS on the API-SSL port");
    add->callback([o, in, disabled, no_ma] {
        guarded([&] {
            in->enabled = !*disabled;
            in->require_message_authenticator = !*no_ma;
            auto conn = connect(*o);
            // The key is needed only to seal an API password.
            std::optional<crypto::SecretBox> box;
            if (!in->api_password.empty())
                box.emplace(loadKey(*o));
            auto id = orRefuse(store::addNas(conn, *in, box ? &*box : nullptr));
            fmt::print("nas '{}' added (id {})\n", in->name, id);
        });
    });

    {
        auto so = std::make_shared<StoreOptions>();
        auto target = std::make_shared<std::string>();
        auto patch = std::make_shared<store::NasPatch>();
        auto* set = nas->add_subcommand("set", "Change a NAS; only the options given change");
        addConnectionOptions(set, *so, true);
        set->add_option("target", *target, "the NAS's name or IP")->required();
        auto opt = [&](const char* name, std::optional<std::string>& field, const char* help) {
            set->add_option_function<std::string>(
                name, [&field](const std::string& v) { field = v; }, help);
        };
        opt("--secret", patch->secret, "RADIUS shared secret");
        opt("--coa-port", patch->coa_port, "CoA/Disconnect port");
        opt("--description", patch->description, "free text");
        opt("--enabled", patch->enabled, "yes|no");
        opt("--api-user", patch->api_username, "RouterOS API user (\"\": remove API access)");
        opt("--api-password", patch->api_password, "RouterOS API password, stored encrypted");
        opt("--api-port", patch->api_port, "RouterOS API port");
        opt("--api-ssl-port", patch->api_ssl_port, "RouterOS API-SSL port");
        opt("--api-tls", patch->api_tls, "yes|no: reach the API over TLS on the API-SSL port");
        set->callback([so, target, patch] {
            guarded([&] {
                auto conn = connect(*so);
                std::optional<crypto::SecretBox> box;
                if (patch->api_password && !patch->api_password->empty())
                    box.emplace(loadKey(*so));
                orRefuse(store::updateNas(conn, box ? &*box : nullptr, *target, *patch));
                fmt::print("nas '{}' updated\n", *target);
            });
        });
    }

    auto lo = std::make_shared<StoreOptions>();
    auto* list =
        nas->add_subcommand("list", "List NAS devices (secrets and API passwords are never shown)");
    addConnectionOptions(list, *lo, false);
    list->callback([lo] {
        guarded([&] {
            auto conn = connect(*lo);
            auto rows = orFail(store::listNas(conn));
            fmt::print("{:<6} {:<24} {:<16} {:<9} {:<8} {:<8} {:<10} {}\n", "ID", "NAME", "IP",
                       "TYPE", "COA", "ENABLED", "HAS_SECRET", "HAS_API");
            for (const auto& n : rows)
                fmt::print("{:<6} {:<24} {:<16} {:<9} {:<8} {:<8} {:<10} {}\n", n.id, n.name, n.ip,
                           n.type, n.coa_port, n.enabled ? "yes" : "no",
                           n.has_secret ? "yes" : "no", n.has_api ? "yes" : "no");
        });
    });

    auto dopt = std::make_shared<StoreOptions>();
    auto target = std::make_shared<std::string>();
    auto* del = nas->add_subcommand("del", "Remove a NAS");
    addConnectionOptions(del, *dopt, false);
    auto* name_opt = del->add_option("--name", *target, "the NAS name");
    auto* ip_opt = del->add_option("--ip", *target, "or its IP");
    name_opt->excludes(ip_opt);
    del->add_option("target", *target, "name or IP");
    del->callback([dopt, target] {
        guarded([&] {
            if (target->empty())
                fail("name: give --name NAME or --ip IP");
            auto conn = connect(*dopt);
            orFail(store::deleteNas(conn, *target));
            fmt::print("nas '{}' deleted\n", *target);
        });
    });
}

void addService(CLI::App& app) {
    auto* svc = app.add_subcommand("service", "Service plans: speeds, pools, timeouts");
    svc->require_subcommand(1);

    auto o = std::make_shared<StoreOptions>();
    auto in = std::make_shared<store::ServiceInput>();
    auto* add = svc->add_subcommand("add", "Create a service");
    addConnectionOptions(add, *o, false);
    add->add_option("--name", in->name, "unique name")->required();
    add->add_option("--download", in->download, "download rate, e.g. 20M")->required();
    add->add_option("--upload", in->upload, "upload rate, e.g. 5M")->required();
    add->add_option("--burst-download", in->burst_download, "MikroTik burst rate");
    add->add_option("--burst-upload", in->burst_upload, "MikroTik burst rate");
    add->add_option("--burst-threshold-download", in->burst_threshold_download, "burst threshold");
    add->add_option("--burst-threshold-upload", in->burst_threshold_upload, "burst threshold");
    add->add_option("--burst-time", in->burst_time, "burst time, seconds");
    add->add_option("--priority", in->priority, "queue priority 1..8");
    add->add_option("--pool", in->pool, "NAS pool sent as Framed-Pool");
    add->add_option("--managed-pool", in->managed_pool, "Gatehouse-managed pool");
    add->add_option("--idle-timeout", in->idle_timeout, "seconds");
    add->add_option("--session-timeout", in->session_timeout, "seconds");
    add->add_option("--simultaneous-use", in->simultaneous_use, "sessions per subscriber (0: any)");
    add->add_option("--filter-id", in->filter_id, "profile name on generic BNGs");
    add->add_option("--address-list", in->address_list, "MikroTik address list");
    add->callback([o, in] {
        guarded([&] {
            auto conn = connect(*o);
            auto id = orFail(store::addService(conn, *in));
            fmt::print("service '{}' added (id {})\n", in->name, id);
        });
    });

    auto lo = std::make_shared<StoreOptions>();
    auto* list = svc->add_subcommand("list", "List services");
    addConnectionOptions(list, *lo, false);
    list->callback([lo] {
        guarded([&] {
            auto conn = connect(*lo);
            auto rows = orFail(store::listServices(conn));
            fmt::print("{:<6} {:<24} {:<10} {:<10} {:<16} {}\n", "ID", "NAME", "DOWNLOAD", "UPLOAD",
                       "POOL", "SUBSCRIBERS");
            for (const auto& s : rows)
                fmt::print("{:<6} {:<24} {:<10} {:<10} {:<16} {}\n", s.id, s.name,
                           store::formatRate(s.download_bps), store::formatRate(s.upload_bps),
                           s.pool.empty() ? "-" : s.pool, s.subscribers);
        });
    });
}

void addSubscriber(CLI::App& app) {
    auto* sub = app.add_subcommand("subscriber", "Subscribers (PPPoE / hotspot accounts)");
    sub->require_subcommand(1);

    {
        auto o = std::make_shared<StoreOptions>();
        auto in = std::make_shared<store::SubscriberInput>();
        auto disabled = std::make_shared<bool>(false);
        auto* add = sub->add_subcommand("add", "Create a subscriber");
        addConnectionOptions(add, *o, true);
        add->add_option("--username", in->username, "RADIUS User-Name")->required();
        add->add_option("--password", in->password, "stored encrypted (AES-256-GCM)")->required();
        add->add_option("--service", in->service, "service name");
        add->add_option("--static-ip", in->static_ip, "fixed IPv4 (Framed-IP-Address)");
        add->add_option("--mac", in->mac, "bind to this Calling-Station-Id");
        add->add_option("--expires", in->expires, "YYYY-MM-DD (end of day, UTC) or ...THH:MM:SSZ");
        add->add_flag("--disabled", *disabled, "create it disabled");
        add->callback([o, in, disabled] {
            guarded([&] {
                if (*disabled)
                    in->enabled = "no";
                auto conn = connect(*o);
                auto box = loadKey(*o);
                auto id = orFail(store::addSubscriber(conn, box, *in));
                fmt::print("subscriber '{}' added (id {})\n", in->username, id);
            });
        });
    }
    {
        auto o = std::make_shared<StoreOptions>();
        auto filter = std::make_shared<store::SubscriberFilter>();
        auto* list = sub->add_subcommand("list", "List subscribers (passwords are never shown)");
        addConnectionOptions(list, *o, false);
        list->add_option("--service", filter->service, "only this service");
        list->add_option("--prefix", filter->username_prefix, "usernames starting with this");
        list->add_option("--limit", filter->limit, "at most this many rows");
        list->callback([o, filter] {
            guarded([&] {
                auto conn = connect(*o);
                auto rows = orFail(store::listSubscribers(conn, *filter));
                fmt::print("{:<6} {:<24} {:<16} {:<16} {:<18} {:<21} {}\n", "ID", "USERNAME",
                           "SERVICE", "STATIC_IP", "MAC", "EXPIRES", "ENABLED");
                for (const auto& s : rows)
                    fmt::print("{:<6} {:<24} {:<16} {:<16} {:<18} {:<21} {}\n", s.id, s.username,
                               s.service.empty() ? "-" : s.service,
                               s.static_ip.empty() ? "-" : s.static_ip, s.mac.empty() ? "-" : s.mac,
                               s.expires_at ? store::formatTime(*s.expires_at) : "never",
                               s.enabled ? "yes" : "no");
            });
        });
    }
    {
        auto o = std::make_shared<StoreOptions>();
        auto username = std::make_shared<std::string>();
        auto patch = std::make_shared<store::SubscriberPatch>();
        auto* set = sub->add_subcommand("set", "Change a subscriber; \"\" clears a field");
        addConnectionOptions(set, *o, true);
        set->add_option("--username", *username, "which subscriber")->required();
        auto opt = [&](const char* name, std::optional<std::string>& field, const char* help) {
            set->add_option_function<std::string>(
                name, [&field](const std::string& v) { field = v; }, help);
        };
        opt("--password", patch->password, "new password");
        opt("--service", patch->service, "service name (\"\": none)");
        opt("--static-ip", patch->static_ip, "fixed IPv4 (\"\": none)");
        opt("--mac", patch->mac, "MAC binding (\"\": none)");
        opt("--expires", patch->expires, "expiry date (\"\" or never: none)");
        opt("--enabled", patch->enabled, "yes|no");
        set->add_flag_callback(
            "--enable", [patch] { patch->enabled = "yes"; }, "enable");
        set->add_flag_callback(
            "--disable", [patch] { patch->enabled = "no"; }, "disable");
        set->callback([o, username, patch] {
            guarded([&] {
                auto conn = connect(*o);
                // The key is needed only to seal a new password.
                std::optional<crypto::SecretBox> box;
                if (patch->password)
                    box.emplace(loadKey(*o));
                orFail(store::updateSubscriber(conn, box ? &*box : nullptr, *username, *patch));
                fmt::print("subscriber '{}' updated\n", *username);
            });
        });
    }
    {
        auto o = std::make_shared<StoreOptions>();
        auto username = std::make_shared<std::string>();
        auto* del = sub->add_subcommand("del", "Delete a subscriber");
        addConnectionOptions(del, *o, false);
        del->add_option("--username", *username, "which subscriber")->required();
        del->callback([o, username] {
            guarded([&] {
                auto conn = connect(*o);
                orFail(store::deleteSubscriber(conn, *username));
                fmt::print("subscriber '{}' deleted\n", *username);
            });
        });
    }
    {
        auto o = std::make_shared<StoreOptions>();
        auto file = std::make_shared<std::string>();
        auto* imp =
            sub->add_subcommand("import",
                                "Import subscribers from CSV (all or nothing): header "
                                "username,password[,service,static_ip,mac,expires,enabled]");
        addConnectionOptions(imp, *o, true);
        imp->add_option("file,--file", *file, "CSV file, - for stdin")->required();
        imp->callback([o, file] {
            guarded([&] {
                std::ifstream stream;
                std::istream* in = &std::cin;
                if (*file != "-") {
                    stream.open(*file);
                    if (!stream)
                        fail("file: cannot open '" + *file + "'");
                    in = &stream;
                }
                auto conn = connect(*o);
                auto box = loadKey(*o);
                auto result = orFail(store::importSubscribersCsv(conn, box, *in));
                fmt::print("imported {} subscribers\n", result.imported);
            });
        });
    }
}

}  // namespace

void addStoreCommands(CLI::App& app) {
    addMigrate(app);
    addNas(app);
    addService(app);
    addSubscriber(app);
}

}  // namespace gatehouse::app
