# Shared by the suites that drive a real `sigil serve` (tests/api, tests/scim, tests/hooks).
# Source it after setting NAME (log prefix and temp dir name) and HERE (the suite's folder).
#   require_venv           the suite's requirements.txt in $HERE/.venv, rebuilt when it changes
#   start_sigil            a debug `sigil serve` on a random loopback port with a throw-away data
#                          directory in $WORK; sets BASE; stopped (and its log shown on failure)
#                          when the script exits; ${NAME^^}_KEEP=1 keeps $WORK
#   sigil ARGS…            the CLI against the same data directory
#   json_field NAME        one field of the JSON object on stdin

REPO="$(cd "$HERE/../.." && pwd)"
log() { printf '[%s] %s\n' "$NAME" "$*" >&2; }
json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

require_venv() {
  VENV="$HERE/.venv"
  local req_hash
  req_hash="$(sha256sum "$HERE/requirements.txt" | cut -d' ' -f1)"
  (
    flock 9
    if [[ ! -f "$VENV/.sigil-req-hash" || "$(cat "$VENV/.sigil-req-hash")" != "$req_hash" ]]; then
      log "installing $HERE/requirements.txt into $VENV"
      rm -rf "$VENV"
      python3 -m venv "$VENV"
      "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$HERE/requirements.txt"
      echo "$req_hash" > "$VENV/.sigil-req-hash"
    fi
  ) 9>"${TMPDIR:-/tmp}/sigil-$NAME-venv.lock"
}

target_dir="${CARGO_TARGET_DIR:-$REPO/target}"
[[ "$target_dir" = /* ]] || target_dir="$REPO/$target_dir"
SIGIL="$target_dir/debug/sigil"
[[ -x "$SIGIL" ]] || { log "no sigil binary at $SIGIL: run 'cargo build --bin sigil' first"; exit 1; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/sigil-$NAME.XXXXXX")"
PIDS=()
cleanup() {
  local rc=$?
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [[ $rc -ne 0 && -f "$WORK/server.log" ]]; then
    log "server log (last 30 lines):"
    tail -n 30 "$WORK/server.log" >&2 || true
  fi
  local keep="${NAME^^}_KEEP"
  if [[ -n "${!keep:-}" ]]; then log "kept $WORK"; else rm -rf "$WORK"; fi
  exit $rc
}
trap cleanup EXIT

sigil() { (cd "$WORK" && "$SIGIL" --data-dir "$WORK/data" "$@"); }

start_sigil() {
  local port
  port="$(free_port)"
  BASE="http://127.0.0.1:$port"
  (cd "$WORK" && NO_COLOR=1 exec "$SIGIL" --data-dir "$WORK/data" serve --listen "127.0.0.1:$port" --issuer "$BASE") \
    >"$WORK/server.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  for _ in $(seq 300); do
    curl -fs -o /dev/null "$BASE/readyz" && return 0
    kill -0 "$pid" 2>/dev/null || { log "server exited"; exit 1; }
    sleep 0.1
  done
  log "server not ready"; exit 1
}
