// An OpenID4VCI 1.0 wallet built from independent libraries: @openid4vc/openid4vci (offer,
// metadata, pre-authorized code token request, nonce, jwt proofs, credential and notification
// requests), @sd-jwt/sd-jwt-vc (SD-JWT VC verification, presentation with key binding) and
// @sd-jwt/jwt-status-list (Token Status List). Holder keys and JWT signing use jose. Plus the
// raw HTTP helpers the negative tests need, and the Sigil CLI (offers, revocation).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import * as jose from 'jose';
import { setGlobalConfig } from '@openid4vc/utils';
import { clientAuthenticationAnonymous, clientAuthenticationClientAttestationJwt, clientAuthenticationNone } from '@openid4vc/oauth2';
import { Openid4vciClient } from '@openid4vc/openid4vci';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { ES256, digest, generateSalt } from '@sd-jwt/crypto-nodejs';
import { getListFromStatusListJWT } from '@sd-jwt/jwt-status-list';
import { env } from './env.js';

// Sigil runs on plain http on loopback: the libraries refuse http:// URLs otherwise.
setGlobalConfig({ allowInsecureUrls: true });

export const ISSUER = env.issuer;
export const CONFIG_ID = 'employee';
export const PRE_AUTH_GRANT = 'urn:ietf:params:oauth:grant-type:pre-authorized_code';

const run = promisify(execFile);

/** The Sigil CLI against the suite's data dir, from the work dir (as run.sh's `sigil`). */
export async function sigil(...args) {
  try {
    const { stdout } = await run(env.sigil, ['--data-dir', env.dataDir, ...args], {
      cwd: env.work,
      env: process.env,
      maxBuffer: 4 << 20,
    });
    return stdout;
  } catch (err) {
    throw new Error(`sigil ${args.join(' ')} failed (${err.code}): ${err.stderr || err.message}`);
  }
}

/** One JSON line per record, as the CLI's `list … --json` commands print them. */
export async function sigilJsonLines(...args) {
  const out = await sigil(...args);
  try {
    return out.split('\n').filter((line) => line.trim()).map((line) => JSON.parse(line));
  } catch {
    throw new Error(`sigil ${args.join(' ')} printed no JSON lines:\n${out}`);
  }
}

export async function sigilJson(...args) {
  const out = await sigil(...args);
  try {
    return JSON.parse(out);
  } catch {
    throw new Error(`sigil ${args.join(' ')} printed no JSON:\n${out}`);
  }
}

/**
 * A credential offer made with the CLI: `{credential_offer_uri, credential_offer, tx_code,
 * credential_id}`. Waits until the server answers the offer URI (the CLI writes to the store
 * the server reads; a cache may lag by a second).
 */
