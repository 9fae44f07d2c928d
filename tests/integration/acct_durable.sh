#!/usr/bin/env bash
# Durable accounting end to end (issue 5: "nothing acknowledged is ever lost"), against a real
# private PostgreSQL and `gatehouse serve --db`:
#   1. radclient Start / Interim (with Gigawords) / Stop: answered, one radacct row with the
#      right counters and cause, usage counted once; a repeated Stop changes nothing.
#   2. PostgreSQL stopped: an Interim is still answered (spooled, fsync'd); PostgreSQL started
#      again: the spool is replayed, the row updated, the usage counted once.
#   3. kill -9 of the server mid-load, database up: every Start acknowledged before the kill
#      is in radacct after a restart.
#   4. kill -9 mid-load with PostgreSQL down (everything acknowledged is in the spool only):
#      PostgreSQL and the server started again, every acknowledged Start is in radacct, and
#      each spooled batch was applied exactly once.
#   acct_durable.sh GATEHOUSE SOURCE_DIR
set -u
GATEHOUSE=$1
SOURCE_DIR=$2
command -v radclient >/dev/null || { echo "radclient not installed: skipped"; exit 77; }
[ -x /usr/lib/postgresql/15/bin/initdb ] || { echo "PostgreSQL 15 not installed: skipped"; exit 77; }
command -v psql >/dev/null || { echo "psql not installed: skipped"; exit 77; }

WORK=$(mktemp -d /tmp/gh-acct-durable-XXXXXX)
chmod 0755 "$WORK"
export GH_VAR_DIR=$WORK/var GH_NO_REDIS=1 GH_PG_TCP=0
SERVER_PID=
DEV="$SOURCE_DIR/scripts/dev-services"
cleanup() {
    [ -n "$SERVER_PID" ] && kill -9 "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    "$DEV" stop >/dev/null 2>&1
    rm -rf "$WORK"
}
trap cleanup EXIT

"$DEV" start >/dev/null || { echo "FAIL could not start PostgreSQL"; exit 1; }
eval "$("$DEV" env)"
export GATEHOUSE_KEY_FILE=$WORK/gatehouse.key

FAILED=0
fail() {
    echo "FAIL $*"
    FAILED=1
}
ok() { echo "ok   $*"; }
gh() { "$GATEHOUSE" "$@" >"$WORK/cli.out" 2>&1 || { fail "gatehouse $*"; cat "$WORK/cli.out"; }; }
q() { psql -XAtq -c "$1" 2>>"$WORK/psql.err"; }

gh migrate
gh nas add --name bng --ip 127.0.0.1 --secret testing123 --type mikrotik
gh service add --name home --download 20M --upload 5M
gh subscriber add --username alice --password wonderland --service home
[ "$FAILED" = 0 ] || exit 1

METRICS_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$WORK/gatehouse.conf" <<CONF
bind = 127.0.0.1
auth_port = 0
acct_port = 0
workers = 2
policy_dir = $SOURCE_DIR/policies
watch_policies = false
db = "$GATEHOUSE_DB"
key_file = $GATEHOUSE_KEY_FILE
spool_dir = $WORK/spool
accounting_timeout_ms = 1000
metrics_port = $METRICS_PORT
CONF

start_server() {
    : >"$WORK/out"
    "$GATEHOUSE" serve --config "$WORK/gatehouse.conf" >"$WORK/out" 2>>"$WORK/err" &
    SERVER_PID=$!
    for _ in $(seq 1 100); do
        grep -q '^gatehouse.serve.ready' "$WORK/out" && break
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    ACCT_PORT=$(sed -n 's/.*acct_port=\([0-9]*\).*/\1/p' "$WORK/out")
    AUTH_PORT=$(sed -n 's/.*auth_port=\([0-9]*\).*/\1/p' "$WORK/out")
    [ -n "$ACCT_PORT" ] || { fail "server did not start"; cat "$WORK/err"; exit 1; }
}

# radclient accounting: prints the reply code on success.
acct() {
    printf '%b' "$1" | radclient -x -r 1 -t 3 "127.0.0.1:$ACCT_PORT" acct testing123 >"$WORK/rc.out" 2>&1
}

# Polls SQL until it prints EXPECTED (up to 20 s).
wait_sql() {
    local sql=$1 expected=$2 got=""
    for _ in $(seq 1 200); do
        got=$(q "$sql")
        [ "$got" = "$expected" ] && return 0
        sleep 0.1
    done
    echo "  (last: '$got', wanted '$expected')"
    return 1
}

