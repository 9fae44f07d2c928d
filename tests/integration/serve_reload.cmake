# A policy reload while requests flow loses none: `gatehouse bench` against `gatehouse serve`
# while SIGHUPs, policy rewrites and a refused broken policy land (tests/integration/serve_reload.sh).
if(TARGET gatehouse)
  add_test(NAME serve_reload
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/serve_reload.sh $<TARGET_FILE:gatehouse>
                   ${PROJECT_SOURCE_DIR})
  set_tests_properties(serve_reload PROPERTIES LABELS integration TIMEOUT 90)
endif()
