#!/bin/bash
# The policy CLI end to end: exit codes and the lines an engineer reads.
# Usage: policy_cli_test.sh GATEHOUSE_BINARY SOURCE_DIR
set -u
GH=$1
SRC=$2
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
failures=0

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
# expect CODE CMD...: runs CMD, keeps its output in $WORK/out, checks the exit code.
expect() {
    local want=$1
    shift
    "$@" >"$WORK/out" 2>&1
    local got=$?
    if [ "$got" != "$want" ]; then
        fail "$* exited $got, expected $want"
        sed 's/^/    /' "$WORK/out"
    fi
}
contains() {
    grep -qF -- "$1" "$WORK/out" || { fail "output lacks: $1"; sed 's/^/    /' "$WORK/out"; }
}

policy() {  # policy DIR MESSAGE: a policy accepting with Reply-Message = MESSAGE, with a test
    mkdir -p "$1"
    cat >"$1/default.lua" <<LUA
function authorize(req, sub, nas)
  if sub == nil then return reject("unknown user") end
  return accept({ ["Reply-Message"] = "$2" }, { session_timeout = 3600 })
end
function accounting(req, sub, nas) return record({}) end
LUA
    cat >"$1/default.test.lua" <<LUA
local t = require("testing")
test("accepts a known user", function()
  local d = authorize(t.request{ ["User-Name"] = "alice" }, t.subscriber{ username = "alice" }, t.nas{})
  t.eq(d.decision, "accept")
end)
test("rejects an unknown user", function()
  local d = authorize(t.request{ ["User-Name"] = "nobody" }, nil, t.nas{})
  t.eq(d.reason, "unknown user")
end)
LUA
}

policy "$WORK/good" "hello"
policy "$WORK/candidate" "bonjour"
mkdir -p "$WORK/syntax"
printf 'function authorize(req, sub, nas)\n  return accept(\nend\n' >"$WORK/syntax/default.lua"
policy "$WORK/failing" "hello"
sed -i 's/t.eq(d.reason, "unknown user")/t.eq(d.reason, "no such user")/' "$WORK/failing/default.test.lua"

cat >"$WORK/alice.json" <<'JSON'
{"code": "Access-Request", "auth_method": "pap", "now": 1700000000,
 "request": {"User-Name": "alice"}, "subscriber": {"username": "alice"},
 "nas": {"name": "bng-1", "ip": "10.0.0.1"}}
JSON
printf '{"request": {"User-Name": "alice"}, "subscriber": {"username": "alice", "enabled": "yes"}}\n' \
    >"$WORK/bad.json"
cat >"$WORK/requests.jsonl" <<'JSON'
{"id": "1", "now": 1, "request": {"User-Name": "alice"}, "subscriber": {"username": "alice"}}
{"id": "2", "now": 1, "request": {"User-Name": "mallory"}}
JSON

# check
expect 0 "$GH" policy check --no-lint "$WORK/good"
contains "compile: ok, 2 files"
contains "lint: skipped (--no-lint)"
expect 1 "$GH" policy check --no-lint "$WORK/syntax"
contains "syntax/default.lua:3:"
expect 1 "$GH" policy check "$WORK/does-not-exist"

# test
expect 0 "$GH" policy test "$WORK/good"
contains "ok   default.test.lua accepts a known user"
contains "2 passed, 0 failed"
expect 1 "$GH" policy test "$WORK/failing"
contains "FAIL default.test.lua rejects an unknown user"
contains "default.test.lua:8:"
contains "1 passed, 1 failed"
expect 1 "$GH" policy test "$WORK/syntax"
contains "default.lua:3:"

# eval
expect 0 "$GH" policy eval --request "$WORK/alice.json" --policy "$WORK/good"
contains "decision: accept"
contains "session_timeout: 3600"
contains '  Reply-Message = "hello"'
expect 2 "$GH" policy eval --request "$WORK/bad.json" --policy "$WORK/good"
contains "subscriber.enabled: expected true or false"
expect 2 "$GH" policy eval --request "$WORK/missing.json" --policy "$WORK/good"
expect 1 "$GH" policy eval --request "$WORK/alice.json" --policy "$WORK/syntax"
contains "default.lua:3:"

# replay
expect 0 "$GH" policy replay --requests "$WORK/requests.jsonl" --policy "$WORK/good" \
    --candidate "$WORK/candidate"
contains "alice (1 of 1 requests changed)"
contains '~ Reply-Message: "hello" -> "bonjour"'
contains "totals: requests 2, changed 1, accept->reject 0, reject->accept 0"
expect 3 "$GH" policy replay --fail-on-change --requests "$WORK/requests.jsonl" \
    --policy "$WORK/good" --candidate "$WORK/candidate"
expect 0 "$GH" policy replay --fail-on-change --requests "$WORK/requests.jsonl" \
    --policy "$WORK/good" --candidate "$WORK/good"
contains "changed 0"
expect 1 "$GH" policy replay --requests "$WORK/requests.jsonl" --policy "$WORK/good" \
    --candidate "$WORK/syntax"

# every option is in --help
expect 0 "$GH" policy replay --help
contains "--fail-on-change"
contains "--candidate"

# The shipped policies and examples, once they exist.
if [ -f "$SRC/policies/default.lua" ]; then
    expect 0 "$GH" policy check --no-lint "$SRC/policies"
    expect 0 "$GH" policy test "$SRC/policies"
    contains " passed, 0 failed"
    for f in "$SRC"/policies/examples/*.json; do
        [ -f "$f" ] || continue
        expect 0 "$GH" policy eval --request "$f" --policy "$SRC/policies"
        contains "decision: "
    done
    if [ -f "$SRC/policies/examples/requests.jsonl" ]; then
        expect 0 "$GH" policy replay --requests "$SRC/policies/examples/requests.jsonl" \
            --policy "$SRC/policies" --candidate "$SRC/policies"
        contains "changed 0"
    fi
fi

if [ "$failures" -ne 0 ]; then
    echo "$failures failure(s)"
    exit 1
fi
echo "policy CLI: all checks passed"
