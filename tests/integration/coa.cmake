# CoA / Disconnect end to end (tests/integration/coa.sh): `gatehouse session disconnect|coa`
# against FreeRADIUS as the RFC 5176 NAS, a NAS that never answers, a private PostgreSQL.
# include()d from tests/integration/CMakeLists.txt.
if(TARGET gatehouse)
  add_test(NAME coa_session
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/coa.sh $<TARGET_FILE:gatehouse>
                   ${PROJECT_SOURCE_DIR})
  set_tests_properties(coa_session PROPERTIES LABELS "postgres;integration" TIMEOUT 180
                                              SKIP_RETURN_CODE 77)
endif()

# CoaSender over a real outbox (the ctest PostgreSQL fixture of tests/unit/store/postgres.cmake)
# and a scripted NAS on loopback.
add_executable(gh_integration_coa ${CMAKE_CURRENT_LIST_DIR}/coa_sender_test.cpp)
target_link_libraries(gh_integration_coa PRIVATE gh_net GTest::gtest GTest::gtest_main)
target_compile_definitions(gh_integration_coa PRIVATE GH_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                                                      GH_BINARY_DIR="${PROJECT_BINARY_DIR}")
gtest_discover_tests(gh_integration_coa DISCOVERY_TIMEOUT 60
                     PROPERTIES LABELS integration FIXTURES_REQUIRED gh_postgres
                                TIMEOUT 120)
