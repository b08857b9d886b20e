// OpenID4VP 1.0 presentation to Sigil's verifier, driven by an independent wallet:
// @openid4vc/openid4vp 0.4.6 (Openid4vpClient) resolves the openid4vp:// request made with
// `sigil verifier request` (fetches the Request Object by reference, verifies its signature with
// the x5c certificate and binds the certificate to the x509_hash client_id), reads the DCQL
// query, and makes and posts the response (direct_post, and direct_post.jwt encrypted with
// ECDH-ES to the verifier's key); @sd-jwt/sd-jwt-vc 0.19.0 makes the presentation (only the
// queried claims, KB-JWT over the request's nonce and client_id) of an `employee` credential
// that kate got through the OpenID4VCI wallet of vci.test.js. `sigil verifier result` gives the
// verdict. Negative cases: a tampered disclosure, a KB-JWT with a wrong nonce, audience or
// age, or by another key, none at all, a revoked credential, a missing claim; a replayed or
// unknown state.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createHash, randomBytes } from 'node:crypto';
import * as jose from 'jose';
import {
  ISSUER,
  QUERY_ID,
  RESPONSE_URI,
  SIOP_AUD,
  createVpRequest,
  disclosures,
  employeeQuery,
  expectRejected,
  fetchUnsignedRequestObject,
  handPresentation,
  hostIsIp,
  issueEmployee,
  newVpWallet,
  now,
  postResponse,
  present,
  resolveVpRequest,
  sigil,
  submitVp,
  tamperDisclosure,
  verifierResult,
} from '../lib/vp-wallet.js';
import { holderKey, sdJwtVc } from '../lib/vci-wallet.js';

const USER = 'kate';
const GROUP = 'vp-staff';
const KATE = { name: 'Kate Example', email: 'kate@example.com' };
const QUERIED = ['name', 'email'];

/** kate's `employee` credential (name, email and groups, all disclosable). */
let cred;

before(async () => {
  await sigil('group', 'create', GROUP, '--description', 'OpenID4VP interop');
  await sigil('group', 'add-member', GROUP, USER);
  cred = await issueEmployee(USER);
  const d = disclosures(cred.sdJwt);
  assert.equal(d.name?.value, KATE.name);
  assert.equal(d.email?.value, KATE.email);
  assert.ok(Array.isArray(d.groups?.value) && d.groups.value.includes(GROUP), `the credential has groups to withhold: ${Object.keys(d)}`);
});

/**
 * A request made with the CLI, resolved by the library (signed Request Object by reference),
 * with everything the contract says about it checked. Returns the request, the wallet and
 * the library's resolution.
 */
