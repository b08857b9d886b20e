#!/usr/bin/env python3
"""Turns bench/run.sh's results into bench/RESULTS.md: figures per endpoint, ratios computed
round by round (the machines' speed drifts), and the issue's targets checked."""
import argparse
import datetime
import json
import statistics


ANALYSIS = """## Where a client-credentials token's time goes

The two throughput targets are not met on this machine. Profiles of the server under this load
(`perf record` on the live process, `valgrind --tool=callgrind` for exact instruction counts;
2026-11-27, same kind of machine) split one token's ≈ 47 µs of server CPU (one core, ≈ 21,000/s)
like this:

| share | what |
|---|---|
| ≈ 35% | the kernel's loopback TCP path, charged to the server: `writev` of the response runs the receiving side's TCP processing and the wake-up of the load generator's thread inline (≈ 14% in `sock_def_readable` alone); one `recvfrom` and one `writev` per request, no other syscalls, 68 context switches a second |
| ≈ 38% | the ES256 signature (aws-lc's P-256), the same operation the crypto line above measures at 17.5 µs |
| ≈ 27% | everything else in user space: HTTP parsing and writing (hyper), routing and middleware, client authentication (SHA-256 of the secret, constant-time compare), claims and JOSE serialisation, the audit event (batched and coalesced, written once a second), metrics |

The kernel share is a property of measuring on loopback in a VM, and the peer pays the same
per-request amount; the user-space share is what Sigil controls. What was done about it:
cross-cutting layers wrap the router once instead of every route (axum re-boxes each route per
`Router::layer` and clones the box per request), the application state is one `Arc`, audit
events of client-credentials tokens are coalesced as they arrive and written once a second
(they had cost ≈ 30% of the core as one row per token), the request span is debug-level (≈ 5%),
and responses go out with `TCP_NODELAY`. Together these took the rate from ≈ 14,000/s to
≈ 20,000/s. The 50%-of-signing target would need the non-signing work below ≈ 17 µs including
the kernel's ≈ 16 µs, which this measurement setup does not allow; the 10×-the-peer target was
calibrated on a machine where the peer ran at ≈ 2,000/s, while here it runs at ≈ 3,600/s.
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--machine")
    ap.add_argument("--command")
    ap.add_argument("--ready-ms", type=int)
    ap.add_argument("--idle-rss-kb", type=int)
    ap.add_argument("--idle-anon-kb", type=int, help="the private (anonymous) part of the idle RSS")
    ap.add_argument("--load-rss-kb", type=int)
    ap.add_argument("--keep-from", help="an earlier RESULTS.md whose sections written by other scripts are kept")
    a = ap.parse_args()
    rows = [json.loads(line) for line in open(a.results)]
    by = {}
    for r in rows:
        by.setdefault((r["name"], r["server"]), []).append(r)
    crypto = by[("crypto", "sigil")][0]["result"]
    es256 = crypto["es256_access_tokens_per_s"]

    def med(name, server, key):
        vals = [r["result"][key] for r in by.get((name, server), [])]
        return statistics.median(vals) if vals else None

    def per_round_ratio(name):
        s = {r["round"]: r["result"]["per_second"] for r in by.get((name, "sigil"), [])}
        p = {r["round"]: r["result"]["per_second"] for r in by.get((name, "peer"), [])}
        ratios = [s[k] / p[k] for k in s if k in p and p[k]]
        return statistics.median(ratios) if ratios else None

    out = []
    out.append("# Benchmark results\n")
    out.append(f"- Machine: {a.machine}")
    out.append(f"- Date: {datetime.date.today().isoformat()}")
    out.append(f"- Command: `{a.command}`")
    out.append("- Each server pinned to core 0 (`taskset -c 0`), the load generator (`sigil-bench`, HTTP/1.1 "
               "keep-alive) to core 1; figures are per core. Peer: panva/oidc-provider 9.13.3 on Node 22 "
               "(`../shared/bench/peer-oidc-provider`). Medians over rounds; ratios computed round by round.\n")
    out.append("| endpoint | Sigil /s | Sigil p50 / p99 ms | peer /s | peer p50 / p99 ms | Sigil ÷ peer |")
    out.append("|---|---:|---:|---:|---:|---:|")
    for name in ["client_credentials", "introspection", "discovery", "authorization_code"]:
        s = med(name, "sigil", "per_second")
        if s is None:
            continue
        p = med(name, "peer", "per_second")
        ratio = per_round_ratio(name)
        out.append(
            f"| {name} | {s:,.0f} | {med(name,'sigil','p50_ms')} / {med(name,'sigil','p99_ms')} | "
            + (f"{p:,.0f} | {med(name,'peer','p50_ms')} / {med(name,'peer','p99_ms')} | {ratio:.1f}× |" if p else "— | — | — |")
        )
    out.append("")
    out.append("`authorization_code` is one full round trip: `GET /authorize` with a session (first-party client, "
               "no consent screen) answered by a code, then `POST /token` redeeming it (PKCE, ID token, access token). "
               f"Each round trip signs an RS256 ID token (the OpenID Connect default), which alone costs "
               f"{1000 / crypto['rs256_signatures_per_s']:.2f} ms here ({crypto['rs256_signatures_per_s']:,.0f}/s), and writes twice "
               "(the code, then its redemption). The peer has no sign-in configured, so it has no figure there. Peer introspection is of an unknown "
               "opaque token (it refuses to introspect its own JWT access tokens); Sigil's is of a live JWT access "
               "token (signature, claims and revocation list checked).\n")
    cc = med("client_credentials", "sigil", "per_second")
    cc_ratio = per_round_ratio("client_credentials")
    sign_in_p50 = by[("sign_in_c1", "sigil")][0]["result"]["p50_ms"]
    # argon2id measured right after the sign-ins, on the same core, when the run has it: the
    # figure drifts by ±10% over a run on a VM, more than the work it is compared with.
    argon = by.get(("crypto_sign_in", "sigil"), [{"result": crypto}])[0]["result"]["argon2id_verify_ms"]
    other = max(0.0, sign_in_p50 - argon) / sign_in_p50 * 100
    sign_in = by[("sign_in", "sigil")][0]["result"]
    out.append("## The cost of the cryptography (same core)\n")
    out.append(f"- One ES256 access token signed with a loaded key (claims serialised, base64url, signature): "
               f"{crypto['es256_token_us']} µs, i.e. {es256:,.0f}/s; the bare signature: {crypto['es256_raw_signatures_per_s']:,.0f}/s.")
    out.append(f"- One RS256 signature (RSA-2048, ID tokens by default): {crypto['rs256_signatures_per_s']:,.0f}/s.")
    out.append(f"- One argon2id verification (m=19456 KiB, t=2, p=1): {argon} ms.\n")
    out.append("## Targets\n")
    out.append("| target | figure | met |")
    out.append("|---|---|---|")
    out.append(f"| client credentials ≥ 50% of the ES256 signing rate | {cc:,.0f}/s = {cc / es256 * 100:.0f}% of {es256:,.0f}/s | {'yes' if cc >= es256 / 2 else 'no'} |")
    out.append(f"| client credentials ≥ 10× the peer | {cc_ratio:.1f}× | {'yes' if cc_ratio >= 10 else 'no'} |")
    out.append(f"| sign-ins bound by argon2id (other work < 10%) | one sign-in (form GET + POST) p50 {sign_in_p50} ms vs argon2id {argon} ms: other work {other:.0f}% | {'yes' if other < 10 else 'no'} |")
    anon = f", of which {a.idle_anon_kb / 1024:.1f} MiB private and the rest the binary's code mapped from its file" if a.idle_anon_kb else ""
    out.append(f"| idle RSS < 30 MB | {a.idle_rss_kb / 1024:.1f} MiB{anon} (peak under load {a.load_rss_kb / 1024:.1f} MiB) | {'yes' if a.idle_rss_kb * 1024 < 30e6 else 'no'} |")
    out.append(f"| ready < 300 ms on an existing store | {a.ready_ms} ms (process start to first `/readyz` 200) | {'yes' if a.ready_ms < 300 else 'no'} |")
    out.append("")
    out.append(f"Sign-ins under concurrency (8 connections): {sign_in['per_second']:,.0f}/s, p50 {sign_in['p50_ms']} ms, "
               f"p99 {sign_in['p99_ms']} ms — argon2id runs on a bounded blocking pool, so the rest of the server stays responsive.")
    out.append("")
    out.append(ANALYSIS)
    if a.keep_from:
        try:
            old = open(a.keep_from).read()
        except FileNotFoundError:
            old = ""
        # Sections other scripts own (write counts, bench/cluster.sh) survive a re-run.
        cut = min((i for i in (old.find("\n## Writes per sign-in"), old.find("<!-- cluster:start -->")) if i >= 0), default=-1)
        if cut >= 0:
            out.append(old[cut:].strip("\n"))
    print("\n".join(out))


if __name__ == "__main__":
    main()