start_server

# ---- 1. Start / Interim / Stop through radclient -------------------------------------------
BASE='User-Name = "alice"\nAcct-Session-Id = "s1"\nNAS-Port-Id = "ether1"\nFramed-IP-Address = 10.0.0.5\nCalling-Station-Id = "AA:BB:CC:00:00:01"\n'
acct "${BASE}Acct-Status-Type = Start\n" && grep -q 'Accounting-Response' "$WORK/rc.out" ||
    fail "Start not answered: $(cat "$WORK/rc.out")"
acct "${BASE}Acct-Status-Type = Interim-Update\nAcct-Session-Time = 300\nAcct-Input-Octets = 100\nAcct-Input-Gigawords = 1\nAcct-Output-Octets = 5000\n" ||
    fail "Interim not answered"
acct "${BASE}Acct-Status-Type = Stop\nAcct-Session-Time = 600\nAcct-Input-Octets = 200\nAcct-Input-Gigawords = 1\nAcct-Output-Octets = 9000\nAcct-Terminate-Cause = User-Request\n" ||
    fail "Stop not answered"
# Answered means durable: the row is there the moment the Stop was acknowledged.
ROW=$(q "SELECT acctinputoctets, acctoutputoctets, acctsessiontime, acctterminatecause, host(framedipaddress), acctstoptime IS NOT NULL FROM radacct WHERE acctsessionid = 's1'")
if [ "$ROW" = "4294967496|9000|600|User-Request|10.0.0.5|t" ]; then
    ok "Start/Interim/Stop: one closed radacct row, Gigawords counted ($ROW)"
else
    fail "radacct row after Stop: '$ROW'"
fi
USAGE=$(q "SELECT sum(upload), sum(download) FROM subscriber_usage_daily")
[ "$USAGE" = "4294967496|9000" ] && ok "usage counted once: $USAGE" || fail "daily usage '$USAGE'"
acct "${BASE}Acct-Status-Type = Stop\nAcct-Session-Time = 900\nAcct-Input-Octets = 999\nAcct-Terminate-Cause = Lost-Carrier\n" ||
    fail "repeated Stop not answered"
ROW2=$(q "SELECT acctinputoctets, acctsessiontime, acctterminatecause FROM radacct WHERE acctsessionid = 's1'")
[ "$ROW2" = "4294967496|600|User-Request" ] && ok "a repeated Stop changes nothing" ||
    fail "after a repeated Stop: '$ROW2'"

# ---- 2. PostgreSQL down: spooled and acknowledged; up again: replayed once ------------------
"$DEV" stop >/dev/null 2>&1
S2='User-Name = "alice"\nAcct-Session-Id = "s2"\nNAS-Port-Id = "ether2"\n'
acct "${S2}Acct-Status-Type = Interim-Update\nAcct-Session-Time = 60\nAcct-Input-Octets = 7000\nAcct-Output-Octets = 3000\n" &&
    grep -q 'Accounting-Response' "$WORK/rc.out" && ok "database down: Interim still acknowledged" ||
    fail "database down: Interim not answered: $(cat "$WORK/rc.out")"
[ -s "$WORK/spool/accounting.spool" ] && ok "the record is in the spool file" ||
    fail "spool file empty while the database is down"
"$DEV" start >/dev/null 2>&1 || fail "PostgreSQL did not start again"
if wait_sql "SELECT acctinputoctets || '/' || acctoutputoctets FROM radacct WHERE acctsessionid = 's2'" "7000/3000"; then
    ok "database back: the spooled Interim was replayed into radacct"
else
    fail "spooled Interim not replayed"
fi
wait_sql "SELECT sum(upload) FROM subscriber_usage_daily" "4294974496" &&
    ok "replayed usage counted once" || fail "usage after replay"
wait_sql "SELECT count(*) FROM accounting_spool_applied" "1" && ok "replay recorded its batch" ||
    fail "accounting_spool_applied"
# Simultaneous use: the policy sees alice's open session (s2, opened by the replayed Interim)
# and the service allows one.
auth() {
    printf '%b' 'User-Name = "alice"\nUser-Password = "wonderland"\nMessage-Authenticator = 0x00\n' |
        radclient -x -r 1 -t 3 "127.0.0.1:$AUTH_PORT" auth testing123 >"$WORK/auth.out" 2>&1
}
auth
grep -q 'Access-Reject' "$WORK/auth.out" && grep -q 'Already logged in' "$WORK/auth.out" &&
    ok "simultaneous use: a second login while s2 is open is rejected" ||
    fail "simultaneous use: $(grep -E 'Access-|Reply-Message' "$WORK/auth.out")"
