// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) with openid-client's
// buildEndSessionUrl, followed by a browser-like agent; and Back-Channel Logout 1.0, the
// logout token validated by jose as a client would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { Agent } from '../lib/agent.js';
import { codeFlow, codeRequest, discover, env, newAgent, registered, user } from '../lib/env.js';

const frank = user('frank');
const web = registered('web');
const POST_LOGOUT = `${env.rp}/logged-out`;
const SESSION_COOKIE = 'sigil-session';

/** A prompt=none request by `agent`; returns openid-client's verdict on the callback. */
async function silentAuthorization(config, agent) {
  const req = await codeRequest(config, `${env.rp}/cb`, 'openid', { prompt: 'none' });
  const step = await agent.navigate(req.url.href);
  assert.ok(step.leftTo, `prompt=none never shows a page:\n${step.page?.describe()}`);
  const callback = step.leftTo;
  assert.equal(callback.searchParams.get('state'), req.state);
  assert.equal(callback.searchParams.get('iss'), env.issuer);
  try {
    const tokens = await client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: req.codeVerifier,
      expectedState: req.state,
      expectedNonce: req.nonce,
    });
    return { tokens };
  } catch (err) {
    return { error: err.error ?? err.cause?.error ?? err.message, err };
  }
}

test('RP-initiated logout with id_token_hint: straight back to post_logout_redirect_uri with state; prompt=none then needs login', async () => {
  const config = await discover('web');
  const agent = newAgent();
  const { tokens } = await codeFlow({ config, agent, u: frank, scope: 'openid profile' });
  const idToken = tokens.id_token;
  assert.ok(agent.cookies.has(SESSION_COOKIE), 'signed in: a session cookie');
  const oldSession = agent.cookies.get(SESSION_COOKIE);
  const browserCookie = agent.cookies.get('sigil-browser');

  // Baseline: while signed in, prompt=none yields a code.
  const before = await silentAuthorization(config, agent);
  assert.ok(before.tokens, `prompt=none works while signed in: ${before.error}`);
  assert.equal(before.tokens.claims().sub, frank.id);

  const state = client.randomState();
  const endSession = client.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: POST_LOGOUT, state });
  assert.equal(`${endSession.origin}${endSession.pathname}`, config.serverMetadata().end_session_endpoint);

  const res = await agent.request(endSession.href);
  assert.equal(res.status, 303, `no confirmation page when id_token_hint names the session:\n${res.describe()}`);
  const back = new URL(res.location);
  assert.equal(`${back.origin}${back.pathname}`, POST_LOGOUT);
  assert.equal(back.searchParams.get('state'), state);
  assert.ok(!agent.cookies.has(SESSION_COOKIE), 'the session cookie was cleared');

  const after = await silentAuthorization(config, agent);
  assert.equal(after.error, 'login_required', 'prompt=none after logout');
  assert.equal(after.err?.constructor?.name, 'AuthorizationResponseError', 'reported by openid-client as an authorization error response');

  // The session is over on the server too, not only forgotten by this browser.
  const replay = new Agent(env.issuer);
  replay.cookies.set('sigil-browser', browserCookie);
  replay.cookies.set(SESSION_COOKIE, oldSession);
  const replayed = await silentAuthorization(config, replay);
  assert.equal(replayed.error, 'login_required', 'the old session cookie no longer works');
});

test('RP-initiated logout without id_token_hint: the user confirms on a page first', async () => {
  const config = await discover('web');
  const agent = newAgent();
  await codeFlow({ config, agent, u: frank, scope: 'openid' });
  const state = client.randomState();
  const url = client.buildEndSessionUrl(config, { client_id: web.client_id, post_logout_redirect_uri: POST_LOGOUT, state });

  const step = await agent.navigate(url.href);
  assert.ok(!step.leftTo, 'not signed out without asking');
  assert.equal(step.page.status, 200);
  assert.ok(step.page.hasForm('/logout/confirm'), step.page.describe());
  assert.ok(step.page.html.includes(web.client_name), 'the page names the client');
  assert.ok(agent.cookies.has(SESSION_COOKIE), 'still signed in while the page is shown');

  const confirmed = await agent.submit(step.page, '/logout/confirm');
  assert.ok(confirmed.leftTo, `redirected after confirming:\n${confirmed.page?.describe()}`);
  assert.equal(`${confirmed.leftTo.origin}${confirmed.leftTo.pathname}`, POST_LOGOUT);
  assert.equal(confirmed.leftTo.searchParams.get('state'), state);
  assert.ok(!agent.cookies.has(SESSION_COOKIE));
  assert.equal((await silentAuthorization(config, agent)).error, 'login_required');
});

