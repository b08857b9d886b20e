// private_key_jwt client authentication (RFC 7523, OIDC Core §9) with openid-client's
// PrivateKeyJwt: keys registered as a JWK Set file, or served at a jwks_uri on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import * as client from 'openid-client';
import { generateKeyPair, importJWK } from 'jose';
import { discover, env, registered, rejectsWithOAuthError } from '../lib/env.js';

const pkjwt = registered('pkjwt');
const pkjwtUri = registered('pkjwt-uri');

async function privateKey(name) {
  const jwk = env.privateJwks[name];
  return { key: await importJWK(jwk, jwk.alg), kid: jwk.kid };
}

test('private_key_jwt (JWK Set registered): client credentials and introspection', async () => {
  assert.equal(pkjwt.token_endpoint_auth_method, 'private_key_jwt');
  const config = await discover('pkjwt', client.PrivateKeyJwt(await privateKey('pkjwt')));
  const tokens = await client.clientCredentialsGrant(config, { scope: 'api:read' });
  assert.equal(tokens.scope, 'api:read');
  assert.ok(tokens.access_token);
  // Every request signs a fresh assertion (new jti), so repeated calls work.
  const intro = await client.tokenIntrospection(config, tokens.access_token);
  assert.equal(intro.active, true);
  assert.equal(intro.client_id, pkjwt.client_id);
  const again = await client.clientCredentialsGrant(config);
  assert.ok(again.access_token);
});

test('private_key_jwt: a replayed assertion (same jti) is refused', async () => {
  const jti = randomUUID();
  const fixed = { [client.modifyAssertion]: (_header, payload) => { payload.jti = jti; } };
  const config = await discover('pkjwt', client.PrivateKeyJwt(await privateKey('pkjwt'), fixed));
  const first = await client.clientCredentialsGrant(config);
  assert.ok(first.access_token, 'the first use of the jti is accepted');
  await rejectsWithOAuthError(client.clientCredentialsGrant(config), 'invalid_client', 'second use of the same jti');
});

test('private_key_jwt: assertions signed by an unregistered key, or for another audience, are refused', async () => {
  const stranger = await privateKey('pkjwt-uri'); // a valid key, but not this client's
  const config = await discover('pkjwt', client.PrivateKeyJwt(stranger));
  await rejectsWithOAuthError(client.clientCredentialsGrant(config), 'invalid_client', 'foreign key');

  const elsewhere = { [client.modifyAssertion]: (_header, payload) => { payload.aud = 'https://other-issuer.example'; } };
  const wrongAud = await discover('pkjwt', client.PrivateKeyJwt(await privateKey('pkjwt'), elsewhere));
  await rejectsWithOAuthError(client.clientCredentialsGrant(wrongAud), 'invalid_client', 'foreign audience');

  const longLived = { [client.modifyAssertion]: (_header, payload) => { payload.exp = payload.iat + 86400; } };
  const tooLong = await discover('pkjwt', client.PrivateKeyJwt(await privateKey('pkjwt'), longLived));
  await rejectsWithOAuthError(client.clientCredentialsGrant(tooLong), 'invalid_client', 'assertion living a day');
});

test('private_key_jwt (jwks_uri on loopback): the key set is fetched, then served from Sigil\'s cache', async (t) => {
  const served = env.publicJwks['pkjwt-uri'];
  let fetches = 0;
  const server = createServer((req, res) => {
    if (req.url !== '/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    fetches++;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(served));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(env.jwksPort, '127.0.0.1', resolve);
  });
  t.after(() => new Promise((resolve) => server.close(resolve)));

  assert.equal(pkjwtUri.token_endpoint_auth_method, 'private_key_jwt');
  const config = await discover('pkjwt-uri', client.PrivateKeyJwt(await privateKey('pkjwt-uri')));
  const tokens = await client.clientCredentialsGrant(config);
  assert.ok(tokens.access_token);
  assert.equal(fetches, 1, 'Sigil fetched the jwks_uri once');
  const again = await client.clientCredentialsGrant(config);
  assert.ok(again.access_token);
  assert.equal(fetches, 1, 'and then used its cached copy');
  // (Key rotation is not tested here: Sigil refetches on an unknown kid at most every 30 s.)

  // A key that is not in the set is refused.
  const { privateKey: stranger } = await generateKeyPair('ES256');
  const wrong = await discover('pkjwt-uri', client.PrivateKeyJwt({ key: stranger, kid: 'not-in-the-set' }));
  await rejectsWithOAuthError(client.clientCredentialsGrant(wrong), 'invalid_client', 'a key outside the set');
});
