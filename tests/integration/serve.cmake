# `gatehouse serve` end to end with FreeRADIUS's radclient (tests/integration/serve_radclient.sh).
if(TARGET gatehouse)
  add_test(NAME serve_radclient
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/serve_radclient.sh $<TARGET_FILE:gatehouse>
                   ${PROJECT_SOURCE_DIR})
  set_tests_properties(serve_radclient PROPERTIES LABELS integration TIMEOUT 120
                                                  SKIP_RETURN_CODE 77)
endif()
