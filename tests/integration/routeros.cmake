# The RouterOS API client against tests/nas/routeros_responder.py, and that responder checked
# with npm node-routeros (include()d from tests/integration/CMakeLists.txt).
add_executable(gh_integration_routeros
  ${CMAKE_CURRENT_LIST_DIR}/process.cpp
  ${CMAKE_CURRENT_LIST_DIR}/routeros_client_test.cpp
)
target_link_libraries(gh_integration_routeros PRIVATE gh_net GTest::gtest GTest::gtest_main)
target_compile_definitions(gh_integration_routeros PRIVATE GH_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
gtest_discover_tests(gh_integration_routeros DISCOVERY_TIMEOUT 60
                     PROPERTIES LABELS integration TIMEOUT 60)

add_test(NAME routeros_responder_node
         COMMAND bash ${PROJECT_SOURCE_DIR}/tests/nas/responder_check.sh)
set_tests_properties(routeros_responder_node PROPERTIES LABELS integration TIMEOUT 180
                                                        SKIP_RETURN_CODE 77)
