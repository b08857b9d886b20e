// `sigil wallet web` in headless Chromium: the page the CLI prints is opened, an offer made
// with `sigil credentials offer` is pasted into its form and received, then a request made
// with `sigil verifier request` is pasted, the consent page shows what is asked, and Share
// sends it: the verifier's result is `verified`. Real form posts (Chromium's own Origin and
// Referer), with no console message and no Content-Security-Policy violation on the way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { openBrowser, skip } from '../lib/browser.js';
import { env } from '../lib/env.js';
import { createOffer } from '../lib/vci-wallet.js';
import { createVpRequest, verifierResult } from '../lib/vp-wallet.js';

/** Starts `sigil wallet --dir DIR web` (stopped after the test): the address it prints. */
async function startWalletPage(defer) {
  const dir = mkdtempSync(join(env.work, 'wallet-page-'));
  const child = spawn(env.sigil, ['wallet', '--dir', dir, 'web'], { stdio: ['ignore', 'pipe', 'inherit'] });
  defer(() => child.kill('SIGTERM'));
  const lines = createInterface({ input: child.stdout });
  for await (const line of lines) {
    const found = line.match(/Open your wallet at (http:\/\/127\.0\.0\.1:\d+\/w\/[A-Za-z0-9_-]+\/)$/);
    if (found) return found[1];
  }
  throw new Error('sigil wallet web printed no address');
}

/** Clicks the form button `name` and waits for the page it posts to, which must be a 200. */
async function submit(page, name) {
  const [response] = await Promise.all([page.waitForNavigation(), page.getByRole('button', { name, exact: true }).click()]);
  assert.equal(response?.status(), 200, `${name}: ${await page.locator('body').innerText()}`);
}

test('the wallet page receives and shares in a real browser', { skip }, async (t) => {
  const { page, posts, consoleMessages, pageErrors, violations, defer } = await openBrowser(t);
  const url = await startWalletPage(defer);

  await page.goto(url);
  assert.equal(await page.locator('h1').innerText(), 'Your credentials');
  const rules = await page.evaluate(() => [...document.styleSheets].reduce((n, sheet) => n + sheet.cssRules.length, 0));
  assert.ok(rules > 0, 'the stylesheet loaded (style-src self)');

  const offer = await createOffer();
  await page.getByLabel('Credential offer link').fill(offer.credential_offer_uri);
  await submit(page, 'Receive');
  const received = await page.locator('main').innerText();
  assert.match(received, /Received Employee/, received);
  assert.equal(await page.getByRole('status').count(), 1, 'the notice is announced');

  const request = await createVpRequest();
  await page.getByLabel('Presentation request link').fill(request.request_uri);
  await submit(page, 'See what is asked');
  assert.equal(await page.locator('h1').innerText(), 'Share these details?');
  const asked = await page.locator('main').innerText();
  assert.ok(asked.includes(request.client_id), `the page names who asks: ${asked}`);
  await submit(page, 'Share');
  assert.match(await page.locator('main').innerText(), /Shared with/);
  const result = await verifierResult(request.id);
  assert.equal(result.status, 'verified', JSON.stringify(result));

  const origin = new URL(url).origin;
  assert.deepEqual(
    posts.map((p) => p.origin),
    [origin, origin, origin],
    'Chromium posted each form with the page origin',
  );
  assert.deepEqual(consoleMessages, []);
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(violations, []);
});