async function openSignedRequest({ responseMode, prefix } = {}) {
  const req = await createVpRequest({ responseMode, prefix });
  const expectedPrefix = prefix ?? 'x509_hash';
  const expectedMode = responseMode ?? 'direct_post';
  assert.ok(req.client_id.startsWith(`${expectedPrefix}:`), `client_id ${req.client_id}`);
  assert.equal(req.requestObjectUri, `${ISSUER}/vp/requests/${req.id}`);
  assert.equal((await verifierResult(req.id, { settle: false })).status, 'pending', 'pending before any response');

  const wallet = newVpWallet();
  const { parsed, resolved } = await resolveVpRequest(wallet, req.request_uri);
  assert.equal(parsed.type, 'jar', 'the openid4vp:// URL passes the request by reference');
  assert.equal(parsed.params.request_uri, req.requestObjectUri);

  // The Request Object as served (the library fetched it with GET).
  const fetched = wallet.requests.filter((r) => r.url === req.requestObjectUri);
  assert.equal(fetched.length, 1, wallet.describe());
  assert.equal(fetched[0].method.toUpperCase(), 'GET');
  assert.equal(fetched[0].status, 200);
  assert.match(fetched[0].contentType ?? '', /^application\/oauth-authz-req\+jwt/);
  const jwt = fetched[0].responseText.trim();
  const header = jose.decodeProtectedHeader(jwt);
  assert.equal(header.typ, 'oauth-authz-req+jwt');
  assert.equal(header.alg, 'ES256');
  assert.equal(header.x5c?.length, 1, 'x5c: the leaf certificate');
  const cert = new X509Certificate(Buffer.from(header.x5c[0], 'base64'));
  assert.ok(!cert.verify(cert.publicKey), 'not self-signed (HAIP)');
  const ca = new X509Certificate(await sigil('credentials', 'issuer-ca'));
  assert.ok(cert.checkIssued(ca) && cert.verify(ca.publicKey), 'issued by the issuer CA');
  await jose.compactVerify(jwt, cert.publicKey, { algorithms: ['ES256'] });

  // The library's checks: our x5c callback ran and accepted, then it bound the certificate to
  // the client_id (checked here too, independently).
  assert.equal(wallet.verifications.length, 1, JSON.stringify(wallet.verifications));
  assert.ok(wallet.verifications[0].verified, wallet.verifications[0].error);
  assert.equal(resolved.jar?.signer?.method, 'x5c');
  assert.equal(resolved.client.prefix, expectedPrefix);
  assert.equal(resolved.client.effective, req.client_id);
  if (expectedPrefix === 'x509_hash') {
    const hash = createHash('sha256').update(cert.raw).digest('base64url');
    assert.equal(req.client_id, `x509_hash:${hash}`, 'x509_hash of the DER leaf certificate');
  } else if (expectedPrefix === 'x509_san_dns') {
    assert.equal(req.client_id, `x509_san_dns:${new URL(ISSUER).hostname}`);
    assert.match(cert.subjectAltName ?? '', new RegExp(`DNS:${new URL(ISSUER).hostname.replace(/\./g, '\\.')}`));
  }
  assert.equal(resolved.version, 100, 'the library reads the request as OpenID4VP 1.0 (final)');

  checkRequestPayload(resolved.authorizationRequestPayload, req, expectedMode);
  return { req, wallet, resolved };
}

/**
 * The request's parameters the contract names; `requestObject` (default): they came in a
 * Request Object, which also has `aud`, `iat` and `exp`.
 */
function checkRequestPayload(p, req, mode, { requestObject = true } = {}) {
  assert.equal(p.client_id, req.client_id);
  assert.equal(p.response_type, 'vp_token');
  assert.equal(p.response_mode, mode);
  assert.equal(p.response_uri, RESPONSE_URI);
  assert.equal(p.redirect_uri, undefined, 'response_uri, not redirect_uri, with direct_post');
  assert.equal(p.state, req.id);
  assert.equal(typeof p.nonce, 'string');
  assert.ok(p.nonce.length >= 16, `a nonce with entropy: ${p.nonce}`);
  if (requestObject) {
    assert.equal(p.aud, SIOP_AUD);
    assert.equal(typeof p.iat, 'number');
    assert.ok(p.iat <= now() + 5, 'iat not in the future');
    assert.ok(p.exp > now(), 'exp in the future');
  }
  assert.equal(p.request_uri_method, undefined);
  assert.equal(p.presentation_definition, undefined, 'DCQL only');
  assert.equal(p.scope, undefined);
  const f = p.client_metadata?.vp_formats_supported?.['dc+sd-jwt'];
  assert.ok(f, `client_metadata.vp_formats_supported["dc+sd-jwt"]: ${JSON.stringify(p.client_metadata)}`);
  assert.ok(f['sd-jwt_alg_values']?.includes('ES256'), JSON.stringify(f));
  assert.ok(f['kb-jwt_alg_values']?.includes('ES256'), JSON.stringify(f));
  assert.equal(p.client_metadata.vp_formats, undefined, 'no pre-1.0 vp_formats');
  if (mode === 'direct_post.jwt') {
    const keys = p.client_metadata.jwks?.keys ?? [];
    assert.equal(keys.length, 1, JSON.stringify(p.client_metadata.jwks));
    const [k] = keys;
    assert.equal(k.kty, 'EC');
    assert.equal(k.crv, 'P-256');
    assert.equal(k.use, 'enc');
    assert.equal(k.alg, 'ECDH-ES');
    assert.equal(typeof k.kid, 'string');
    assert.equal(k.d, undefined, 'no private key material');
    assert.deepEqual(p.client_metadata.encrypted_response_enc_values_supported, ['A128GCM', 'A256GCM']);
  } else {
    assert.equal(p.client_metadata.jwks, undefined, 'no encryption key without direct_post.jwt');
  }
  const { names } = employeeQuery({ dcql: { query: p.dcql_query } });
  assert.deepEqual(names, QUERIED);
}

