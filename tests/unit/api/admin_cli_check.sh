#!/bin/sh
# `gatehouse admin add | list | passwd` end to end against a fresh database of the ctest
# PostgreSQL cluster (fixture gh_postgres): bad input exits 2 naming the field, passwords never
# appear in the output, passwd ends the admin's sessions (session_version bumped).
# Usage: admin_cli_check.sh GATEHOUSE_BINARY PG_VAR_DIR
set -eu
bin=$1
pgdir=$2
port=$(cat "$pgdir/postgres/port")
base="host=$pgdir/postgres/run port=$port user=gatehouse"
db="gh_admin_cli_$$"
tmp=$(mktemp -d)
cleanup() {
    psql "$base dbname=gatehouse" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
    rm -rf "$tmp"
}
trap cleanup EXIT
psql "$base dbname=gatehouse" -qc "CREATE DATABASE $db"
export GATEHOUSE_DB="$base dbname=$db"
q() { psql "$GATEHOUSE_DB" -tAc "$1"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

"$bin" migrate >/dev/null
q "INSERT INTO resellers (name) VALUES ('north')" >/dev/null

printf 'root password 123\n' | "$bin" admin add --username root --role superadmin \
    --password-stdin >"$tmp/out" || fail "admin add"
grep -q "admin 'root' added" "$tmp/out" || fail "add output: $(cat "$tmp/out")"
"$bin" admin add --username clerk --role reseller --reseller north \
    --password 'clerk password 1' >/dev/null || fail "admin add --reseller"

set +e
printf 'short\n' | "$bin" admin add --username bob --role viewer --password-stdin 2>"$tmp/err"
rc=$?
set -e
[ "$rc" = 2 ] || fail "short password: exit $rc, want 2"
grep -q "password" "$tmp/err" || fail "short password: no field in: $(cat "$tmp/err")"

set +e
printf 'long enough pw\n' | "$bin" admin add --username bob --role viewer --reseller nowhere \
    --password-stdin 2>"$tmp/err"
rc=$?
set -e
[ "$rc" = 2 ] || fail "unknown reseller: exit $rc, want 2"
grep -q "reseller" "$tmp/err" || fail "unknown reseller: no field in: $(cat "$tmp/err")"

"$bin" admin list >"$tmp/list"
grep -Eq "^[0-9]+ +root +superadmin +- +yes" "$tmp/list" || fail "list: $(cat "$tmp/list")"
grep -Eq "clerk +reseller +north" "$tmp/list" || fail "list: $(cat "$tmp/list")"
if grep -q "password 1" "$tmp/list" "$tmp/out"; then fail "a password was printed"; fi

before=$(q "SELECT session_version FROM admins WHERE username = 'root'")
printf 'a new root password\n' | "$bin" admin passwd root --password-stdin >/dev/null
after=$(q "SELECT session_version FROM admins WHERE username = 'root'")
[ "$after" -eq $((before + 1)) ] || fail "passwd: session_version $before -> $after"
[ "$(q "SELECT count(*) FROM audit_log WHERE admin_username = '(cli)'")" = 3 ] ||
    fail "audit rows: $(q 'SELECT action, after FROM audit_log')"
if q "SELECT after::text FROM audit_log" | grep -q "password 1\|new root"; then
    fail "a password reached the audit log"
fi
echo "admin CLI ok"