export async function createOffer({ user = 'judy', type = CONFIG_ID, txCode = false, signIn = false } = {}) {
  const args = ['credentials', 'offer', '--type', type, '--user', user];
  if (txCode) args.push('--tx-code');
  if (signIn) args.push('--sign-in');
  const offer = await sigilJson(...args, '--json');
  assert.equal(typeof offer.credential_offer_uri, 'string', `no credential_offer_uri: ${JSON.stringify(offer)}`);
  const byReference = new URL(offer.credential_offer_uri).searchParams.get('credential_offer_uri');
  assert.ok(byReference, `the offer is passed by reference: ${offer.credential_offer_uri}`);
  const deadline = Date.now() + 5000;
  for (;;) {
    const res = await fetch(byReference, { headers: { accept: 'application/json' } });
    await res.body?.cancel();
    if (res.status !== 404 || Date.now() > deadline) {
      assert.equal(res.status, 200, `GET ${byReference}`);
      break;
    }
    await sleep(200);
  }
  return { ...offer, byReference };
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** A holder key pair (ES256 by default) with its public JWK. */
export async function holderKey(alg = 'ES256') {
  const { publicKey, privateKey } = await jose.generateKeyPair(alg, { extractable: true });
  const publicJwk = await jose.exportJWK(publicKey);
  const privateJwk = await jose.exportJWK(privateKey);
  const key = { alg, publicKey, privateKey, publicJwk, privateJwk };
  keyRing.set(jwkId(publicJwk), key);
  return key;
}

/** The library's signer description of a holder key (the proof carries `jwk` in its header). */
export function jwkSigner(key) {
  return { method: 'jwk', alg: key.alg, publicJwk: key.publicJwk };
}

const keyRing = new Map();

function jwkId(jwk) {
  return `${jwk.kty}:${jwk.crv}:${jwk.x}:${jwk.y ?? ''}`;
}

/** Whether two public JWKs are the same key. */
export function sameKey(a, b) {
  return !!a && !!b && jwkId(a) === jwkId(b);
}

const utf8 = new TextEncoder();

/** A compact JWS over `payload` (an object) with exactly `header`. */
export async function signJws(header, payload, privateKey) {
  return new jose.CompactSign(utf8.encode(JSON.stringify(payload))).setProtectedHeader(header).sign(privateKey);
}

/**
 * The wallet: an Openid4vciClient with node crypto callbacks, a log of its HTTP requests, and
 * anonymous client authentication (pre-authorized code flow without client_id); given a
 * `clientAttestationJwt`, attestation-based client authentication (its PoP signed with the
 * attested key, which must be a `holderKey`); given a `clientId`, that of a registered public
 * client (authorization code flow).
 */
export function newWallet({ clientId, clientAttestationJwt } = {}) {
  const requests = [];
  const signJwt = async (signer, { header, payload }) => {
    assert.equal(signer.method, 'jwk', `the wallet signs with jwk signers only, not ${signer.method}`);
    const key = keyRing.get(jwkId(signer.publicJwk));
    assert.ok(key, 'no private key for the signer');
    return { jwt: await signJws(header, payload, key.privateKey), signerJwk: signer.publicJwk };
  };
  const generateRandom = (n) => new Uint8Array(randomBytes(n));
  let clientAuthentication = clientAuthenticationAnonymous();
  if (clientAttestationJwt) {
    clientAuthentication = clientAuthenticationClientAttestationJwt({ clientAttestationJwt, callbacks: { signJwt, generateRandom } });
  } else if (clientId) {
    clientAuthentication = clientAuthenticationNone({ clientId });
  }
  const client = new Openid4vciClient({
    callbacks: {
      fetch: async (input, init) => {
        const res = await fetch(input, init);
        requests.push({ method: init?.method ?? 'GET', url: String(input), status: res.status, headers: init?.headers, body: init?.body });
        return res;
      },
      hash: (data, alg) => new Uint8Array(createHash(alg.replace('-', '')).update(data).digest()),
      generateRandom,
      clientAuthentication,
      signJwt,
    },
  });
  return { client, requests, describe: () => requests.map((r) => `${r.method} ${r.url} -> ${r.status}`).join('\n') };
}

/**
 * The library's steps up to the access token: resolve the offer (by reference), fetch issuer
 * and authorization server metadata, redeem the pre-authorized code.
 */
export async function walletToken(wallet, offer) {
  const credentialOffer = await wallet.client.resolveCredentialOffer(offer.credential_offer_uri);
  const issuerMetadata = await wallet.client.resolveIssuerMetadata(credentialOffer.credential_issuer);
  const { accessTokenResponse } = await wallet.client.retrievePreAuthorizedCodeAccessTokenFromOffer({
    credentialOffer,
    issuerMetadata,
    txCode: offer.tx_code ?? undefined,
  });
  return { credentialOffer, issuerMetadata, accessTokenResponse };
}

/** `credential_identifiers` the token response granted for `employee`, if any. */
export function credentialIdentifiers(accessTokenResponse) {
  return (accessTokenResponse.authorization_details ?? [])
    .filter((d) => d.type === 'openid_credential')
    .flatMap((d) => d.credential_identifiers ?? []);
}

/**
 * Fresh nonce, one jwt proof per holder key (all with that nonce, as batch issuance does) and
 * the credential request, all by the library. `attest(nonce, key)`, when given, makes the key
 * attestation each proof carries in its header. Returns the proofs and the parsed response.
 */
export async function walletCredentials(wallet, { issuerMetadata, accessTokenResponse }, keys, configurationId = CONFIG_ID, { attest } = {}) {
  const { c_nonce: nonce } = await wallet.client.requestNonce({ issuerMetadata });
  assert.equal(typeof nonce, 'string');
  const proofs = [];
  for (const key of keys) {
    const { jwt } = await wallet.client.createCredentialRequestJwtProof({
      issuerMetadata,
      credentialConfigurationId: configurationId,
      signer: jwkSigner(key),
      nonce,
      keyAttestationJwt: attest ? await attest(nonce, key) : undefined,
    });
    proofs.push(jwt);
  }
  const ids = credentialIdentifiers(accessTokenResponse);
  if (ids.length > 0) {
    // OpenID4VCI 1.0 §8.2: credential_identifier is then REQUIRED and credential_configuration_id
    // MUST NOT be used, which Openid4vciClient.retrieveCredentials (0.4.6) cannot express: it
    // always sends credential_configuration_id. Do what a conforming wallet does, by hand.
    const res = await credentialRequest(accessTokenResponse.access_token, { credential_identifier: ids[0], proofs: { jwt: proofs } });
    assert.equal(res.status, 200, `credential request by credential_identifier: ${res.text}`);
    return { nonce, proofs, credentialResponse: res.json, byIdentifier: true };
  }
  const result = await wallet.client.retrieveCredentials({
    issuerMetadata,
    credentialConfigurationId: configurationId,
    accessToken: accessTokenResponse.access_token,
    proofs: { jwt: proofs },
  });
  return { nonce, proofs, credentialResponse: result.credentialResponse, byIdentifier: false };
}

// --- Raw HTTP (negative tests).

let asMetadata;

/** Sigil's RFC 8414 metadata. */
export async function authorizationServerMetadata() {
  if (!asMetadata) {
    const res = await fetch(`${ISSUER}/.well-known/oauth-authorization-server`);
    assert.equal(res.status, 200);
    asMetadata = await res.json();
  }
  return asMetadata;
}

async function answer(res) {
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** A form POST to the token endpoint without client authentication. */
export async function tokenRequest(params) {
  const { token_endpoint } = await authorizationServerMetadata();
  return answer(
    await fetch(token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: new URLSearchParams(params),
    }),
  );
}

/** POST /vci/credential with a JSON body; the token as a Bearer header unless `token` is null. */
export async function credentialRequest(token, body, { query = '' } = {}) {
  const headers = { 'content-type': 'application/json', accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  return answer(await fetch(`${ISSUER}/vci/credential${query}`, { method: 'POST', headers, body: JSON.stringify(body) }));
}

/** A fresh c_nonce from the nonce endpoint. */
export async function freshNonce() {
  const res = await answer(await fetch(`${ISSUER}/vci/nonce`, { method: 'POST' }));
  assert.equal(res.status, 200, `nonce endpoint: ${res.text}`);
  assert.equal(typeof res.json?.c_nonce, 'string');
  return res.json.c_nonce;
}

/**
 * A jwt proof built by hand: header `jwk` of `key`, signed by `signWith` (default `key`).
 */
export async function handProof(key, nonce, { signWith = key, aud = ISSUER, iat = Math.floor(Date.now() / 1000) } = {}) {
  const header = { typ: 'openid4vci-proof+jwt', alg: key.alg, jwk: key.publicJwk };
  return signJws(header, { aud, iat, nonce }, signWith.privateKey);
}

// --- SD-JWT VC.

/** `/.well-known/jwt-vc-issuer` of the issuer (SD-JWT VC §5): `{issuer, jwks}`. */
export async function jwtVcIssuerMetadata() {
  const url = `${ISSUER}/.well-known/jwt-vc-issuer`;
  const res = await fetch(url);
  assert.equal(res.status, 200, `GET ${url}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const meta = await res.json();
  assert.equal(meta.issuer, ISSUER, 'jwt-vc-issuer metadata issuer');
  assert.ok(Array.isArray(meta.jwks?.keys) && meta.jwks.keys.length > 0, 'inline jwks with keys');
  for (const k of meta.jwks.keys) {
    assert.equal(k.d, undefined, 'no private key material');
    assert.ok(k.kid, 'every key has a kid');
  }
  return meta;
}

/** A verifier callback (`(data, sig) => boolean`) over a JWK Set: the key is picked by kid. */
export function jwksVerifier(jwks, algorithms = ['ES256']) {
  const keys = jose.createLocalJWKSet(jwks);
  return async (data, sig) => {
    try {
      await jose.compactVerify(`${data}.${sig}`, keys, { algorithms });
      return true;
    } catch {
      return false;
    }
  };
}

/**
 * An SDJwtVcInstance that verifies the issuer signature (and the Status List Token, with the
 * same keys) against `jwks`, key binding against `cnf.jwk`, and signs KB-JWTs with `holder`.
 */
export async function sdJwtVc(jwks, holder) {
  return new SDJwtVcInstance({
    hasher: digest,
    hashAlg: 'sha-256',
    saltGenerator: generateSalt,
    verifier: jwksVerifier(jwks),
    kbVerifier: async (data, sig, payload) => {
      assert.ok(payload?.cnf?.jwk, 'the credential has cnf.jwk');
      return (await ES256.getVerifier(payload.cnf.jwk))(data, sig);
    },
    ...(holder ? { kbSigner: await ES256.getSigner(holder.privateJwk), kbSignAlg: 'ES256' } : {}),
  });
}

/** Header and payload of the issuer-signed JWT of an SD-JWT (what is visible without disclosures). */
export function issuerJwt(sdJwt) {
  const jwt = sdJwt.split('~')[0];
  return { header: jose.decodeProtectedHeader(jwt), payload: jose.decodeJwt(jwt) };
}

// --- Token Status List.

/**
 * Fetches and verifies the Status List Token of `ref` (`{idx, uri}`), returns the status at idx
 * (decoded with @sd-jwt/jwt-status-list) and the token's header and payload.
 */
export async function fetchStatus(ref, jwks) {
  const res = await fetch(ref.uri, { headers: { accept: 'application/statuslist+jwt' } });
  const text = (await res.text()).trim();
  assert.equal(res.status, 200, `GET ${ref.uri}: ${text}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/statuslist\+jwt/);
  const { protectedHeader: header } = await jose.compactVerify(text, jose.createLocalJWKSet(jwks), { algorithms: ['ES256'] });
  const payload = jose.decodeJwt(text);
  assert.equal(header.typ, 'statuslist+jwt');
  assert.equal(payload.sub, ref.uri, 'the Status List Token sub is its URI');
  assert.equal(typeof payload.iat, 'number');
  if (payload.exp !== undefined) assert.ok(payload.exp > Date.now() / 1000, 'not expired');
  assert.ok([1, 2, 4, 8].includes(payload.status_list?.bits), `bits ${payload.status_list?.bits}`);
  const status = getListFromStatusListJWT(text).getStatus(ref.idx);
  return { status, bits: payload.status_list.bits, header, payload, cacheControl: res.headers.get('cache-control') };
}

/** Refetches until the status at `ref.idx` is `expected` (the list may be cached for a while). */
export async function waitForStatus(ref, jwks, expected, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fetchStatus(ref, jwks);
    if (last.status === expected || Date.now() > deadline) break;
    await sleep(250);
  }
  assert.equal(last.status, expected, `status at idx ${ref.idx} of ${ref.uri} after ${timeoutMs} ms`);
  return last;
}
