// The device authorization grant (RFC 8628): openid-client is the device, polling; the user
// connects it through Sigil's /device pages with a browser-like agent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { discover, env, newAgent, registered, rejectsWithOAuthError, user } from '../lib/env.js';

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const dave = user('dave');
const tv = registered('device');

/** Records the OAuth error (or success) of every token endpoint response openid-client gets. */
function recordTokenResponses(config) {
  const seen = [];
  const tokenEndpoint = config.serverMetadata().token_endpoint;
  config[client.customFetch] = async (url, options) => {
    const res = await fetch(url, options);
    if (String(url) === tokenEndpoint) {
      const body = await res.clone().json().catch(() => ({}));
      seen.push(body.error ?? (body.access_token ? 'tokens' : `status ${res.status}`));
    }
    return res;
  };
  return seen;
}

async function until(predicate, what, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The user signs in when asked, landing on the page `return_to` leads to. */
async function signInIfAsked(agent, step) {
  if (step.page?.hasForm('/login')) {
    return agent.submit(step.page, '/login', { username: dave.username, password: dave.password });
  }
  return step;
}

test('device flow: authorization_pending while waiting, tokens after the user approves at /device', async () => {
  const config = await discover('device');
  const da = await client.initiateDeviceAuthorization(config, { scope: 'openid profile offline_access' });
  assert.ok(da.device_code && da.user_code);
  assert.equal(da.verification_uri, `${env.issuer}/device`);
  assert.equal(new URL(da.verification_uri_complete).searchParams.get('user_code'), da.user_code);
  assert.ok(da.expires_in > 0);
  assert.ok(da.interval >= 1);

  // The device asks before the user did anything.
  await rejectsWithOAuthError(
    client.genericGrantRequest(config, DEVICE_GRANT, { device_code: da.device_code }),
    'authorization_pending',
    'polling before the user acted',
  );

  // openid-client polls (at the advertised interval) while the user is still away.
  const seen = recordTokenResponses(config);
  const polling = client.pollDeviceAuthorizationGrant(config, da);
  polling.catch(() => {}); // awaited below
  await until(() => seen.includes('authorization_pending'), 'a pending poll by openid-client');

  // The user goes to the verification URI, signs in, types the code, approves.
  const agent = newAgent('sigil-interop-device-user/1');
  let step = await agent.navigate(da.verification_uri);
  assert.ok(step.page.hasForm('/login'), 'a signed-out user is asked to sign in first');
  step = await signInIfAsked(agent, step);
  assert.ok(step.page.hasForm('/device'), `back on the code entry page:\n${step.page.describe()}`);

  // A wrong code first: an error tied to the field.
  const bad = await agent.submit(step.page, '/device', { user_code: 'BCDF-GHJK' });
  assert.equal(bad.page.status, 400);
  assert.match(bad.page.html, /role="alert"/);
  assert.match(bad.page.html, /aria-describedby="code-error"/);

  // The code as a person might type it: lower case, without the dash.
  const typed = da.user_code.replace(/-/g, '').toLowerCase();
  const review = await agent.submit(bad.page, '/device', { user_code: typed });
  assert.equal(review.page.status, 200, review.page.describe());
  assert.ok(review.page.hasForm('/device/decide'), review.page.describe());
  assert.ok(review.page.html.includes(tv.client_name), 'the confirmation names the client');
  assert.ok(review.page.html.includes(da.user_code), 'the confirmation shows the code to compare');

  const done = await agent.submit(review.page, '/device/decide', {}, { name: 'decision', value: 'approve' });
  assert.equal(done.page.status, 200);
  assert.equal(done.page.heading, 'Device connected');

  const tokens = await polling;
  assert.ok(tokens.access_token);
  assert.ok(tokens.refresh_token, 'offline_access granted a refresh token');
  assert.equal(tokens.claims().sub, dave.id, 'an ID token about the user who approved, validated by openid-client');
  assert.deepEqual(seen.slice(-1), ['tokens']);
  assert.ok(seen.filter((s) => s === 'authorization_pending').length >= 1);
  assert.ok(!seen.includes('slow_down'), `openid-client kept to the interval: ${seen}`);

  const info = await client.fetchUserInfo(config, tokens.access_token, dave.id);
  assert.equal(info.preferred_username, 'dave');

  // A public client refreshes without a secret, and its refresh tokens rotate too.
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
  assert.equal(refreshed.claims().sub, dave.id);

  // The device code is single-use; the code the user typed cannot be used again either.
  await rejectsWithOAuthError(client.genericGrantRequest(config, DEVICE_GRANT, { device_code: da.device_code }), 'invalid_grant');
  const reuse = await agent.navigate(`${env.issuer}/device?user_code=${encodeURIComponent(da.user_code)}`);
  assert.equal(reuse.page.status, 400);
  assert.match(reuse.page.html, /already used/);
});

test('device flow: polling too fast gives slow_down; a denial gives access_denied', async () => {
  const config = await discover('device');
  const da = await client.initiateDeviceAuthorization(config, { scope: 'openid' });
  const poll = () => client.genericGrantRequest(config, DEVICE_GRANT, { device_code: da.device_code });
  await rejectsWithOAuthError(poll(), 'authorization_pending');
  await rejectsWithOAuthError(poll(), 'slow_down', 'a second poll within the interval');

  // The user follows verification_uri_complete (QR code): the code is filled in.
  const agent = newAgent('sigil-interop-device-user/2');
  let step = await agent.navigate(da.verification_uri_complete);
  step = await signInIfAsked(agent, step);
  assert.ok(step.page.hasForm('/device/decide'), `the confirmation directly:\n${step.page.describe()}`);
  const denied = await agent.submit(step.page, '/device/decide', {}, { name: 'decision', value: 'deny' });
  assert.equal(denied.page.heading, 'Request denied');

  // A decided request is answered at once, whatever the interval.
  await rejectsWithOAuthError(poll(), 'access_denied', 'after the user denied');
});
