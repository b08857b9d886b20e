// Sigil's hosted pages as any browser meets them: headers, cookies, and what the forms accept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent } from '../lib/agent.js';
import { env, newAgent, user } from '../lib/env.js';

const henry = user('henry');

function cookieLine(page, name) {
  return page.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
}

/** Standalone sign-in (no client): the form at /login, then the account page. */
async function signIn(agent, password = henry.password) {
  const step = await agent.navigate(`${env.issuer}/login`);
  assert.ok(step.page.hasForm('/login'), step.page.describe());
  const form = step.page.form('/login');
  const res = await agent.request(new URL(form.action, step.page.url).href, {
    method: 'POST',
    form: { ...Object.fromEntries(form.inputs.map((i) => [i.name, i.value])), username: henry.username, password },
  });
  return { form, res };
}

test('hosted pages: security headers, no script, HttpOnly SameSite=Lax cookies', async () => {
  const agent = newAgent();
  const login = await agent.request(`${env.issuer}/login`);
  assert.equal(login.status, 200);
  assert.match(login.headers.get('content-type'), /^text\/html/);
  const csp = login.headers.get('content-security-policy');
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /form-action 'self'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /script-src|unsafe-inline|unsafe-eval/);
  assert.equal(login.headers.get('x-frame-options'), 'DENY');
  assert.equal(login.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(login.headers.get('cache-control'), 'no-store');
  assert.doesNotMatch(login.html, /<script/i, 'no script on the page');
  const browserCookie = cookieLine(login, 'sigil-browser');
  assert.ok(browserCookie, 'a browser cookie');
  assert.match(browserCookie, /; HttpOnly/);
  assert.match(browserCookie, /; SameSite=Lax/);
  assert.match(browserCookie, /; Path=\//);

  const { res } = await signIn(agent);
  assert.equal(res.status, 303);
  assert.equal(new URL(res.location).pathname, '/account', 'a standalone sign-in lands on the account page');
  const session = cookieLine(res, 'sigil-session');
  assert.ok(session, 'a session cookie');
  assert.match(session, /; HttpOnly/);
  assert.match(session, /; SameSite=Lax/);
  const account = await agent.navigate(res.location);
  assert.equal(account.page.status, 200);
  assert.match(account.page.html, /<dd id="username">henry<\/dd>/);
});

test('forms refuse a missing CSRF token, another browser\'s token, and a foreign Origin', async () => {
  const agent = newAgent();
  const step = await agent.navigate(`${env.issuer}/login`);
  const form = step.page.form('/login');
  const fields = { ...Object.fromEntries(form.inputs.map((i) => [i.name, i.value])), username: henry.username, password: henry.password };

  const { csrf, ...withoutToken } = fields;
  const missing = await agent.request(`${env.issuer}/login`, { method: 'POST', form: withoutToken });
  assert.equal(missing.status, 400);
  assert.equal(cookieLine(missing, 'sigil-session'), undefined);

  const stranger = newAgent();
  await stranger.request(`${env.issuer}/login`);
  const foreignToken = await stranger.request(`${env.issuer}/login`, { method: 'POST', form: { ...fields } });
  assert.equal(foreignToken.status, 400, 'a token minted for another browser cookie');
  assert.equal(cookieLine(foreignToken, 'sigil-session'), undefined);

  const evil = await agent.request(`${env.issuer}/login`, { method: 'POST', form: fields, headers: { origin: 'https://evil.example' } });
  assert.equal(evil.status, 400, 'a post from another origin');
  assert.equal(cookieLine(evil, 'sigil-session'), undefined);

  const ok = await agent.request(`${env.issuer}/login`, { method: 'POST', form: fields });
  assert.equal(ok.status, 303, 'the same form with its token, from the page origin, works');
  assert.ok(cookieLine(ok, 'sigil-session'));
});

test('pages let browsers send their Origin (Referrer-Policy same-origin), and a post with Origin: null is refused', async () => {
  const page = await newAgent().request(`${env.issuer}/login`);
  assert.equal(page.headers.get('referrer-policy'), 'same-origin', 'under no-referrer, browsers would send Origin: null');
  const agent = new Agent(env.issuer, { formOrigin: 'null' });
  const { res } = await signIn(agent);
  assert.equal(res.status, 400, 'an opaque origin (a sandboxed frame, a data: URL) is not ours');
  assert.equal(cookieLine(res, 'sigil-session'), undefined);
});

test('a failed sign-in re-shows the form with the error tied to the fields', async () => {
  const agent = newAgent();
  const { res } = await signIn(agent, 'not the password at all');
  assert.equal(res.status, 200, 'the form again, with its error (a 401 would need a WWW-Authenticate challenge)');
  assert.equal(cookieLine(res, 'sigil-session'), undefined);
  assert.match(res.html, /<p class="error" id="form-error" role="alert">The username or password is incorrect\.<\/p>/);
  const inputs = Object.fromEntries(res.forms()[0].inputs.map((i) => [i.name, i.attrs]));
  for (const name of ['username', 'password']) {
    assert.equal(inputs[name]['aria-invalid'], 'true');
    assert.equal(inputs[name]['aria-describedby'], 'form-error');
  }
  assert.equal(inputs.username.value, 'henry', 'the username is kept');
  assert.equal(inputs.password.value, undefined, 'the password is not echoed');
  assert.ok('autofocus' in inputs.password && !('autofocus' in inputs.username), 'focus goes to the password');
});
