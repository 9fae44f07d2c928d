#include "core/store/migrations.hpp"

#include <pqxx/pqxx>

#include <stdexcept>

namespace gatehouse::store {
namespace {

// pg_advisory_xact_lock key: "gh_migr" in ASCII, any constant shared by all nodes works.
constexpr long long kMigrationLock = 0x67685f6d696772;

int versionOf(std::string_view name) {
    int v = 0;
    size_t i = 0;
    for (; i < name.size() && name[i] >= '0' && name[i] <= '9'; ++i)
        v = v * 10 + (name[i] - '0');
    if (i == 0 || i >= name.size() || name[i] != '_')
        throw std::runtime_error("migration file name must start with NNN_: " + std::string(name));
    return v;
}

void ensureTable(pqxx::connection& conn) {
    pqxx::work txn(conn);
    txn.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version integer PRIMARY KEY,"
        " name text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now())");
    txn.commit();
}

}  // namespace

int schemaVersion(pqxx::connection& conn) {
    pqxx::work txn(conn);
    auto r = txn.exec("SELECT to_regclass('schema_migrations') IS NOT NULL");
    if (!r[0][0].as<bool>())
        return 0;
    return txn.exec("SELECT COALESCE(max(version), 0) FROM schema_migrations")[0][0].as<int>();
}

MigrationResult migrate(pqxx::connection& conn) {
    // Two concurrent CREATE TABLE IF NOT EXISTS can still collide on the catalog; the lock
    // below serialises everything after it, so only this first statement may race.
    try {
        ensureTable(conn);
    } catch (const pqxx::unique_violation&) {
    }
    MigrationResult result;
    for (const auto& m : embeddedMigrations()) {
        int version = versionOf(m.name);
        pqxx::work txn(conn);
        txn.exec("SELECT pg_advisory_xact_lock(" + std::to_string(kMigrationLock) + ")");
        auto done =
            txn.exec("SELECT 1 FROM schema_migrations WHERE version = " + std::to_string(version));
        if (!done.empty())
            continue;  // the transaction rolls back: nothing was changed
        txn.exec(std::string(m.sql));
        txn.exec("INSERT INTO schema_migrations (version, name) VALUES (" +
                 std::to_string(version) + ", " + txn.quote(std::string(m.name)) + ")");
        txn.commit();
        result.applied.emplace_back(m.name);
    }
    result.version = schemaVersion(conn);
    return result;
}

}  // namespace gatehouse::store
