# The admin API over real HTTP (tests/integration/api_http_test.cpp): ApiServer on a free
# loopback port, a temporary web_dir, a raw-socket client. No database, no Redis.
# include()d from tests/integration/CMakeLists.txt.
add_executable(gh_integration_api ${CMAKE_CURRENT_LIST_DIR}/api_http_test.cpp)
target_link_libraries(gh_integration_api PRIVATE gh_api GTest::gtest GTest::gtest_main)
gtest_discover_tests(gh_integration_api DISCOVERY_TIMEOUT 60 PROPERTIES LABELS integration
                                                                       TIMEOUT 60)

# `gatehouse serve --roles api` end to end (tests/integration/api_serve.sh): curl, no database.
if(TARGET gatehouse)
  add_test(NAME api_serve COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/api_serve.sh
                                  $<TARGET_FILE:gatehouse>)
  set_tests_properties(api_serve PROPERTIES LABELS integration TIMEOUT 60 SKIP_RETURN_CODE 77)
endif()

# Login, /auth/me and logout over HTTP with a real PostgreSQL and Redis (tests/integration/api_login.sh).
if(TARGET gatehouse)
  add_test(NAME api_login COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/api_login.sh
                                  $<TARGET_FILE:gatehouse> ${PROJECT_SOURCE_DIR})
  set_tests_properties(api_login PROPERTIES LABELS integration TIMEOUT 120 SKIP_RETURN_CODE 77)
endif()
