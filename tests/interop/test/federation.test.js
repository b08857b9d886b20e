// Inbound federation against an independent OpenID provider: `oidc-provider` (npm) runs here
// as a partner's identity provider, added to Sigil with `sigil idp add oidc`. openid-client
// signs in at Sigil with `idp_hint`, the user signs in at oidc-provider through its own
// (development) pages, and Sigil brokers the result: a just-in-time account from the
// provider's UserInfo claims, its mapped group, an ID token saying it was federated; then the
// same account again, this time found through the address's domain on Sigil's sign-in page.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as client from 'openid-client';
import Provider from 'oidc-provider';
import { Agent } from '../lib/agent.js';
import { codeRequest, discover, env } from '../lib/env.js';

const NAME = 'acme';
const SECRET = randomBytes(24).toString('base64url');
let server;
let issuer;

/** The CLI with `input` on stdin. */
function sigil(args, input = '') {
  return execFileSync(env.sigil, ['--data-dir', env.dataDir, ...args], { cwd: env.work, input, encoding: 'utf8' });
}

before(async () => {
  server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: 'sigil-broker',
      client_secret: SECRET,
      redirect_uris: [`${env.issuer}/login/idp/${NAME}/callback`],
      post_logout_redirect_uris: [`${env.issuer}/login/idp/${NAME}/logged-out`],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    }],
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username'],
      groups: ['groups'],
    },
    scopes: ['openid', 'email', 'profile', 'groups'],
    async findAccount(_ctx, id) {
      return {
        accountId: id,
        async claims() {
          return {
            sub: `acme|${id}`,
            email: `${id}@acme.test`,
            email_verified: true,
            name: 'Pat Acme',
            preferred_username: id,
            groups: ['engineering', 'coffee-club'],
          };
        },
      };
    },
    cookies: { keys: [randomBytes(32).toString('hex')] },
  });
  server.on('request', provider.callback());

  sigil(['group', 'create', 'engineers']);
  const added = JSON.parse(sigil([
    'idp', 'add', 'oidc', '--name', NAME, '--display-name', 'Acme Corp',
    '--discovery-url', `${issuer}/.well-known/openid-configuration`,
    '--client-id', 'sigil-broker', '--client-secret-stdin',
    '--scope', 'openid', '--scope', 'email', '--scope', 'profile', '--scope', 'groups',
    '--domain', 'acme.test', '--group', 'engineering=engineers', '--json',
  ], `${SECRET}\n`));
  assert.equal(added.redirect_uri, `${env.issuer}/login/idp/${NAME}/callback`);
  assert.equal(added.client_secret_sealed, '(sealed)', 'the secret is never shown');
});

after(() => server?.close());

/**
 * Signs `login` in at oidc-provider from its authorization URL, as the browser `acme` (its
 * side of the provider's origin); Sigil's callback URL.
 */
async function signInAtAcme(authorizationUrl, login, acme = new Agent(issuer)) {
  const url = new URL(authorizationUrl);
  assert.equal(url.origin, issuer, `sent to the provider: ${url}`);
  assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
  let step = await acme.navigate(url.href);
  for (let i = 0; i < 4 && !step.leftTo; i++) {
    const form = step.page.forms().find((f) => f.method === 'post');
    assert.ok(form, step.page.describe());
    const fields = Object.fromEntries(form.inputs.map((x) => [x.name, x.value]));
    if ('login' in fields) Object.assign(fields, { login, password: 'anything' });
    const res = await acme.request(new URL(form.action, step.page.url).href, { method: 'POST', form: fields });
    step = await acme.follow(res);
  }
  assert.ok(step.leftTo, `never sent back to Sigil: ${acme.history.join(', ')}`);
  assert.ok(step.leftTo.href.startsWith(`${env.issuer}/login/idp/${NAME}/callback?`), step.leftTo.href);
  return step.leftTo.href;
}

