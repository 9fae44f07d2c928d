#!/usr/bin/env bash
# Jobs leader failover (docs/jobs.md): two `gatehouse serve --roles jobs` on one private
# PostgreSQL (scripts/dev-services). Exactly one says jobs.leader.gained and the other
# jobs.leader.following; the leader is killed with SIGKILL (no goodbye: PostgreSQL sees the
# connection drop and ends its session, freeing the advisory lock); the other leads within
# seconds and runs the NAS health job. A clean SIGTERM of the new leader hands over as well.
#   jobs_leader.sh GATEHOUSE SOURCE_DIR
set -u
GATEHOUSE=$1
SOURCE_DIR=$2
[ -x /usr/lib/postgresql/15/bin/initdb ] || { echo "PostgreSQL 15 not installed: skipped"; exit 77; }

WORK=$(mktemp -d /tmp/gh-jobs-leader-XXXXXX)
chmod 0755 "$WORK"  # PostgreSQL (as postgres) must reach its data dir below
export GH_VAR_DIR=$WORK/var GH_NO_REDIS=1 GH_PG_TCP=0
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do
        kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
    done
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

# wait_for FILE PATTERN SECONDS: polls (0.1 s) until grep finds PATTERN in FILE.
wait_for() {
    local i
    for i in $(seq 1 $(($3 * 10))); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

"$SOURCE_DIR/scripts/dev-services" start >/dev/null || { echo "FAIL could not start PostgreSQL"; exit 1; }
eval "$("$SOURCE_DIR/scripts/dev-services" env)"
"$GATEHOUSE" migrate >"$WORK/migrate.out" 2>&1 || { cat "$WORK/migrate.out"; echo "FAIL migrate"; exit 1; }
"$GATEHOUSE" nas add --name bng1 --ip 10.9.0.1 --secret s1 --type generic >/dev/null ||
    { echo "FAIL nas add"; exit 1; }

cat >"$WORK/jobs.conf" <<EOF
# written by jobs_leader.sh
roles = jobs
db = "$GATEHOUSE_DB"
key_file = $WORK/gatehouse.key
jobs_retry_ms = 200
nas_health_seconds = 1
EOF

start_node() {  # start_node NAME: a jobs-only serve, its stdout/stderr in $WORK/NAME.{out,err}
    "$GATEHOUSE" serve --config "$WORK/jobs.conf" >"$WORK/$1.out" 2>"$WORK/$1.err" &
    PIDS+=($!)
    eval "PID_$1=$!"
}

start_node a
wait_for "$WORK/a.out" '^gatehouse.serve.ready roles=jobs' 10 || fail "a: no ready line"
wait_for "$WORK/a.err" 'jobs.leader.gained' 10 && ok "a leads" || fail "a did not become leader"
wait_for "$WORK/a.err" 'gatehouse.jobs.nas_health api_ok=0 api_failed=0 passive=1' 10 &&
    ok "the leader runs the NAS health job" || fail "a: no nas_health run"
start_node b
wait_for "$WORK/b.err" 'jobs.leader.following' 10 && ok "b follows" || fail "b: no following line"
grep -q 'jobs.leader.gained' "$WORK/b.err" && fail "b leads while a is alive"
grep -q 'gatehouse.jobs.nas_health ' "$WORK/b.err" && fail "b runs jobs while following"

kill -9 "$PID_a"
wait "$PID_a" 2>/dev/null
START=$(date +%s.%N)
if wait_for "$WORK/b.err" 'jobs.leader.gained' 15; then
    ok "b leads $(python3 -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$START" "$(date +%s.%N)") s after kill -9 of a"
else
    fail "b did not take over within 15 s"
fi
wait_for "$WORK/b.err" 'gatehouse.jobs.nas_health ' 10 && ok "b runs the NAS health job" ||
    fail "b: no nas_health run"
[ "$(psql -XAtq -c "SELECT last_check_at IS NOT NULL FROM nas_devices WHERE name = 'bng1'")" = t ] &&
    ok "nas_devices.last_check_at written" || fail "last_check_at not written"

# A clean stop hands over too: c follows b, b gets SIGTERM, c leads.
start_node c
wait_for "$WORK/c.err" 'jobs.leader.following' 10 || fail "c: no following line"
kill -TERM "$PID_b"
wait "$PID_b"
RC=$?
[ "$RC" = 0 ] && ok "b stops with exit 0 on SIGTERM" || fail "b exit $RC"
grep -q 'jobs.leader.lost .*reason="stopping"' "$WORK/b.err" || fail "b: no lost line"
wait_for "$WORK/c.err" 'jobs.leader.gained' 15 && ok "c leads after b stopped" ||
    fail "c did not take over"

# Without a database the jobs-only role refuses to start.
env -u GATEHOUSE_DB "$GATEHOUSE" serve --roles jobs >"$WORK/nodb.out" 2>&1 </dev/null
RC=$?
[ "$RC" = 2 ] && grep -q 'the jobs role needs a database' "$WORK/nodb.out" &&
    ok "--roles jobs without a database: exit 2" || { fail "no-db exit $RC"; cat "$WORK/nodb.out"; }
"$GATEHOUSE" serve --roles jobs,nope >"$WORK/bad.out" 2>&1 </dev/null
RC=$?
[ "$RC" = 2 ] && grep -q 'roles: unknown role "nope"' "$WORK/bad.out" &&
    ok "an unknown role: exit 2" || { fail "bad role exit $RC"; cat "$WORK/bad.out"; }

if [ "$FAILED" != 0 ]; then
    for n in a b c; do
        echo "--- $n"
        cat "$WORK/$n.err"
    done
    exit 1
fi
echo "all ok"
