#!/usr/bin/env bash
# CoA / Disconnect (RFC 5176) end to end: `gatehouse session disconnect|coa` against
#   - FreeRADIUS 3.2 playing the NAS on 127.0.0.1 (a private raddb copy with a `coa` listener,
#     the shared reference real-clients.md §0/§3): it verifies our Request Authenticator and
#     Message-Authenticator (a wrong one is dropped, which would show here as a timeout), ACKs
#     every user but "nosuch", which it NAKs with Error-Cause 503, and logs what it received;
#   - a NAS that never answers: a UDP socket on 127.0.0.2 that reads and drops (the retries
#     must be the same datagram each time);
# with a private PostgreSQL (scripts/dev-services), the schema migrated and sessions in radacct.
#   coa.sh GATEHOUSE SOURCE_DIR
set -u
GATEHOUSE=$1
SOURCE_DIR=$2
command -v freeradius >/dev/null || { echo "freeradius not installed: skipped"; exit 77; }
[ -d /etc/freeradius/3.0 ] || { echo "no /etc/freeradius/3.0: skipped"; exit 77; }
[ -x /usr/lib/postgresql/15/bin/initdb ] || { echo "PostgreSQL 15 not installed: skipped"; exit 77; }
command -v psql >/dev/null || { echo "psql not installed: skipped"; exit 77; }
command -v python3 >/dev/null || { echo "python3 not installed: skipped"; exit 77; }

WORK=$(mktemp -d /tmp/gh-coa-XXXXXX)
chmod 0755 "$WORK"  # PostgreSQL (as postgres) and FreeRADIUS (as freerad) must reach it
export GH_VAR_DIR=$WORK/var GH_NO_REDIS=1 GH_PG_TCP=0
FR_PID=
DROP_PID=
TSHARK_PID=
cleanup() {
    [ -n "$TSHARK_PID" ] && kill "$TSHARK_PID" 2>/dev/null && wait "$TSHARK_PID" 2>/dev/null
    [ -n "$FR_PID" ] && kill "$FR_PID" 2>/dev/null && wait "$FR_PID" 2>/dev/null
    [ -n "$DROP_PID" ] && kill "$DROP_PID" 2>/dev/null && wait "$DROP_PID" 2>/dev/null
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

free_udp_port() {
    python3 -c 'import socket,sys; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind((sys.argv[1], 0)); print(s.getsockname()[1])' "$1"
}

# --- FreeRADIUS as the NAS --------------------------------------------------------------------
FR_PORT=$(free_udp_port 127.0.0.1)
RADDB=$WORK/raddb
cp -a /etc/freeradius/3.0 "$RADDB"
rm -f "$RADDB"/sites-enabled/* "$RADDB"/mods-enabled/eap
sed -i 's/^proxy_requests.*/proxy_requests = no/' "$RADDB/radiusd.conf"
cat >"$RADDB/sites-enabled/nas-standin" <<EOF
listen {
	type = coa
	ipaddr = 127.0.0.1
	port = $FR_PORT
	virtual_server = nas-standin
}
server nas-standin {
	recv-coa {
		if (&User-Name == "nosuch") {
			update reply {
				&Error-Cause := Session-Context-Not-Found
			}
			reject
		}
		else {
			ok
		}
	}
	send-coa {
		ok
	}
}
EOF
freeradius -X -d "$RADDB" >"$WORK/fr.log" 2>&1 &
FR_PID=$!
for _ in $(seq 1 100); do
    grep -q 'Ready to process requests' "$WORK/fr.log" && break
    kill -0 "$FR_PID" 2>/dev/null || break
    sleep 0.1
done
grep -q 'Ready to process requests' "$WORK/fr.log" || {
    echo "FAIL FreeRADIUS did not start"
    tail -20 "$WORK/fr.log"
    exit 1
}

# --- the NAS that never answers ----------------------------------------------------------------
DROP_PORT=$(free_udp_port 127.0.0.2)
python3 -u - "$DROP_PORT" "$WORK/dropped" <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.2", int(sys.argv[1])))
while True:
    data, _ = s.recvfrom(4096)
    with open(sys.argv[2], "a") as f:
        f.write(data.hex() + "\n")
EOF
DROP_PID=$!

# --- PostgreSQL, NASes, sessions ---------------------------------------------------------------
"$SOURCE_DIR/scripts/dev-services" start >/dev/null || { echo "FAIL could not start PostgreSQL"; exit 1; }
eval "$("$SOURCE_DIR/scripts/dev-services" env)"
q() { psql -XAtq -c "$1" 2>>"$WORK/psql.err"; }
gh() {
    "$GATEHOUSE" "$@" >"$WORK/cli.out" 2>&1 || { fail "gatehouse $*"; cat "$WORK/cli.out"; }
}
gh migrate
gh nas add --name fr --ip 127.0.0.1 --secret testing123 --type generic --coa-port "$FR_PORT"
gh nas add --name deaf --ip 127.0.0.2 --secret deafsecret --type mikrotik --coa-port "$DROP_PORT"
[ "$FAILED" = 0 ] || exit 1
q "INSERT INTO radacct (acctsessionid, acctuniqueid, username, nas_id, nasipaddress,
       framedipaddress, acctstarttime, acctupdatetime)
   SELECT v.sid, v.uid, v.username, n.id, n.ip, v.framed::inet, now(), now()
   FROM (VALUES ('81000001', 'u1', 'alice', 'fr', '10.0.0.5'),
                ('81000002', 'u2', 'nosuch', 'fr', NULL),
                ('81000003', 'u3', 'ghost', 'deaf', '10.0.0.7'),
                ('81000004', 'u4', 'carol', 'fr', '10.0.0.9')) AS v(sid, uid, username, nas, framed)
   JOIN nas_devices n ON n.name = v.nas"
