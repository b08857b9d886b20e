#!/usr/bin/env bash
# The management API on a big store: one Sigil node (release build, core 0) on PostgreSQL
# seeded with USERS users (`sigil store seed`), the load generator on core 1. Measures the
# latency of looking users up (by username, by e-mail, by id) and of listing pages of 50 by a
# name prefix, one request at a time; the same for SCIM filters (`/scim/v2/Users?filter=…`
# with a provisioning token); then users created per second over CONNS connections.
# Writes bench/API.md.
#
#   bench/api.sh        (env: USERS=1000000 SAMPLES=2000 DURATION=10 WARMUP=2 CONNS=16
#                        PG=postgres://postgres@127.0.0.1:5432)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
USERS=${USERS:-1000000}
SAMPLES=${SAMPLES:-2000}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONNS=${CONNS:-16}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}

(cd "$ROOT" && cargo build --release --quiet --bin sigil --bin sigil-bench)
SIGIL=$TARGET/release/sigil
BENCH=$TARGET/release/sigil-bench
WORK=$(mktemp -d)
DB="sigil_api_bench_$$"
PID=""
cleanup() {
  [[ -n "$PID" ]] && kill "$PID" 2>/dev/null || true
  psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
. "$(dirname "${BASH_SOURCE[0]}")/limits.sh"
head -c 32 /dev/urandom | basenc --base64url | tr -d = > "$WORK/master.key"
export SIGIL_SECRETS__MASTER_KEY_FILE=$WORK/master.key
URL="$PG/$DB"
psql "$PG/postgres" -qc "CREATE DATABASE $DB" >/dev/null
echo "[api] seeding $USERS users" >&2
SEED_T0=$(date +%s)
"$SIGIL" --database-url "$URL" store seed --users "$USERS" --clients 1 --refresh-tokens 0 >&2
SEED_S=$(( $(date +%s) - SEED_T0 ))
ADMIN=$("$SIGIL" --database-url "$URL" client create --name bench-admin --admin --json)
ID=$(printf '%s' "$ADMIN" | python3 -c 'import json,sys; print(json.load(sys.stdin)["client_id"])')
SECRET=$(printf '%s' "$ADMIN" | python3 -c 'import json,sys; print(json.load(sys.stdin)["client_secret"])')
SCIM_TOKEN=$("$SIGIL" --database-url "$URL" scim token create --name bench --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
taskset -c 0 "$SIGIL" --database-url "$URL" serve --listen "127.0.0.1:$PORT" --issuer "$BASE" > "$WORK/sigil.log" 2>&1 &
PID=$!
for _ in $(seq 1 3000); do curl -fs -o /dev/null "$BASE/readyz" && break; sleep 0.01; done
TOKEN=$(curl -fs -u "$ID:$SECRET" -d grant_type=client_credentials "$BASE/token" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
taskset -c 1 "$BENCH" api --base "$BASE" --token "$TOKEN" --seeded-users "$USERS" --samples "$SAMPLES" --scim-token "$SCIM_TOKEN" \
  --connections "$CONNS" --duration "$DURATION" --warmup "$WARMUP" > "$WORK/api.json"

python3 - "$WORK/api.json" "$USERS" "$SAMPLES" "$CONNS" "$SEED_S" "$(date -u +%F)" > "$ROOT/bench/API.md" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
users, samples, conns, seed_s = (int(x) for x in sys.argv[2:6])
measured = sys.argv[6]
print("# The management API on a big store\n")
print(f"`bench/api.sh`: one Sigil node (release build, core 0) on PostgreSQL seeded with {users:,} users "
      f"(`sigil store seed`, {seed_s} s), the load generator on core 1, rate limits on but raised "
      f"above what one machine sends (`bench/limits.sh`). Every request carries a client-credentials "
      f"access token, verified on each call.\n")
print(f"Latency, one request at a time, {samples:,} random seeded users each:\n")
print("| request | p50 ms | p99 ms | max ms |")
print("|---|---:|---:|---:|")
for key, name in [("lookup_by_username", "`GET /users?username_prefix=seedN&limit=1`"),
                  ("lookup_by_email", "`GET /users?email=…`"),
                  ("read_by_id", "`GET /users/{id}`"),
                  ("list_first_page", "`GET /users?username_prefix=seedNN&limit=50` (first page)"),
                  ("list_next_page", "the same, next page (`after=` its cursor)")]:
    l = r["latency"][key]
    print(f"| {name} | {l['p50_ms']} | {l['p99_ms']} | {l['max_ms']} |")
print(f"\nSCIM filters (`GET /scim/v2/Users?filter=…`, with a provisioning token), one request at a "
      f"time; every response counts its `totalResults`:\n")
print("| filter | p50 ms | p99 ms | max ms |")
print("|---|---:|---:|---:|")
for key, name in [("username_eq", '`userName eq "seedN"`'),
                  ("external_id_eq", '`externalId eq "ext-N"`'),
                  ("email_eq", '`emails.value eq "seedN@example.com"`'),
                  ("username_sw_page", "`userName sw \"seedNN\"`, `count=50` (11,111 to 111,112 matches counted)"),
                  ("username_co", '`userName co "N"` (a substring: no index serves it; a tenth of the samples)')]:
    l = r["scim"][key]
    print(f"| {name} | {l['p50_ms']} | {l['p99_ms']} | {l['max_ms']} |")
c = r["create_users"]
print(f"\nUser creation (`POST /users` without a password, so the API and the store rather than "
      f"argon2id), {conns} connections: **{c['per_second']:,.0f} users/s**, p50 {c['p50_ms']} ms, "
      f"p99 {c['p99_ms']} ms, {c['errors']} errors. Each creation is one PostgreSQL transaction "
      f"(the user and its audit event) committed to disk.")
print(f"\nTargets: lookups and pages stay under 5 ms at p99 with a million users. Measured {measured} "
      f"on the 2-core machine of bench/RESULTS.md.")
PY
cat "$ROOT/bench/API.md"