/** The KB-JWT claims for a resolved request: its client_id (with prefix) and nonce, now. */
function kbFor(resolved, over = {}) {
  return { iat: now(), aud: resolved.client.effective, nonce: resolved.authorizationRequestPayload.nonce, ...over };
}

/** The presentation of only the queried claims, as the library builds it. */
async function honestPresentation(resolved, c = cred, kb = kbFor(resolved)) {
  const { names } = employeeQuery(resolved);
  const frame = Object.fromEntries(names.map((n) => [n, true]));
  const p = await present(c, frame, kb);
  const shown = Object.keys(disclosures(p)).sort();
  assert.deepEqual(shown, [...names].sort(), 'exactly the queried disclosures');
  return p;
}

function vpToken(presentation) {
  return { [QUERY_ID]: [presentation] };
}

/** The verifier's answer to a response it accepted for processing. */
function assertAccepted(answer) {
  assert.equal(answer.status, 200, `${answer.status} ${answer.text}`);
  assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
  assert.ok(answer.json && typeof answer.json === 'object' && !Array.isArray(answer.json), answer.text);
  if (answer.json.redirect_uri !== undefined) assert.equal(typeof answer.json.redirect_uri, 'string');
}

async function assertVerified(id) {
  const result = await verifierResult(id);
  assert.equal(result.status, 'verified', JSON.stringify(result));
  assert.deepEqual(result.claims, { [QUERY_ID]: KATE }, 'exactly the disclosed, queried claims');
  assert.equal(result.claims[QUERY_ID].groups, undefined, 'groups not disclosed');
  return result;
}

test('direct_post with x509_hash: signed request resolved by the library, only name and email disclosed, verified; replay refused', async () => {
  const { req, wallet, resolved } = await openSignedRequest();
  const presentation = await honestPresentation(resolved);
  assert.equal(presentation.split('~').length, 4, 'issuer JWT, two disclosures, KB-JWT');

  const answer = await submitVp(wallet, resolved, vpToken(presentation));
  assert.equal(answer.responseMode, 'direct_post');
  assert.equal(answer.sent.method, 'POST');
  assert.equal(answer.sent.url, RESPONSE_URI);
  assert.equal(new Headers(answer.sent.headers).get('content-type'), 'application/x-www-form-urlencoded');
  const form = new URLSearchParams(answer.sent.body);
  assert.deepEqual([...form.keys()].sort(), ['state', 'vp_token'], 'vp_token and state only');
  assert.equal(form.get('state'), req.id);
  assert.deepEqual(JSON.parse(form.get('vp_token')), vpToken(presentation));
  assertAccepted(answer);
  await assertVerified(req.id);

  // The same response again (by the library): the state is spent.
  const again = await wallet.client.submitOpenid4vpAuthorizationResponse({
    authorizationRequestPayload: resolved.authorizationRequestPayload,
    authorizationResponsePayload: answer.made.authorizationResponsePayload,
  });
  const body = await again.response.json().catch(() => undefined);
  assert.equal(again.response.status, 400, JSON.stringify(body));
  assert.equal(body?.error, 'invalid_request');
  await assertVerified(req.id);
});

