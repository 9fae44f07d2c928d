# The jobs role (docs/jobs.md), include()d from tests/integration/CMakeLists.txt:
#   - NAS health and `gatehouse nas test` against tests/nas/routeros_responder.py, a real
#     `gatehouse serve --roles radius`, fake CoA ports; PostgreSQL from the ctest fixture
#     (tests/unit/store/postgres.cmake);
#   - two `gatehouse serve --roles jobs` on one database: one leads, kill -9 it, the other takes
#     over (tests/integration/jobs_leader.sh, its own private PostgreSQL).
if(TARGET gatehouse)
  add_executable(gh_integration_jobs ${CMAKE_CURRENT_LIST_DIR}/process.cpp
                                     ${CMAKE_CURRENT_LIST_DIR}/nas_health_test.cpp
                                     ${CMAKE_CURRENT_LIST_DIR}/mikrotik_sync_test.cpp)
  target_link_libraries(gh_integration_jobs PRIVATE gh_jobs GTest::gtest GTest::gtest_main)
  target_compile_definitions(gh_integration_jobs PRIVATE
    GH_SOURCE_DIR="${PROJECT_SOURCE_DIR}" GH_BINARY_DIR="${PROJECT_BINARY_DIR}"
    GH_GATEHOUSE="$<TARGET_FILE:gatehouse>")
  add_dependencies(gh_integration_jobs gatehouse)
  # One label only: gtest_discover_tests flattens PROPERTIES, so LABELS "postgres;integration"
  # would swallow FIXTURES_REQUIRED as a value (the fixture would then not start).
  gtest_discover_tests(gh_integration_jobs DISCOVERY_TIMEOUT 60
                       PROPERTIES LABELS postgres FIXTURES_REQUIRED gh_postgres TIMEOUT 120)

  add_test(NAME jobs_leader_failover
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/jobs_leader.sh $<TARGET_FILE:gatehouse>
                   ${PROJECT_SOURCE_DIR})
  set_tests_properties(jobs_leader_failover PROPERTIES LABELS "postgres;integration" TIMEOUT 120
                                                       SKIP_RETURN_CODE 77)
endif()

# The MikroTik API fallback for Disconnect and the coa_verify job (docs/coa.md) against
# tests/nas/routeros_responder.py and a CoA port that never answers; the ctest PostgreSQL.
add_executable(gh_integration_coa_fallback ${CMAKE_CURRENT_LIST_DIR}/process.cpp
                                           ${CMAKE_CURRENT_LIST_DIR}/coa_fallback_test.cpp)
target_link_libraries(gh_integration_coa_fallback PRIVATE gh_jobs GTest::gtest GTest::gtest_main)
target_compile_definitions(gh_integration_coa_fallback PRIVATE
  GH_SOURCE_DIR="${PROJECT_SOURCE_DIR}" GH_BINARY_DIR="${PROJECT_BINARY_DIR}")
gtest_discover_tests(gh_integration_coa_fallback DISCOVERY_TIMEOUT 60
                     PROPERTIES LABELS postgres FIXTURES_REQUIRED gh_postgres TIMEOUT 120)
