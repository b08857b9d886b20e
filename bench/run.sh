#!/usr/bin/env bash
# Sigil's benchmark, side by side with the peer OP (../shared/bench/peer-oidc-provider) and
# with the cost of the cryptography itself. Each server is pinned to core 0, the load generator
# to core 1; endpoints take turns, round by round, and ratios are computed per round.
#
#   bench/run.sh [ROUNDS]          (env: DURATION=10 WARMUP=3 CONNS=64 PEER_DIR=…)
#
# Writes bench/RESULTS.md and prints it.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${1:-3}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-3}
CONNS=${CONNS:-64}
PEER_DIR=${PEER_DIR:-$ROOT/../shared/bench/peer-oidc-provider}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}

(cd "$ROOT" && cargo build --release --quiet --bin sigil --bin sigil-bench)
SIGIL=$TARGET/release/sigil
BENCH=$TARGET/release/sigil-bench
# Measured right after the linker wrote it, the binary showed ≈ 4 MiB more resident code at
# idle than once its pages had left the page cache and been read back, as an installed
# binary's are: evict them so the idle RSS is that of an installed binary.
sync "$SIGIL"
python3 -c 'import os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)' "$SIGIL"
WORK=$(mktemp -d)
RESULTS=$WORK/results.jsonl
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
. "$(dirname "${BASH_SOURCE[0]}")/limits.sh"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
json() { python3 -c "import json,sys; print(json.load(open('$1'))['$2'])"; }
wait_http() { # URL
  for _ in $(seq 1 3000); do curl -fs -o /dev/null "$1" && return 0; sleep 0.01; done
  echo "timed out waiting for $1" >&2; return 1
}
record() { # ROUND NAME SERVER JSON
  echo "{\"round\": $1, \"name\": \"$2\", \"server\": \"$3\", \"result\": $4}" >> "$RESULTS"
}
load() { taskset -c 1 "$BENCH" "$@" --connections "$CONNS" --duration "$DURATION" --warmup "$WARMUP"; }

# --- the peer ---------------------------------------------------------------------------
if [[ ! -d "$PEER_DIR/node_modules" ]]; then (cd "$PEER_DIR" && npm ci --silent --no-audit --no-fund); fi
PEER_PORT=$(free_port)
QUIET=1 KEYS_FILE=$WORK/peer-keys.json taskset -c 0 "$PEER_DIR/start.sh" "$PEER_PORT" > "$WORK/peer.log" 2>&1 &
PIDS+=($!)
PEER=http://127.0.0.1:$PEER_PORT
wait_http "$PEER/.well-known/openid-configuration"
PEER_CLIENT=bench-client:bench-secret-0123456789abcdef

# --- Sigil --------------------------------------------------------------------------------
DATA=$WORK/sigil
PORT=$(free_port)
BASE=http://127.0.0.1:$PORT
"$SIGIL" --data-dir "$DATA" client create --name bench --grant-type client_credentials --scope api:read \
  --resource https://rs.example.test/api --json > "$WORK/cc.json"
"$SIGIL" --data-dir "$DATA" client create --name web --redirect-uri https://app.example/cb --first-party --json > "$WORK/web.json"
echo 'bench passphrase 1' | "$SIGIL" --data-dir "$DATA" user create bench --password-stdin > /dev/null
CC="$(json "$WORK/cc.json" client_id):$(json "$WORK/cc.json" client_secret)"

start_sigil() {
  taskset -c 0 "$SIGIL" --data-dir "$DATA" serve --listen "127.0.0.1:$PORT" --issuer "$BASE" \
    > "$WORK/sigil.log" 2>&1 &
  SIGIL_PID=$!
  PIDS+=($SIGIL_PID)
}
start_sigil; wait_http "$BASE/readyz"; kill "$SIGIL_PID"; wait "$SIGIL_PID" || true
# Ready time: the median of three starts on the existing store (one start can land on the
# peer's own start-up work on the same core).
READY=()
for _ in 1 2 3; do
  T0=$(date +%s%N); start_sigil; wait_http "$BASE/readyz"; T1=$(date +%s%N)
  READY+=($(( (T1 - T0) / 1000000 )))
  kill "$SIGIL_PID"; wait "$SIGIL_PID" || true
done
READY_MS=$(printf '%s\n' "${READY[@]}" | sort -n | sed -n 2p)
start_sigil; wait_http "$BASE/readyz"
sleep 1
IDLE_RSS_KB=$(awk '/VmRSS/ {print $2}' "/proc/$SIGIL_PID/status")
IDLE_ANON_KB=$(awk '/RssAnon/ {print $2}' "/proc/$SIGIL_PID/status")

# --- the cost of the cryptography, on the servers' core --------------------------------------
CRYPTO=$(taskset -c 0 "$BENCH" crypto --seconds 3)
record 0 crypto sigil "$CRYPTO"

SIGIL_AT=$(curl -fs -u "$CC" -d grant_type=client_credentials -d scope=api:read "$BASE/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
for round in $(seq 1 "$ROUNDS"); do
  record "$round" client_credentials sigil "$(load load --base "$BASE" --path /token --basic "$CC" --form 'grant_type=client_credentials&scope=api:read')"
  record "$round" client_credentials peer "$(load load --base "$PEER" --path /token --basic "$PEER_CLIENT" --form 'grant_type=client_credentials&scope=api:read')"
  record "$round" introspection sigil "$(load load --base "$BASE" --path /introspect --basic "$CC" --form "token=$SIGIL_AT")"
  record "$round" introspection peer "$(load load --base "$PEER" --path /token/introspection --basic "$PEER_CLIENT" --form 'token=unknown-opaque-token-0123456789')"
  record "$round" discovery sigil "$(load load --base "$BASE" --path /.well-known/openid-configuration)"
  record "$round" discovery peer "$(load load --base "$PEER" --path /.well-known/openid-configuration)"
  record "$round" authorization_code sigil "$(load code-flow --base "$BASE" --client-id "$(json "$WORK/web.json" client_id)" \
    --client-secret "$(json "$WORK/web.json" client_secret)" --redirect-uri https://app.example/cb --username bench --password 'bench passphrase 1')"
done
record 1 sign_in_c1 sigil "$(taskset -c 1 "$BENCH" sign-in --base "$BASE" --username bench --password 'bench passphrase 1' --connections 1 --duration "$DURATION" --warmup 1)"
record 1 crypto_sign_in sigil "$(taskset -c 0 "$BENCH" crypto --seconds 3)"
record 1 sign_in sigil "$(taskset -c 1 "$BENCH" sign-in --base "$BASE" --username bench --password 'bench passphrase 1' --connections 8 --duration "$DURATION" --warmup 1)"
LOAD_RSS_KB=$(awk '/VmHWM/ {print $2}' "/proc/$SIGIL_PID/status")

MACHINE="$(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB"
python3 "$ROOT/bench/report.py" "$RESULTS" \
  --machine "$MACHINE" --command "bench/run.sh $ROUNDS (DURATION=$DURATION WARMUP=$WARMUP CONNS=$CONNS)" \
  --ready-ms "$READY_MS" --idle-rss-kb "$IDLE_RSS_KB" --idle-anon-kb "$IDLE_ANON_KB" --load-rss-kb "$LOAD_RSS_KB" \
  --keep-from "$ROOT/bench/RESULTS.md" > "$WORK/RESULTS.md"
mv "$WORK/RESULTS.md" "$ROOT/bench/RESULTS.md"
cat "$ROOT/bench/RESULTS.md"