for (const enc of ['A128GCM', 'A256GCM']) {
  test(`direct_post.jwt: the response encrypted by the library (ECDH-ES, ${enc}) to the verifier key, verified`, async () => {
    const { req, wallet, resolved } = await openSignedRequest({ responseMode: 'direct_post.jwt' });
    const verifierKey = resolved.authorizationRequestPayload.client_metadata.jwks.keys[0];
    const presentation = await honestPresentation(resolved);

    const answer = await submitVp(wallet, resolved, vpToken(presentation), { encValues: [enc] });
    assert.equal(answer.responseMode, 'direct_post.jwt');
    assert.equal(wallet.encryptions.length, 1);
    const { header, plaintext } = wallet.encryptions[0];
    assert.equal(header.alg, 'ECDH-ES');
    assert.equal(header.enc, enc);
    assert.equal(header.kid, verifierKey.kid);
    assert.equal(header.epk?.crv, 'P-256');
    const inner = JSON.parse(plaintext);
    assert.deepEqual(inner.vp_token, vpToken(presentation), 'vp_token as a JSON object inside the JWE');
    assert.equal(inner.state, req.id);

    assert.equal(answer.sent.url, RESPONSE_URI);
    assert.equal(new Headers(answer.sent.headers).get('content-type'), 'application/x-www-form-urlencoded');
    const form = new URLSearchParams(answer.sent.body);
    assert.deepEqual([...form.keys()], ['response'], 'only the JWE');
    assert.equal(form.get('response').split('.').length, 5, 'a compact JWE');
    assertAccepted(answer);
    await assertVerified(req.id);

    const replay = await postResponse(Object.fromEntries(form));
    assert.equal(replay.status, 400, replay.text);
    assert.equal(replay.json?.error, 'invalid_request');
  });
}

test('redirect_uri prefix: unsigned request, verified', async () => {
  const req = await createVpRequest({ prefix: 'redirect_uri' });
  assert.equal(req.client_id, `redirect_uri:${RESPONSE_URI}`);
  const wallet = newVpWallet();
  let resolved;
  const byReference = !!req.requestObjectUri;
  if (byReference) {
    // By reference (alg none). Openid4vpClient 0.4.6 refuses a Request Object with the
    // redirect_uri prefix (and any unsigned one), so the wallet fetches and decodes it, then the
    // library resolves its claims as a request by value (prefix rules: response_uri = client id).
    const ro = await fetchUnsignedRequestObject(req.requestObjectUri);
    assert.match(ro.contentType ?? '', /^application\/oauth-authz-req\+jwt/);
    assert.equal(ro.header.alg, 'none');
    assert.equal(ro.header.x5c, undefined);
    resolved = await wallet.client.resolveOpenId4vpAuthorizationRequest({ authorizationRequestPayload: ro.payload });
  } else {
    ({ resolved } = await resolveVpRequest(wallet, req.request_uri));
  }
  assert.equal(resolved.jar, undefined);
  assert.equal(resolved.client.prefix, 'redirect_uri');
  assert.equal(resolved.client.effective, req.client_id);
  assert.equal(resolved.client.redirectUri, RESPONSE_URI);
  assert.equal(wallet.verifications.length, 0, 'nothing to verify');
  checkRequestPayload(resolved.authorizationRequestPayload, req, 'direct_post', { requestObject: byReference });

  const answer = await submitVp(wallet, resolved, vpToken(await honestPresentation(resolved)));
  assertAccepted(answer);
  await assertVerified(req.id);
});

test('x509_san_dns prefix: certificate SAN bound to the client_id by the library, verified', async (t) => {
  const host = new URL(ISSUER).hostname;
  let opened;
  try {
    opened = await openSignedRequest({ prefix: 'x509_san_dns' });
  } catch (err) {
    if (hostIsIp(ISSUER) && /verifier request/.test(err.message)) {
      // A dNSName SAN cannot hold an IP address: the suite's issuer is http://127.0.0.1:PORT.
      t.skip(`the issuer host ${host} is an IP address; the CLI refused x509_san_dns: ${err.message.split('\n')[0]}`);
      return;
    }
    throw err;
  }
  const { req, wallet, resolved } = opened;
  const answer = await submitVp(wallet, resolved, vpToken(await honestPresentation(resolved)));
  assertAccepted(answer);
  await assertVerified(req.id);
});

