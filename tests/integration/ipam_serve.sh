#!/usr/bin/env bash
# Pool addresses in Access-Accepts, end to end: a private PostgreSQL, a pool of two addresses
# made with `gatehouse pool add`, a service whose policy answers `ip = { pool = ... }`
# (service.managed_pool, policies/lib/ip.lua), `gatehouse serve --db`, then radclient:
#   - alice and bob each get an address of the pool, not the same one, in a signed Accept
#     (radclient checks the Response Authenticator and Message-Authenticator);
#   - alice again gets her address again (sticky);
#   - carol finds the pool exhausted: Access-Reject, reason "no address" in the server's log;
#   - the pool table shows each address owned by the subscriber that got it;
#   - a static address another subscriber's session holds (its Accounting-Start sent with
#     radclient) is refused on the first two logins and answered with a free address of its
#     /24 on the third, logged as ipam.static_conflict; once that session stops, the static
#     address comes back (lib/ip.lua ip.on_static_conflict, docs/ipam.md).
#   ipam_serve.sh GATEHOUSE SOURCE_DIR
set -u
GATEHOUSE=$1
SOURCE_DIR=$2
command -v radclient >/dev/null || { echo "radclient not installed: skipped"; exit 77; }
[ -x /usr/lib/postgresql/15/bin/initdb ] || { echo "PostgreSQL 15 not installed: skipped"; exit 77; }

WORK=$(mktemp -d /tmp/gh-ipam-serve-XXXXXX)
chmod 0755 "$WORK"
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
gh nas add --name lo --ip 127.0.0.1 --secret testing123 --type mikrotik
gh pool add office 10.77.0.10-10.77.0.11
gh pool add lan 10.78.0.5-10.78.0.6
gh service add --name pooled --download 10M --upload 2M --managed-pool office
gh service add --name plain --download 10M --upload 2M
for u in alice bob carol; do
    gh subscriber add --username "$u" --password "${u}pass" --service pooled
done
gh subscriber add --username dave --password davepass --service plain --static-ip 10.78.0.5
gh subscriber add --username erin --password erinpass --service plain
[ "$FAILED" = 0 ] || exit 1

cat >"$WORK/gatehouse.conf" <<EOF
bind = 127.0.0.1
auth_port = 0
acct_port = 0
workers = 2
policy_dir = $SOURCE_DIR/policies
watch_policies = false
db = "$GATEHOUSE_DB"
key_file = $GATEHOUSE_KEY_FILE
spool_dir = $WORK/spool
metrics_port = 0
EOF
"$GATEHOUSE" serve --config "$WORK/gatehouse.conf" >"$WORK/out" 2>"$WORK/err" &
SERVER_PID=$!
for _ in $(seq 1 100); do
    grep -q '^gatehouse.serve.ready' "$WORK/out" && break
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
done
READY=$(grep '^gatehouse.serve.ready' "$WORK/out") || { echo "server did not start"; cat "$WORK/err"; exit 1; }
AUTH=$(echo "$READY" | sed -n 's/.*auth_port=\([0-9]*\).*/\1/p')
ACCT=$(echo "$READY" | sed -n 's/.*acct_port=\([0-9]*\).*/\1/p')

OUT=
# login USER: radclient's output for a PAP Access-Request (with Message-Authenticator).
login() {
    OUT=$(printf 'User-Name = "%s"\nUser-Password = "%spass"\nMessage-Authenticator = 0x00\n' "$1" "$1" |
        radclient -x -r 2 -t 2 "127.0.0.1:$AUTH" auth testing123 2>&1)
}
address() { echo "$OUT" | sed -n 's/.*Framed-IP-Address = \([0-9.]*\).*/\1/p' | head -1; }

login alice
A1=$(address)
echo "$OUT" | grep -q '^Received Access-Accept' || fail "alice: no Access-Accept"
login bob
B1=$(address)
echo "$OUT" | grep -q '^Received Access-Accept' || fail "bob: no Access-Accept"
case "$A1" in 10.77.0.10 | 10.77.0.11) echo "ok   alice got $A1" ;; *) fail "alice: address '$A1' not of the pool" ;; esac
case "$B1" in 10.77.0.10 | 10.77.0.11) echo "ok   bob got $B1" ;; *) fail "bob: address '$B1' not of the pool" ;; esac
[ "$A1" != "$B1" ] && echo "ok   different addresses" || fail "alice and bob both got '$A1'"

