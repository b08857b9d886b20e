// The client credentials grant with client_secret_basic and client_secret_post; the access
// tokens are RFC 9068 JWTs that jose verifies against Sigil's JWK Set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { discover, env, registered, rejectsWithOAuthError } from '../lib/env.js';

const basic = registered('svc-basic');
const post = registered('svc-post');

async function verifyAccessToken(config, token) {
  const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri));
  assert.equal(decodeProtectedHeader(token).typ, 'at+jwt', 'RFC 9068 typ');
  const { payload } = await jwtVerify(token, jwks, { issuer: env.issuer, typ: 'at+jwt' });
  return payload;
}

test('client credentials with client_secret_basic', async () => {
  const config = await discover('svc-basic', client.ClientSecretBasic(basic.client_secret));
  const tokens = await client.clientCredentialsGrant(config);
  assert.equal(tokens.token_type.toLowerCase(), 'bearer');
  assert.deepEqual(new Set(tokens.scope.split(' ')), new Set(['api:read', 'api:write']), 'all its scopes by default');
  assert.equal(tokens.refresh_token, undefined);
  assert.equal(tokens.id_token, undefined);
  assert.ok(tokens.expires_in > 0);

  const claims = await verifyAccessToken(config, tokens.access_token);
  assert.equal(claims.client_id, basic.client_id);
  assert.equal(claims.sub, basic.client_id, 'the client acts for itself');
  assert.ok(claims.jti && claims.exp && claims.iat && claims.aud);

  const narrow = await client.clientCredentialsGrant(config, { scope: 'api:read' });
  assert.equal(narrow.scope, 'api:read');
  await rejectsWithOAuthError(client.clientCredentialsGrant(config, { scope: 'openid' }), 'invalid_scope', 'user scopes');
  await rejectsWithOAuthError(client.clientCredentialsGrant(config, { scope: 'api:admin' }), 'invalid_scope', 'unregistered scope');

  const intro = await client.tokenIntrospection(config, tokens.access_token);
  assert.equal(intro.active, true);
  assert.equal(intro.client_id, basic.client_id);
  assert.equal(intro.token_type, 'Bearer');
});

test('token endpoint: JSON, never cached (RFC 6749 §5.1)', async () => {
  const config = await discover('svc-basic');
  const res = await fetch(config.serverMetadata().token_endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(basic.client_id)}:${encodeURIComponent(basic.client_secret)}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^application\/json/);
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.equal(res.headers.get('pragma'), 'no-cache');
  const err = await fetch(config.serverMetadata().token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'password', username: 'x', password: 'y', client_id: basic.client_id }),
  });
  assert.equal(err.status, 400);
  assert.equal((await err.json()).error, 'unsupported_grant_type');
});

test('client credentials with client_secret_post', async () => {
  const config = await discover('svc-post', client.ClientSecretPost(post.client_secret));
  const tokens = await client.clientCredentialsGrant(config, { scope: 'api:read' });
  assert.equal(tokens.scope, 'api:read');
  const claims = await verifyAccessToken(config, tokens.access_token);
  assert.equal(claims.client_id, post.client_id);
});

test('client authentication failures: wrong secret, and a method other than the registered one', async () => {
  const wrong = await discover('svc-basic', client.ClientSecretBasic('not-the-secret'));
  const err = await rejectsWithOAuthError(client.clientCredentialsGrant(wrong), 'invalid_client', 'wrong secret');
  assert.equal(err.status, 401);
  assert.match(err.response?.headers.get('www-authenticate') ?? '', /^Basic/i, 'a Basic challenge (RFC 6749 §5.2)');
  const postAsBasic = await discover('svc-post', client.ClientSecretBasic(post.client_secret));
  await rejectsWithOAuthError(client.clientCredentialsGrant(postAsBasic), 'invalid_client', 'client_secret_post client using Basic');
  const basicAsPost = await discover('svc-basic', client.ClientSecretPost(basic.client_secret));
  await rejectsWithOAuthError(client.clientCredentialsGrant(basicAsPost), 'invalid_client', 'client_secret_basic client using the body');
});
