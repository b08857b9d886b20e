// Usage: node wait-clients.mjs ENV_FILE TIMEOUT_MS
// Waits until the running server knows every secret-based and public client run.sh created:
// a token request with a bogus grant then fails with anything but invalid_client.
import { readFileSync } from 'node:fs';

const [envFile, timeoutMs = '10000'] = process.argv.slice(2);
const env = JSON.parse(readFileSync(envFile, 'utf8'));
const deadline = Date.now() + Number(timeoutMs);

async function known(c) {
  const body = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'bogus' });
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  switch (c.token_endpoint_auth_method) {
    case 'client_secret_basic':
      headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(c.client_id)}:${encodeURIComponent(c.client_secret)}`).toString('base64')}`;
      break;
    case 'client_secret_post':
      body.set('client_id', c.client_id);
      body.set('client_secret', c.client_secret);
      break;
    case 'none':
      body.set('client_id', c.client_id);
      break;
    default:
      return true; // private_key_jwt: checked by its own test
  }
  const res = await fetch(`${env.issuer}/token`, { method: 'POST', headers, body });
  const json = await res.json().catch(() => ({}));
  return json.error !== 'invalid_client';
}

const pending = new Set(Object.values(env.clients));
while (pending.size > 0) {
  for (const c of [...pending]) if (await known(c)) pending.delete(c);
  if (pending.size === 0) break;
  if (Date.now() > deadline) {
    console.error(`[interop] the server does not know clients: ${[...pending].map((c) => c.client_name).join(', ')}`);
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 100));
}
