# The admin panel in Debian's Chromium (web/tests/run.mjs, playwright-core): a private PostgreSQL
# and Redis, `gatehouse serve --roles api` serving web/dist; login, dashboard, reload, logout.
# Skipped (77) without node, /usr/bin/chromium or web/node_modules; scripts/test provides them.
# include()d from tests/integration/CMakeLists.txt.
if(TARGET gatehouse)
  add_test(NAME web_browser
           COMMAND sh -c "command -v node >/dev/null || { echo 'node not installed: skipped'; exit 77; }; exec node \"$@\""
                   web_browser ${PROJECT_SOURCE_DIR}/web/tests/run.mjs --gatehouse $<TARGET_FILE:gatehouse>
                   --screenshots ${CMAKE_CURRENT_BINARY_DIR}/web-screenshots)
  set_tests_properties(web_browser PROPERTIES LABELS integration TIMEOUT 120 SKIP_RETURN_CODE 77)
endif()
