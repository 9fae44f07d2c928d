#pragma once
// Versioned schema migrations: migrations/NNN_name.sql, compiled into the binary. Each file is
// applied once, in order, in its own transaction together with its schema_migrations row,
// under an advisory lock, so `gatehouse migrate` is safe to run twice and from two nodes.
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <pqxx/connection>

namespace gatehouse::store {

struct EmbeddedMigration {
    std::string_view name;  // "001_initial.sql"
    std::string_view sql;
};

/// Generated from migrations/ at build time (cmake/embed_files.cmake), sorted by name.
std::span<const EmbeddedMigration> embeddedMigrations();

struct MigrationResult {
    std::vector<std::string> applied;  // file names applied by this run, in order
    int version = 0;                   // the schema version now in the database
};

/// Applies what is missing. Throws (pqxx, std::runtime_error) on failure; a failed file
/// leaves the schema at the previous version.
MigrationResult migrate(pqxx::connection& conn);
/// The highest applied version, 0 when the database is empty.
int schemaVersion(pqxx::connection& conn);

}  // namespace gatehouse::store