q "INSERT INTO radacct (acctsessionid, acctuniqueid, username, nas_id, nasipaddress,
       acctstarttime, acctupdatetime, acctstoptime)
   SELECT 'old1', 'u0', 'carol', id, ip, now() - interval '1 day', now(), now() FROM nas_devices
   WHERE name = 'fr'"
[ "$(q "SELECT count(*) FROM radacct WHERE acctstoptime IS NULL")" = 4 ] || {
    echo "FAIL could not insert sessions"; cat "$WORK/psql.err"; exit 1; }

session() {
    "$GATEHOUSE" session "$@" >"$WORK/out" 2>&1
    RC=$?
}
last_row() { q "SELECT $1 FROM coa_requests ORDER BY id DESC LIMIT 1"; }
# The FreeRADIUS log block of the last request it received.
fr_last() { awk '/Received (Disconnect|CoA)-Request/ { block = "" } { block = block $0 "\n" } END { printf "%s", block }' "$WORK/fr.log"; }

# tshark (when installed) captures the FreeRADIUS exchanges: an independent decoder of what we
# built, and a check of the answers' Response Authenticators with the shared secret.
if command -v tshark >/dev/null; then
    tshark -i lo -f "udp port $FR_PORT" -w "$WORK/cap.pcapng" >/dev/null 2>"$WORK/tshark.err" &
    TSHARK_PID=$!
    for _ in $(seq 1 100); do
        grep -q 'Capturing on' "$WORK/tshark.err" && break
        kill -0 "$TSHARK_PID" 2>/dev/null || break
        sleep 0.1
    done
    grep -q 'Capturing on' "$WORK/tshark.err" || { echo "note: tshark cannot capture: $(cat "$WORK/tshark.err")"; TSHARK_PID=; }
fi

# 1. Disconnect, ACKed: exit 0; the request carried the identifying attributes, MA and
#    Event-Timestamp, and FreeRADIUS (which checks both authenticators) accepted it.
session disconnect alice
if [ "$RC" = 0 ] && grep -q '^disconnect alice session 81000001 on fr: ack$' "$WORK/out"; then
    ok "disconnect alice: ack"
else
    fail "disconnect alice: exit $RC, $(cat "$WORK/out")"
