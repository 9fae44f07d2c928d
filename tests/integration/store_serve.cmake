# `gatehouse serve --db` end to end: a private PostgreSQL, the operator CLI and FreeRADIUS's
# radclient (tests/integration/store_serve.sh).
if(TARGET gatehouse)
  add_test(NAME store_serve
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/store_serve.sh $<TARGET_FILE:gatehouse>
                   ${PROJECT_SOURCE_DIR})
  set_tests_properties(store_serve PROPERTIES LABELS "postgres;integration" TIMEOUT 180
                                              SKIP_RETURN_CODE 77)
endif()

# scripts/demo GH_DEMO_NO_SERVE=1 with the built binary (no bootstrap, no build), run twice.
if(TARGET gatehouse)
  add_test(NAME demo_smoke
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/demo_smoke.sh $<TARGET_FILE:gatehouse>
                   ${PROJECT_SOURCE_DIR})
  set_tests_properties(demo_smoke PROPERTIES LABELS "postgres;integration" TIMEOUT 180
                                             SKIP_RETURN_CODE 77)
endif()

# Durable accounting: radclient, PostgreSQL stopped and started, kill -9 mid-load.
if(TARGET gatehouse)
  add_test(NAME acct_durable
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/acct_durable.sh $<TARGET_FILE:gatehouse>
                   ${PROJECT_SOURCE_DIR})
  set_tests_properties(acct_durable PROPERTIES LABELS "postgres;integration" TIMEOUT 240
                                               SKIP_RETURN_CODE 77)
endif()

# Pool addresses (IPAM) in Access-Accepts: claimed in PostgreSQL, sticky, exhaustion rejected.
if(TARGET gatehouse)
  add_test(NAME ipam_serve
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/ipam_serve.sh $<TARGET_FILE:gatehouse>
                   ${PROJECT_SOURCE_DIR})
  set_tests_properties(ipam_serve PROPERTIES LABELS "postgres;integration" TIMEOUT 180
                                             SKIP_RETURN_CODE 77)
endif()
