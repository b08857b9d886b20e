#!/usr/bin/env bash
# SCIM 2.0 against an independent compliance checker: scim2-tester (PyPI, through scim2-cli)
# drives a real `sigil serve` (debug binary) on a random loopback port with a throw-away data
# directory. It reads the discovery endpoints, then creates, reads, lists, searches,
# replaces, patches (add, remove, replace of every attribute the schemas publish) and
# deletes Users and Groups. Any result other than SUCCESS fails the run.
#
# Two runs: the default tenant with a provisioning token from `sigil scim token create`, and a
# second tenant with an OAuth access token carrying the `scim` scope.
#
#   ./tests/scim/run.sh              # both runs
#   SCIM_KEEP=1 ./tests/scim/run.sh  # keep the temp dir (server log, checker output)
#
# Installs the checker into tests/scim/.venv (from requirements.txt) when missing or stale.
# Needs `cargo build --bin sigil` first.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
log() { printf '[scim] %s\n' "$*" >&2; }

VENV="$HERE/.venv"
req_hash="$(sha256sum "$HERE/requirements.txt" | cut -d' ' -f1)"
(
  flock 9
  if [[ ! -f "$VENV/.sigil-req-hash" || "$(cat "$VENV/.sigil-req-hash")" != "$req_hash" ]]; then
    log "installing scim2-tester into $VENV"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$HERE/requirements.txt"
    echo "$req_hash" > "$VENV/.sigil-req-hash"
  fi
) 9>"${TMPDIR:-/tmp}/sigil-scim-venv.lock"

target_dir="${CARGO_TARGET_DIR:-$REPO/target}"
[[ "$target_dir" = /* ]] || target_dir="$REPO/$target_dir"
SIGIL="$target_dir/debug/sigil"
[[ -x "$SIGIL" ]] || { log "no sigil binary at $SIGIL: run 'cargo build --bin sigil' first"; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/sigil-scim.XXXXXX")"
SERVER_PID=""
cleanup() {
  local rc=$?
  if [[ -n "$SERVER_PID" ]]; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ $rc -ne 0 && -f "$WORK/server.log" ]]; then
    log "server log (last 30 lines):"
    tail -n 30 "$WORK/server.log" >&2 || true
  fi
  if [[ -n "${SCIM_KEEP:-}" ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
  exit $rc
}
trap cleanup EXIT

# The checker sends hundreds of requests in a second or two from one address: rate limits
# (tested on their own) would answer many of them 429.
export SIGIL_SERVER__RATE_LIMITS__ENABLED=false
export SIGIL_PASSWORDS__MEMORY_KIB=1024
export SIGIL_PASSWORDS__ITERATIONS=1
export SIGIL_LOG__FILTER="${SIGIL_LOG__FILTER:-warn}"
sigil() { (cd "$WORK" && "$SIGIL" --data-dir "$WORK/data" "$@"); }
json_field() { "$VENV/bin/python" -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }

PORT="$("$VENV/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
(cd "$WORK" && NO_COLOR=1 exec "$SIGIL" --data-dir "$WORK/data" serve --listen "127.0.0.1:$PORT" --issuer "$BASE") \
  >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 300); do
  curl -fs -o /dev/null "$BASE/readyz" && break
  kill -0 "$SERVER_PID" 2>/dev/null || { log "server exited"; exit 1; }
  sleep 0.1
done

check() {
  local url="$1" token="$2" out="$3"
  log "scim2-tester against $url"
  if ! SCIM_CLI_HEADERS="Authorization: Bearer $token" NO_COLOR=1 \
      "$VENV/bin/scim2" --url "$url" test >"$out" 2>&1; then
    grep -vE '^(SUCCESS|  )' "$out" | head -n 40 >&2 || true
    grep -A3 -E '^(ERROR|CRITICAL|SKIPPED)' "$out" | head -n 60 >&2 || true
    log "the checker reported failures (full output: $out)"
    return 1
  fi
  log "$(grep -c '^SUCCESS' "$out") checks passed"
}

token="$(sigil scim token create --name scim2-tester --json | json_field token)"
check "$BASE/scim/v2" "$token" "$WORK/default.txt"

sigil tenant create acme --name Acme >/dev/null
admin="$(sigil --tenant acme client create --name provisioning --admin --json)"
id="$(printf '%s' "$admin" | json_field client_id)"
secret="$(printf '%s' "$admin" | json_field client_secret)"
access="$(curl -fs -u "$id:$secret" -d grant_type=client_credentials -d scope=scim "$BASE/t/acme/token" | json_field access_token)"
check "$BASE/t/acme/scim/v2" "$access" "$WORK/acme.txt"
