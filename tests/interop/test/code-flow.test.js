// Discovery, the authorization code flow (PKCE S256, state, nonce, RFC 9207 iss) and UserInfo,
// with openid-client as the relying party and a scripted user on Sigil's pages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as client from 'openid-client';
import { decodeProtectedHeader } from 'jose';
import { codeFlow, codeRequest, completeAuthorization, discover, env, newAgent, mentions, registered, rejectsWithOAuthError, user } from '../lib/env.js';

const web = registered('web');
const alice = user('alice');
const ivy = user('ivy');

test('discovery: openid-client accepts the metadata, which matches the issuer', async () => {
  const config = await discover('web');
  const md = config.serverMetadata();
  assert.equal(md.issuer, env.issuer);
  for (const ep of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri', 'revocation_endpoint', 'introspection_endpoint', 'device_authorization_endpoint', 'end_session_endpoint']) {
    assert.ok(md[ep]?.startsWith(`${env.issuer}/`), `${ep} is under the issuer: ${md[ep]}`);
  }
  assert.ok(config.serverMetadata().supportsPKCE('S256'), 'S256 is advertised');
  assert.ok(!md.code_challenge_methods_supported.includes('plain'), 'plain PKCE is not offered');
  assert.equal(md.authorization_response_iss_parameter_supported, true);
  assert.deepEqual(md.response_types_supported, ['code']);
  for (const g of ['authorization_code', 'refresh_token', 'client_credentials', 'urn:ietf:params:oauth:grant-type:device_code']) {
    assert.ok(md.grant_types_supported.includes(g), `grant ${g} advertised`);
  }
  for (const m of ['client_secret_basic', 'client_secret_post', 'private_key_jwt']) {
    assert.ok(md.token_endpoint_auth_methods_supported.includes(m), `auth method ${m} advertised`);
  }
  // The same document at the RFC 8414 path.
  const res = await fetch(`${env.issuer}/.well-known/oauth-authorization-server`);
  assert.equal(res.status, 200);
  assert.equal((await res.json()).issuer, env.issuer);
  // And a JWK Set with public keys only.
  const jwks = await (await fetch(md.jwks_uri)).json();
  assert.ok(jwks.keys.length > 0);
  for (const k of jwks.keys) {
    assert.ok(k.kid, 'every key has a kid');
    for (const priv of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(k[priv], undefined, `no private member ${priv}`);
  }
});

test('authorization code flow: PKCE S256, state, nonce, iss in the response (RFC 9207), validated ID token', async () => {
  const config = await discover('web');
  const agent = newAgent();
  const req = await codeRequest(config, `${env.rp}/cb`, 'openid profile email');
  assert.equal(req.url.searchParams.get('code_challenge_method'), 'S256');

  const { callback, seen } = await completeAuthorization(agent, req.url, alice);
  assert.deepEqual(seen, ['login', 'consent'], 'a new browser signs in, then consents');
  assert.equal(`${callback.origin}${callback.pathname}`, `${env.rp}/cb`);
  assert.equal(callback.searchParams.get('state'), req.state);
  assert.equal(callback.searchParams.get('iss'), env.issuer, 'RFC 9207 iss parameter');
  assert.ok(callback.searchParams.get('code'));
  assert.equal(callback.searchParams.get('error'), null);

  // openid-client checks iss against the issuer: the same response with another or no iss is refused.
  const checks = { pkceCodeVerifier: req.codeVerifier, expectedState: req.state, expectedNonce: req.nonce, idTokenExpected: true };
  const forged = new URL(callback);
  forged.searchParams.set('iss', 'https://attacker.example');
  await assert.rejects(client.authorizationCodeGrant(config, forged, checks), mentions(/"iss"/), 'a foreign iss is refused');
  const stripped = new URL(callback);
  stripped.searchParams.delete('iss');
  await assert.rejects(client.authorizationCodeGrant(config, stripped, checks), mentions(/"iss"/), 'a missing iss is refused when advertised');
  // A wrong state is refused before any token request.
  await assert.rejects(client.authorizationCodeGrant(config, callback, { ...checks, expectedState: 'other' }), mentions(/"state"/));

  const tokens = await client.authorizationCodeGrant(config, callback, checks);
  assert.equal(tokens.token_type.toLowerCase(), 'bearer');
  assert.ok(tokens.access_token);
  assert.ok(tokens.expires_in > 0);
  assert.equal(tokens.refresh_token, undefined, 'no refresh token without offline_access');
  const claims = tokens.claims();
  assert.equal(claims.iss, env.issuer);
  assert.equal(claims.sub, alice.id);
  assert.equal(claims.aud === web.client_id || (Array.isArray(claims.aud) && claims.aud.includes(web.client_id)), true);
  assert.equal(claims.nonce, req.nonce);
  assert.ok(claims.auth_time && Math.abs(claims.auth_time - Date.now() / 1000) < 120, 'auth_time is recent');
  assert.ok(claims.sid, 'the ID token names the session (sid)');
  assert.ok(claims.at_hash, 'at_hash binds the access token');
  assert.deepEqual(new Set(tokens.scope.split(' ')), new Set(['openid', 'profile', 'email']));

  // at_hash (OIDC Core §3.1.3.6): the left half of the access token's hash, by the ID token's alg.
  const { alg } = decodeProtectedHeader(tokens.id_token);
  const hash = { RS256: 'sha256', PS256: 'sha256', ES256: 'sha256', EdDSA: 'sha512' }[alg];
  assert.ok(hash, `known ID token alg ${alg}`);
  const digest = createHash(hash).update(tokens.access_token).digest();
  assert.equal(claims.at_hash, digest.subarray(0, digest.length / 2).toString('base64url'), 'at_hash matches the access token');

  // The code is single-use, and presenting it again revokes what it issued (RFC 6749 §4.1.2).
  assert.equal((await client.tokenIntrospection(config, tokens.access_token)).active, true);
  await rejectsWithOAuthError(client.authorizationCodeGrant(config, callback, checks), 'invalid_grant', 'a redeemed code is refused');
  assert.equal((await client.tokenIntrospection(config, tokens.access_token)).active, false, 'the replay revoked the access token');
});

test('authorization code flow: a wrong PKCE verifier is refused with invalid_grant', async () => {
  const config = await discover('web');
  const agent = newAgent();
  const req = await codeRequest(config, `${env.rp}/cb`, 'openid');
  const { callback } = await completeAuthorization(agent, req.url, alice);
  await rejectsWithOAuthError(
    client.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: client.randomPKCECodeVerifier(),
      expectedState: req.state,
      expectedNonce: req.nonce,
    }),
    'invalid_grant',
  );
});

