#!/usr/bin/env bash
# scripts/demo with GH_DEMO_NO_SERVE=1 against the built binary (no bootstrap, no build), in a
# private var dir, twice: the second run must find everything there and still succeed; then
# the demo users are checked through the CLI.
#   demo_smoke.sh GATEHOUSE SOURCE_DIR
set -u
GATEHOUSE=$1
SOURCE_DIR=$2
[ -x /usr/lib/postgresql/15/bin/initdb ] || { echo "PostgreSQL 15 not installed: skipped"; exit 77; }
command -v psql >/dev/null || { echo "psql not installed: skipped"; exit 77; }

WORK=$(mktemp -d /tmp/gh-demo-smoke-XXXXXX)
chmod 0755 "$WORK"
export GH_VAR_DIR=$WORK/var GH_GATEHOUSE=$GATEHOUSE GH_DEMO_NO_SERVE=1 GH_DEMO_USERS=50
trap 'GH_NO_REDIS=1 "$SOURCE_DIR/scripts/dev-services" stop >/dev/null 2>&1; rm -rf "$WORK"' EXIT

for run in 1 2; do
    if ! "$SOURCE_DIR/scripts/demo" >"$WORK/run$run.log" 2>&1; then
        echo "FAIL demo run $run"
        cat "$WORK/run$run.log"
        exit 1
    fi
    echo "ok   demo run $run"
done
grep -q 'subscriber alice: already there' "$WORK/run2.log" || { echo "FAIL run 2 re-added alice"; cat "$WORK/run2.log"; exit 1; }
grep -q 'admin admin: already there' "$WORK/run2.log" || { echo "FAIL run 2 re-added the admin"; cat "$WORK/run2.log"; exit 1; }
grep -q 'gatehouse bench pap --server 127.0.0.1 --port 1812 --secret testing123 --users 50' "$WORK/run2.log" ||
    { echo "FAIL no bench line"; exit 1; }

GH_NO_REDIS=1 "$SOURCE_DIR/scripts/dev-services" start >/dev/null
eval "$(GH_NO_REDIS=1 "$SOURCE_DIR/scripts/dev-services" env)"
LIST=$("$GATEHOUSE" subscriber list)
COUNT=$(echo "$LIST" | grep -c '^[0-9]')
[ "$COUNT" = 56 ] || { echo "FAIL expected 56 subscribers, got $COUNT"; echo "$LIST"; exit 1; }
echo "$LIST" | grep -q 'dave .* no$' || { echo "FAIL dave is not disabled"; echo "$LIST"; exit 1; }
echo "ok   56 subscribers (6 demo + 50 bench), dave disabled"
POOLS=$("$GATEHOUSE" pool list)
echo "$POOLS" | grep -q 'office' || { echo "FAIL no pool office"; echo "$POOLS"; exit 1; }
echo "ok   pool office"
