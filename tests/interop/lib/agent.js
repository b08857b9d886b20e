// A scripted user agent: a cookie jar, redirects followed by hand (stopping where the browser
// would leave Sigil for the relying party), and real form submission: the page is fetched, its
// form parsed, and every input sent back (hidden fields and the CSRF token included) with what
// the "user" typed and the button they pressed.
import assert from 'node:assert/strict';

/** Undoes the HTML escaping of attribute values and text (minijinja escapes `/` too). */
export function unescapeHtml(text) {
  return text
    .replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#([0-9]+);/g, (_, d) => String.fromCodePoint(parseInt(d, 10)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function attributes(tag) {
  const attrs = {};
  const re = /\s([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
  let m;
  while ((m = re.exec(tag))) {
    attrs[m[1].toLowerCase()] = unescapeHtml(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return attrs;
}

/** The forms of a page: action, method, inputs (name, value, type) and submit buttons. */
export function parseForms(html) {
  const forms = [];
  const formRe = /<form\b([^>]*)>([\s\S]*?)<\/form>/gi;
  let f;
  while ((f = formRe.exec(html))) {
    const attrs = attributes(f[1]);
    const inputs = [];
    const buttons = [];
    const fieldRe = /<(input|button)\b([^>]*)>/gi;
    let i;
    while ((i = fieldRe.exec(f[2]))) {
      const a = attributes(i[2]);
      if (i[1].toLowerCase() === 'input') {
        if (a.name !== undefined) inputs.push({ name: a.name, value: a.value ?? '', type: (a.type ?? 'text').toLowerCase(), attrs: a });
      } else if ((a.type ?? 'submit').toLowerCase() === 'submit') {
        buttons.push({ name: a.name, value: a.value ?? '', attrs: a });
      }
    }
    forms.push({ action: attrs.action ?? '', method: (attrs.method ?? 'get').toLowerCase(), inputs, buttons });
  }
  return forms;
}

/** A response as the agent saw it. */
export class Page {
  constructor(url, res, html) {
    this.url = url;
    this.status = res.status;
    this.headers = res.headers;
    this.html = html;
  }

  get location() {
    const l = this.headers.get('location');
    return l === null ? null : new URL(l, this.url).href;
  }

  get isRedirect() {
    return this.status >= 300 && this.status < 400 && this.location !== null;
  }

  forms() {
    return parseForms(this.html);
  }

  /** The form whose action path ends with `suffix`, or undefined. */
  form(suffix) {
    return this.forms().find((f) => new URL(f.action, this.url).pathname.endsWith(suffix));
  }

  hasForm(suffix) {
    return this.form(suffix) !== undefined;
  }

  /** The text of the first `<h1>`. */
  get heading() {
    const m = /<h1[^>]*>([\s\S]*?)<\/h1>/i.exec(this.html);
    return m ? unescapeHtml(m[1].replace(/<[^>]+>/g, '')).trim() : undefined;
  }

  describe() {
    return `${this.status} ${this.url}${this.location ? ` -> ${this.location}` : ''}\n${this.html.slice(0, 1500)}`;
  }
}

/**
 * A browser-like client of one Sigil origin. Cookies are kept per name for that origin only
 * (Path=/ is all Sigil sets); navigation stops when a redirect leaves the origin.
 *
 * `formOrigin` is the `Origin` header sent with form posts: by default the page's origin, as a
 * browser sends it under a referrer policy that allows it. (Under Sigil's own `no-referrer`
 * policy a Fetch-conforming browser sends `null`: pass 'null' to act like that, or null to
 * send no Origin at all.)
 */
export class Agent {
  constructor(origin, { userAgent = 'sigil-interop-agent/1', formOrigin } = {}) {
    this.origin = new URL(origin).origin;
    this.cookies = new Map();
    this.userAgent = userAgent;
    this.formOrigin = formOrigin === undefined ? this.origin : formOrigin;
    this.history = [];
  }

  cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  storeCookies(res) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const maxAge = attrs.map((a) => a.trim()).find((a) => /^max-age=/i.test(a));
      const expired = maxAge !== undefined && Number(maxAge.split('=')[1]) <= 0;
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  /** One request, no redirect following. */
  async request(url, { method = 'GET', form, headers = {} } = {}) {
    const target = new URL(url, this.origin);
    assert.equal(target.origin, this.origin, `the agent only talks to ${this.origin}, not ${target.href}`);
    const h = { 'user-agent': this.userAgent, accept: 'text/html', ...headers };
    if (this.cookies.size > 0) h.cookie = this.cookieHeader();
    let body;
    if (form !== undefined) {
      body = new URLSearchParams(form).toString();
      h['content-type'] = 'application/x-www-form-urlencoded';
      if (this.formOrigin !== null && !('origin' in headers)) h.origin = this.formOrigin;
    }
    const res = await fetch(target, { method, headers: h, body, redirect: 'manual' });
    this.storeCookies(res);
    const page = new Page(target.href, res, await res.text());
    this.history.push(`${method} ${target.pathname} -> ${page.status}`);
    return page;
  }

  /**
   * Follows redirects within the origin (303s become GETs). Returns the last page, or, when a
   * redirect leaves the origin (the relying party's redirect URI), `{ leftTo: URL, page }`
   * without fetching it.
   */
  async follow(page, maxHops = 10) {
    let current = page;
    for (let hop = 0; hop < maxHops && current.isRedirect; hop++) {
      const next = new URL(current.location);
      if (next.origin !== this.origin) return { leftTo: next, page: current };
      current = await this.request(next.href);
    }
    assert.ok(!current.isRedirect, `too many redirects: ${this.history.join(', ')}`);
    return { page: current };
  }

  /** GET and follow. */
  async navigate(url) {
    return this.follow(await this.request(url));
  }

  /**
   * Submits the form of `page` whose action ends with `actionSuffix`, with every input the
   * page put in it, `fields` typed over them, and the submit button `button` ({name, value})
   * pressed when given. Follows redirects as `follow` does.
   */
  async submit(page, actionSuffix, fields = {}, button = undefined) {
    const form = page.form(actionSuffix);
    assert.ok(form, `expected a form posting to *${actionSuffix} on:\n${page.describe()}`);
    assert.equal(form.method, 'post', 'Sigil forms post');
    const data = new URLSearchParams();
    for (const input of form.inputs) {
      if (input.type === 'submit' || input.type === 'button') continue;
      data.append(input.name, Object.hasOwn(fields, input.name) ? fields[input.name] : input.value);
    }
    for (const [k, v] of Object.entries(fields)) if (!data.has(k)) data.append(k, v);
    if (button) {
      const b = form.buttons.find((x) => x.name === button.name && x.value === button.value);
      assert.ok(b, `no button ${button.name}=${button.value} in the form ${form.action}`);
      data.append(b.name, b.value);
    }
    assert.ok(data.get('csrf'), `the form ${form.action} carries a CSRF token`);
    const res = await this.request(new URL(form.action, page.url).href, { method: 'POST', form: data });
    return this.follow(res);
  }
}