test('RP-initiated logout: an unregistered post_logout_redirect_uri is never redirected to', async () => {
  const config = await discover('web');
  const agent = newAgent();
  const { tokens } = await codeFlow({ config, agent, u: frank, scope: 'openid' });
  const url = client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token, post_logout_redirect_uri: 'https://attacker.example/', state: 'x' });
  const res = await agent.request(url.href);
  assert.equal(res.status, 400, res.describe());
  assert.equal(res.location, null);
  assert.ok(agent.cookies.has(SESSION_COOKIE), 'an invalid request does not sign out');
  const still = await silentAuthorization(config, agent);
  assert.ok(still.tokens, 'still signed in');
});

test('RP-initiated logout by POST (a form on the relying party\'s page)', async () => {
  const config = await discover('web');
  const agent = newAgent();
  const { tokens } = await codeFlow({ config, agent, u: frank, scope: 'openid' });
  const state = client.randomState();
  const res = await agent.request(config.serverMetadata().end_session_endpoint, {
    method: 'POST',
    form: { id_token_hint: tokens.id_token, post_logout_redirect_uri: POST_LOGOUT, state },
    headers: { origin: env.rp },
  });
  assert.equal(res.status, 303, res.describe());
  const back = new URL(res.location);
  assert.equal(`${back.origin}${back.pathname}`, POST_LOGOUT);
  assert.equal(back.searchParams.get('state'), state);
  assert.equal((await silentAuthorization(config, agent)).error, 'login_required');
});

/**
 * The client's back-channel logout endpoint on LOGOUT_PORT: records each logout token and
 * answers 200 as Back-Channel Logout §2.8 asks of a client that logged the session out.
 */
async function backchannelListener() {
  const { createServer } = await import('node:http');
  const tokens = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const ok = req.method === 'POST' && req.url === '/backchannel' && /^application\/x-www-form-urlencoded/.test(req.headers['content-type'] ?? '');
      if (ok) tokens.push(new URLSearchParams(body).get('logout_token'));
      res.writeHead(ok ? 200 : 400, { 'cache-control': 'no-store' }).end();
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(env.logoutPort, '127.0.0.1', resolve);
  });
  return { tokens, close: () => new Promise((r) => server.close(r)) };
}

test('back-channel logout: the client gets a logout token that jose validates as the spec says, naming the session of its ID token', async (t) => {
  const { createRemoteJWKSet, jwtVerify } = await import('jose');
  const listener = await backchannelListener();
  t.after(listener.close);
  const config = await discover('logout');
  const agent = newAgent();
  const { tokens } = await codeFlow({ config, agent, u: frank, scope: 'openid', redirectUri: `${env.rp}/logout-cb` });
  const { sid, sub } = tokens.claims();
  assert.ok(sid, 'the ID token names its session');

  const url = client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token, post_logout_redirect_uri: POST_LOGOUT });
  const res = await agent.request(url.href);
  assert.ok([200, 303].includes(res.status), res.describe());

  let mine;
  for (let i = 0; i < 100 && !mine; i++) {
    mine = listener.tokens.find((tok) => JSON.parse(Buffer.from(tok.split('.')[1], 'base64url')).sid === sid);
    if (!mine) await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(mine, 'a logout token for this session arrived');
  // §2.6: signature by the issuer's key, iss, aud, iat, a short life, the event, sid/sub, no nonce.
  const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri));
  const { payload, protectedHeader } = await jwtVerify(mine, jwks, {
    issuer: env.issuer,
    audience: registered('logout').client_id,
    typ: 'logout+jwt',
    algorithms: ['RS256'],
    requiredClaims: ['iat', 'exp', 'jti', 'events'],
    maxTokenAge: '2 minutes',
  });
  assert.equal(protectedHeader.typ, 'logout+jwt');
  assert.deepEqual(payload.events, { 'http://schemas.openid.net/event/backchannel-logout': {} });
  assert.equal(payload.sid, sid);
  assert.equal(payload.sub, sub);
  assert.equal(payload.nonce, undefined, 'a logout token never carries a nonce');
  assert.equal(config.serverMetadata().backchannel_logout_supported, true);
  assert.equal(config.serverMetadata().backchannel_logout_session_supported, true);
});
