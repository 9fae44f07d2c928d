#!/usr/bin/env bash
# `gatehouse serve` from PostgreSQL, end to end: a private cluster (scripts/dev-services),
# `gatehouse migrate`, NAS / service / subscribers added through the real CLI, the server started
# with `db =` in its config file and the shipped policies, then FreeRADIUS's radclient:
#   - a NAS that is not in the database yet: dropped, and logged;
#   - `gatehouse nas add` while the server runs: answered within ~2 s, no restart (LISTEN/NOTIFY);
#   - PAP accept with Mikrotik-Rate-Limit; MAC binding accept;
#   - disabled / expired / MAC mismatch rejected, the policy's reason in the server's log;
#   - the NAS's type changed to generic with SQL: the reply switches to Filter-Id / WISPr;
#   - PostgreSQL stopped: still served from memory, logged once; started again: reconnected,
#     and a change made then is live;
#   - --db (or db =) together with --seed: refused; SIGINT: exit 0.
#   store_serve.sh GATEHOUSE SOURCE_DIR
set -u
GATEHOUSE=$1
SOURCE_DIR=$2
command -v radclient >/dev/null || { echo "radclient not installed: skipped"; exit 77; }
[ -x /usr/lib/postgresql/15/bin/initdb ] || { echo "PostgreSQL 15 not installed: skipped"; exit 77; }
command -v psql >/dev/null || { echo "psql not installed: skipped"; exit 77; }

WORK=$(mktemp -d /tmp/gh-store-serve-XXXXXX)
chmod 0755 "$WORK"  # as root, PostgreSQL runs as `postgres` and must reach its data dir
export GH_VAR_DIR=$WORK/var GH_NO_REDIS=1 GH_PG_TCP=0
SERVER_PID=
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
    "$SOURCE_DIR/scripts/dev-services" stop >/dev/null 2>&1
    rm -rf "$WORK"
}
trap cleanup EXIT

"$SOURCE_DIR/scripts/dev-services" start || { echo "FAIL could not start PostgreSQL"; exit 1; }
eval "$("$SOURCE_DIR/scripts/dev-services" env)"
export GATEHOUSE_KEY_FILE=$WORK/gatehouse.key

FAILED=0
fail() {
    echo "FAIL $*"
    FAILED=1
}
gh() {
    "$GATEHOUSE" "$@" >"$WORK/cli.out" 2>&1 || { fail "gatehouse $*"; cat "$WORK/cli.out"; }
}

gh migrate
gh service add --name home --download 20M --upload 5M --filter-id Normal
gh subscriber add --username alice --password wonderland --service home
gh subscriber add --username dave --password davepass --service home --disabled
gh subscriber add --username carol --password carolpass --service home --expires 2020-01-31
gh subscriber add --username bob --password bobpass --service home --mac aa:bb:cc:dd:ee:ff
[ "$FAILED" = 0 ] || exit 1

cat >"$WORK/gatehouse.conf" <<EOF
# written by store_serve.sh
bind = 127.0.0.1
auth_port = 0
acct_port = 0
workers = 2
policy_dir = $SOURCE_DIR/policies
watch_policies = false
db = "$GATEHOUSE_DB"
key_file = $GATEHOUSE_KEY_FILE
EOF

# A database and a seed file at once: one line naming the field, exit 2.
echo '{}' >"$WORK/seed.json"
"$GATEHOUSE" serve --config "$WORK/gatehouse.conf" --seed "$WORK/seed.json" >/dev/null 2>"$WORK/both"
RC=$?
if [ "$RC" = 2 ] && grep -q '^db: .*not both' "$WORK/both"; then
    echo "ok   --seed with db: refused"
else
    fail "--seed with db: exit $RC, $(cat "$WORK/both")"
fi

"$GATEHOUSE" serve --config "$WORK/gatehouse.conf" >"$WORK/out" 2>"$WORK/err" &
SERVER_PID=$!
for _ in $(seq 1 100); do
    grep -q '^gatehouse.serve.ready' "$WORK/out" && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
