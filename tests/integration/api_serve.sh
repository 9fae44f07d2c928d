#!/usr/bin/env bash
# `gatehouse serve --roles api` (docs/api.md): the ready line names the chosen port, the health
# route and the panel answer over HTTP, SIGTERM stops it with exit 0, and without a database the
# role refuses to start (exit 2). The database named here does not exist, so health says
# "down": the role runs whether PostgreSQL is up or not.
#   api_serve.sh GATEHOUSE
set -u
GATEHOUSE=$1
command -v curl >/dev/null || { echo "curl not installed: skipped"; exit 77; }

WORK=$(mktemp -d /tmp/gh-api-serve-XXXXXX)
PID=
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

FAILED=0
fail() {
    echo "FAIL $*"
    FAILED=1
}
ok() { echo "ok   $*"; }

mkdir -p "$WORK/dist/assets"
echo '<!doctype html><title>panel</title>' >"$WORK/dist/index.html"
cat >"$WORK/gatehouse.conf" <<CONF
# written by api_serve.sh
api_bind = 127.0.0.1
api_port = 0
api_threads = 1
web_dir = $WORK/dist
CONF

env -u GATEHOUSE_DB "$GATEHOUSE" serve --config "$WORK/gatehouse.conf" --roles api \
    --db "host=$WORK/no-such-socket-dir dbname=none" >"$WORK/out" 2>"$WORK/err" &
PID=$!
for _ in $(seq 1 100); do
    grep -q '^gatehouse.serve.ready roles=api' "$WORK/out" && break
    sleep 0.1
done
PORT=$(sed -n 's/^gatehouse\.api\.ready bind=127\.0\.0\.1 port=\([0-9]*\) .*/\1/p' "$WORK/out")
if [ -n "$PORT" ] && [ "$PORT" != 0 ]; then
    ok "ready line names port $PORT"
else
    fail "no api ready line"; cat "$WORK/out" "$WORK/err"; exit 1
fi

BODY=$(curl -sS "http://127.0.0.1:$PORT/api/v1/health")
case "$BODY" in
    *'"database":"down"'*'"status":"ok"'*) ok "health: $BODY" ;;
    *) fail "health: $BODY" ;;
esac
PAGE=$(curl -sS "http://127.0.0.1:$PORT/subscribers/3")
[ "$PAGE" = '<!doctype html><title>panel</title>' ] && ok "client-side route gets index.html" ||
    fail "panel page: $PAGE"

kill -TERM "$PID"
wait "$PID"
RC=$?
PID=
[ "$RC" = 0 ] && ok "SIGTERM: exit 0" || fail "SIGTERM: exit $RC"
grep -q '^gatehouse.serve.stopped' "$WORK/err" && ok "stopped line" || fail "no stopped line"

env -u GATEHOUSE_DB "$GATEHOUSE" serve --roles api >"$WORK/nodb.out" 2>&1 </dev/null
RC=$?
[ "$RC" = 2 ] && grep -q 'the api role needs a database' "$WORK/nodb.out" &&
    ok "--roles api without a database: exit 2" || { fail "no-db exit $RC"; cat "$WORK/nodb.out"; }

exit $FAILED
