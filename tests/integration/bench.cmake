# `gatehouse bench` against the real null_responder (tests/bench/null_responder.cpp), and a
# 2-second `scripts/bench acct` against `gatehouse serve --db`.
if(TARGET gatehouse AND TARGET null_responder)
  add_test(NAME bench_smoke
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/bench_smoke.sh $<TARGET_FILE:gatehouse>
                   $<TARGET_FILE:null_responder> ${PROJECT_SOURCE_DIR})
  # The source directory: the test also runs `scripts/bench acct` (a private PostgreSQL).
  set_tests_properties(bench_smoke PROPERTIES LABELS "postgres;integration" TIMEOUT 180)
endif()
