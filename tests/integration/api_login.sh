#!/usr/bin/env bash
# Logging in to the admin API end to end (docs/api-auth.md): a private PostgreSQL and Redis,
# `gatehouse admin add`, `gatehouse serve --roles api`, then curl:
#   - a wrong password and an unknown user get the same 401;
#   - the right password gets a token pair; GET /api/v1/auth/me with the access token names
#     the admin and its role;
#   - logout revokes the token (Redis blacklist): /auth/me then answers 401;
#   - health reports PostgreSQL and Redis up.
#   api_login.sh GATEHOUSE SOURCE_DIR
set -u
GATEHOUSE=$1
SOURCE_DIR=$2
command -v curl >/dev/null || { echo "curl not installed: skipped"; exit 77; }
command -v redis-server >/dev/null || { echo "redis-server not installed: skipped"; exit 77; }
[ -x /usr/lib/postgresql/15/bin/initdb ] || { echo "PostgreSQL 15 not installed: skipped"; exit 77; }

WORK=$(mktemp -d /tmp/gh-api-login-XXXXXX)
chmod 0755 "$WORK"
export GH_VAR_DIR=$WORK/var GH_PG_TCP=0
PID=
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    "$SOURCE_DIR/scripts/dev-services" stop >/dev/null 2>&1
    rm -rf "$WORK"
}
trap cleanup EXIT

FAILED=0
fail() {
    echo "FAIL $*"
    FAILED=1
}
ok() { echo "ok   $*"; }

"$SOURCE_DIR/scripts/dev-services" start >/dev/null || { echo "FAIL could not start PostgreSQL and Redis"; exit 1; }
eval "$("$SOURCE_DIR/scripts/dev-services" env)"
export GATEHOUSE_KEY_FILE=$WORK/gatehouse.key
"$GATEHOUSE" migrate >/dev/null || { echo "FAIL migrate"; exit 1; }
printf 'correct horse battery\n' | "$GATEHOUSE" admin add --username root --role superadmin \
    --password-stdin >"$WORK/cli.out" 2>&1 || { fail "admin add"; cat "$WORK/cli.out"; exit 1; }

cat >"$WORK/gatehouse.conf" <<CONF
api_bind = 127.0.0.1
api_port = 0
api_threads = 2
web_dir = $WORK/dist
CONF
"$GATEHOUSE" serve --config "$WORK/gatehouse.conf" --roles api >"$WORK/out" 2>"$WORK/err" &
PID=$!
for _ in $(seq 1 100); do
    grep -q '^gatehouse.api.ready' "$WORK/out" && break
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
done
PORT=$(sed -n 's/^gatehouse\.api\.ready bind=127\.0\.0\.1 port=\([0-9]*\) .*/\1/p' "$WORK/out")
[ -n "$PORT" ] || { echo "FAIL no api ready line"; cat "$WORK/out" "$WORK/err"; exit 1; }
API=http://127.0.0.1:$PORT/api/v1

# post PATH JSON [TOKEN]: the body on stdout, the status in $STATUS.
post() {
    STATUS=$(curl -sS -o "$WORK/body" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
        ${3:+-H "Authorization: Bearer $3"} --data "$2" "$API$1")
}
get() {
    STATUS=$(curl -sS -o "$WORK/body" -w '%{http_code}' ${2:+-H "Authorization: Bearer $2"} "$API$1")
}
field() { python3 -c "import json,sys; print(json.load(open('$WORK/body'))$1)"; }

get /health
[ "$STATUS" = 200 ] && grep -q '"database":"ok"' "$WORK/body" && grep -q '"redis":"ok"' "$WORK/body" &&
    ok "health: database and redis ok" || fail "health: $STATUS $(cat "$WORK/body")"

post /auth/login '{"username":"root","password":"wrong password!"}'
WRONG="$STATUS $(cat "$WORK/body")"
post /auth/login '{"username":"nobody","password":"wrong password!"}'
UNKNOWN="$STATUS $(cat "$WORK/body")"
[ "${WRONG%% *}" = 401 ] && [ "$WRONG" = "$UNKNOWN" ] &&
    ok "wrong password and unknown user: the same 401" || fail "wrong: $WRONG / unknown: $UNKNOWN"

post /auth/login '{"username":"root"}'
[ "$STATUS" = 400 ] && [ "$(field "['error']['field']")" = password ] &&
    ok "missing password: 400 naming the field" || fail "missing password: $STATUS $(cat "$WORK/body")"

post /auth/login '{"username":"root","password":"correct horse battery"}'
if [ "$STATUS" = 200 ]; then
    ACCESS=$(field "['access_token']")
    REFRESH=$(field "['refresh_token']")
    ok "login: 200, $(field "['token_type']") token for $(field "['expires_in']") s"
else
    fail "login: $STATUS $(cat "$WORK/body")"
fi
get /auth/me "${ACCESS:-x}"
[ "$STATUS" = 200 ] && [ "$(field "['admin']['username']")" = root ] && [ "$(field "['admin']['role']")" = superadmin ] &&
    ok "/auth/me: root, superadmin" || fail "/auth/me: $STATUS $(cat "$WORK/body")"
get /auth/me
[ "$STATUS" = 401 ] && ok "/auth/me without a token: 401" || fail "/auth/me without a token: $STATUS"

post /auth/logout "{\"refresh_token\":\"${REFRESH:-x}\"}" "${ACCESS:-x}"
[ "$STATUS" = 204 ] && ok "logout: 204" || fail "logout: $STATUS $(cat "$WORK/body")"
get /auth/me "${ACCESS:-x}"
[ "$STATUS" = 401 ] && ok "the logged-out token: 401" || fail "after logout: $STATUS $(cat "$WORK/body")"
post /auth/refresh "{\"refresh_token\":\"${REFRESH:-x}\"}"
[ "$STATUS" = 401 ] && ok "the logged-out refresh token: 401" || fail "refresh after logout: $STATUS"

exit $FAILED
