# `gatehouse bench` against the real null_responder (tests/bench/null_responder.cpp).
if(TARGET gatehouse AND TARGET null_responder)
  add_test(NAME bench_smoke
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/bench_smoke.sh $<TARGET_FILE:gatehouse>
                   $<TARGET_FILE:null_responder>)
  set_tests_properties(bench_smoke PROPERTIES LABELS integration TIMEOUT 120)
endif()
