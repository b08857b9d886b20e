#!/usr/bin/env bash
# The management API against its own OpenAPI document, checked by schemathesis (PyPI): a real
# `sigil serve` (debug binary) on a random loopback port with a throw-away data directory, an
# admin client made with the CLI, and schemathesis generating valid and invalid requests for
# every operation. It fails on any 5xx, any response that does not match the document, and
# any invalid request that is accepted.
#
#   ./tests/api/run.sh                       # the whole run
#   API_EXAMPLES=200 ./tests/api/run.sh      # more examples per operation
#   API_KEEP=1 ./tests/api/run.sh            # keep the temp dir (server log, data, report)
#
# Installs schemathesis into tests/api/.venv (from requirements.txt) when missing or stale.
# Needs `cargo build --bin sigil` first.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
log() { printf '[api] %s\n' "$*" >&2; }

# --- schemathesis in a private virtualenv, rebuilt when requirements.txt changes.
VENV="$HERE/.venv"
req_hash="$(sha256sum "$HERE/requirements.txt" | cut -d' ' -f1)"
(
  flock 9
  if [[ ! -f "$VENV/.sigil-req-hash" || "$(cat "$VENV/.sigil-req-hash")" != "$req_hash" ]]; then
    log "installing schemathesis into $VENV"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$HERE/requirements.txt"
    echo "$req_hash" > "$VENV/.sigil-req-hash"
  fi
) 9>"${TMPDIR:-/tmp}/sigil-api-venv.lock"

target_dir="${CARGO_TARGET_DIR:-$REPO/target}"
[[ "$target_dir" = /* ]] || target_dir="$REPO/$target_dir"
SIGIL="$target_dir/debug/sigil"
[[ -x "$SIGIL" ]] || { log "no sigil binary at $SIGIL: run 'cargo build --bin sigil' first"; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/sigil-api.XXXXXX")"
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
  if [[ -n "${API_KEEP:-}" ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
  exit $rc
}
trap cleanup EXIT

# Schemathesis sends thousands of requests from one address in seconds: rate limits (tested on
# their own) would answer most of them 429 and hide what is being checked here.
export SIGIL_SERVER__RATE_LIMITS__ENABLED=false
export SIGIL_PASSWORDS__MEMORY_KIB=1024
export SIGIL_PASSWORDS__ITERATIONS=1
export SIGIL_LOG__FILTER="${SIGIL_LOG__FILTER:-warn}"
sigil() { (cd "$WORK" && "$SIGIL" --data-dir "$WORK/data" "$@"); }

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

admin="$(sigil client create --name schemathesis --admin --json)"
id="$(printf '%s' "$admin" | "$VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["client_id"])')"
secret="$(printf '%s' "$admin" | "$VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["client_secret"])')"
token="$(curl -fs -u "$id:$secret" -d grant_type=client_credentials "$BASE/token" \
  | "$VENV/bin/python" -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')"
# Some users for the operations that read, change and delete them.
for name in ada alan grace; do
  printf 'correct horse battery staple\n' | sigil user create "$name" --password-stdin --email "$name@example.com" >/dev/null
done

log "schemathesis against $BASE/api/v1/openapi.json"
"$VENV/bin/schemathesis" --config-file "$HERE/schemathesis.toml" run "$BASE/api/v1/openapi.json" \
  --header "Authorization: Bearer $token" \
  --checks all \
  --max-examples "${API_EXAMPLES:-60}" \
  --workers 1 \
  --seed "${API_SEED:-1}" \
  --request-timeout 10 \
  --report "${API_REPORT:-junit}" --report-dir "$WORK/report"
