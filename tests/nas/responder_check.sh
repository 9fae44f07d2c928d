#!/usr/bin/env bash
# ctest entry routeros_responder_node: checks tests/nas/routeros_responder.py with npm
# node-routeros 1.6.9 over plain TCP, the legacy challenge login, TLS with a self-signed
# certificate and TLS with anonymous DH. Installs the npm deps (npm ci) when they are missing.
# Exit 77 (skipped) only when node is absent; scripts/bootstrap installs it.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
if ! command -v node >/dev/null 2>&1; then
  echo "SKIP: node is not installed (scripts/bootstrap installs nodejs); responder not checked"
  exit 77
fi
if [ ! -d "$here/node_modules/node-routeros" ]; then
  if ! command -v npm >/dev/null 2>&1; then
    echo "FAIL: node is installed but npm is not (scripts/bootstrap installs it)"
    exit 1
  fi
  echo "installing node-routeros from tests/nas/package-lock.json"
  (cd "$here" && npm ci --no-fund --no-audit --loglevel=error)
fi

work="$(mktemp -d)"
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=gh-test-bng" \
  -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
openssl genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048 -out "$work/dh.pem" 2>/dev/null

# check <mode for node> <responder flags...>
check() {
  local mode="$1"
  shift
  : >"$work/responder.log"
  python3 "$here/routeros_responder.py" --seed "$here/seed.json" "$@" >"$work/responder.log" 2>&1 &
  pid=$!
  local port=""
  for _ in $(seq 100); do
    port="$(awk '/^READY/{print $2}' "$work/responder.log")"
    [ -n "$port" ] && break
    sleep 0.05
  done
  if [ -z "$port" ]; then
    echo "FAIL: responder did not start"
    cat "$work/responder.log"
    exit 1
  fi
  echo "== node-routeros against the responder: $mode $*"
  if ! (cd "$here" && timeout 60 node responder_check.mjs "$port" "$mode"); then
    echo "responder log:"
    cat "$work/responder.log"
    exit 1
  fi
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  pid=""
}

check plain
check plain --legacy-login
check tls --tls-cert "$work/cert.pem" --tls-key "$work/key.pem"
check adh --tls-adh "$work/dh.pem"
echo "all node-routeros checks passed"
