# `gatehouse policy check/test/eval/replay` run as an operator would, on small temp policy
# directories and on the shipped policies/ (include()d from tests/integration/CMakeLists.txt).
add_test(NAME policy_cli
         COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/policy_cli_test.sh $<TARGET_FILE:gatehouse>
                 ${PROJECT_SOURCE_DIR})
set_tests_properties(policy_cli PROPERTIES LABELS integration TIMEOUT 120)
