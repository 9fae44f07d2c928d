#include "core/store/migrations.hpp"

#include <gtest/gtest.h>

#include "tests/unit/store/pg_fixture.hpp"

namespace gatehouse::store {
namespace {

class Migrations : public testing::PgTest {
  protected:
    Migrations() { migrate_ = false; }
};

TEST_F(Migrations, EmbedsNumberedFilesInOrder) {
    auto files = embeddedMigrations();
    ASSERT_FALSE(files.empty());
    EXPECT_EQ(files[0].name, "001_initial.sql");
    for (size_t i = 1; i < files.size(); ++i)
        EXPECT_LT(files[i - 1].name, files[i].name);
}

TEST_F(Migrations, FirstRunAppliesEverythingSecondRunIsANoOp) {
    EXPECT_EQ(schemaVersion(conn()), 0);
    auto first = migrate(conn());
    EXPECT_EQ(first.applied.size(), embeddedMigrations().size());
    EXPECT_EQ(first.version, static_cast<int>(embeddedMigrations().size()));
    auto tables = sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")[0][0].as<int>();

    auto second = migrate(conn());
    EXPECT_TRUE(second.applied.empty());
    EXPECT_EQ(second.version, first.version);
    EXPECT_EQ(sql("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")[0][0].as<int>(),
              tables);
    EXPECT_EQ(sql("SELECT count(*) FROM schema_migrations")[0][0].as<int>(), first.version);
}

TEST_F(Migrations, CreatesTheProductTables) {
    migrate(conn());
    for (const char* table :
         {"nas_devices", "services", "subscribers", "radreply", "radacct", "radius_logs",
          "ip_pool_assignments", "resellers", "reseller_nas", "settings", "service_fup_tiers"}) {
        EXPECT_TRUE(
            sql(std::string("SELECT to_regclass('") + table + "') IS NOT NULL")[0][0].as<bool>())
            << table;
    }
}

}  // namespace
}  // namespace gatehouse::store
