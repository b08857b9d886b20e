// What run.sh set up (issuer, users, clients, keys), and the steps most tests share:
// discovery with openid-client, and an authorization request completed by a user through
// Sigil's own pages.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as client from 'openid-client';
import { Agent } from './agent.js';

const file = process.env.INTEROP_ENV;
if (!file) {
  throw new Error('INTEROP_ENV is not set: run the suite through tests/interop/run.sh');
}

/** The environment written by run.sh. */
export const env = JSON.parse(readFileSync(file, 'utf8'));

/** A registered client by its key in run.sh (web, browser, svc-basic, …). */
export function registered(key) {
  const c = env.clients[key];
  assert.ok(c, `run.sh registered no client ${key}`);
  return c;
}

/** A user by name. */
export function user(name) {
  const u = env.users[name];
  assert.ok(u, `run.sh created no user ${name}`);
  return { ...u, password: env.password };
}

/**
 * openid-client configuration from Sigil's discovery document for client `key`, http on
 * loopback allowed. `auth` defaults to what the client registered with its secret.
 */
export async function discover(key, auth) {
  const c = registered(key);
  let clientAuth = auth;
  if (!clientAuth) {
    switch (c.token_endpoint_auth_method) {
      case 'client_secret_basic':
        clientAuth = client.ClientSecretBasic(c.client_secret);
        break;
      case 'client_secret_post':
        clientAuth = client.ClientSecretPost(c.client_secret);
        break;
      case 'none':
        clientAuth = client.None();
        break;
      default:
        throw new Error(`client ${key} needs an explicit auth (${c.token_endpoint_auth_method})`);
    }
  }
  return client.discovery(new URL(env.issuer), c.client_id, undefined, clientAuth, {
    execute: [client.allowInsecureRequests],
  });
}

/** A new user agent for the issuer. */
export function newAgent(name = 'sigil-interop-agent/1') {
  return new Agent(env.issuer, { userAgent: name });
}

/**
 * Sends `agent` to `authUrl` and acts as the user until Sigil redirects back to the client:
 * signs in when the sign-in page is shown, approves (or denies) on the consent page. Returns
 * the callback URL and which pages were seen.
 */
export async function completeAuthorization(agent, authUrl, u, { decision = 'approve' } = {}) {
  const seen = [];
  let step = await agent.navigate(authUrl.href);
  for (let i = 0; i < 5 && !step.leftTo; i++) {
    const page = step.page;
    if (page.hasForm('/login')) {
      seen.push('login');
      assert.equal(page.status, 200, page.describe());
      step = await agent.submit(page, '/login', { username: u.username, password: u.password });
    } else if (page.hasForm('/consent')) {
      seen.push('consent');
      step = await agent.submit(page, '/consent', {}, { name: 'decision', value: decision });
    } else {
      assert.fail(`unexpected page during authorization:\n${page.describe()}`);
    }
  }
  assert.ok(step.leftTo, `never redirected back to the client: ${agent.history.join(', ')}`);
  return { callback: step.leftTo, seen };
}

/** Parameters of an OpenID Connect code request with PKCE S256, state and nonce. */
export async function codeRequest(config, redirectUri, scope, extra = {}) {
  const codeVerifier = client.randomPKCECodeVerifier();
  const codeChallenge = await client.calculatePKCECodeChallenge(codeVerifier);
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope,
    code_challenge: codeChallenge,
    code_challenge_method: 'S256',
    state,
    nonce,
    ...extra,
  });
  return { url, codeVerifier, state, nonce };
}

/**
 * The whole code flow for `u` at client `key` with an agent (signed in already or not):
 * returns openid-client's token response (ID token validated) and the request details.
 */
export async function codeFlow({ config, agent, u, scope = 'openid profile email', redirectUri = `${env.rp}/cb` }) {
  const req = await codeRequest(config, redirectUri, scope);
  const { callback, seen } = await completeAuthorization(agent, req.url, u);
  const tokens = await client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: req.codeVerifier,
    expectedState: req.state,
    expectedNonce: req.nonce,
    idTokenExpected: scope.split(' ').includes('openid'),
  });
  return { tokens, callback, seen, req };
}

/**
 * The OAuth error code of an openid-client failure: from the parsed error response, or, when
 * openid-client reports a WWW-Authenticate challenge instead (a 401 with Basic or Bearer
 * challenge), from the response body it carries.
 */
export async function oauthErrorCode(err) {
  if (err?.error) return err.error;
  if (err?.cause?.error) return err.cause.error;
  if (err?.code === 'OAUTH_WWW_AUTHENTICATE_CHALLENGE' && err.response) {
    const body = await err.response.json().catch(() => ({}));
    return body.error ?? err.cause?.[0]?.parameters?.error;
  }
  return undefined;
}

/** Asserts that `promise` rejects with an OAuth error response `code` (openid-client's errors). */
export async function rejectsWithOAuthError(promise, code, message) {
  let err;
  try {
    await promise;
  } catch (e) {
    err = e;
  }
  assert.ok(err, `${message ?? 'expected an OAuth error'}: the request succeeded, expected ${code}`);
  const got = await oauthErrorCode(err);
  assert.equal(got, code, `${message ?? 'expected an OAuth error'}: got ${err.name} ${err.code ?? ''} ${got ?? ''} ${err.message}`);
  return err;
}

/** An `assert.rejects` validator: the error (or its cause, as openid-client wraps them) matches `re`. */
export function mentions(re) {
  return (err) => {
    const text = [err?.message, err?.cause?.message].filter(Boolean).join(' | ');
    assert.match(text, re);
    return true;
  };
}
