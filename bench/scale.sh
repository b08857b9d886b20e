#!/usr/bin/env bash
# Does Sigil on PostgreSQL stay as fast with a big store? Measures client-credentials tokens,
# refresh rotations and introspections per second on a nearly empty store and on one seeded
# with USERS users, CLIENTS clients and TOKENS refresh tokens, plus user lookups by username
# and e-mail on the big one. Writes bench/SCALE.md.
#
#   bench/scale.sh                 (env: USERS=1000000 CLIENTS=10000 TOKENS=5000000
#                                   DURATION=10 WARMUP=3 CONNS=64 PG=postgres://postgres@127.0.0.1:5432)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
USERS=${USERS:-1000000}
CLIENTS=${CLIENTS:-10000}
TOKENS=${TOKENS:-5000000}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-3}
CONNS=${CONNS:-64}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}

(cd "$ROOT" && cargo build --release --quiet --bin sigil --bin sigil-bench)
SIGIL=$TARGET/release/sigil
BENCH=$TARGET/release/sigil-bench
WORK=$(mktemp -d)
DBS=()
PID=""
cleanup() {
  [[ -n "$PID" ]] && kill "$PID" 2>/dev/null || true
  for db in "${DBS[@]:-}"; do [[ -n "$db" ]] && psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
. "$(dirname "${BASH_SOURCE[0]}")/limits.sh"
head -c 32 /dev/urandom | basenc --base64url | tr -d = > "$WORK/master.key"
export SIGIL_SECRETS__MASTER_KEY_FILE=$WORK/master.key
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# run LABEL USERS CLIENTS TOKENS
run() {
  local label=$1 db="sigil_scale_$1_$$"
  DBS+=("$db")
  psql "$PG/postgres" -qc "CREATE DATABASE $db" >/dev/null
  local url="$PG/$db"
  echo "[$label] seeding $2 users, $3 clients, $4 refresh tokens" >&2
  "$SIGIL" --database-url "$url" store seed --users "$2" --clients "$3" --refresh-tokens "$4" >&2
  local port; port=$(free_port)
  local base="http://127.0.0.1:$port"
  taskset -c 0 "$SIGIL" --database-url "$url" serve --listen "127.0.0.1:$port" --issuer "$base" > "$WORK/$label.log" 2>&1 &
  PID=$!
  for _ in $(seq 1 3000); do curl -fs -o /dev/null "$base/readyz" && break; sleep 0.01; done
  local at
  at=$(curl -fs -u seed-client-1:seed-secret-1 -d grant_type=client_credentials "$base/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  local opts=(--connections "$CONNS" --duration "$DURATION" --warmup "$WARMUP")
  local cc refresh introspect
  cc=$(taskset -c 1 "$BENCH" load --base "$base" --path /token --basic seed-client-1:seed-secret-1 --form grant_type=client_credentials "${opts[@]}")
  refresh=$(taskset -c 1 "$BENCH" refresh --base "$base" --seeded-clients "$3" "${opts[@]}")
  introspect=$(taskset -c 1 "$BENCH" load --base "$base" --path /introspect --basic seed-client-1:seed-secret-1 --form "token=$at" "${opts[@]}")
  echo "{\"label\": \"$label\", \"cc\": $cc, \"refresh\": $refresh, \"introspection\": $introspect}" >> "$WORK/results.jsonl"
  if [[ "$label" == big ]]; then
    taskset -c 1 "$BENCH" lookup --database-url "$url" --seeded-users "$2" > "$WORK/lookup.json"
  fi
  kill "$PID"; wait "$PID" 2>/dev/null || true; PID=""
}

run small 1000 100 1000
run big "$USERS" "$CLIENTS" "$TOKENS"

python3 - "$WORK/results.jsonl" "$WORK/lookup.json" "$USERS" "$CLIENTS" "$TOKENS" > "$ROOT/bench/SCALE.md" <<'PY'
import json, sys
rows = {r["label"]: r for r in map(json.loads, open(sys.argv[1]))}
lookup = json.load(open(sys.argv[2]))
users, clients, tokens = (int(x) for x in sys.argv[3:6])
print("# Scale: PostgreSQL with a big store\n")
print(f"`bench/scale.sh`: one Sigil node on PostgreSQL (server on core 0, load generator on core 1, "
      f"PostgreSQL unpinned), first on a nearly empty store (1,000 users, 100 clients, 1,000 refresh "
      f"tokens), then on one seeded with {users:,} users, {clients:,} clients and {tokens:,} refresh "
      f"tokens (`sigil store seed`). 64 keep-alive connections.\n")
print("| endpoint | small store /s | big store /s | big ÷ small | p99 ms small / big |")
print("|---|---:|---:|---:|---:|")
for key, name in [("cc", "client credentials"), ("refresh", "refresh rotation"), ("introspection", "introspection")]:
    s, b = rows["small"][key], rows["big"][key]
    print(f"| {name} | {s['per_second']:,.0f} | {b['per_second']:,.0f} | {b['per_second'] / s['per_second']:.2f} | {s['p99_ms']} / {b['p99_ms']} |")
print()
print(f"User lookups on the big store ({users:,} users), through the storage trait, 5,000 random users each:\n")
print("| lookup | p50 ms | p99 ms | max ms |")
print("|---|---:|---:|---:|")
for key, name in [("by_username", "by username"), ("by_email", "by e-mail")]:
    l = lookup[key]
    print(f"| {name} | {l['p50_ms']} | {l['p99_ms']} | {l['max_ms']} |")
PY
cat "$ROOT/bench/SCALE.md"