acct "${S2}Acct-Status-Type = Stop\nAcct-Session-Time = 90\nAcct-Input-Octets = 7000\nAcct-Output-Octets = 3000\n" ||
    fail "Stop of s2 not answered"
auth
grep -q 'Access-Accept' "$WORK/auth.out" && ok "simultaneous use: after the Stop the login is accepted" ||
    fail "after the Stop: $(grep -E 'Access-|Reply-Message' "$WORK/auth.out")"

# The operator's view of it: `gatehouse status` (from /metrics) and the Prometheus text.
"$GATEHOUSE" status --port "$METRICS_PORT" >"$WORK/status" 2>&1 || fail "gatehouse status: $(cat "$WORK/status")"
grep -q '^accounting  database=up committed=5 .* spooled=1 spool_pending=0 replayed=1 lost=0' "$WORK/status" &&
    ok "gatehouse status: 5 committed, 1 spooled and replayed" || fail "status: $(cat "$WORK/status")"
"$GATEHOUSE" status --port "$METRICS_PORT" --raw | grep -q '^gatehouse_accounting_spooled_records_total 1$' &&
    ok "/metrics: gatehouse_accounting_spooled_records_total 1" || fail "/metrics spooled counter"
wait_sql "SELECT count(*) FROM radius_logs WHERE event = 'acct-stop' AND username = 'alice'" "3" &&
    ok "radius_logs: the three Stops logged" || fail "radius_logs acct-stop events"
wait_sql "SELECT event || ':' || reason FROM radius_logs WHERE event = 'reject'" "reject:simultaneous use limit" &&
    ok "radius_logs: the reject and its reason" || fail "radius_logs reject event"

# ---- 3 and 4. kill -9 mid-load ---------------------------------------------------------------
crash_round() {
    local name=$1 prefix=$2 db_down=$3
    : >"$WORK/acked-$prefix"
    [ "$db_down" = 1 ] && "$DEV" stop >/dev/null 2>&1
    python3 "$SOURCE_DIR/tests/integration/acct_client.py" 127.0.0.1 "$ACCT_PORT" testing123 alice \
        "$prefix" 4000 64 "$WORK/acked-$prefix" --seconds 20 >"$WORK/client-$prefix" 2>&1 &
    local client=$!
    # Kill once a few hundred Starts are acknowledged: mid-load, not before, not after.
    for _ in $(seq 1 200); do
        [ "$(wc -l <"$WORK/acked-$prefix")" -ge 300 ] && break
        sleep 0.05
    done
    kill -9 "$SERVER_PID"
    wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=
    wait "$client"
    local acked
    acked=$(wc -l <"$WORK/acked-$prefix")
    [ "$db_down" = 1 ] && { "$DEV" start >/dev/null 2>&1 || fail "PostgreSQL did not start"; }
    start_server
    if [ "$acked" -lt 300 ]; then
        fail "$name: only $acked Starts acknowledged before the kill ($(cat "$WORK/client-$prefix"))"
        return
    fi
    # Every acknowledged session id must be in radacct (after the spool replay, if any).
    local list
    list=$(sed "s/.*/'&'/" "$WORK/acked-$prefix" | paste -sd, -)
    if wait_sql "SELECT count(DISTINCT acctsessionid) FROM radacct WHERE acctsessionid IN ($list)" "$acked"; then
        ok "$name: all $acked acknowledged Starts are in radacct after kill -9"
    else
        fail "$name: acknowledged Starts missing after kill -9"
    fi
}
crash_round "crash with the database up" up 0
crash_round "crash with the database down" down 1
DUPS=$(q "SELECT count(*) FROM (SELECT spool_id, seq FROM accounting_spool_applied GROUP BY 1, 2 HAVING count(*) > 1) d")
[ "$DUPS" = 0 ] && ok "no spooled batch applied twice" || fail "$DUPS batches applied twice"

kill -TERM "$SERVER_PID"
wait "$SERVER_PID"
RC=$?
SERVER_PID=
[ "$RC" = 0 ] && ok "SIGTERM: exit 0" || fail "SIGTERM: exit $RC"
if [ "$FAILED" != 0 ]; then
    echo "--- server log"
    tail -40 "$WORK/err"
fi
exit "$FAILED"
