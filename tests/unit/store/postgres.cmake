# Included by tests/CMakeLists.txt before gh_unit_store is defined: one private PostgreSQL
# cluster for the whole ctest run (a ctest fixture), shared by every gh_unit_store test process
# (tests/unit/store/pg_fixture.hpp finds it through the port file). Set GATEHOUSE_TEST_DB to
# use an existing server instead.
set(GH_STORE_PG_DIR ${PROJECT_BINARY_DIR}/tests/pg)
add_test(NAME store_postgres_start
         COMMAND env GH_VAR_DIR=${GH_STORE_PG_DIR} GH_NO_REDIS=1 GH_PG_TCP=0
                 ${PROJECT_SOURCE_DIR}/scripts/dev-services start)
add_test(NAME store_postgres_stop
         COMMAND env GH_VAR_DIR=${GH_STORE_PG_DIR} GH_NO_REDIS=1 GH_PG_TCP=0
                 ${PROJECT_SOURCE_DIR}/scripts/dev-services stop)
set_tests_properties(store_postgres_start PROPERTIES FIXTURES_SETUP gh_postgres LABELS postgres)
set_tests_properties(store_postgres_stop PROPERTIES FIXTURES_CLEANUP gh_postgres LABELS postgres)
set(GH_UNIT_PROPERTIES_gh_unit_store LABELS postgres FIXTURES_REQUIRED gh_postgres)
