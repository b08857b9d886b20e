#!/usr/bin/env bash
# Event hooks against a receiver written from docs/HOOKS.md in plain Python (receiver.py): a
# real `sigil serve` (debug binary) delivers a user.created event, and the receiver checks
# the signature with the standard library's HMAC, as the documentation tells integrators to.
#
#   ./tests/hooks/run.sh
#
# Needs `cargo build --bin sigil` first, python3 and curl.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NAME=hooks
. "$HERE/../lib.sh"

# Loopback endpoints over http are for tests only.
export SIGIL_HOOKS__ALLOW_HTTP=true
export SIGIL_HOOKS__POLL_INTERVAL_MS=100
export SIGIL_SERVER__OUTBOUND__ALLOW_PRIVATE_NETWORKS=true
export SIGIL_LOG__FILTER="${SIGIL_LOG__FILTER:-warn}"
start_sigil

admin="$(sigil client create --name hooks --admin --json)"
id="$(printf '%s' "$admin" | json_field client_id)"
secret="$(printf '%s' "$admin" | json_field client_secret)"
token="$(curl -fs -u "$id:$secret" -d grant_type=client_credentials "$BASE/token" | json_field access_token)"
api() { curl -fs -H "Authorization: Bearer $token" -H 'Content-Type: application/json' "$@"; }

RPORT="$(free_port)"
api -X POST "$BASE/api/v1/hooks" \
  -d "{\"url\": \"http://127.0.0.1:$RPORT/in\", \"event_types\": [\"user.created\"]}" \
  | json_field secret > "$WORK/secret"
python3 "$HERE/receiver.py" "$RPORT" "$WORK/secret" "$WORK/received.jsonl" &
PIDS+=($!)
sleep 0.5

api -X POST "$BASE/api/v1/users" -d '{"username": "ada"}' >/dev/null
for _ in $(seq 100); do [[ -s "$WORK/received.jsonl" ]] && break; sleep 0.1; done
[[ -s "$WORK/received.jsonl" ]] || { log "no delivery arrived"; exit 1; }
python3 - "$WORK/received.jsonl" <<'PY'
import json, sys
records = [json.loads(line) for line in open(sys.argv[1])]
first = records[0]
assert first["verified"], f"signature refused by the documented recipe: {first}"
assert first["event_type"] == "user.created" and first["event"]["details"]["username"] == "ada", first
assert all(r["event_type"] == "user.created" for r in records), records
print(f"[hooks] {len(records)} delivery verified with the documented recipe", file=sys.stderr)
PY
