# The admin panel in Debian's Chromium (web/tests/run.mjs, playwright-core): a private PostgreSQL
# and Redis, `gatehouse serve --roles radius,api,jobs` serving web/dist on loopback with
# ephemeral ports, a CoA receiver standing in for the NAS, and the flows of web/tests/flows/
# (login, the network flow with radclient and Disconnect, the admin pages, logout).
# Skipped (77) without node, /usr/bin/chromium or web/node_modules; scripts/test provides them.
# include()d from tests/integration/CMakeLists.txt.
if(TARGET gatehouse)
  add_test(NAME web_browser
           COMMAND sh -c "command -v node >/dev/null || { echo 'node not installed: skipped'; exit 77; }; exec node \"$@\""
                   web_browser ${PROJECT_SOURCE_DIR}/web/tests/run.mjs --gatehouse $<TARGET_FILE:gatehouse>
                   --screenshots ${CMAKE_CURRENT_BINARY_DIR}/web-screenshots)
  set_tests_properties(web_browser PROPERTIES LABELS integration TIMEOUT 240 SKIP_RETURN_CODE 77)
endif()
