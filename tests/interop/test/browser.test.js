// Headless Chromium (Debian's, driven by playwright-core) on Sigil's real pages: sign-in with a
// wrong then the right password, consent, and back to the client's redirect URI with a code,
// with no console message and no Content-Security-Policy violation on the way; and signing out
// with a front-channel logout client, whose page Chromium loads in a frame of Sigil's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { join } from 'node:path';
import * as client from 'openid-client';
import { openBrowser, skip } from '../lib/browser.js';
import { codeRequest, discover, env, registered, user } from '../lib/env.js';

/** The relying party's redirect target: a plain page, recording what it was sent. */
async function startRelyingParty() {
  const hits = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url, env.rp);
    if (url.pathname === '/browser-cb') {
      hits.push(url);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'" });
      res.end('<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Relying party</title></head><body><h1>Back at the app</h1></body></html>');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(env.rpPort, '127.0.0.1', resolve);
  });
  const close = () =>
    new Promise((resolve) => {
      server.close(resolve);
      server.closeAllConnections(); // Chromium's keep-alive connections would hold close() up
    });
  return { hits, close };
}

/** The whole journey in a fresh Chromium profile, as `u`. */
async function journey(t, u) {
  const app = registered('browser');
  const { context, page, posts, consoleMessages, pageErrors, violations, defer } = await openBrowser(t);
  const rp = await startRelyingParty();
  defer(rp.close);
  const shot = async (name) => {
    if (process.env.INTEROP_SCREENSHOTS) await page.screenshot({ path: join(process.env.INTEROP_SCREENSHOTS, `${name}.png`), fullPage: true });
  };

  const config = await discover('browser');
  const req = await codeRequest(config, `${env.rp}/browser-cb`, 'openid profile email');

  // 1. The authorization request lands on the sign-in page.
  const first = await page.goto(req.url.href);
  assert.equal(first.status(), 200);
  assert.match(new URL(page.url()).pathname, /^\/interaction\//);
  assert.equal(await page.locator('h1').innerText(), 'Sign in');
  assert.ok((await page.locator('main').innerText()).includes(app.client_name), 'the page names the client');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'username', 'focus starts in the username field');
  const rules = await page.evaluate(() => [...document.styleSheets].reduce((n, sheet) => n + sheet.cssRules.length, 0));
  assert.ok(rules > 0, 'the stylesheet loaded (style-src self)');
  await shot('1-sign-in');

  // 2. A wrong password: the error is shown, announced, tied to both fields, and focus goes to
  //    the password (the username is kept).
  await page.getByLabel('Username').fill(u.username);
  await page.getByLabel('Password').fill('wrong password, clearly');
  await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Sign in' }).click()]);
  const heading = await page.locator('h1').innerText();
  if (heading !== 'Sign in') {
    const message = await page.locator('main').innerText();
    assert.fail(`Sigil refused Chromium's sign-in form (POST ${JSON.stringify(posts.at(-1))}): ${message.replace(/\s+/g, ' ')}`);
  }
  const alert = page.getByRole('alert');
  assert.equal(await alert.count(), 1);
  assert.equal(await alert.innerText(), 'The username or password is incorrect.');
  assert.ok(await alert.isVisible());
  for (const id of ['username', 'password']) {
    const field = page.locator(`#${id}`);
    assert.equal(await field.getAttribute('aria-invalid'), 'true', `${id} is marked invalid`);
    const describedBy = await field.getAttribute('aria-describedby');
    assert.equal(describedBy, 'form-error', `${id} is described by the error`);
    assert.equal(await page.locator(`#${describedBy}`).innerText(), 'The username or password is incorrect.');
  }
  assert.equal(await page.getByLabel('Username').inputValue(), u.username, 'the username is kept');
  assert.equal(await page.getByLabel('Password').inputValue(), '', 'the password is not echoed back');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'password', 'focus lands in the password field');
  // The accessibility tree agrees: the password field's description is the error.
  const cdp = await context.newCDPSession(page);
  const { nodes } = await cdp.send('Accessibility.getFullAXTree');
  const pwNode = nodes.find((n) => n.role?.value === 'textbox' && n.name?.value === 'Password');
  assert.ok(pwNode, 'a textbox named Password');
  assert.equal(pwNode.description?.value, 'The username or password is incorrect.');
  await shot('2-wrong-password');

  // 3. The right password: on to consent.
  await page.getByLabel('Password').fill(u.password);
  await Promise.all([page.waitForURL(/\/interaction\//), page.getByRole('button', { name: 'Sign in' }).click()]);
  assert.equal(await page.locator('h1').innerText(), `Allow ${app.client_name} access?`);
  const scopes = await page.locator('ul.scopes li').allInnerTexts();
  assert.equal(scopes.length, 3, `openid, profile, email: ${scopes}`);
  await shot('3-consent');

  // 4. Allow: Sigil redirects to the client (the form-action CSP must let that redirect through).
  await Promise.all([page.waitForURL(`${env.rp}/browser-cb?**`), page.getByRole('button', { name: 'Allow' }).click()]);
  await page.locator('h1').waitFor();
  assert.equal(await page.locator('h1').innerText(), 'Back at the app');
  assert.equal(rp.hits.length, 1, 'the relying party got exactly one callback');
  const callback = new URL(page.url());
  assert.ok(callback.searchParams.get('code'));
  assert.equal(callback.searchParams.get('state'), req.state);
  assert.equal(callback.searchParams.get('iss'), env.issuer);

  const tokens = await client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: req.codeVerifier,
    expectedState: req.state,
    expectedNonce: req.nonce,
    idTokenExpected: true,
  });
  assert.equal(tokens.claims().sub, u.id);

  // Session cookie as the browser stored it.
  const cookies = await context.cookies(env.issuer);
  const session = cookies.find((c) => c.name === 'sigil-session');
  assert.ok(session, 'a session cookie');
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, 'Lax');

  assert.deepEqual(violations, [], 'no securitypolicyviolation events');
  assert.deepEqual(pageErrors, [], 'no page errors');
  const seen = { posts, consoleMessages: [...consoleMessages] };

  // The detector works: an image from another origin on a Sigil page is a violation it reports.
  await page.goto(`${env.issuer}/login`);
  await page.evaluate(() => {
    const img = document.createElement('img');
    img.src = 'http://127.0.0.1:9/probe.png';
    document.body.append(img);
  });
  for (let i = 0; i < 50 && violations.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(violations.length, 1, 'the probe violation was reported');
  assert.equal(violations[0].directive, 'img-src');
  return seen;
}