done
READY=$(grep '^gatehouse.serve.ready' "$WORK/out") || { echo "server did not start"; cat "$WORK/err"; exit 1; }
AUTH=$(echo "$READY" | sed -n 's/.*auth_port=\([0-9]*\).*/\1/p')
echo "$READY"
grep '^gatehouse.serve.store' "$WORK/err"
grep -q '^gatehouse.serve.store nas=0 subscribers=4 decrypt_failures=0' "$WORK/err" ||
    fail "store: expected 0 NAS and 4 subscribers loaded"

LAST_OUT=
GOT=
# send TIMEOUT INPUT: sets GOT to the code of the answer ("none": no answer) and LAST_OUT to
# radclient's output.
send() {
    LAST_OUT=$(printf '%b\n' "$2" | radclient -x -r 1 -t "$1" "127.0.0.1:$AUTH" auth testing123 2>&1)
    GOT=$(echo "$LAST_OUT" | sed -n 's/^Received \([A-Za-z-]*\) .*/\1/p' | head -1)
    GOT=${GOT:-none}
}
# expect NAME WANT INPUT [LOG-PATTERN]: the answer's code, and a line of the server's log.
expect() {
    send 1 "$3"
    if [ "$GOT" != "$2" ]; then
        fail "$1: expected $2, got $GOT"
        echo "$LAST_OUT"
        return
    fi
    if [ -n "${4:-}" ]; then
        for _ in $(seq 1 20); do
            grep -q "$4" "$WORK/err" && break
            sleep 0.1
        done
        grep -q "$4" "$WORK/err" || { fail "$1: no log line matching $4"; return; }
    fi
    echo "ok   $1: $GOT"
}
MA='Message-Authenticator = 0x00'
ALICE="User-Name = \"alice\"\nUser-Password = \"wonderland\"\n$MA"

# 1. 127.0.0.1 is no NAS yet: dropped and logged.
expect "unknown NAS dropped" none "$ALICE" 'radius.drop.unknown_nas nas=127.0.0.1'

# 2. Added while the server runs: answered within ~2 s (4 tries of 0.5 s), without a restart.
gh nas add --name lo --ip 127.0.0.1 --secret testing123 --type mikrotik
for _ in 1 2 3 4; do
    send 0.5 "$ALICE"
    [ "$GOT" = none ] || break
done
if [ "$GOT" = Access-Accept ]; then
    echo "ok   NAS added with the CLI: answered without a restart"
else
    fail "NAS added with the CLI: expected Access-Accept within 2 s, got $GOT"
    echo "$LAST_OUT"
fi

# 2b. RouterOS API credentials through `nas set`: listed as HAS_API yes, never the password; bad
# input exits 2 naming the field.
gh nas set lo --api-user admin --api-password 'pw-not-shown' --api-tls yes
gh nas list
if grep -Eq '^[0-9]+ +lo +127\.0\.0\.1 .* yes +yes$' "$WORK/cli.out" &&
    ! grep -q 'pw-not-shown' "$WORK/cli.out"; then
    echo "ok   nas set --api-*: HAS_API yes, password not shown"
else
    fail "nas set --api-*: $(cat "$WORK/cli.out")"
fi
"$GATEHOUSE" nas set lo --api-port 70000 >"$WORK/cli.out" 2>&1
RC=$?
if [ "$RC" = 2 ] && grep -q "^error: api_port: invalid number '70000'" "$WORK/cli.out"; then
    echo "ok   nas set bad port: exit 2 naming api_port"
else
    fail "nas set bad port: exit $RC, $(cat "$WORK/cli.out")"
fi

# 3. The subscribers.
expect "pap accept (mikrotik)" Access-Accept "$ALICE"
echo "$LAST_OUT" | grep -q 'Mikrotik-Rate-Limit = "5M/20M"' ||
    { fail "pap accept: no Mikrotik-Rate-Limit 5M/20M"; echo "$LAST_OUT"; }
