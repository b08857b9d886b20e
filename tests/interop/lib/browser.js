// Headless Chromium (Debian's, driven by playwright-core) for the browser tests: a fresh
// profile and page that records POSTs, console messages, page errors and
// Content-Security-Policy violations, closed after the test.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { env } from './env.js';

const CHROMIUM = process.env.INTEROP_CHROMIUM;
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Why the browser tests are skipped, or false. */
export const skip = CHROMIUM ? false : 'Chromium is not installed (run.sh installs it with apt-get when run as root); browser test skipped';

/** Runs the after-steps in reverse order of registration, each given a few seconds. */
export function cleanups(t) {
  const steps = [];
  t.after(async () => {
    for (const step of steps.reverse()) {
      await Promise.race([Promise.resolve().then(step), new Promise((r) => setTimeout(r, 5000).unref())]).catch(() => {});
    }
  });
  return (step) => steps.push(step);
}

/**
 * A fresh Chromium profile and page that records POSTs, console messages, page errors and
 * Content-Security-Policy violations.
 */
export async function openBrowser(t) {
  const { chromium } = await import('playwright-core');
  const defer = cleanups(t);
  const profile = mkdtempSync(join(env.work, 'chromium-')); // inside run.sh's temp dir
  defer(() => rmSync(profile, { recursive: true, force: true }));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
  });
  defer(() => context.close());
  const page = context.pages()[0] ?? (await context.newPage());
  const posts = [];
  page.on('request', (r) => {
    if (r.method() === 'POST') posts.push({ path: new URL(r.url()).pathname, origin: r.headers().origin ?? null });
  });
  const consoleMessages = [];
  const pageErrors = [];
  const violations = [];
  page.on('console', (m) => consoleMessages.push(`${m.type()}: ${m.text()} (${m.location().url})`));
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  // Sigil's pages allow no script at all; the listener is added through the DevTools protocol,
  // which CSP does not govern, and reports back through a binding.
  await page.exposeBinding('__reportViolation', (_source, v) => violations.push(v));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__reportViolation({ directive: e.violatedDirective, blocked: e.blockedURI, document: e.documentURI, sample: e.sample });
    });
  });
  return { context, page, posts, consoleMessages, pageErrors, violations, defer };
}

