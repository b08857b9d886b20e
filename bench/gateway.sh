#!/usr/bin/env bash
# The gateway's added latency (issue 6): the same GET straight to an upstream and through
# `sigil gateway serve`, side by side, round by round — a public route (path normalisation,
# realm match, no sign-in) and a protected one with a signed-in session (route matching,
# Cedar over the nested realm chain, identity headers). The application is the Northwind
# portal imported from the SiteMinder sample. Servers on core 0, the load generator on core 1.
#
#   bench/gateway.sh [ROUNDS]          (env: DURATION=10 WARMUP=2 CONNS="1 16")
#
# Prints a Markdown table of p50/p99 per path, the gateway's added p50 (gateway − direct, per
# round, then the median over rounds), and the CPU time the gateway and the upstream spent per
# request (from /proc, user + system).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${1:-3}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONNS=${CONNS:-"1 16"}
TARGET=${CARGO_TARGET_DIR:-$ROOT/target}

(cd "$ROOT" && cargo build --release --quiet --bin sigil --bin sigil-bench)
SIGIL=$TARGET/release/sigil
BENCH=$TARGET/release/sigil-bench
WORK=$(mktemp -d)
RESULTS=$WORK/results.jsonl
PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
. "$(dirname "${BASH_SOURCE[0]}")/limits.sh"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_http() { # URL
  for _ in $(seq 1 3000); do curl -s -o /dev/null "$1" && return 0; sleep 0.01; done
  echo "timed out waiting for $1" >&2; return 1
}
json() { python3 -c "import json,sys; print(json.load(open('$1'))['$2'])"; }

UPSTREAM=http://127.0.0.1:$(free_port)
BASE=http://127.0.0.1:$(free_port)
GATEWAY=http://127.0.0.1:$(free_port)
DATA=$WORK/sigil
CORP_EMPLOYEES='cn=employees,ou=groups,dc=northwind,dc=example'

taskset -c 0 "$BENCH" upstream --listen "${UPSTREAM#http://}" > "$WORK/upstream.log" 2>&1 &
PIDS+=($!)
echo "{\"nw-portal-agent\": \"$UPSTREAM\"}" > "$WORK/agents.json"
"$SIGIL" --data-dir "$DATA" import siteminder "$ROOT/crates/sigil-policy/tests/data/northwind-export.xml" \
  --agent-map "$WORK/agents.json" --partial > /dev/null
echo 'bench passphrase 1' | "$SIGIL" --data-dir "$DATA" user create bench --password-stdin > /dev/null
"$SIGIL" --data-dir "$DATA" group create "$CORP_EMPLOYEES" > /dev/null
"$SIGIL" --data-dir "$DATA" group add-member "$CORP_EMPLOYEES" bench > /dev/null
"$SIGIL" --data-dir "$DATA" client create --name gateway --redirect-uri "$GATEWAY/.sigil/callback" \
  --first-party --json > "$WORK/client.json"
json "$WORK/client.json" client_secret > "$WORK/secret"

taskset -c 0 "$SIGIL" --data-dir "$DATA" serve --listen "${BASE#http://}" --issuer "$BASE" > "$WORK/sigil.log" 2>&1 &
PIDS+=($!)
wait_http "$BASE/readyz"
SIGIL_LOG__FILTER=warn taskset -c 0 "$SIGIL" --data-dir "$DATA" gateway serve --app nw-portal-agent \
  --listen "${GATEWAY#http://}" --issuer "$BASE" --client-id "$(json "$WORK/client.json" client_id)" \
  --client-secret-file "$WORK/secret" --directory nw-corporate-ldap > "$WORK/gateway.log" 2>&1 &
PIDS+=($!)
wait_http "$GATEWAY/portal/public/"
"$BENCH" gateway-session --gateway "$GATEWAY" --sigil "$BASE" --path /portal/news \
  --username bench --password 'bench passphrase 1' > "$WORK/session.json"
COOKIE=$(json "$WORK/session.json" cookie)

GATEWAY_PID=${PIDS[-1]}
UPSTREAM_PID=${PIDS[0]}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
load() { taskset -c 1 "$BENCH" load "$@" --duration "$DURATION" --warmup "$WARMUP"; }
record() { # ROUND CONNS NAME LOAD-ARGS…: the load's result with both servers' CPU ticks
  local round=$1 conns=$2 name=$3; shift 3
  local g0 u0 out; g0=$(cpu_ticks "$GATEWAY_PID"); u0=$(cpu_ticks "$UPSTREAM_PID")
  out=$(load "$@" --connections "$conns")
  echo "{\"round\": $round, \"conns\": $conns, \"name\": \"$name\", \"result\": $out, \"gateway_ticks\": $(( $(cpu_ticks "$GATEWAY_PID") - g0 )), \"upstream_ticks\": $(( $(cpu_ticks "$UPSTREAM_PID") - u0 ))}" >> "$RESULTS"
}
for round in $(seq 1 "$ROUNDS"); do
  for conns in $CONNS; do
    record "$round" "$conns" direct --base "$UPSTREAM" --path /portal/news
    record "$round" "$conns" public --base "$GATEWAY" --path /portal/public/index.html
    record "$round" "$conns" protected --base "$GATEWAY" --path /portal/news --header "cookie: $COOKIE"
  done
done

python3 - "$RESULTS" "$(getconf CLK_TCK)" "$DURATION" "$WARMUP" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
tick_us, seconds = 1e6 / int(sys.argv[2]), int(sys.argv[3]) + int(sys.argv[4])
def cpu(r, who):  # µs per request over the whole run (warm-up requests are not counted: an upper bound)
    return r[who + "_ticks"] * tick_us / max(1, r["result"]["completed"] * seconds / int(sys.argv[3]))
print("| connections | path | requests/s | p50 µs | p99 µs | added p50 µs (median of rounds) | gateway CPU µs/request | upstream CPU µs/request |")
print("|---|---|---|---|---|---|---|---|")
for conns in sorted({r["conns"] for r in rows}):
    by = lambda name: [r for r in rows if r["conns"] == conns and r["name"] == name]
    direct = {r["round"]: r["result"] for r in by("direct")}
    for name in ("direct", "public", "protected"):
        res = by(name)
        rate = statistics.median(r["result"]["per_second"] for r in res)
        p50 = statistics.median(r["result"]["p50_ms"] for r in res) * 1000
        p99 = statistics.median(r["result"]["p99_ms"] for r in res) * 1000
        errors = sum(r["result"]["errors"] for r in res)
        added = "" if name == "direct" else round(statistics.median(
            (r["result"]["p50_ms"] - direct[r["round"]]["p50_ms"]) * 1000 for r in res))
        note = f" ({errors} errors)" if errors else ""
        gw = "" if name == "direct" else f"{statistics.median(cpu(r, 'gateway') for r in res):.0f}"
        up = f"{statistics.median(cpu(r, 'upstream') for r in res):.0f}"
        print(f"| {conns} | {name}{note} | {rate:.0f} | {p50:.0f} | {p99:.0f} | {added} | {gw} | {up} |")
PY
