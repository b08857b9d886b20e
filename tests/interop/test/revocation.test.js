// Revocation (RFC 7009) checked with introspection (RFC 7662), through openid-client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { codeFlow, discover, env, newAgent, registered, rejectsWithOAuthError, user } from '../lib/env.js';

const carol = user('carol');
const web = registered('web');

test('revocation of a refresh token: active before, inactive after, unusable', async () => {
  const config = await discover('web');
  const { tokens } = await codeFlow({ config, agent: newAgent(), u: carol, scope: 'openid offline_access' });
  const rt = tokens.refresh_token;
  assert.ok(rt);

  const before = await client.tokenIntrospection(config, rt);
  assert.equal(before.active, true);
  assert.equal(before.client_id, web.client_id);
  assert.equal(before.sub, carol.id);
  assert.equal(before.username, 'carol');
  assert.ok(before.exp > Date.now() / 1000);
  assert.deepEqual(new Set(before.scope.split(' ')), new Set(['openid', 'offline_access']));

  await client.tokenRevocation(config, rt, { token_type_hint: 'refresh_token' });

  const after = await client.tokenIntrospection(config, rt);
  assert.deepEqual(after, { active: false }, 'an inactive token reveals nothing else');
  await rejectsWithOAuthError(client.refreshTokenGrant(config, rt), 'invalid_grant', 'a revoked refresh token');
  // RFC 7009 §2.1: with access token revocation supported, the grant's access tokens SHOULD go too.
  assert.equal((await client.tokenIntrospection(config, tokens.access_token)).active, false, 'the access token of the revoked grant');

  // Revoking again, or an unknown token, is not an error (RFC 7009 §2.2).
  await client.tokenRevocation(config, rt);
  await client.tokenRevocation(config, 'never-issued');
});

test('revocation of an access token: active before, inactive after, refused by UserInfo', async () => {
  const config = await discover('web');
  const { tokens } = await codeFlow({ config, agent: newAgent(), u: carol, scope: 'openid email' });
  const at = tokens.access_token;

  const before = await client.tokenIntrospection(config, at, { token_type_hint: 'access_token' });
  assert.equal(before.active, true);
  assert.equal(before.sub, carol.id);
  assert.equal(before.client_id, web.client_id);
  assert.equal(before.iss, env.issuer);
  assert.ok(before.exp > Date.now() / 1000);
  assert.ok(before.scope.split(' ').includes('email'));
  const info = await client.fetchUserInfo(config, at, carol.id);
  assert.equal(info.email, 'carol@example.com');

  await client.tokenRevocation(config, at, { token_type_hint: 'access_token' });

  const after = await client.tokenIntrospection(config, at);
  assert.deepEqual(after, { active: false });
  await assert.rejects(client.fetchUserInfo(config, at, carol.id), (err) => {
    assert.equal(err.status ?? err.cause?.status, 401, `${err.name} ${err.message}`);
    return true;
  });
});

test('introspection and revocation need client authentication', async () => {
  const config = await discover('web');
  const md = config.serverMetadata();
  for (const ep of [md.introspection_endpoint, md.revocation_endpoint]) {
    const res = await fetch(ep, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: 'x' }),
    });
    assert.equal(res.status, 401, `${ep} without credentials`);
    assert.equal((await res.json()).error, 'invalid_client');
  }
});