test('single sign-on: a signed-in user who consented is sent straight back', async () => {
  const config = await discover('web');
  const agent = newAgent();
  const first = await codeFlow({ config, agent, u: alice, scope: 'openid profile' });
  assert.ok(first.seen.includes('login'));
  const second = await codeFlow({ config, agent, u: alice, scope: 'openid profile' });
  assert.deepEqual(second.seen, [], 'no sign-in page and no consent page the second time');
  assert.equal(second.tokens.claims().sub, alice.id);
  assert.equal(second.tokens.claims().sid, first.tokens.claims().sid, 'same session');
});

test('userinfo: the access token gets the claims of the granted scopes', async () => {
  const config = await discover('web');
  const { tokens } = await codeFlow({ config, agent: newAgent(), u: alice, scope: 'openid profile email' });
  const info = await client.fetchUserInfo(config, tokens.access_token, tokens.claims().sub);
  assert.equal(info.sub, alice.id);
  assert.equal(info.email, 'alice@example.com');
  assert.equal(info.email_verified, true);
  assert.equal(info.name, 'Alice Example');
  assert.equal(info.preferred_username, 'alice');

  // openid-client refuses a response about someone else.
  await assert.rejects(client.fetchUserInfo(config, tokens.access_token, 'someone-else'), mentions(/"sub"/));

  // Only openid: no profile or email claims.
  const narrow = await codeFlow({ config, agent: newAgent(), u: alice, scope: 'openid' });
  const minimal = await client.fetchUserInfo(config, narrow.tokens.access_token, alice.id);
  assert.equal(minimal.sub, alice.id);
  assert.equal(minimal.email, undefined);
  assert.equal(minimal.name, undefined);

  // A bad token: 401 with an RFC 6750 challenge.
  const res = await fetch(config.serverMetadata().userinfo_endpoint, { headers: { authorization: 'Bearer not-a-token' } });
  assert.equal(res.status, 401);
  assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer\b.*error="invalid_token"/);
  // An ID token is not an access token.
  const idt = await fetch(config.serverMetadata().userinfo_endpoint, { headers: { authorization: `Bearer ${tokens.id_token}` } });
  assert.equal(idt.status, 401);
});

