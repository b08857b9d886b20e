// The holder's wallet for OpenID4VP 1.0, built from independent libraries:
// @openid4vc/openid4vp (Openid4vpClient: parses the openid4vp:// request, fetches and verifies the
// signed Request Object, checks the client identifier prefix, builds and submits the
// direct_post / direct_post.jwt response) and @sd-jwt/sd-jwt-vc (the presentation with a
// KB-JWT). X.509 certificates are read with node:crypto, JWS and JWE are jose. Credentials come
// from the OpenID4VCI wallet of vci-wallet.js; the CLI makes verifier requests and reads results.
import assert from 'node:assert/strict';
import { X509Certificate, createHash, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import * as jose from 'jose';
import { Openid4vpClient } from '@openid4vc/openid4vp';
// (Importing vci-wallet.js also sets the libraries' allowInsecureUrls: Sigil is on http loopback.)
import {
  ISSUER,
  createOffer,
  holderKey,
  issuerJwt,
  jwtVcIssuerMetadata,
  sdJwtVc,
  sigil,
  sigilJson,
  sleep,
  walletCredentials,
  walletToken,
  newWallet as newVciWallet,
} from './vci-wallet.js';

export const VERIFIER = 'employee-check';
export const QUERY_ID = 'employee';
export const VCT = `${ISSUER}/vct/employee`;
export const RESPONSE_URI = `${ISSUER}/vp/response`;
export const SIOP_AUD = 'https://self-issued.me/v2';

const utf8 = new TextEncoder();
export const now = () => Math.floor(Date.now() / 1000);
const b64u = (bytes) => Buffer.from(bytes).toString('base64url');
const sha256 = (data) => createHash('sha256').update(data).digest();

// --- Sigil's side, through the CLI.

/**
 * `sigil verifier request --verifier employee-check [--response-mode M] [--client-id-prefix P]
 * --json`, checked against the contract; waits until the server shows the request's page
 * (the CLI writes to the store the server reads). The request object itself is not fetched
 * here: it is the wallet's to fetch (and a verifier may serve it once).
 */
export async function createVpRequest({ responseMode, prefix, verifier = VERIFIER } = {}) {
  const args = ['verifier', 'request', '--verifier', verifier];
  if (responseMode) args.push('--response-mode', responseMode);
  if (prefix) args.push('--client-id-prefix', prefix);
  const req = await sigilJson(...args, '--json');
  assert.equal(typeof req.id, 'string', `no id: ${JSON.stringify(req)}`);
  assert.equal(typeof req.client_id, 'string', `no client_id: ${JSON.stringify(req)}`);
  assert.match(req.request_uri ?? '', /^openid4vp:\/\/\?/, `request_uri: ${req.request_uri}`);
  const params = new URL(req.request_uri).searchParams;
  assert.equal(params.get('client_id'), req.client_id, 'the openid4vp:// URL names the client_id');
  assert.equal(req.page, `${ISSUER}/presentation/${req.id}`);
  const deadline = Date.now() + 5000;
  for (;;) {
    const res = await fetch(req.page, { headers: { accept: 'text/html' } });
    await res.body?.cancel();
    if (res.status !== 404 || Date.now() > deadline) {
      assert.equal(res.status, 200, `GET ${req.page}`);
      break;
    }
    await sleep(200);
  }
  return { ...req, requestObjectUri: params.get('request_uri') };
}

/**
 * `sigil verifier result ID --json`. With `settle` (default), re-reads while it is `pending`
 * (the response is accepted for processing, the verdict may follow).
 */
export async function verifierResult(id, { settle = true, timeoutMs = 10000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await sigilJson('verifier', 'result', id, '--json');
    assert.ok(['pending', 'verified', 'rejected'].includes(result.status), `status: ${JSON.stringify(result)}`);
    if (!settle || result.status !== 'pending' || Date.now() > deadline) return result;
    await sleep(200);
  }
}

/** Asserts that `id` ends `rejected` with a non-empty reason and no claims; returns the result. */
export async function expectRejected(id, what) {
  const result = await verifierResult(id);
  assert.equal(result.status, 'rejected', `${what}: ${JSON.stringify(result)}`);
  assert.equal(typeof result.reason, 'string', `${what}: a reason: ${JSON.stringify(result)}`);
  assert.ok(result.reason.trim().length > 0, `${what}: a non-empty reason`);
  assert.ok(result.claims === undefined || result.claims === null || Object.keys(result.claims).length === 0, `${what}: no claims on rejection: ${JSON.stringify(result)}`);
  return result;
}

// --- Credentials for the holder (OpenID4VCI, vci-wallet.js).

/** One `employee` SD-JWT VC for `user`, bound to a new holder key. */
export async function issueEmployee(user) {
  const offer = await createOffer({ user });
  const wallet = newVciWallet();
  const session = await walletToken(wallet, offer);
  const holder = await holderKey();
  const { credentialResponse } = await walletCredentials(wallet, session, [holder]);
  assert.equal(credentialResponse.credentials?.length, 1, JSON.stringify(credentialResponse));
  const sdJwt = credentialResponse.credentials[0].credential;
  const meta = await jwtVcIssuerMetadata();
  return { credentialId: offer.credential_id, sdJwt, holder, meta };
}

/** The disclosures of an SD-JWT by claim name: `{name: {encoded, salt, value}}`. */
export function disclosures(sdJwt) {
  const parts = sdJwt.split('~');
  const out = {};
  for (const encoded of parts.slice(1)) {
    if (!encoded || encoded.includes('.')) continue; // the KB-JWT, or the empty end
    const arr = JSON.parse(Buffer.from(encoded, 'base64url').toString('utf8'));
    if (arr.length === 3) out[arr[1]] = { encoded, salt: arr[0], value: arr[2] };
  }
  return out;
}

// --- The wallet.

/** The tenant's issuer CA (`sigil credentials issuer-ca`), the wallet's trust anchor. */
let trustAnchor;
async function issuerCa() {
  trustAnchor ??= new X509Certificate(await sigil('credentials', 'issuer-ca'));
  return trustAnchor;
}

/**
 * Trust for the verifier's signed Request Object: the leaf certificate of `x5c` verifies the
 * JWS (ES256), is within its validity, is not self-signed and was issued by the trust anchor
 * (Sigil's issuer CA, which HAIP's rules keep out of `x5c`); the library then binds it to the
 * client_id (x509_hash: the SHA-256 of the DER leaf; x509_san_dns: a dNSName SAN).
 */
async function verifyX5cJws(signer, { compact }, log) {
  const entry = { method: signer.method, alg: signer.alg, x5c: signer.x5c, verified: false };
  log.push(entry);
  if (signer.method !== 'x5c' || !Array.isArray(signer.x5c) || signer.x5c.length === 0) {
    entry.error = `not an x5c signer: ${signer.method}`;
    return { verified: false };
  }
  let cert;
  try {
    cert = new X509Certificate(Buffer.from(signer.x5c[0], 'base64'));
  } catch (err) {
    entry.error = `x5c[0] is not a DER certificate: ${err.message}`;
    return { verified: false };
  }
  const t = Date.now();
  if (t < Date.parse(cert.validFrom) || t > Date.parse(cert.validTo)) {
    entry.error = `certificate not valid now (${cert.validFrom} .. ${cert.validTo})`;
    return { verified: false };
  }
  const ca = await issuerCa();
  if (cert.verify(cert.publicKey) || !cert.checkIssued(ca) || !cert.verify(ca.publicKey)) {
    entry.error = 'the leaf certificate is self-signed or not issued by the trust anchor';
    return { verified: false };
  }
  try {
    await jose.compactVerify(compact, cert.publicKey, { algorithms: ['ES256'] });
  } catch (err) {
    entry.error = `signature: ${err.message}`;
    return { verified: false };
  }
  entry.verified = true;
  entry.subjectAltName = cert.subjectAltName;
  return { verified: true, signerJwk: await jose.exportJWK(cert.publicKey) };
}

/** DNS and URI subject alternative names of a base64 DER certificate (node's rendering). */
export function certificateSans(b64Der) {
  const san = new X509Certificate(Buffer.from(b64Der, 'base64')).subjectAltName ?? '';
  const sanDnsNames = [];
  const sanUriNames = [];
  for (const raw of san.split(/, (?=[A-Za-z ]+:)/)) {
    const i = raw.indexOf(':');
    const kind = raw.slice(0, i);
    let value = raw.slice(i + 1);
    if (value.startsWith('"')) value = JSON.parse(value);
    if (kind === 'DNS') sanDnsNames.push(value);
    else if (kind === 'URI') sanUriNames.push(value);
  }
  return { sanDnsNames, sanUriNames };
}

/** A JWE for the library's `encryptJwe` callback: compact, the verifier key's `kid`, apu/apv. */
async function encryptJwe(encryptor, data, log) {
  const key = await jose.importJWK(encryptor.publicJwk, encryptor.alg);
  const header = { alg: encryptor.alg, enc: encryptor.enc };
  if (encryptor.publicJwk.kid) header.kid = encryptor.publicJwk.kid;
  let jwe = new jose.CompactEncrypt(utf8.encode(data)).setProtectedHeader(header);
  const kmp = {};
  if (encryptor.apu) kmp.apu = jose.base64url.decode(encryptor.apu);
  if (encryptor.apv) kmp.apv = jose.base64url.decode(encryptor.apv);
  if (Object.keys(kmp).length > 0) jwe = jwe.setKeyManagementParameters(kmp);
  const compact = await jwe.encrypt(key);
  log.push({ header: jose.decodeProtectedHeader(compact), jwk: encryptor.publicJwk, plaintext: data });
  return { encryptionJwk: encryptor.publicJwk, jwe: compact };
}

/**
 * An Openid4vpClient with node callbacks, and logs: `requests` (every HTTP exchange, with the
 * response content type and, for GETs, the body), `verifications` (the x5c checks),
 * `encryptions` (JWE headers and plaintexts).
 */
export function newVpWallet() {
  const requests = [];
  const verifications = [];
  const encryptions = [];
  const client = new Openid4vpClient({
    callbacks: {
      fetch: async (input, init) => {
        const res = await fetch(input, init);
        const method = init?.method ?? 'GET';
        const entry = {
          method,
          url: String(input),
          status: res.status,
          headers: init?.headers,
          body: init?.body,
          contentType: res.headers.get('content-type'),
        };
        if (method.toUpperCase() === 'GET') entry.responseText = await res.clone().text();
        requests.push(entry);
        return res;
      },
      hash: (data, alg) => new Uint8Array(createHash(alg.replace('-', '')).update(data).digest()),
      verifyJwt: (signer, jwt) => verifyX5cJws(signer, jwt, verifications),
      getX509CertificateMetadata: (certificate) => certificateSans(certificate),
      encryptJwe: (encryptor, data) => encryptJwe(encryptor, data, encryptions),
      decryptJwe: async () => ({ decrypted: false }),
      signJwt: async () => {
        throw new Error('the wallet signs no JWTs through the library (the KB-JWT is @sd-jwt)');
      },
    },
  });
  const describe = () => requests.map((r) => `${r.method} ${r.url} -> ${r.status} ${r.contentType ?? ''}`).join('\n');
  return { client, requests, verifications, encryptions, describe };
}

/** The library's resolution of an `openid4vp://` URL: parse, fetch and verify the request. */
export async function resolveVpRequest(wallet, url) {
  const parsed = wallet.client.parseOpenid4vpAuthorizationRequest({ authorizationRequest: url });
  const resolved = await wallet.client.resolveOpenId4vpAuthorizationRequest({ authorizationRequestPayload: parsed.params });
  return { parsed, resolved };
}

/**
 * The Request Object of an unsigned request (`redirect_uri` prefix): fetched and decoded by
 * hand, because Openid4vpClient 0.4.6 takes unsigned requests only by value (its JAR path
 * requires a signature, and it refuses `redirect_uri` with any Request Object).
 */
export async function fetchUnsignedRequestObject(requestObjectUri) {
  const res = await fetch(requestObjectUri, { headers: { accept: 'application/oauth-authz-req+jwt' } });
  const text = (await res.text()).trim();
  assert.equal(res.status, 200, `GET ${requestObjectUri}: ${text}`);
  const [h, p, s, ...rest] = text.split('.');
  assert.equal(rest.length, 0, 'a compact JWT');
  assert.equal(s, '', 'an unsigned JWT has an empty signature');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
  const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
  return { contentType: res.headers.get('content-type'), text, header, payload };
}

/**
 * The DCQL credential query of `resolved` for `employee`, checked; returns it and the claim
 * names it asks for.
 */
export function employeeQuery(resolved) {
  const query = resolved.dcql?.query;
  assert.ok(query, `a dcql_query: ${JSON.stringify(resolved.authorizationRequestPayload)}`);
  assert.equal(query.credentials?.length, 1, JSON.stringify(query));
  const cq = query.credentials[0];
  assert.equal(cq.id, QUERY_ID);
  assert.equal(cq.format, 'dc+sd-jwt');
  assert.deepEqual(cq.meta?.vct_values, [VCT]);
  const names = (cq.claims ?? []).map((c) => {
    assert.equal(c.path?.length, 1, `a top-level claim: ${JSON.stringify(c)}`);
    return c.path[0];
  });
  return { query, credentialQuery: cq, names };
}

/** A presentation by @sd-jwt with `frame` (claim → true) and a KB-JWT with `kb` (iat, aud, nonce). */
export async function present(cred, frame, kb) {
  const presenter = await sdJwtVc(cred.meta.jwks, cred.holder);
  return presenter.present(cred.sdJwt, frame, { kb: { payload: kb } });
}

/**
 * A presentation assembled by hand: the issuer JWT, exactly the `encodedDisclosures` given,
 * and a KB-JWT (typ kb+jwt, ES256 by the holder key) over them with `sd_hash` computed here.
 */
export async function handPresentation(cred, encodedDisclosures, { iat = now(), aud, nonce }) {
  const body = `${[cred.sdJwt.split('~')[0], ...encodedDisclosures].join('~')}~`;
  const sdHash = b64u(sha256(body));
  const kbJwt = await new jose.CompactSign(utf8.encode(JSON.stringify({ iat, aud, nonce, sd_hash: sdHash })))
    .setProtectedHeader({ typ: 'kb+jwt', alg: 'ES256' })
    .sign(cred.holder.privateKey);
  return `${body}${kbJwt}`;
}

/** A disclosure with one character of its value changed (still valid base64url JSON). */
export function tamperDisclosure({ salt, value }, name) {
  assert.equal(typeof value, 'string');
  const last = value.at(-1);
  const changed = `${value.slice(0, -1)}${last === 'e' ? 'f' : 'e'}`;
  return b64u(JSON.stringify([salt, name, changed]));
}

/** What the wallet's library supports for encrypted responses (JARM server metadata). */
export function walletJarmMetadata(encValues = ['A128GCM', 'A256GCM']) {
  return {
    authorization_signing_alg_values_supported: ['ES256'],
    authorization_encryption_alg_values_supported: ['ECDH-ES'],
    authorization_encryption_enc_values_supported: encValues,
  };
}

/**
 * The authorization response made and sent by the library: `vpToken` (`{employee: [...]}`),
 * plain (direct_post) or, with `encValues`, encrypted to the verifier's key (direct_post.jwt).
 * Returns the HTTP answer and what was made.
 */
export async function submitVp(wallet, resolved, vpToken, { encValues } = {}) {
  const authorizationRequestPayload = resolved.authorizationRequestPayload;
  const encrypted = authorizationRequestPayload.response_mode === 'direct_post.jwt';
  const made = await wallet.client.createOpenid4vpAuthorizationResponse({
    authorizationRequestPayload,
    authorizationResponsePayload: { vp_token: vpToken },
    ...(encrypted
      ? { jarm: { encryption: { nonce: randomBytes(16).toString('base64url') }, serverMetadata: walletJarmMetadata(encValues) } }
      : {}),
  });
  const { response, responseMode } = await wallet.client.submitOpenid4vpAuthorizationResponse({
    authorizationRequestPayload,
    authorizationResponsePayload: made.authorizationResponsePayload,
    ...(made.jarm ? { jarm: { responseJwt: made.jarm.responseJwt } } : {}),
  });
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const sent = wallet.requests.at(-1);
  return { status: response.status, headers: response.headers, text, json, responseMode, made, sent };
}

/** A raw form POST to the response endpoint (a replay, or a response the library cannot make). */
export async function postResponse(params, url = RESPONSE_URI) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams(params),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** Whether the host of `url` is an IP literal (x509_san_dns needs a DNS name). */
export function hostIsIp(url) {
  return isIP(new URL(url).hostname.replace(/^\[|\]$/g, '')) !== 0;
}

export { ISSUER, issuerJwt, sigil };