// --- Presentations the verifier must reject (accepted for processing: 200, then `rejected`).

/**
 * A fresh signed request, `build(resolved)` gives the presentation, posted by the library;
 * the verdict must be `rejected` (its reason is shown as a diagnostic).
 */
async function rejectedCase(t, what, build) {
  const { req, wallet, resolved } = await openSignedRequest();
  const presentation = await build(resolved);
  const answer = await submitVp(wallet, resolved, vpToken(presentation));
  assertAccepted(answer);
  const result = await expectRejected(req.id, what);
  t.diagnostic(`reason: ${result.reason}`);
  return result;
}

test('a hand-built presentation (control for the tampered one) is verified', async () => {
  const { req, wallet, resolved } = await openSignedRequest();
  const d = disclosures(cred.sdJwt);
  const presentation = await handPresentation(cred, [d.name.encoded, d.email.encoded], kbFor(resolved));
  assertAccepted(await submitVp(wallet, resolved, vpToken(presentation)));
  await assertVerified(req.id);
});

test('rejected: a disclosure with one character changed (KB-JWT sd_hash over the tampered one)', async (t) => {
  await rejectedCase(t, 'tampered disclosure', async (resolved) => {
    const d = disclosures(cred.sdJwt);
    return handPresentation(cred, [tamperDisclosure(d.name, 'name'), d.email.encoded], kbFor(resolved));
  });
});

test('rejected: KB-JWT nonce is not the request nonce', async (t) => {
  await rejectedCase(t, 'wrong nonce', (resolved) => honestPresentation(resolved, cred, kbFor(resolved, { nonce: randomBytes(16).toString('base64url') })));
});

test('rejected: KB-JWT aud is the client_id without its prefix', async (t) => {
  await rejectedCase(t, 'wrong aud', (resolved) => {
    assert.notEqual(resolved.client.identifier, resolved.client.effective);
    return honestPresentation(resolved, cred, kbFor(resolved, { aud: resolved.client.identifier }));
  });
});

test('rejected: KB-JWT iat an hour old', async (t) => {
  await rejectedCase(t, 'old iat', (resolved) => honestPresentation(resolved, cred, kbFor(resolved, { iat: now() - 3600 })));
});

test('rejected: KB-JWT signed by a key other than cnf.jwk', async (t) => {
  const thief = await holderKey();
  await rejectedCase(t, 'foreign holder key', (resolved) => honestPresentation(resolved, { ...cred, holder: thief }));
});

test('rejected: no KB-JWT', async (t) => {
  await rejectedCase(t, 'no key binding', async (resolved) => {
    const { names } = employeeQuery(resolved);
    const plain = await (await sdJwtVc(cred.meta.jwks)).present(cred.sdJwt, Object.fromEntries(names.map((n) => [n, true])));
    assert.ok(plain.endsWith('~'), 'an SD-JWT without KB-JWT');
    return plain;
  });
});

test('rejected: a revoked credential', async (t) => {
  const revoked = await issueEmployee(USER);
  await sigil('credentials', 'revoke', revoked.credentialId);
  await rejectedCase(t, 'revoked credential', (resolved) => honestPresentation(resolved, revoked));
});

test('rejected: the requested email disclosure missing', async (t) => {
  await rejectedCase(t, 'missing email', (resolved) => present(cred, { name: true }, kbFor(resolved)));
});

test('response endpoint: an unknown state or no vp_token is invalid_request', async () => {
  const { resolved } = await openSignedRequest();
  const presentation = await honestPresentation(resolved);
  const unknown = await postResponse({ vp_token: JSON.stringify(vpToken(presentation)), state: 'no-such-state' });
  assert.equal(unknown.status, 400, unknown.text);
  assert.equal(unknown.json?.error, 'invalid_request');

  const noToken = await postResponse({ state: resolved.authorizationRequestPayload.state });
  assert.equal(noToken.status, 400, noToken.text);
  assert.equal(noToken.json?.error, 'invalid_request');
});