expect "wrong password" Access-Reject "User-Name = \"alice\"\nUser-Password = \"nope\"\n$MA" \
    'radius.reject nas=127.0.0.1 user="alice" reason="bad password"'
expect "disabled" Access-Reject "User-Name = \"dave\"\nUser-Password = \"davepass\"\n$MA" \
    'radius.reject nas=127.0.0.1 user="dave" reason="account disabled"'
expect "expired" Access-Reject "User-Name = \"carol\"\nUser-Password = \"carolpass\"\n$MA" \
    'radius.reject nas=127.0.0.1 user="carol" reason="account expired"'
expect "mac mismatch" Access-Reject \
    "User-Name = \"bob\"\nUser-Password = \"bobpass\"\nCalling-Station-Id = \"11:22:33:44:55:66\"\n$MA" \
    'radius.reject nas=127.0.0.1 user="bob" reason="mac mismatch"'
expect "mac match" Access-Accept \
    "User-Name = \"bob\"\nUser-Password = \"bobpass\"\nCalling-Station-Id = \"AA:BB:CC:DD:EE:FF\"\n$MA"

# 4. The NAS becomes a generic BNG (SQL, as a provisioning system would): Filter-Id and WISPr
#    speeds instead of Mikrotik-Rate-Limit, again without a restart.
psql "$GATEHOUSE_DB" -qc "UPDATE nas_devices SET type = 'generic' WHERE ip = '127.0.0.1'" ||
    fail "psql update"
GENERIC=no
for _ in $(seq 1 20); do
    send 1 "$ALICE"
    if echo "$LAST_OUT" | grep -q 'Filter-Id = "Normal"'; then
        GENERIC=yes
        break
    fi
    sleep 0.1
done
if [ "$GENERIC" = yes ] && ! echo "$LAST_OUT" | grep -q 'Mikrotik-Rate-Limit' &&
    echo "$LAST_OUT" | grep -q 'WISPr-Bandwidth-Max-Down = 20000000'; then
    echo "ok   generic NAS: Filter-Id and WISPr speeds"
else
    fail "generic NAS: expected Filter-Id = \"Normal\", WISPr speeds, no Mikrotik-Rate-Limit"
    echo "$LAST_OUT"
fi

# 5. The database goes away: subscribers are still served from the snapshot in memory, the
#    loss is logged once; when it comes back the loader reconnects, reloads, and a change made
#    then is live again.
"$SOURCE_DIR/scripts/dev-services" stop >/dev/null 2>&1 || fail "dev-services stop"
LOGGED=no
for _ in $(seq 1 50); do
    if grep -q '^store.loader.disconnected' "$WORK/err"; then
        LOGGED=yes
        break
    fi
    sleep 0.1
done
[ "$LOGGED" = yes ] && echo "ok   database down: logged" || fail "database down: no store.loader.disconnected line"
expect "database down: still served from memory" Access-Accept "$ALICE"
"$SOURCE_DIR/scripts/dev-services" start >/dev/null 2>&1 || fail "dev-services start again"
gh subscriber set --username alice --disable
BACK=no
for _ in $(seq 1 50); do
    send 1 "$ALICE"
    if echo "$LAST_OUT" | grep -q 'Received Access-Reject'; then
        BACK=yes
        break
    fi
    sleep 0.1
done
if [ "$BACK" = yes ] && grep -q '^store.loader.reconnected' "$WORK/err"; then
    echo "ok   database back: reconnected, a change made since is live"
else
    fail "database back: alice still accepted after being disabled, or no reconnect logged"
fi

kill -INT "$SERVER_PID"
wait "$SERVER_PID"
RC=$?
SERVER_PID=
if [ "$RC" = 0 ]; then echo "ok   SIGINT: exit 0"; else fail "SIGINT: exit code $RC"; fi
grep '^gatehouse.serve.stopped' "$WORK/err"
[ "$FAILED" = 0 ] || { echo "--- server log"; cat "$WORK/err"; }
exit $FAILED
