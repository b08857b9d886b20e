// Usage: node wait-ready.mjs URL PID TIMEOUT_MS
// Polls URL until it answers 200, the process PID is gone (exit 2), or the time is up (exit 1).
const [url, pid, timeoutMs = '30000'] = process.argv.slice(2);
const deadline = Date.now() + Number(timeoutMs);

function alive(p) {
  try {
    process.kill(Number(p), 0);
    return true;
  } catch {
    return false;
  }
}

while (Date.now() < deadline) {
  if (pid && !alive(pid)) process.exit(2);
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    if (res.status === 200) process.exit(0);
  } catch {
    // not listening yet
  }
  await new Promise((r) => setTimeout(r, 50));
}
process.exit(1);