fi
sleep 0.2
FR=$(fr_last)
for want in 'Received Disconnect-Request' 'User-Name = "alice"' 'Acct-Session-Id = "81000001"' \
    'Framed-IP-Address = 10.0.0.5' 'NAS-IP-Address = 127.0.0.1' 'Event-Timestamp = ' \
    'Message-Authenticator = 0x'; do
    grep -qF "$want" <<<"$FR" || fail "FreeRADIUS did not log '$want' for alice"
done
[ "$(last_row "status || ' ' || attempts || ' ' || kind || ' ' || reason")" = "acked 1 disconnect operator" ] ||
    fail "alice row: $(last_row "status || ' ' || attempts")"
# FreeRADIUS logs "Dropping packet ... invalid Message-Authenticator / invalid Request
# Authenticator (Shared secret is incorrect.)" for a request it does not verify (checked by hand).
grep -q 'invalid Message-Authenticator\|invalid Request Authenticator' "$WORK/fr.log" &&
    fail "FreeRADIUS dropped a request it could not verify"

# 2. Disconnect NAKed with Error-Cause 503: exit 1, cause decoded and stored.
session disconnect nosuch
if [ "$RC" = 1 ] && grep -q '^disconnect nosuch session 81000002 on fr: nak 503 Session-Context-Not-Found$' "$WORK/out"; then
    ok "disconnect nosuch: nak 503 Session-Context-Not-Found"
else
    fail "disconnect nosuch: exit $RC, $(cat "$WORK/out")"
fi
[ "$(last_row "status || ' ' || error_cause")" = "naked 503" ] ||
    fail "nosuch row: $(last_row "status || ' ' || error_cause")"

# 3. CoA with a vendor attribute, selected by Acct-Session-Id.
session coa --session 81000004 --attr 'Mikrotik-Rate-Limit=2M/4M' --attr 'Session-Timeout = 3600' --reason fup
if [ "$RC" = 0 ] && grep -q '^coa carol session 81000004 on fr: ack$' "$WORK/out"; then
    ok "coa carol: ack"
else
    fail "coa carol: exit $RC, $(cat "$WORK/out")"
fi
sleep 0.2
FR=$(fr_last)
for want in 'Received CoA-Request' 'User-Name = "carol"' 'Mikrotik-Rate-Limit = "2M/4M"' \
    'Session-Timeout = 3600'; do
    grep -qF "$want" <<<"$FR" || fail "FreeRADIUS did not log '$want' for carol"
done
[ "$(last_row "status || ' ' || kind || ' ' || reason")" = "acked coa fup" ] ||
    fail "carol row: $(last_row "status || ' ' || kind || ' ' || reason")"
grep -q 'old1' "$WORK/fr.log" && fail "a closed session (old1) was sent"

if [ -n "$TSHARK_PID" ]; then
    sleep 0.5
    kill -INT "$TSHARK_PID" 2>/dev/null
    wait "$TSHARK_PID" 2>/dev/null
    TSHARK_PID=
    tshark -r "$WORK/cap.pcapng" -d "udp.port==$FR_PORT,radius" -o radius.shared_secret:testing123 \
        -o radius.validate_authenticator:TRUE -T fields -E separator='|' -e radius.code \
        -e radius.User_Name -e radius.Acct_Session_Id -e radius.Framed-IP-Address \
        -e radius.NAS_IP_Address -e radius.Mikrotik_Rate_Limit -e radius.Error_Cause \
        -e radius.authenticator.valid >"$WORK/tshark.txt" 2>"$WORK/tshark.err"
    # One line per packet: code|user|session|framed|nas-ip|rate|error-cause|valid (answers)
    for want in '^40|alice|81000001|10.0.0.5|127.0.0.1|||$' '^41|||||||1$' \
        '^40|nosuch|81000002||127.0.0.1|||$' '^42||||||503|1$' \
        '^43|carol|81000004|10.0.0.9|127.0.0.1|2M/4M||$' '^44|||||||1$'; do
        grep -q "$want" "$WORK/tshark.txt" || fail "tshark: no packet matching '$want'"
    done
    [ "$(wc -l <"$WORK/tshark.txt")" = 6 ] || fail "tshark saw: $(cat "$WORK/tshark.txt")"
    [ "$FAILED" = 0 ] && ok "tshark decodes the 3 requests and validates the 3 answers"
