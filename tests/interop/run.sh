#!/usr/bin/env bash
# The interoperability suite: a real `sigil serve` (debug binary) on a random loopback port
# with a throw-away data directory, users and clients made with the CLI, then openid-client
# (and headless Chromium through playwright-core) against it with `node --test`.
#
#   ./tests/interop/run.sh                          # everything
#   ./tests/interop/run.sh test/refresh.test.js     # some files (relative to tests/interop)
#   ./tests/interop/run.sh test/code-flow.test.js --test-name-pattern=userinfo   # one test
#   INTEROP_KEEP=1 ./tests/interop/run.sh           # keep the temp dir (server log, data)
#   INTEROP_SCREENSHOTS=DIR ./tests/interop/run.sh  # PNGs of the pages the browser test sees
#
# Installs what it needs when missing: the npm packages (npm ci, from package-lock.json) and,
# as root on Debian, Chromium (apt-get). Needs `cargo build --bin sigil` first.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
cd "$HERE"

log() { printf '[interop] %s\n' "$*" >&2; }

# --- npm packages: only when node_modules is missing or was installed from another lockfile
# (under a lock, so parallel runs do not install over each other).
lock_hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [[ ! -f node_modules/.sigil-lock-hash || "$(cat node_modules/.sigil-lock-hash)" != "$lock_hash" ]]; then
  (
    flock 9
    if [[ ! -f node_modules/.sigil-lock-hash || "$(cat node_modules/.sigil-lock-hash)" != "$lock_hash" ]]; then
      log "npm ci (node_modules missing or stale)"
      PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
      echo "$lock_hash" > node_modules/.sigil-lock-hash
    fi
  ) 9>"${TMPDIR:-/tmp}/sigil-interop-npm.lock"
fi

