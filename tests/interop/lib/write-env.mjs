// Usage: node write-env.mjs WORK ISSUER RP RP_PORT JWKS_PORT PASSWORD SIGIL DATA_DIR LOGOUT_PORT
// Gathers what run.sh created (users, clients, keys) into one JSON document for the tests.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const [work, issuer, rp, rpPort, jwksPort, password, sigil, dataDir, logoutPort] = process.argv.slice(2);
const read = (f) => JSON.parse(readFileSync(join(work, f), 'utf8'));
const users = {};
const clients = {};
const privateJwks = {};
const publicJwks = {};
for (const f of readdirSync(work)) {
  let m;
  if ((m = /^user-(.+)\.json$/.exec(f))) users[m[1]] = read(f);
  else if ((m = /^client-(.+)\.json$/.exec(f))) clients[m[1]] = read(f);
  else if ((m = /^key-(.+)-private\.jwk\.json$/.exec(f))) privateJwks[m[1]] = read(f);
  else if ((m = /^key-(.+)-jwks\.json$/.exec(f))) publicJwks[m[1]] = read(f);
}
const env = {
  issuer,
  rp,
  rpPort: Number(rpPort),
  password,
  sigil,
  dataDir,
  work,
  users,
  clients,
  jwksPort: Number(jwksPort),
  logoutPort: Number(logoutPort),
  privateJwks,
  publicJwks,
};
process.stdout.write(JSON.stringify(env, null, 2));
