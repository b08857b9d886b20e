// Refresh tokens (OAuth 2.1 §4.3, RFC 9700 §4.14): every use rotates the token; presenting a
// used one again revokes its whole family, and only that family.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { codeFlow, discover, newAgent, rejectsWithOAuthError, user } from '../lib/env.js';

const bob = user('bob');
const SCOPE = 'openid profile offline_access';

async function family(config, agent) {
  const { tokens } = await codeFlow({ config, agent, u: bob, scope: SCOPE });
  assert.ok(tokens.refresh_token, 'offline_access yields a refresh token');
  return tokens;
}

test('refresh: every use rotates the refresh token, with a new access token and ID token', async () => {
  const config = await discover('web');
  const first = await family(config, newAgent());

  const second = await client.refreshTokenGrant(config, first.refresh_token);
  assert.ok(second.refresh_token, 'a new refresh token is issued');
  assert.notEqual(second.refresh_token, first.refresh_token, 'the refresh token rotated');
  assert.notEqual(second.access_token, first.access_token, 'a new access token');
  assert.ok(second.id_token, 'an ID token with the openid scope');
  // openid-client validated the new ID token; it must be about the same user and session.
  assert.equal(second.claims().sub, bob.id);
  assert.equal(second.claims().sid, first.claims().sid);
  assert.equal(second.claims().auth_time, first.claims().auth_time, 'auth_time is the original authentication (OIDC Core §12.2)');
  assert.equal(second.claims().aud, first.claims().aud);
  assert.deepEqual(new Set(second.scope.split(' ')), new Set(SCOPE.split(' ')));
  const info = await client.fetchUserInfo(config, second.access_token, bob.id);
  assert.equal(info.preferred_username, 'bob');

  // And again from the new one.
  const third = await client.refreshTokenGrant(config, second.refresh_token);
  assert.notEqual(third.refresh_token, second.refresh_token);
  assert.notEqual(third.refresh_token, first.refresh_token);

  // A narrower scope may be asked for; a wider one may not.
  const narrow = await client.refreshTokenGrant(config, third.refresh_token, { scope: 'openid' });
  assert.equal(narrow.scope, 'openid');
  await rejectsWithOAuthError(client.refreshTokenGrant(config, narrow.refresh_token, { scope: 'openid email' }), 'invalid_scope');
});

test('refresh: reuse of a rotated token revokes its family (new token included) and only that family', async () => {
  const config = await discover('web');
  const agent = newAgent();
  const a1 = await family(config, agent); // family A
  const b1 = await family(config, agent); // family B: same user, same client, same browser
  assert.notEqual(a1.refresh_token, b1.refresh_token);

  const a2 = await client.refreshTokenGrant(config, a1.refresh_token);
  assert.notEqual(a2.refresh_token, a1.refresh_token);

  // The old token again: refused, and the family is revoked.
  await rejectsWithOAuthError(client.refreshTokenGrant(config, a1.refresh_token), 'invalid_grant', 'reused refresh token');
  await rejectsWithOAuthError(client.refreshTokenGrant(config, a2.refresh_token), 'invalid_grant', 'the newest token of a replayed family');
  const intro = await client.tokenIntrospection(config, a2.refresh_token);
  assert.equal(intro.active, false, 'the newest token of the revoked family is inactive');
  for (const [name, at] of [['first', a1.access_token], ['newest', a2.access_token]]) {
    assert.equal((await client.tokenIntrospection(config, at)).active, false, `the ${name} access token of the revoked family`);
  }

  // Family B is untouched.
  const b2 = await client.refreshTokenGrant(config, b1.refresh_token);
  assert.ok(b2.refresh_token);
  assert.notEqual(b2.refresh_token, b1.refresh_token);
  assert.equal(b2.claims().sub, bob.id);
  const b3 = await client.refreshTokenGrant(config, b2.refresh_token);
  assert.ok(b3.access_token);
  assert.equal((await client.tokenIntrospection(config, b1.access_token)).active, true, 'family B access tokens stay active');
});

test('refresh: a refresh token is bound to its client', async () => {
  const config = await discover('web');
  const tokens = await family(config, newAgent());
  const other = await discover('browser');
  await rejectsWithOAuthError(client.refreshTokenGrant(other, tokens.refresh_token), 'invalid_grant', 'another client');
  // The rightful client can still use it (a foreign presentation is not a replay).
  const next = await client.refreshTokenGrant(config, tokens.refresh_token);
  assert.ok(next.refresh_token);
});