test('openid-client signs in at Sigil through oidc-provider (idp_hint), with a just-in-time account', async () => {
  const login = `pat${randomBytes(4).toString('hex')}`;
  const config = await discover('web');
  const req = await codeRequest(config, `${env.rp}/cb`, 'openid profile email', { idp_hint: NAME });
  const agent = new Agent(env.issuer, { userAgent: 'federation' });
  const toAcme = await agent.navigate(req.url.href);
  assert.ok(toAcme.leftTo, 'idp_hint goes straight to the provider');
  const callback = await signInAtAcme(toAcme.leftTo.href, login);

  let step = await agent.navigate(callback);
  if (!step.leftTo && step.page.hasForm('/consent')) {
    step = await agent.submit(step.page, '/consent', {}, { name: 'decision', value: 'approve' });
  }
  assert.ok(step.leftTo, `back to the client: ${agent.history.join(', ')}`);
  const tokens = await client.authorizationCodeGrant(config, step.leftTo, {
    pkceCodeVerifier: req.codeVerifier,
    expectedState: req.state,
    expectedNonce: req.nonce,
  });
  const claims = tokens.claims();
  assert.equal(claims.preferred_username, login);
  assert.equal(claims.email, `${login}@acme.test`);
  assert.equal(claims.name, 'Pat Acme');
  assert.equal(claims.acr, 'urn:sigil:acr:federated');
  assert.deepEqual(claims.amr, ['fed']);

  // Only the mapped group is applied.
  const members = sigil(['group', 'members', 'engineers', '--json']);
  assert.ok(members.includes(login), members);

  // The same person again, routed by the domain of the address typed on the sign-in page.
  const again = new Agent(env.issuer, { userAgent: 'federation-hrd' });
  const { page } = await again.navigate('/login');
  assert.ok(page.html.includes('Acme Corp'), 'a button for the provider');
  const routed = await again.submit(page, '/login/idp', { email: `${login}@acme.test` });
  assert.ok(routed.leftTo, `routed to the provider: ${again.history.join(', ')}`);
  assert.equal(routed.leftTo.searchParams.get('login_hint'), `${login}@acme.test`);
  const acme = new Agent(issuer);
  const callback2 = await signInAtAcme(routed.leftTo.href, login, acme);
  const account = await again.navigate(callback2);
  assert.equal(account.page.status, 200, account.page.describe());
  assert.ok(account.page.html.includes(claims.sub), 'signed in to the same account');

  // Signing out of Sigil signs out of the provider too (RP-Initiated Logout there), and the
  // provider sends the browser back to Sigil's signed-out page.
  const out = await again.submit(account.page, '/account/logout');
  assert.ok(out.leftTo, `sent to the provider: ${again.history.join(', ')}`);
  assert.equal(out.leftTo.origin, issuer);
  assert.ok(out.leftTo.searchParams.get('id_token_hint'));
  const confirm = await acme.navigate(out.leftTo.href);
  const form = confirm.page.forms().find((f) => f.method === 'post');
  assert.ok(form, confirm.page.describe());
  const xsrf = form.inputs.find((i) => i.name === 'xsrf').value;
  const res = await acme.request(new URL(form.action, confirm.page.url).href, { method: 'POST', form: { xsrf, logout: 'yes' } });
  const back = await acme.follow(res);
  assert.ok(back.leftTo?.href.startsWith(`${env.issuer}/login/idp/${NAME}/logged-out?`), acme.history.join(', '));
  const done = await again.navigate(back.leftTo.href);
  assert.equal(done.page.status, 200);
  const after = await again.request('/account');
  assert.ok(after.isRedirect, 'signed out of Sigil');
});

test('a callback replayed, or reaching another browser, is refused', async () => {
  const agent = new Agent(env.issuer, { userAgent: 'federation-replay' });
  const start = await agent.request(`/login/idp/${NAME}`);
  const callback = await signInAtAcme(start.location, `replay${randomBytes(3).toString('hex')}`);
  const thief = new Agent(env.issuer, { userAgent: 'thief' });
  assert.equal((await thief.request(callback)).status, 400);
  assert.equal((await agent.request(callback)).status, 400, 'the state is spent');
});

const CHROMIUM = process.env.INTEROP_CHROMIUM;

test(
  'Chromium: home-realm discovery on the sign-in page, the sign-in at oidc-provider, back to the account page; no CSP violation on Sigil\'s pages',
  { skip: CHROMIUM ? false : 'Chromium is not installed; browser test skipped', timeout: 90_000 },
  async (t) => {
    const { chromium } = await import('playwright-core');
    const profile = mkdtempSync(join(env.work, 'chromium-federation-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    });
    t.after(async () => {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const violations = [];
    await page.exposeBinding('__reportViolation', (_source, v) => violations.push(v));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        window.__reportViolation({ directive: e.violatedDirective, blocked: e.blockedURI, document: e.documentURI });
      });
    });

    const login = `chrome${randomBytes(3).toString('hex')}`;
    await page.goto(`${env.issuer}/login`);
    assert.ok(await page.getByRole('link', { name: 'Acme Corp' }).isVisible(), 'a button for the provider');
    // The address form posts to Sigil, which redirects to the provider: the page's
    // form-action must allow that redirect, or Chromium stops it.
    await page.getByLabel(/work e-mail address/).fill(`${login}@acme.test`);
    await Promise.all([
      page.waitForURL(`${issuer}/interaction/**`),
      page.getByRole('button', { name: 'Continue with my organisation' }).click(),
    ]);
    assert.equal(await page.locator('input[name=login]').inputValue(), `${login}@acme.test`, 'login_hint reached the provider');
    await page.locator('input[name=login]').fill(login);
    await page.locator('input[name=password]').fill('anything');
    await Promise.all([page.waitForLoadState('load'), page.getByRole('button', { name: 'Sign-in' }).click()]);
    await Promise.all([page.waitForURL(`${env.issuer}/account`), page.getByRole('button', { name: 'Continue' }).click()]);
    assert.ok((await page.locator('main').innerText()).includes(login), 'signed in to Sigil as the new account');
    const ours = violations.filter((v) => v.document.startsWith(env.issuer));
    assert.deepEqual(ours, [], 'no CSP violation on Sigil\'s pages');
  },
);