fi

# 4. The NAS that never answers: 3 identical datagrams, then timeout; the row stays queued.
session disconnect ghost --timeout-ms 100 --attempts 3
if [ "$RC" = 1 ] && grep -q '^disconnect ghost session 81000003 on deaf: timeout after 3 sends (request [0-9]* stays queued' "$WORK/out"; then
    ok "disconnect ghost: timeout after 3 sends"
else
    fail "disconnect ghost: exit $RC, $(cat "$WORK/out")"
fi
for _ in $(seq 1 50); do [ "$(wc -l <"$WORK/dropped" 2>/dev/null || echo 0)" -ge 3 ] && break; sleep 0.1; done
if [ "$(wc -l <"$WORK/dropped")" = 3 ] && [ "$(sort -u "$WORK/dropped" | wc -l)" = 1 ]; then
    ok "deaf NAS got the same datagram 3 times"
else
    fail "deaf NAS got: $(cat "$WORK/dropped")"
fi
[ "$(last_row "status || ' ' || attempts || ' ' || (next_attempt_at > now())")" = "pending 1 true" ] ||
    fail "ghost row: $(last_row "status || ' ' || attempts || ' ' || next_attempt_at")"

# 5. Bad input: no open session; a typo in --attr is refused before anything is queued.
ROWS=$(q "SELECT count(*) FROM coa_requests")
session disconnect nobody
[ "$RC" = 1 ] && grep -q "no open session for user 'nobody'" "$WORK/out" ||
    fail "disconnect nobody: exit $RC, $(cat "$WORK/out")"
session coa alice --attr 'Mikrotik-Rate-Limt=1M'
[ "$RC" = 1 ] && grep -q "unknown attribute 'Mikrotik-Rate-Limt'" "$WORK/out" ||
    fail "coa with a typo: exit $RC, $(cat "$WORK/out")"
session disconnect alice --nas deaf
[ "$RC" = 1 ] && grep -q "no open session for user 'alice' on NAS 'deaf'" "$WORK/out" ||
    fail "disconnect alice --nas deaf: exit $RC, $(cat "$WORK/out")"
[ "$(q "SELECT count(*) FROM coa_requests")" = "$ROWS" ] || fail "a refused command queued a row"
[ "$FAILED" = 0 ] && ok "refusals queue nothing"

# 6. CoA health per NAS (gatehouse nas health): fr acked two and NAKed one; deaf has one
#    pending; nobody has checked either NAS yet.
"$GATEHOUSE" nas health >"$WORK/health" 2>&1 || fail "nas health: exit $?, $(cat "$WORK/health")"
grep -qx 'fr (127.0.0.1)  not checked yet  last seen never' "$WORK/health" &&
    grep -qx '  CoA/Disconnect, last 24h: 2 acked (0 through the API), 1 NAKed, 0 failed, 0 expired, 0 pending; verified 0, unverified 0' "$WORK/health" &&
    grep -q '^  CoA/Disconnect, last 24h: 0 acked (0 through the API), 0 NAKed, 0 failed, 0 expired, 1 pending' "$WORK/health" &&
    grep -q '^  last ack [0-9]*s ago, last failure [0-9]*s ago (nak 503' "$WORK/health" &&
    ok "nas health: per-NAS CoA outcomes" || fail "nas health: $(cat "$WORK/health")"
"$GATEHOUSE" nas health nosuch >"$WORK/health" 2>&1
[ $? = 1 ] && grep -q "no NAS named 'nosuch'" "$WORK/health" || fail "nas health nosuch: $(cat "$WORK/health")"

if [ "$FAILED" != 0 ]; then
    echo "--- FreeRADIUS log (tail)"
    tail -40 "$WORK/fr.log"
    exit 1
fi
echo "PASS coa"
