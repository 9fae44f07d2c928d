#!/bin/bash
# Smoke test of `gatehouse bench` against the real null_responder on loopback: every mode is
# answered and verified, a wrong secret yields only bad authenticators, and --help documents
# every option. Behaviour only, never timing.
# With SOURCE_DIR, also `scripts/bench acct` for 2 s (a private durable PostgreSQL and
# `gatehouse serve --db`): every Start the server answered is a session in radacct; and
# `scripts/bench pool` with 200 users per set: every pool and static login accepted with a
# Framed-IP-Address, one address per pool user.
#   bench_smoke.sh <gatehouse> <null_responder> [SOURCE_DIR]
set -u
GATEHOUSE=$1
RESPONDER=$2
SOURCE_DIR=${3:-}
fail=0

out=$(mktemp)
"$RESPONDER" --port 0 --threads 1 --secret testing123 >"$out" 2>/dev/null &
responder_pid=$!
trap 'kill $responder_pid 2>/dev/null; wait $responder_pid 2>/dev/null; rm -f "$out"' EXIT
for _ in $(seq 1 50); do
    [ -s "$out" ] && break
    sleep 0.1
done
port=$(awk '/^listening/ {print $3}' "$out")
if [ -z "$port" ]; then
    echo "FAIL: null_responder did not start"
    exit 1
fi

field() { grep -o "\"$1\":[0-9]*" <<<"$2" | head -1 | cut -d: -f2; }

for mode in pap chap mschapv2 acct status; do
    json=$(timeout 60 "$GATEHOUSE" bench "$mode" --port "$port" --count 2000 --window 64 \
        --sockets 2 --require-ma --json)
    rc=$?
    accepted=$(field accepted "$json")
    errors=$(field errors "$json")
    timed_out=$(field timed_out "$json")
    if [ $rc -ne 0 ] || [ "$accepted" != 2000 ] || [ "$errors" != 0 ] || [ "$timed_out" != 0 ]; then
        echo "FAIL: $mode: rc=$rc $json"
        fail=1
    else
        echo "ok: $mode accepted $accepted"
    fi
done

json=$(timeout 60 "$GATEHOUSE" bench pap --port "$port" --secret wrong --count 64 --window 32 \
    --sockets 1 --timeout 200 --json)
rc=$?
if [ $rc -ne 1 ] || [ "$(field accepted "$json")" != 0 ] ||
    [ "$(field bad_authenticator "$json")" != 64 ]; then
    echo "FAIL: wrong secret: rc=$rc $json"
    fail=1
else
    echo "ok: wrong secret gives 64 bad authenticators, exit status 1"
fi

help=$("$GATEHOUSE" bench --help)
for opt in --server --port --secret --count --duration --window --sockets --source-ports \
    --threads --users --user-pattern --password-pattern --timeout --retries --interims \
    --nas-ip --no-message-authenticator --require-ma --no-gso --json; do
    if ! grep -q -- "$opt" <<<"$help"; then
        echo "FAIL: --help does not mention $opt"
        fail=1
    fi
done
for mode in pap chap mschapv2 acct status; do
    grep -q "$mode" <<<"$help" || { echo "FAIL: --help does not mention mode $mode"; fail=1; }
done

"$GATEHOUSE" bench pap --window 600 --sockets 2 >/dev/null 2>&1
if [ $? -eq 0 ]; then
    echo "FAIL: a window over 256 per source port was accepted"
    fail=1
fi

# scripts/bench acct, small: its table row for gatehouse must say the sessions in radacct are
# between the Starts answered and the Starts sent ("ok"), and there must be some.
if [ -z "$SOURCE_DIR" ]; then
    echo "skipped: scripts/bench acct (no source directory given)"
elif [ ! -x /usr/lib/postgresql/15/bin/initdb ] || ! command -v psql >/dev/null; then
    echo "skipped: scripts/bench acct (PostgreSQL 15 not installed)"
else
    acct_out=$(GH_BENCH_GATEHOUSE=$GATEHOUSE GH_BENCH_DURATION=2 GH_BENCH_USERS=200 \
        GH_BENCH_WINDOW=64 timeout 90 "$SOURCE_DIR/scripts/bench" acct 2>&1)
    rc=$?
    # server requests/s p50 p99 timeouts errors starts-sent answered radacct closed durable
    row=$(awk '/^gatehouse / && NF >= 11' <<<"$acct_out" | tr -d ,)
    read -r _ _ _ _ _ _ sent answered rows _ verdict _ <<<"$row"
    # "ok": answered <= rows <= sent (a Start that timed out may or may not be stored).
    if [ $rc -ne 0 ] || [ "${verdict:-}" != ok ] || [ "${answered:-0}" -le 0 ] ||
        [ "$rows" -lt "$answered" ] || [ "$rows" -gt "$sent" ]; then
        echo "FAIL: scripts/bench acct: rc=$rc"
        echo "$acct_out"
        fail=1
    else
        echo "ok: scripts/bench acct: $sent Starts sent, $answered answered, $rows sessions in radacct"
    fi
fi
# scripts/bench pool, small: it exits 1 and prints !!! when an Accept lacks an address, a login
# is rejected or times out, or the pool's rows do not hold one address per pool user; the
# first-logins row must show all 200 Accepts carrying an address.
if [ -z "$SOURCE_DIR" ]; then
    echo "skipped: scripts/bench pool (no source directory given)"
elif [ ! -x /usr/lib/postgresql/15/bin/initdb ] || ! command -v psql >/dev/null; then
    echo "skipped: scripts/bench pool (PostgreSQL 15 not installed)"
else
    pool_out=$(GH_BENCH_GATEHOUSE=$GATEHOUSE GH_BENCH_DURATION=1 GH_BENCH_WARMUP=1 \
        GH_BENCH_USERS=200 GH_BENCH_WINDOW=64 timeout 120 "$SOURCE_DIR/scripts/bench" pool 2>&1)
    rc=$?
    # pass(3 words) requests/s p50 p95 p99 accepts with-IP rejects timeouts errors ...
    read -r _ _ _ _ _ _ _ accepts with_ip rejects _ <<<"$(grep '^pool: first logins' <<<"$pool_out" | tr -d ,)"
    read -r _ _ _ _ _ _ _ s_accepts s_with_ip _ <<<"$(grep '^static: first logins' <<<"$pool_out" | tr -d ,)"
    if [ $rc -ne 0 ] || [ "${accepts:-}" != 200 ] || [ "${with_ip:-}" != 200 ] ||
        [ "${rejects:-}" != 0 ] || [ "${s_accepts:-}" != 200 ] || [ "${s_with_ip:-}" != 200 ] ||
        ! grep -q '^checks: every Accept carried a Framed-IP-Address' <<<"$pool_out"; then
        echo "FAIL: scripts/bench pool: rc=$rc"
        echo "$pool_out"
        fail=1
    else
        echo "ok: scripts/bench pool: 200 pool and 200 static logins, each Accept with an address"
    fi
fi
exit $fail
