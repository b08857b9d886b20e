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
NAME=api
. "$HERE/../lib.sh"
require_venv

# Schemathesis sends thousands of requests from one address in seconds: rate limits (tested on
# their own) would answer most of them 429 and hide what is being checked here.
export SIGIL_SERVER__RATE_LIMITS__ENABLED=false
export SIGIL_PASSWORDS__MEMORY_KIB=1024
export SIGIL_PASSWORDS__ITERATIONS=1
export SIGIL_LOG__FILTER="${SIGIL_LOG__FILTER:-warn}"
start_sigil

admin="$(sigil client create --name schemathesis --admin --json)"
id="$(printf '%s' "$admin" | json_field client_id)"
secret="$(printf '%s' "$admin" | json_field client_secret)"
token="$(curl -fs -u "$id:$secret" -d grant_type=client_credentials "$BASE/token" \
  | json_field access_token)"
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
