#!/usr/bin/env bash
# A policy reload while requests flow loses none (issue 4): `gatehouse serve --seed` with a
# private copy of policies/, `gatehouse bench pap` against it for 6 s, and meanwhile 10 steps
# ~0.4 s apart: SIGHUP, a harmless rewrite of default.lua (a comment: new fingerprint, its tests
# still pass, the watcher reloads it), and once a default.lua with a syntax error, which must be
# refused with file:line and is then restored. Then every request must have been answered with
# an Access-Accept (none timed out, none rejected, none failed verification), the log must show
# reloads that went live and the refused one, and SIGTERM must still exit 0.
# Loopback only; everything it starts is killed on exit.
#   serve_reload.sh GATEHOUSE SOURCE_DIR
set -u
GATEHOUSE=$1
SOURCE_DIR=$2

WORK=$(mktemp -d /tmp/gh-serve-reload-XXXXXX)
POL=$WORK/policies
SERVER_PID=
BENCH_PID=
cleanup() {
    [ -n "$BENCH_PID" ] && kill "$BENCH_PID" 2>/dev/null && wait "$BENCH_PID" 2>/dev/null
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

FAILED=0
fail() {
    echo "FAIL $*"
    FAILED=1
}

cp -r "$SOURCE_DIR/policies" "$POL" || { echo "cannot copy $SOURCE_DIR/policies"; exit 1; }
cp "$POL/default.lua" "$WORK/default.lua.orig"

# 1,000 subscribers user000000..user000999 / pass000000.., the names `bench --users 1000` uses.
cat >"$WORK/seed.json" <<'JSON'
{
  "services": {"home": {"download_bps": "20M", "upload_bps": "5M", "pool_name": "pppoe-pool"}},
  "nas": [{"ip": "127.0.0.1", "secret": "testing123", "type": "mikrotik", "name": "lo"}],
  "generate": {"count": 1000, "username": "user%06d", "password": "pass%06d", "service": "home"}
}
JSON
cat >"$WORK/gatehouse.conf" <<EOF
# written by serve_reload.sh
bind = 127.0.0.1
auth_port = 0
acct_port = 0
workers = 2
watch_policies = true
EOF

"$GATEHOUSE" serve --config "$WORK/gatehouse.conf" --seed "$WORK/seed.json" --policy-dir "$POL" \
    >"$WORK/out" 2>"$WORK/err" &
SERVER_PID=$!
for _ in $(seq 1 100); do
    grep -q '^gatehouse.serve.ready' "$WORK/out" && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
done
READY=$(grep '^gatehouse.serve.ready' "$WORK/out") || { echo "server did not start"; cat "$WORK/err"; exit 1; }
AUTH=$(echo "$READY" | sed -n 's/.*auth_port=\([0-9]*\).*/\1/p')
echo "$READY"

# Bounded by timeout(1) as well: 12 s of sending (the reload steps need ~5 s of it, slack for
# slow or sanitizer builds), 2 s for the last answers.
timeout 40 "$GATEHOUSE" bench pap --server 127.0.0.1 --port "$AUTH" --users 1000 --duration 12 \
    --window 64 --timeout 2000 --retries 0 --require-ma --json >"$WORK/bench.json" 2>"$WORK/bench.err" &
BENCH_PID=$!

# Replaces default.lua in one step: written to a dot-file (the watcher ignores those), then
# renamed into place, so no reload ever reads a half-written file.
put_default() {
    cat >"$POL/.default.lua.new" && mv -f "$POL/.default.lua.new" "$POL/default.lua"
}

BROKEN_LINE=$(($(wc -l <"$WORK/default.lua.orig") + 1))
sleep 0.3 # let the requests start flowing first
STEPS_UNDER_LOAD=0
for i in $(seq 1 10); do
    kill -0 "$BENCH_PID" 2>/dev/null && STEPS_UNDER_LOAD=$((STEPS_UNDER_LOAD + 1))
    if [ "$i" = 6 ]; then
        # A syntax error on the last line: the reload is refused, the old policy keeps serving.
        { cat "$WORK/default.lua.orig"; echo 'local broken = = 1'; } | put_default
        kill -HUP "$SERVER_PID"
        for _ in $(seq 1 50); do
            grep -q "^policy.reload.refused default.lua:$BROKEN_LINE:" "$WORK/err" && break
            sleep 0.1
        done
        if grep -q "^policy.reload.refused default.lua:$BROKEN_LINE:.*(still serving)" "$WORK/err"; then
            echo "ok   step $i: broken default.lua refused"
        else
            fail "step $i: no 'policy.reload.refused default.lua:$BROKEN_LINE:' in the log"
        fi
        put_default <"$WORK/default.lua.orig"
        echo "ok   step $i: default.lua restored"
    elif [ $((i % 2)) = 1 ]; then
        kill -HUP "$SERVER_PID"
        echo "ok   step $i: SIGHUP"
    else
        { cat "$WORK/default.lua.orig"; echo "-- serve_reload.sh step $i"; } | put_default
        echo "ok   step $i: default.lua rewritten (a comment)"
    fi
    sleep 0.4
done
if kill -0 "$BENCH_PID" 2>/dev/null; then
    echo "ok   all 10 steps ran while the bench was sending"
else
    fail "the bench ended before the last step: only $STEPS_UNDER_LOAD of 10 steps ran under load"
fi

wait "$BENCH_PID"
BENCH_RC=$?
BENCH_PID=
cat "$WORK/bench.json"
[ "$BENCH_RC" = 0 ] || { fail "bench exit code $BENCH_RC"; cat "$WORK/bench.err"; }
field() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" "$WORK/bench.json"; }
SENT=$(field sent)
ACCEPTED=$(field accepted)
REJECTED=$(field rejected)
TIMED_OUT=$(field timed_out)
ERRORS=$(field errors)
if [ -z "$SENT" ] || [ "$SENT" -le 0 ]; then
    fail "bench sent nothing (no JSON?)"
elif [ "$TIMED_OUT" = 0 ] && [ "$ERRORS" = 0 ] && [ "$REJECTED" = 0 ] && [ "$ACCEPTED" = "$SENT" ]; then
    echo "ok   bench: $ACCEPTED of $SENT accepted, none timed out, rejected or in error"
else
    fail "bench: sent=$SENT accepted=$ACCEPTED rejected=$REJECTED timed_out=$TIMED_OUT errors=$ERRORS"
fi

grep '^policy.reload' "$WORK/err"
# Reloads that went live: generation 1 is the startup load, every later one a reload.
GENERATIONS=$(sed -n 's/^policy.reload.ok generation=\([0-9]*\) .*trigger=\(file\|sighup\).*/\1/p' \
    "$WORK/err" | sort -un | wc -l)
if [ "$GENERATIONS" -ge 1 ]; then
    echo "ok   $GENERATIONS new policy generations went live during the run"
else
    fail "no successful reload (policy.reload.ok trigger=file|sighup) in the log"
fi
grep -q '^policy.reload.unchanged .*trigger=sighup' "$WORK/err" ||
    grep -q '^policy.reload.ok .*trigger=sighup' "$WORK/err" || fail "no SIGHUP reload in the log"

kill -TERM "$SERVER_PID"
wait "$SERVER_PID"
RC=$?
SERVER_PID=
STOPPED=$(grep '^gatehouse.serve.stopped' "$WORK/err")
echo "$STOPPED"
[ "$RC" = 0 ] || fail "SIGTERM: exit code $RC"
echo "$STOPPED" | grep -q ' rejects=0 .* drops=0 ' || fail "the server rejected or dropped requests"
[ "$FAILED" = 0 ] || { echo "--- server log"; grep -v '^policy.warn' "$WORK/err" | tail -n 60; }
exit $FAILED
