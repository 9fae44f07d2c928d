# Included by tests/CMakeLists.txt before gh_unit_api is defined: one private, password-protected
# redis-server for the whole ctest run (a ctest fixture, like tests/unit/store/postgres.cmake),
# shared by every gh_unit_api test process; tests/unit/api/redis_fixture.hpp finds it through
# the port file. Each test uses its own key prefix, so tests may run in parallel.
set(GH_API_REDIS_DIR ${PROJECT_BINARY_DIR}/tests/redis)
add_test(NAME api_redis_start
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/redis-test-server start ${GH_API_REDIS_DIR})
add_test(NAME api_redis_stop
         COMMAND ${CMAKE_CURRENT_LIST_DIR}/redis-test-server stop ${GH_API_REDIS_DIR})
set_tests_properties(api_redis_start PROPERTIES FIXTURES_SETUP gh_redis LABELS redis)
set_tests_properties(api_redis_stop PROPERTIES FIXTURES_CLEANUP gh_redis LABELS redis)
# One label only: a list here would split the PROPERTIES arguments and drop the fixture.
set(GH_UNIT_PROPERTIES_gh_unit_api LABELS redis FIXTURES_REQUIRED gh_redis)
