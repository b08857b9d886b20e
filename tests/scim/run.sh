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
NAME=scim
. "$HERE/../lib.sh"
require_venv

# The checker sends hundreds of requests in a second or two from one address: rate limits
# (tested on their own) would answer many of them 429.
export SIGIL_SERVER__RATE_LIMITS__ENABLED=false
export SIGIL_PASSWORDS__MEMORY_KIB=1024
export SIGIL_PASSWORDS__ITERATIONS=1
export SIGIL_LOG__FILTER="${SIGIL_LOG__FILTER:-warn}"
start_sigil

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