# --- Chromium from Debian (playwright-core never downloads a browser here).
CHROMIUM="${INTEROP_CHROMIUM:-/usr/bin/chromium}"
if [[ ! -x "$CHROMIUM" && "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
  log "installing Chromium with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  pkgs=(chromium fonts-liberation)
  apt_install() { apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends "${pkgs[@]}" >/dev/null; }
  if ! apt_install; then
    apt-get update -q -o DPkg::Lock::Timeout=300 >/dev/null || true
    apt_install || log "WARNING: apt-get install chromium failed"
  fi
fi
if [[ -x "$CHROMIUM" ]]; then
  export INTEROP_CHROMIUM="$CHROMIUM"
else
  log "WARNING: no Chromium at $CHROMIUM (not root, or the install failed): the browser test will be skipped"
  export INTEROP_CHROMIUM=""
fi

# --- The sigil binary.
target_dir="${CARGO_TARGET_DIR:-$REPO/target}"
[[ "$target_dir" = /* ]] || target_dir="$REPO/$target_dir"
SIGIL="$target_dir/debug/sigil"
if [[ ! -x "$SIGIL" ]]; then
  log "no sigil binary at $SIGIL: run 'cargo build --bin sigil' first"
  exit 1
fi

# --- A private temp dir and a server that is always stopped.
WORK="$(mktemp -d "${TMPDIR:-/tmp}/sigil-interop.XXXXXX")"
DATA="$WORK/data"
SERVER_PID=""
cleanup() {
  local rc=$?
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [[ $rc -ne 0 && -f "$WORK/server.log" ]]; then
    log "server log (last 40 lines):"
    tail -n 40 "$WORK/server.log" >&2 || true
  fi
  if [[ -n "${INTEROP_KEEP:-}" ]]; then
    log "kept $WORK"
  else
    rm -rf "$WORK"
  fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# (Sigil reads every SIGIL_* variable as configuration: the suite's own use INTEROP_*.)
# Cheap password hashing, loopback jwks_uri allowed, a short device polling interval; the
# server and the CLI read the same settings. Run in $WORK so no ./sigil.toml is picked up.
export SIGIL_PASSWORDS__MEMORY_KIB=1024
export SIGIL_PASSWORDS__ITERATIONS=1
export SIGIL_SERVER__OUTBOUND__ALLOW_PRIVATE_NETWORKS=true
export SIGIL_TOKENS__DEVICE_POLL_INTERVAL=1
# Status lists re-signed on every fetch, so a revocation shows at once.
export SIGIL_CREDENTIALS__STATUS_LIST_TTL=0
# Credentials and status lists carry x5c from the issuer CA (vci.test.js checks it).
export SIGIL_CREDENTIALS__X5C=true
# Server-provided DPoP nonces (RFC 9449 §8, §9), as HAIP wallets must handle them.
export SIGIL_CREDENTIALS__DPOP_NONCE=true
export SIGIL_LOG__FILTER="${SIGIL_LOG__FILTER:-info,sqlx=warn,tower_http=warn}"
# A wallet provider whose wallet attestations the token endpoint accepts (not required, so
# anonymous wallets still redeem offers; wallet-attestation.test.js signs with its key).
node "$HERE/lib/make-wallet-provider.mjs" "$WORK/wallet-provider-ca.pem" "$WORK/wallet-provider.json"
export SIGIL_CREDENTIALS__WALLET_PROVIDERS="[\"$WORK/wallet-provider-ca.pem\"]"

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

sigil() { (cd "$WORK" && "$SIGIL" --data-dir "$DATA" "$@"); }

# Start the server; a port taken between picking and binding is retried with another.
started=""
for attempt in 1 2 3 4 5; do
  PORT="$(free_port)"
  ISSUER="http://127.0.0.1:$PORT"
  # The CLI's credential offers name the issuer the server runs as.
  export SIGIL_SERVER__ISSUER="$ISSUER"
  (cd "$WORK" && NO_COLOR=1 exec "$SIGIL" --data-dir "$DATA" serve --listen "127.0.0.1:$PORT" --issuer "$ISSUER") \
    >"$WORK/server.log" 2>&1 &
  SERVER_PID=$!
  if node "$HERE/lib/wait-ready.mjs" "$ISSUER/readyz" "$SERVER_PID" 30000; then
    started=1
    break
  fi
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    log "server did not become ready in time"
    exit 1
  fi
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
  if grep -qi "address already in use\|listening on" "$WORK/server.log"; then
    log "port $PORT was taken; retrying ($attempt)"
    continue
  fi
  log "server exited at start-up:"
  cat "$WORK/server.log" >&2
  exit 1
done
[[ -n "$started" ]] || { log "could not start the server"; exit 1; }
log "sigil serve ready at $ISSUER (pid $SERVER_PID, data $DATA)"

# The relying party's own origin (redirect URIs); the browser test listens there.
RP_PORT="$(free_port)"
RP="http://127.0.0.1:$RP_PORT"

# --- Users (one per area, so tests never share sessions or consents).
PASSWORD="correct horse battery staple"
for u in alice bob carol dave erin frank grace henry ivy judy kate liam; do
  printf '%s\n' "$PASSWORD" | sigil user create "$u" --password-stdin --email "$u@example.com" --email-verified \
    --name "${u^} Example" --json >"$WORK/user-$u.json"
done

# --- Clients.
# Key pairs for private_key_jwt: one client registers its public key as a JWK Set file, the
# other a jwks_uri on loopback that the test serves (JWKS_PORT) while it runs.
for k in pkjwt pkjwt-uri; do
  node "$HERE/lib/make-keys.mjs" "$WORK/key-$k-private.jwk.json" "$WORK/key-$k-jwks.json"
done
JWKS_PORT="$(free_port)"

sigil client create --name "Interop Web App" \
  --redirect-uri "$RP/cb" --post-logout-redirect-uri "$RP/logged-out" \
  --grant-type authorization_code --grant-type refresh_token --json >"$WORK/client-web.json"
sigil client create --name "Interop Browser App" --redirect-uri "$RP/browser-cb" --json >"$WORK/client-browser.json"
# A client that hears of sign-outs: logout tokens POSTed to a loopback listener the logout test
# runs (LOGOUT_PORT), and its front-channel page framed by the signed-out page (the browser test).
LOGOUT_PORT="$(free_port)"
sigil client create --name "Interop Logout App" \
  --redirect-uri "$RP/logout-cb" --post-logout-redirect-uri "$RP/logged-out" \
  --backchannel-logout-uri "http://127.0.0.1:$LOGOUT_PORT/backchannel" \
  --frontchannel-logout-uri "$RP/frontchannel" --json >"$WORK/client-logout.json"
sigil client create --name "Interop Service (basic)" --grant-type client_credentials \
  --scope "api:read api:write" --token-endpoint-auth-method client_secret_basic --json >"$WORK/client-svc-basic.json"
sigil client create --name "Interop Service (post)" --grant-type client_credentials \
  --scope "api:read" --token-endpoint-auth-method client_secret_post --json >"$WORK/client-svc-post.json"
sigil client create --name "Interop Service (private_key_jwt)" --grant-type client_credentials \
  --scope "api:read" --token-endpoint-auth-method private_key_jwt --jwks "$WORK/key-pkjwt-jwks.json" \
  --json >"$WORK/client-pkjwt.json"
sigil client create --name "Interop Service (private_key_jwt, jwks_uri)" --grant-type client_credentials \
  --scope "api:read" --token-endpoint-auth-method private_key_jwt --jwks-uri "http://127.0.0.1:$JWKS_PORT/jwks.json" \
  --json >"$WORK/client-pkjwt-uri.json"
# A wallet app (public client) for the OpenID4VCI authorization code flow.
sigil client create --name "Interop Wallet" --public --redirect-uri "$RP/wallet-cb" --json >"$WORK/client-wallet.json"
sigil client create --name "Interop TV" --public \
  --grant-type urn:ietf:params:oauth:grant-type:device_code --grant-type refresh_token \
  --json >"$WORK/client-device.json"

# Everything the tests need, in one file.
node "$HERE/lib/write-env.mjs" "$WORK" "$ISSUER" "$RP" "$RP_PORT" "$JWKS_PORT" "$PASSWORD" "$SIGIL" "$DATA" "$LOGOUT_PORT" >"$WORK/interop.json"
export INTEROP_ENV="$WORK/interop.json"

# The server picks up CLI changes within about a second: wait until the last client is known.
node "$HERE/lib/wait-clients.mjs" "$WORK/interop.json" 10000

# --- The tests. Arguments: test files and/or node --test options (e.g. --test-name-pattern=…).
files=()
opts=()
for a in "$@"; do
  if [[ "$a" == -* ]]; then opts+=("$a"); else files+=("$a"); fi
done
[[ ${#files[@]} -gt 0 ]] || files=(test/*.test.js)
log "running ${#files[@]} test file(s)"
node --test --test-reporter=spec --test-timeout=120000 --test-force-exit ${opts[@]+"${opts[@]}"} "${files[@]}"