test('authorization errors: denied consent, consent_required with prompt=none, missing PKCE, unsupported response_type', async () => {
  const config = await discover('web');
  const agent = newAgent();

  // The user signs in but denies: access_denied back at the client, with state and iss.
  const req = await codeRequest(config, `${env.rp}/cb`, 'openid email');
  const denied = await completeAuthorization(agent, req.url, ivy, { decision: 'deny' });
  assert.deepEqual(denied.seen, ['login', 'consent']);
  await assert.rejects(
    client.authorizationCodeGrant(config, denied.callback, { pkceCodeVerifier: req.codeVerifier, expectedState: req.state }),
    (err) => {
      assert.equal(err.constructor.name, 'AuthorizationResponseError');
      assert.equal(err.error, 'access_denied');
      return true;
    },
  );
  assert.equal(denied.callback.searchParams.get('iss'), env.issuer);

  // Signed in, never consented: prompt=none answers consent_required without showing a page.
  const silent = await codeRequest(config, `${env.rp}/cb`, 'openid email', { prompt: 'none' });
  const step = await agent.navigate(silent.url.href);
  assert.ok(step.leftTo, 'no page with prompt=none');
  assert.equal(step.leftTo.searchParams.get('error'), 'consent_required');
  assert.equal(step.leftTo.searchParams.get('state'), silent.state);

  // PKCE is required: a request without code_challenge is sent back with invalid_request.
  const noPkce = client.buildAuthorizationUrl(config, { redirect_uri: `${env.rp}/cb`, scope: 'openid', state: 'no-pkce' });
  const refused = await agent.navigate(noPkce.href);
  assert.equal(refused.leftTo?.searchParams.get('error'), 'invalid_request', 'missing code_challenge');
  assert.equal(refused.leftTo?.searchParams.get('state'), 'no-pkce');

  // plain PKCE is not accepted.
  const plain = client.buildAuthorizationUrl(config, { redirect_uri: `${env.rp}/cb`, scope: 'openid', state: 'plain', code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' });
  const plainRes = await agent.navigate(plain.href);
  assert.equal(plainRes.leftTo?.searchParams.get('error'), 'invalid_request', 'plain PKCE');

  // A response type other than code.
  const implicit = await codeRequest(config, `${env.rp}/cb`, 'openid', { response_type: 'token' });
  const implicitRes = await agent.navigate(implicit.url.href);
  assert.equal(implicitRes.leftTo?.searchParams.get('error'), 'unsupported_response_type');
});

test('authorization errors that must not redirect: unregistered redirect_uri, unknown client', async () => {
  const config = await discover('web');
  const agent = newAgent();
  const evil = await codeRequest(config, 'https://attacker.example/cb', 'openid');
  const res = await agent.request(evil.url.href);
  assert.equal(res.location, null, 'never redirected to an unregistered URI');
  assert.equal(res.status, 400);
  assert.match(res.html, /redirect/i, 'the page says what is wrong');

  const unknown = new URL(evil.url);
  unknown.searchParams.set('client_id', 'no-such-client');
  unknown.searchParams.set('redirect_uri', `${env.rp}/cb`);
  const res2 = await agent.request(unknown.href);
  assert.equal(res2.location, null);
  assert.ok(res2.status >= 400 && res2.status < 500, `an error page: ${res2.status}`);
});

test('pushed authorization request (RFC 9126): openid-client pushes, the browser brings only request_uri', async () => {
  const config = await discover('web');
  assert.equal(config.serverMetadata().pushed_authorization_request_endpoint, `${env.issuer}/par`);
  const codeVerifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = await client.buildAuthorizationUrlWithPAR(config, {
    redirect_uri: `${env.rp}/cb`,
    scope: 'openid email',
    code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  assert.deepEqual([...url.searchParams.keys()].sort(), ['client_id', 'request_uri']);
  assert.match(url.searchParams.get('request_uri'), /^urn:ietf:params:oauth:request_uri:/);
  const { callback } = await completeAuthorization(newAgent(), url, ivy);
  const tokens = await client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: codeVerifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  assert.equal(tokens.claims().email, 'ivy@example.com');
  // Used once: the same request_uri again is refused on a page.
  const again = await newAgent().navigate(url.href);
  assert.equal(again.leftTo, undefined);
  assert.match(again.page.html, /request_uri is unknown, used or expired/);
});