test(
  'Chromium: sign in (wrong, then right password), consent, redirect with a code; no console messages or CSP violations',
  { skip, timeout: 90_000 },
  async (t) => {
    const { posts, consoleMessages } = await journey(t, user('erin'));
    assert.equal(posts.length, 3, `wrong password, right password, consent: ${JSON.stringify(posts)}`);
    for (const p of posts) assert.equal(p.origin, env.issuer, `Chromium sends the page's origin with ${p.path}`);
    assert.deepEqual(consoleMessages, [], 'no console messages');
  },
);

/**
 * The logout client's pages at the relying party: its redirect target, its front-channel
 * logout page (recording each load) and its post-logout page.
 */
async function startLogoutRelyingParty() {
  const frontchannel = [];
  const pages = { '/logout-cb': 'Signed in at the app', '/frontchannel': 'Signing out of the app', '/logged-out': 'Signed out at the app' };
  const server = createServer((req, res) => {
    const url = new URL(req.url, env.rp);
    const title = pages[url.pathname];
    if (!title) return res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    if (url.pathname === '/frontchannel') frontchannel.push({ url, dest: req.headers['sec-fetch-dest'] });
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': "default-src 'none'", 'cache-control': 'no-store' });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1></body></html>`);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(env.rpPort, '127.0.0.1', resolve);
  });
  const close = () =>
    new Promise((resolve) => {
      server.close(resolve);
      server.closeAllConnections();
    });
  return { frontchannel, close };
}

test(
  'Chromium: signing out frames the client\'s front-channel logout page (iss, sid) and then returns to the client, with no CSP violation',
  { skip, timeout: 90_000 },
  async (t) => {
    const { page, pageErrors, violations, defer } = await openBrowser(t);
    const rp = await startLogoutRelyingParty();
    defer(rp.close);
    const u = user('grace');
    const config = await discover('logout');
    const req = await codeRequest(config, `${env.rp}/logout-cb`, 'openid');
    await page.goto(req.url.href);
    await page.getByLabel('Username').fill(u.username);
    await page.getByLabel('Password').fill(u.password);
    await Promise.all([page.waitForURL(/\/interaction\//), page.getByRole('button', { name: 'Sign in' }).click()]);
    await Promise.all([page.waitForURL(`${env.rp}/logout-cb?**`), page.getByRole('button', { name: 'Allow' }).click()]);
    const tokens = await client.authorizationCodeGrant(config, new URL(page.url()), {
      pkceCodeVerifier: req.codeVerifier,
      expectedState: req.state,
      expectedNonce: req.nonce,
      idTokenExpected: true,
    });
    const { sid } = tokens.claims();

    const state = client.randomState();
    const end = client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token, post_logout_redirect_uri: `${env.rp}/logged-out`, state });
    await page.goto(end.href);
    assert.equal(await page.locator('h1').innerText(), 'Signing you out');
    // The page moves on by itself (no script: a meta refresh) once the frame had its moment.
    await page.waitForURL(`${env.rp}/logged-out?**`, { timeout: 15_000 });
    assert.equal(new URL(page.url()).searchParams.get('state'), state);
    assert.equal(rp.frontchannel.length, 1, 'the front-channel page was loaded once');
    const { url, dest } = rp.frontchannel[0];
    assert.equal(dest, 'iframe', 'loaded in a frame of the signed-out page');
    assert.equal(url.searchParams.get('iss'), env.issuer);
    assert.equal(url.searchParams.get('sid'), sid);
    assert.deepEqual(violations, [], 'frame-src lets exactly the client in: no CSP violation');
    assert.deepEqual(pageErrors, []);
  },
);