login alice
A2=$(address)
[ "$A2" = "$A1" ] && echo "ok   alice again: $A2 (sticky)" || fail "alice again: '$A2', had '$A1'"

login carol
if echo "$OUT" | grep -q '^Received Access-Reject'; then
    echo "ok   carol: Access-Reject (pool exhausted)"
else
    fail "carol: expected Access-Reject"
    echo "$OUT"
fi
for _ in $(seq 1 20); do
    grep -q 'radius.reject nas=127.0.0.1 user="carol" reason="no address' "$WORK/err" && break
    sleep 0.1
done
grep -q 'radius.reject nas=127.0.0.1 user="carol" reason="no address' "$WORK/err" ||
    fail "carol: no reject log line with reason \"no address ...\""

OWNERS=$(psql -X -q -tA -d "$GATEHOUSE_DB" -c "SELECT host(p.ip) || '=' || s.username FROM
    ip_pool_assignments p JOIN subscribers s ON s.id = p.subscriber_id
    WHERE p.pool_name = 'office' AND p.status = 'in_use' ORDER BY p.ip")
EXPECTED=$(printf '%s\n' "$A1=alice" "$B1=bob" | sort)
[ "$OWNERS" = "$EXPECTED" ] && echo "ok   pool table: $(echo $OWNERS)" ||
    fail "pool table: '$(echo $OWNERS)', expected '$(echo $EXPECTED)'"

# ---- a static address in use by someone else ----------------------------------------------
# acct STATUS: erin's session on 10.78.0.5 (an address handed out before it became dave's).
acct() {
    printf 'User-Name = "erin"\nAcct-Session-Id = "erin-1"\nFramed-IP-Address = 10.78.0.5\nAcct-Status-Type = %s\n' "$1" |
        radclient -r 2 -t 2 "127.0.0.1:$ACCT" acct testing123 >/dev/null 2>&1
}
acct Start || fail "erin: Accounting-Start not answered"
for n in 1 2; do
    login dave
    if echo "$OUT" | grep -q '^Received Access-Reject'; then
        echo "ok   dave login $n: Access-Reject while erin holds 10.78.0.5"
    else
        fail "dave login $n: expected Access-Reject"
        echo "$OUT"
    fi
done
grep -q "radius.reject nas=127.0.0.1 user=\"dave\" reason=\"no address: static ip conflict: 10.78.0.5 is in use by erin session erin-1 (login 2 of 3)\"" "$WORK/err" ||
    fail "dave: no reject line naming the holder and the login"
login dave
D3=$(address)
[ "$D3" = 10.78.0.6 ] && echo "ok   dave login 3: fallback $D3 of the same /24" ||
    fail "dave login 3: address '$D3', expected the fallback 10.78.0.6"
for _ in $(seq 1 20); do
    grep -q 'ipam.static_conflict nas=127.0.0.1 user="dave" static=10.78.0.5' "$WORK/err" && break
    sleep 0.1
done
grep -q 'ipam.static_conflict nas=127.0.0.1 user="dave" static=10.78.0.5 holder="erin session erin-1" login=3 assigned=10.78.0.6' "$WORK/err" &&
    echo "ok   logged for the operator: ipam.static_conflict" || fail "no ipam.static_conflict line"
acct Stop || fail "erin: Accounting-Stop not answered"
login dave
D4=$(address)
[ "$D4" = 10.78.0.5 ] && echo "ok   dave after erin's Stop: his static 10.78.0.5" ||
    fail "dave after erin's Stop: '$D4', expected 10.78.0.5"
RESOLVED=$(psql -X -q -tA -d "$GATEHOUSE_DB" -c "SELECT attempts || ' ' || outcome || ' ' ||
    host(assigned_ip) || ' ' || (resolved_at IS NOT NULL) FROM ip_static_conflicts")
[ "$RESOLVED" = "3 fallback 10.78.0.6 true" ] && echo "ok   ip_static_conflicts: $RESOLVED" ||
    fail "ip_static_conflicts: '$RESOLVED'"

exit $FAILED
