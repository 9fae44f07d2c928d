// `gatehouse admin add|list|passwd`: the panel's admins from the shell, for the first
// superadmin and for a forgotten password (docs/api-auth.md). Bad input exits 2 naming the
// field; PostgreSQL failing exits 1. Passwords are never printed; --password-stdin keeps them
// out of the process list and the shell history.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <optional>
#include <pqxx/pqxx>
#include <string>

#include "core/api/admin_repository.hpp"
#include "core/api/audit.hpp"
#include "core/app/cli_errors.hpp"
#include "core/app/commands.hpp"

namespace gatehouse::app {
namespace {

struct AdminOptions {
    std::string db;
    std::string username;
    std::string role;
    std::string reseller;  // name; "" for the whole ISP
    std::optional<std::string> password;
    bool password_stdin = false;
};

[[noreturn]] void refuse(const store::StoreError& e) {
    std::cerr << "error: " << store::describe(e) << "\n";
    throw CLI::RuntimeError(e.kind == store::StoreErrorKind::kDatabase ? 1 : 2);
}

[[noreturn]] void refuseField(const std::string& field, const std::string& message) {
    refuse(store::StoreError{store::StoreErrorKind::kInvalid, field, message, 0});
}

/// The password from --password or one line of stdin (trailing CR/LF dropped).
std::string passwordOf(const AdminOptions& o) {
    if (o.password_stdin == o.password.has_value())
        refuseField("password", "give exactly one of --password-stdin and --password");
    if (o.password)
        return *o.password;
    std::string line;
    if (!std::getline(std::cin, line))
        refuseField("password", "nothing on standard input");
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n'))
        line.pop_back();
    return line;
}

void addPasswordOptions(CLI::App* cmd, AdminOptions& o) {
    cmd->add_flag("--password-stdin", o.password_stdin, "read the password from one line of stdin");
    cmd->add_option("--password", o.password,
                    "the password (visible in the process list: prefer --password-stdin)");
}

/// CLI changes are audited like the API's, by "(cli)" with no address.
api::Caller cliActor() {
    api::Caller c;
    c.username = "(cli)";
    return c;
}

template <class T>
T orRefuse(Expected<T, store::StoreError> r) {
    if (!r)
        refuse(r.error());
    return std::move(*r);
}

}  // namespace

void addAdminCommand(CLI::App& app) {
    auto* admin = app.add_subcommand("admin", "Admin panel accounts (docs/api-auth.md)");
    admin->require_subcommand(1);

    auto a = std::make_shared<AdminOptions>();
    auto* add = admin->add_subcommand("add", "Create an admin");
    add->add_option("--db", a->db, "libpq connection string (default: $GATEHOUSE_DB)")
        ->envname("GATEHOUSE_DB");
    add->add_option("--username", a->username, "3..64 of a-z 0-9 . _ -")->required();
    add->add_option("--role", a->role, "superadmin, operator, reseller, viewer, ...")->required();
    add->add_option("--reseller", a->reseller, "limit the admin to this reseller (by name)");
    addPasswordOptions(add, *a);
    add->callback([a] {
        api::AdminInput in;
        in.username = a->username;
        in.role = a->role;
        in.password = passwordOf(*a);
        guarded([&] {
            pqxx::connection conn(a->db);
            pqxx::work txn(conn);
            if (!a->reseller.empty())
                in.reseller_id = orRefuse(api::findReseller(txn, a->reseller));
            auto row = orRefuse(api::addAdmin(txn, in));
            nlohmann::json after = api::toJson(row);
            after["password"] = "set";
            api::recordAudit(txn, cliActor(), "create", "admin", std::to_string(row.id), nullptr,
                             after);
            txn.commit();
            fmt::print("admin '{}' added (id {}, role {})\n", row.username, row.id, row.role);
        });
    });

    auto l = std::make_shared<AdminOptions>();
    auto* list = admin->add_subcommand("list", "List admins (never their passwords)");
    list->add_option("--db", l->db, "libpq connection string (default: $GATEHOUSE_DB)")
        ->envname("GATEHOUSE_DB");
    list->callback([l] {
        guarded([&] {
            pqxx::connection conn(l->db);
            pqxx::work txn(conn);
            auto rows = orRefuse(api::listAdmins(txn));
            txn.commit();
            fmt::print("{:<6} {:<24} {:<12} {:<16} {:<8} {}\n", "ID", "USERNAME", "ROLE",
                       "RESELLER", "ENABLED", "LAST_LOGIN");
            for (const auto& r : rows)
                fmt::print("{:<6} {:<24} {:<12} {:<16} {:<8} {}\n", r.id, r.username, r.role,
                           r.reseller_id ? r.reseller : "-", r.enabled ? "yes" : "no",
                           r.last_login_at.empty() ? "never" : r.last_login_at);
        });
    });

    auto p = std::make_shared<AdminOptions>();
    auto* passwd =
        admin->add_subcommand("passwd", "Set an admin's password; the admin's open sessions end");
    passwd->add_option("--db", p->db, "libpq connection string (default: $GATEHOUSE_DB)")
        ->envname("GATEHOUSE_DB");
    passwd->add_option("username", p->username, "the admin")->required();
    addPasswordOptions(passwd, *p);
    passwd->callback([p] {
        api::AdminPatch patch;
        patch.password = passwordOf(*p);
        guarded([&] {
            pqxx::connection conn(p->db);
            pqxx::work txn(conn);
            auto before = orRefuse(api::getAdminByName(txn, p->username));
            auto after = orRefuse(api::updateAdmin(txn, before.id, patch));
            nlohmann::json after_json = api::toJson(after);
            after_json["password"] = "changed";
            api::recordAudit(txn, cliActor(), "update", "admin", std::to_string(after.id),
                             api::toJson(before), after_json);
            txn.commit();
            fmt::print("password of admin '{}' changed; its sessions were ended\n", after.username);
        });
    });
}

}  // namespace gatehouse::app
