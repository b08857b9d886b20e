// An independent OpenID4VCI issuer and OpenID4VP verifier in Node, for driving Sigil's *wallet*
// (`sigil wallet`) the other way round from vci.test.js / vp.test.js:
//
// - the issuer: @openid4vc/openid4vci 0.4.6 (Openid4vciIssuer: issuer metadata, credential
//   offers by value and by reference, credential request parsing, jwt proof verification,
//   nonce and credential responses) with @openid4vc/oauth2 0.4.6 (Oauth2AuthorizationServer:
//   RFC 8414 metadata, the pre-authorized code token request with tx_code, JWT access tokens;
//   Oauth2ResourceServer: the Bearer token at the credential and notification endpoints), and
//   @sd-jwt/sd-jwt-vc 0.19.0 issuing the SD-JWT VC, its keys in JWT VC Issuer Metadata;
// - the verifier: @openid4vc/openid4vp 0.4.6 (Openid4vpVerifier: requests by value for the
//   `redirect_uri` prefix, signed Request Objects by reference for `x509_hash` and
//   `x509_san_dns`, parsing direct_post and direct_post.jwt responses, decrypting with jose) and
//   @sd-jwt/sd-jwt-vc 0.19.0 verifying the presentations (issuer signature, disclosures, KB-JWT
//   signature, nonce and sd_hash; `aud` and `iat` checked here).
//
// Each is a small node:http server on a random loopback port that logs every request it gets.
// Self-signed X.509 certificates for the verifier are built here (DER by hand, signed with
// node:crypto), since no certificate library is installed.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate, createHash, generateKeyPairSync, randomBytes, sign as nodeSign } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import * as jose from 'jose';
import { setGlobalConfig } from '@openid4vc/utils';
import {
  Oauth2AuthorizationServer,
  Oauth2ResourceServer,
  Oauth2ResourceUnauthorizedError,
  Oauth2ServerErrorResponseError,
  preAuthorizedCodeGrantIdentifier,
} from '@openid4vc/oauth2';
import { Openid4vciIssuer, Openid4vciVersion } from '@openid4vc/openid4vci';
import { Openid4vpVerifier, calculateX509HashClientIdPrefixValue } from '@openid4vc/openid4vp';
import { SDJwtVcInstance } from '@sd-jwt/sd-jwt-vc';
import { ES256, digest, generateSalt } from '@sd-jwt/crypto-nodejs';
import { env } from './env.js';

// The peers run on plain http on loopback: the libraries refuse http:// URLs otherwise.
setGlobalConfig({ allowInsecureUrls: true });

export const PRE_AUTH_GRANT = preAuthorizedCodeGrantIdentifier;
export const CONFIG_ID = 'peer_membership';
export const VCT = 'urn:example:peer:membership:1';
/** The claims the peer issues, all selectively disclosable. */
export const CLAIMS = {
  given_name: 'Ada',
  family_name: 'Lovelace',
  membership_level: 'gold',
  member_since: 1843,
  address: { locality: 'London', country: 'GB' },
};
/** Display names of the claims in the issuer metadata (`member_number` has none). */
export const LABELS = {
  given_name: 'First name',
  family_name: 'Last name',
  membership_level: 'Membership level',
  member_since: 'Member since',
  address: 'Address',
};
/** A disclosable claim without display metadata. */
export const UNLABELLED = { member_number: 'M-1843-0042' };
/** With `offer({nested: true})`: disclosable members of an object and elements of an array. */
export const NESTED = { address: { locality: 'London', country: 'GB' }, nationalities: ['GB', 'FR'] };
export const CREDENTIAL_NAME = 'Peer Membership Card';
export const ISSUER_NAME = 'Peer Issuing Club';

const utf8 = new TextEncoder();
export const now = () => Math.floor(Date.now() / 1000);
const b64u = (bytes) => Buffer.from(bytes).toString('base64url');
const sha256 = (data) => createHash('sha256').update(data).digest();

// --- Keys and library callbacks shared by both peers.

/** An ES256 key pair with its public and private JWKs (and `kid`). */
export async function es256Key(kid) {
  const { publicKey, privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
  const publicJwk = { ...(await jose.exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  const privateJwk = { ...(await jose.exportJWK(privateKey)), kid, alg: 'ES256' };
  return { kid, publicKey, privateKey, publicJwk, privateJwk };
}

const sameJwk = (a, b) => !!a && !!b && a.kty === b.kty && a.crv === b.crv && a.x === b.x && a.y === b.y;

/** The libraries' `hash` callback. */
const hash = (data, alg) => new Uint8Array(createHash(alg.replace('-', '').toLowerCase()).update(data).digest());
const generateRandom = (n) => new Uint8Array(randomBytes(n));

/** A `verifyJwt` callback for `jwk` signers (holder proofs, access tokens): ES256 only. */
async function verifyJwkJwt(signer, { compact }) {
  if (signer.method !== 'jwk' || !signer.publicJwk) return { verified: false };
  try {
    const key = await jose.importJWK(signer.publicJwk, 'ES256');
    await jose.compactVerify(compact, key, { algorithms: ['ES256'] });
    return { verified: true, signerJwk: signer.publicJwk };
  } catch {
    return { verified: false, signerJwk: signer.publicJwk };
  }
}

/** A `signJwt` callback over `keys` (`jwk` signers by public key, `x5c` signers by leaf). */
function signJwtWith(keys) {
  return async (signer, { header, payload }) => {
    let key;
    if (signer.method === 'jwk') key = keys.find((k) => sameJwk(k.publicJwk, signer.publicJwk));
    else if (signer.method === 'x5c') key = keys.find((k) => k.x5c && k.x5c[0] === signer.x5c?.[0]);
    assert.ok(key, `no private key for the ${signer.method} signer`);
    const jwt = await new jose.CompactSign(utf8.encode(JSON.stringify(payload))).setProtectedHeader(header).sign(key.privateKey);
    return { jwt, signerJwk: key.publicJwk };
  };
}

// --- A tiny HTTP server that logs.

async function readBody(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A server on 127.0.0.1 (and on ::1 with the same port when `dualStack`, so `localhost`
 * resolves to it either way) running `handler(ctx)`; ctx: {req, url, path, body, form, json,
 * headers (Fetch Headers), send(status, body, headers)}. Every request is logged.
 */
async function startServer(handler, { dualStack = false } = {}) {
  const log = [];
  const listener = async (req, res) => {
    const body = await readBody(req);
    const url = new URL(req.url, `http://${req.headers.host}`);
    const headers = new Headers();
    for (const [k, v] of Object.entries(req.headers)) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
    const entry = { method: req.method, path: url.pathname, query: url.search, headers: Object.fromEntries(headers), body, status: 0 };
    log.push(entry);
    const contentType = headers.get('content-type') ?? '';
    let form;
    let json;
    if (contentType.startsWith('application/x-www-form-urlencoded')) form = Object.fromEntries(new URLSearchParams(body));
    if (contentType.startsWith('application/json') && body) {
      try {
        json = JSON.parse(body);
      } catch {
        json = undefined;
      }
    }
    entry.form = form;
    entry.json = json;
    const send = (status, payload, extra = {}) => {
      entry.status = status;
      const isText = typeof payload === 'string';
      const out = payload === undefined ? '' : isText ? payload : JSON.stringify(payload);
      const type = extra['content-type'] ?? (isText ? 'text/plain' : 'application/json');
      entry.response = out;
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...extra });
      res.end(out);
    };
    try {
      await handler({ req, url, path: url.pathname, body, form, json, headers, send, entry });
      if (!res.headersSent) send(404, { error: 'not_found' });
    } catch (err) {
      entry.error = err;
      if (res.headersSent) return;
      if (err instanceof Oauth2ServerErrorResponseError) send(err.status ?? 400, err.errorResponse);
      else if (err instanceof Oauth2ResourceUnauthorizedError) send(401, { error: 'invalid_token' }, { 'www-authenticate': err.toHeaderValue() });
      else send(500, { error: 'server_error', error_description: String(err?.message ?? err) });
    }
  };
  const servers = [];
  const v4 = createServer(listener);
  await new Promise((resolve, reject) => {
    v4.once('error', reject);
    v4.listen(0, '127.0.0.1', resolve);
  });
  servers.push(v4);
  const { port } = v4.address();
  if (dualStack) {
    const v6 = createServer(listener);
    await new Promise((resolve) => {
      v6.once('error', () => resolve()); // no IPv6 loopback here: 127.0.0.1 alone serves localhost
      v6.listen(port, '::1', resolve);
    });
    if (v6.listening) servers.push(v6);
  }
  const close = () =>
    Promise.all(
      servers.map(
        (s) =>
          new Promise((r) => {
            s.closeAllConnections?.();
            s.close(() => r());
          }),
      ),
    );
  return { port, log, close };
}

/** `/.well-known/{name}` for `id` (RFC 8615 / RFC 8414 §3.1: between host and path). */
export function wellKnown(id, name) {
  const u = new URL(id);
  const path = u.pathname === '/' ? '' : u.pathname.replace(/\/$/, '');
  return `${u.origin}/.well-known/${name}${path}`;
}

// --- The issuer.

/**
 * Starts a credential issuer. Options:
 * - `path`: the issuer identifier's path ('' for the bare origin);
 * - `separateAs`: an authorization server of its own (`{origin}/as`) named in
 *   `authorization_servers`, else the issuer is its own authorization server;
 * - `jwksUri`: the JWT VC issuer metadata names a `jwks_uri` instead of inline `jwks`;
 * - `nonceEndpoint`, `notificationEndpoint`: whether it has them;
 * - `host`: the host in its URLs (127.0.0.1 or localhost);
 * - `decoyAs`: (with `separateAs`) a first authorization server in `authorization_servers` that
 *   knows no codes; offers name the real one in the grant's `authorization_server`.
 * Returns `{issuer, asIssuer, metadata, asMetadata, jwks, offer(), log, issued, notifications,
 * nonces, misissue, close}`. Set `misissue` to make the next credentials wrong on purpose:
 * 'unknown-kid', 'bad-signature', 'other-holder', 'other-iss', 'wrong-typ', 'expired'.
 */
export async function startPeerIssuer({
  path = '',
  separateAs = false,
  jwksUri = false,
  nonceEndpoint = true,
  notificationEndpoint = true,
  host = '127.0.0.1',
  decoyAs = false,
} = {}) {
  const state = {
    offers: new Map(), // id -> offer record
    byCode: new Map(), // pre-authorized code -> offer record
    nonces: new Map(), // c_nonce -> {expiresAt, used}
    issued: [], // {credential, holderJwk, proof, offerId}
    notifications: [],
    misissue: undefined,
  };
  // Two signing keys: the credential is signed with the second, so the wallet must pick by kid.
  const decoyKey = await es256Key('peer-issuer-old');
  const issuerKey = await es256Key('peer-issuer-2');
  const asKey = await es256Key('peer-as-1');
  const strangerKey = await es256Key('peer-issuer-2'); // same kid, not published
  const jwks = { keys: [decoyKey.publicJwk, issuerKey.publicJwk] };

  let ctx; // filled once the port is known
  const server = await startServer(async (r) => ctx.handle(r));
  const origin = `http://${host}:${server.port}`;
  const issuer = `${origin}${path}`;
  const asIssuer = separateAs ? `${origin}/as` : issuer;
  const decoyAsIssuer = `${origin}/as0`;

  const callbacks = {
    hash,
    generateRandom,
    signJwt: signJwtWith([asKey]),
    verifyJwt: verifyJwkJwt,
    clientAuthentication: () => {},
    // The resource server reads the AS keys in-process, so the log shows only the wallet.
    fetch: async (input, init) =>
      String(input) === `${asIssuer}/as-jwks`
        ? new Response(JSON.stringify({ keys: [asKey.publicJwk] }), { headers: { 'content-type': 'application/jwk-set+json' } })
        : fetch(input, init),
  };
  const vci = new Openid4vciIssuer({ callbacks });
  const as = new Oauth2AuthorizationServer({ callbacks });
  const rs = new Oauth2ResourceServer({ callbacks });

  const asMetadata = as.createAuthorizationServerMetadata({
    issuer: asIssuer,
    token_endpoint: `${asIssuer}/token`,
    jwks_uri: `${asIssuer}/as-jwks`,
    grant_types_supported: [PRE_AUTH_GRANT],
    'pre-authorized_grant_anonymous_access_supported': true,
    token_endpoint_auth_methods_supported: ['none'],
  });
  const metadata = vci.createCredentialIssuerMetadata({
    credential_issuer: issuer,
    ...(separateAs ? { authorization_servers: decoyAs ? [decoyAsIssuer, asIssuer] : [asIssuer] } : {}),
    credential_endpoint: `${issuer}/credential`,
    ...(nonceEndpoint ? { nonce_endpoint: `${issuer}/nonce` } : {}),
    ...(notificationEndpoint ? { notification_endpoint: `${issuer}/notification` } : {}),
    display: [{ name: ISSUER_NAME, locale: 'en' }],
    credential_configurations_supported: {
      [CONFIG_ID]: {
        format: 'dc+sd-jwt',
        vct: VCT,
        scope: 'peer_membership',
        cryptographic_binding_methods_supported: ['jwk'],
        credential_signing_alg_values_supported: ['ES256'],
        proof_types_supported: { jwt: { proof_signing_alg_values_supported: ['ES256'] } },
        credential_metadata: {
          display: [{ name: CREDENTIAL_NAME, locale: 'en', description: 'Membership of the peer club' }],
          claims: Object.entries(LABELS).map(([name, label]) => ({ path: [name], display: [{ name: label, locale: 'en' }] })),
        },
      },
      // A configuration of another format, never offered: the wallet must ignore it.
      peer_mdoc: { format: 'mso_mdoc', doctype: 'org.example.peer.1' },
    },
  });
  const issuerMetadata = {
    originalDraftVersion: Openid4vciVersion.V1,
    credentialIssuer: metadata,
    authorizationServers: [asMetadata],
    knownCredentialConfigurations: vci.getKnownCredentialConfigurationsSupported(metadata),
  };

  const sdjwt = new SDJwtVcInstance({
    hasher: digest,
    hashAlg: 'sha-256',
    saltGenerator: generateSalt,
    signer: await ES256.getSigner(issuerKey.privateJwk),
    signAlg: 'ES256',
  });
  const strangerSdjwt = new SDJwtVcInstance({
    hasher: digest,
    hashAlg: 'sha-256',
    saltGenerator: generateSalt,
    signer: await ES256.getSigner(strangerKey.privateJwk),
    signAlg: 'ES256',
  });

  const asPath = new URL(asIssuer).pathname.replace(/\/$/, '');
  const issuerPath = new URL(issuer).pathname.replace(/\/$/, '');

  const requestLike = (r) => ({ method: r.req.method, url: `${origin}${r.url.pathname}${r.url.search}`, headers: r.headers });

  async function bearer(r) {
    return rs.verifyResourceRequest({
      request: requestLike(r),
      resourceServer: issuer,
      authorizationServers: [asMetadata],
      allowedAuthenticationSchemes: ['Bearer'],
    });
  }

  async function issueCredential(holderJwk, offer) {
    const t = now();
    const { x, y, crv, kty } = holderJwk;
    let payload = {
      iss: issuer,
      vct: VCT,
      iat: t,
      nbf: t - 5,
      exp: t + 3600,
      cnf: { jwk: { kty, crv, x, y } },
      ...CLAIMS,
      ...UNLABELLED,
    };
    const frame = { _sd: [...Object.keys(CLAIMS), ...Object.keys(UNLABELLED)] };
    if (offer.nested) {
      // address: its members disclosable too; nationalities: each element disclosable.
      Object.assign(payload, NESTED);
      frame._sd.push('nationalities');
      frame.address = { _sd: Object.keys(NESTED.address) };
      frame.nationalities = { _sd: NESTED.nationalities.map((_, i) => i) };
    }
    let signerInstance = sdjwt;
    let header = { kid: issuerKey.kid };
    switch (state.misissue) {
      case 'unknown-kid':
        header = { kid: 'peer-issuer-unpublished' };
        break;
      case 'bad-signature':
        signerInstance = strangerSdjwt;
        break;
      case 'other-holder': {
        const other = await es256Key('other');
        const { kty: k2, crv: c2, x: x2, y: y2 } = other.publicJwk;
        payload = { ...payload, cnf: { jwk: { kty: k2, crv: c2, x: x2, y: y2 } } };
        break;
      }
      case 'other-iss':
        payload = { ...payload, iss: 'https://issuer.example' };
        break;
      case 'wrong-typ':
        header = { ...header, typ: 'JWT' };
        break;
      case 'expired':
        payload = { ...payload, iat: t - 7200, nbf: t - 7200, exp: t - 3600 };
        break;
      default:
        break;
    }
    return signerInstance.issue(payload, frame, { header });
  }

  ctx = {
    async handle(r) {
      const { path: p, req, send } = r;
      const m = req.method;
      // Metadata.
      if (m === 'GET' && p === `/.well-known/openid-credential-issuer${issuerPath}`) return send(200, metadata);
      if (m === 'GET' && p === `/.well-known/oauth-authorization-server${asPath}`) return send(200, asMetadata);
      if (m === 'GET' && p === `/.well-known/jwt-vc-issuer${issuerPath}`) {
        return send(200, jwksUri ? { issuer, jwks_uri: `${issuer}/jwks` } : { issuer, jwks });
      }
      if (m === 'GET' && p === `${issuerPath}/jwks`) return send(200, jwks, { 'content-type': 'application/jwk-set+json' });
      if (m === 'GET' && p === `${asPath}/as-jwks`) return send(200, { keys: [asKey.publicJwk] });
      // The decoy authorization server: metadata, and a token endpoint that knows no codes.
      if (decoyAs && m === 'GET' && p === '/.well-known/oauth-authorization-server/as0') {
        return send(200, { ...asMetadata, issuer: decoyAsIssuer, token_endpoint: `${decoyAsIssuer}/token`, jwks_uri: `${decoyAsIssuer}/as-jwks` });
      }
      if (decoyAs && m === 'POST' && p === '/as0/token') return send(400, { error: 'invalid_grant', error_description: 'not this server' });
      // Offers by reference.
      if (m === 'GET' && p.startsWith(`${issuerPath}/offers/`)) {
        const offer = state.offers.get(p.slice(`${issuerPath}/offers/`.length));
        if (!offer) return send(404, { error: 'not_found' });
        return send(200, offer.object);
      }
      // Token endpoint (pre-authorized code, anonymous).
      if (m === 'POST' && p === `${asPath}/token`) {
        const request = requestLike(r);
        const parsed = as.parseAccessTokenRequest({ request, accessTokenRequest: r.form ?? {} });
        if (parsed.grant.grantType !== PRE_AUTH_GRANT) {
          return send(400, { error: 'unsupported_grant_type' });
        }
        const offer = state.byCode.get(parsed.grant.preAuthorizedCode);
        if (!offer || offer.redeemed) return send(400, { error: 'invalid_grant', error_description: 'unknown or used pre-authorized code' });
        await as.verifyPreAuthorizedCodeAccessTokenRequest({
          authorizationServerMetadata: asMetadata,
          grant: parsed.grant,
          accessTokenRequest: parsed.accessTokenRequest,
          request,
          expectedPreAuthorizedCode: offer.code,
          expectedTxCode: offer.txCode,
          preAuthorizedCodeExpiresAt: new Date(offer.expiresAt * 1000),
        });
        offer.redeemed = true;
        const token = await as.createAccessTokenResponse({
          authorizationServer: asIssuer,
          audience: issuer,
          expiresInSeconds: 300,
          subject: `offer:${offer.id}`,
          signer: { method: 'jwk', alg: 'ES256', publicJwk: asKey.publicJwk },
          additionalAccessTokenPayload: { offer_id: offer.id },
        });
        return send(200, token);
      }
      // Nonce endpoint.
      if (m === 'POST' && p === `${issuerPath}/nonce` && nonceEndpoint) {
        const cNonce = b64u(randomBytes(24));
        state.nonces.set(cNonce, { expiresAt: now() + 300, used: false });
        return send(200, vci.createNonceResponse({ cNonce, cNonceExpiresIn: 300 }));
      }
      // Credential endpoint.
      if (m === 'POST' && p === `${issuerPath}/credential`) {
        const { tokenPayload } = await bearer(r);
        const offer = state.offers.get(tokenPayload.offer_id);
        if (!offer) return send(401, { error: 'invalid_token' });
        const parsed = vci.parseCredentialRequest({ issuerMetadata, credentialRequest: r.json ?? {} });
        if (!parsed.credentialConfigurationId || !offer.configurationIds.includes(parsed.credentialConfigurationId)) {
          return send(400, { error: 'unknown_credential_configuration' });
        }
        const jwts = parsed.proofs?.jwt ?? [];
        if (jwts.length === 0) return send(400, { error: 'invalid_proof', error_description: 'no jwt proof' });
        const credentials = [];
        for (const jwt of jwts) {
          const claimed = jose.decodeJwt(jwt).nonce;
          let expectedNonce;
          let nonceExpiresAt;
          if (nonceEndpoint) {
            const n = state.nonces.get(claimed);
            if (!n || n.used || n.expiresAt < now()) return send(400, { error: 'invalid_nonce' });
            expectedNonce = claimed;
            nonceExpiresAt = new Date(n.expiresAt * 1000);
          }
          const proof = await vci.verifyCredentialRequestJwtProof({ issuerMetadata, jwt, expectedNonce, nonceExpiresAt });
          const holderJwk = proof.signer.publicJwk;
          const credential = await issueCredential(holderJwk, offer);
          state.issued.push({ credential, holderJwk, proof, offerId: offer.id, misissue: state.misissue });
          credentials.push({ credential });
        }
        for (const jwt of jwts) {
          const n = state.nonces.get(jose.decodeJwt(jwt).nonce);
          if (n) n.used = true;
        }
        const notificationId = notificationEndpoint ? `note-${offer.id}` : undefined;
        return send(200, vci.createCredentialResponse({ credentialRequest: parsed, credentials, notificationId }));
      }
      // Notification endpoint.
      if (m === 'POST' && p === `${issuerPath}/notification` && notificationEndpoint) {
        const { tokenPayload } = await bearer(r);
        state.notifications.push({ ...(r.json ?? {}), offerId: tokenPayload.offer_id });
        return send(204);
      }
      return undefined;
    },
  };

  /**
   * A new offer of the membership credential: `{link, object, code, txCode, id, uri}`; by
   * reference (`credential_offer_uri`) or by value, made by the library.
   */
  async function offer({ txCode, byReference = false, nested = false } = {}) {
    const id = b64u(randomBytes(12));
    const code = b64u(randomBytes(24));
    const uri = `${issuer}/offers/${id}`;
    const grant = { 'pre-authorized_code': code };
    if (txCode) grant.tx_code = { input_mode: /^[0-9]+$/.test(txCode) ? 'numeric' : 'text', length: txCode.length, description: 'Sent to you by e-mail' };
    if (separateAs) grant.authorization_server = asIssuer;
    const made = await vci.createCredentialOffer({
      issuerMetadata,
      credentialConfigurationIds: [CONFIG_ID],
      grants: { [PRE_AUTH_GRANT]: grant },
      ...(byReference ? { credentialOfferUri: uri } : {}),
    });
    const record = {
      id,
      code,
      txCode,
      uri,
      link: made.credentialOffer,
      object: made.credentialOfferObject,
      configurationIds: [CONFIG_ID],
      expiresAt: now() + 600,
      redeemed: false,
      nested,
    };
    state.offers.set(id, record);
    state.byCode.set(code, record);
    return record;
  }

  return {
    origin,
    issuer,
    asIssuer,
    metadata,
    asMetadata,
    jwks,
    issuerKey,
    offer,
    log: server.log,
    state,
    get issued() {
      return state.issued;
    },
    get notifications() {
      return state.notifications;
    },
    set misissue(v) {
      state.misissue = v;
    },
    /** The log as `METHOD path -> status` lines. */
    describe: () => server.log.map((e) => `${e.method} ${e.path} -> ${e.status}`).join('\n'),
    close: server.close,
  };
}

// --- Self-signed certificates (DER built by hand, signed with node:crypto).

function derLength(n) {
  if (n < 0x80) return Buffer.from([n]);
  const bytes = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const der = (tag, ...parts) => {
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag]), derLength(body.length), body]);
};
const derSeq = (...parts) => der(0x30, ...parts);
const derSet = (...parts) => der(0x31, ...parts);
const derInt = (buf) => der(0x02, buf[0] & 0x80 ? Buffer.concat([Buffer.from([0]), buf]) : buf);
function derOid(dotted) {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [40 * a + b];
  for (const n of rest) {
    const group = [n & 0x7f];
    for (let v = n >> 7; v > 0; v >>= 7) group.unshift((v & 0x7f) | 0x80);
    out.push(...group);
  }
  return der(0x06, Buffer.from(out));
}
const derUtcTime = (d) => der(0x17, Buffer.from(`${d.toISOString().replace(/[-:T]/g, '').slice(2, 14)}Z`, 'ascii'));
const derName = (cn) => derSeq(derSet(derSeq(derOid('2.5.4.3'), der(0x0c, Buffer.from(cn, 'utf8')))));

/**
 * A self-signed X.509 v3 certificate for a new P-256 key: subject CN `cn`, subjectAltName
 * dNSNames `dnsNames`, valid from an hour ago for a day. Returns the key (jose-usable
 * KeyObjects and JWK), the DER and its base64 (for `x5c`).
 */
export async function selfSignedCertificate({ cn = 'Peer Verifier', dnsNames = [] } = {}) {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ecdsaSha256 = derSeq(derOid('1.2.840.10045.4.3.2'));
  const serial = randomBytes(16);
  // Positive, and minimal in DER: a leading zero byte would be "illegal padding" (OpenSSL
  // refused such a certificate about once in 256 runs).
  serial[0] = (serial[0] & 0x7f) | 0x40;
  const t = Date.now();
  const extensions = [];
  if (dnsNames.length > 0) {
    const names = derSeq(...dnsNames.map((d) => der(0x82, Buffer.from(d, 'ascii'))));
    extensions.push(derSeq(derOid('2.5.29.17'), der(0x04, names)));
  }
  const tbs = derSeq(
    der(0xa0, derInt(Buffer.from([2]))),
    derInt(serial),
    ecdsaSha256,
    derName(cn),
    derSeq(derUtcTime(new Date(t - 3600_000)), derUtcTime(new Date(t + 86400_000))),
    derName(cn),
    publicKey.export({ type: 'spki', format: 'der' }),
    ...(extensions.length > 0 ? [der(0xa3, derSeq(...extensions))] : []),
  );
  const signature = nodeSign('sha256', tbs, privateKey); // DER ECDSA-Sig-Value
  const certDer = derSeq(tbs, ecdsaSha256, der(0x03, Buffer.from([0]), signature));
  const cert = new X509Certificate(certDer);
  assert.ok(cert.verify(publicKey), 'the certificate is self-signed');
  const x5c = certDer.toString('base64');
  return { publicKey, privateKey, publicJwk: await jose.exportJWK(publicKey), der: certDer, x5c: [x5c], cert };
}

// --- The verifier.

/** `vp_formats_supported` of the peer verifier. */
const VP_FORMATS = { 'dc+sd-jwt': { 'sd-jwt_alg_values': ['ES256'], 'kb-jwt_alg_values': ['ES256'] } };

/**
 * Starts a verifier that trusts `issuers` (`[{issuer, jwks}]`). It listens on 127.0.0.1 (and
 * ::1): `x509_san_dns:localhost` requests use `http://localhost:PORT` URLs, the others
 * `http://127.0.0.1:PORT`. Returns `{origin, localOrigin, createRequest(), requests, log,
 * responsePosts(), close}`.
 */
export async function startPeerVerifier({ issuers }) {
  const requests = new Map(); // state -> request record
  const byKid = new Map(); // encryption kid -> request record
  const jarKeys = []; // signing keys with their certificates (for signJwt)
  const trusted = new Map(issuers.map((i) => [i.issuer, i.jwks]));

  const decryptJwe = async (jwe, options) => {
    const kid = jose.decodeProtectedHeader(jwe).kid;
    const rec = (kid && byKid.get(kid)) || [...requests.values()].find((x) => x.encKey && sameJwk(x.encKey.publicJwk, options?.jwk));
    if (!rec?.encKey) return { decrypted: false };
    try {
      const { plaintext, protectedHeader } = await jose.compactDecrypt(jwe, rec.encKey.privateKey, {
        keyManagementAlgorithms: ['ECDH-ES'],
        contentEncryptionAlgorithms: rec.encValues,
      });
      rec.jweHeader = protectedHeader;
      return { decrypted: true, decryptionJwk: rec.encKey.publicJwk, payload: new TextDecoder().decode(plaintext) };
    } catch (err) {
      rec.decryptError = err.message;
      return { decrypted: false };
    }
  };
  const callbacks = {
    hash,
    signJwt: signJwtWith(jarKeys),
    verifyJwt: async () => ({ verified: false }), // responses are encrypted, never signed, here
    decryptJwe,
    encryptJwe: async () => {
      throw new Error('the verifier encrypts nothing');
    },
    fetch: (input, init) => fetch(input, init),
  };
  const verifier = new Openid4vpVerifier({ callbacks });

  let ctx;
  const server = await startServer((r) => ctx.handle(r), { dualStack: true });
  const ip = `http://127.0.0.1:${server.port}`;
  const local = `http://localhost:${server.port}`;

  /** Verifies one presentation of `rec`'s query `queryId`; returns what it proved. */
  async function verifyPresentation(rec, queryId, vp) {
    assert.equal(typeof vp, 'string', 'an SD-JWT VC presentation is a string');
    const [jwt, ...rest] = vp.split('~');
    const kbJwt = rest.at(-1);
    assert.ok(kbJwt && kbJwt.split('.').length === 3, 'ends with a KB-JWT');
    const issuerPayload = jose.decodeJwt(jwt);
    const jwks = trusted.get(issuerPayload.iss);
    assert.ok(jwks, `a trusted issuer: ${issuerPayload.iss}`);
    const keys = jose.createLocalJWKSet(jwks);
    const sd = new SDJwtVcInstance({
      hasher: digest,
      hashAlg: 'sha-256',
      verifier: async (data, sig) => {
        try {
          await jose.compactVerify(`${data}.${sig}`, keys, { algorithms: ['ES256'] });
          return true;
        } catch {
          return false;
        }
      },
      kbVerifier: async (data, sig, payload) => (await ES256.getVerifier(payload.cnf.jwk))(data, sig),
    });
    const verified = await sd.verify(vp, { keyBindingNonce: rec.payload.nonce });
    const kb = verified.kb;
    assert.ok(kb, 'the presentation is key-bound');
    assert.equal(kb.header.typ, 'kb+jwt');
    assert.equal(kb.payload.aud, rec.payload.client_id, 'KB-JWT aud is the client_id with its prefix');
    assert.equal(kb.payload.nonce, rec.payload.nonce);
    assert.ok(Math.abs(kb.payload.iat - now()) < 120, `KB-JWT iat is now: ${kb.payload.iat}`);
    const cq = rec.payload.dcql_query.credentials.find((c) => c.id === queryId);
    assert.ok(cq, `a query ${queryId}`);
    assert.ok(cq.meta.vct_values.includes(verified.payload.vct), `vct ${verified.payload.vct}`);
    const disclosed = rest
      .slice(0, -1)
      .filter(Boolean)
      .map((d) => JSON.parse(Buffer.from(d, 'base64url').toString('utf8')));
    return {
      vp,
      header: verified.header,
      claims: verified.payload,
      kb,
      disclosedNames: disclosed.filter((d) => d.length === 3).map((d) => d[1]).sort(),
      disclosures: disclosed,
    };
  }

  ctx = {
    async handle(r) {
      const { path: p, req, send } = r;
      if (req.method === 'GET' && p.startsWith('/requests/')) {
        const rec = [...requests.values()].find((x) => x.id === p.slice('/requests/'.length));
        if (!rec?.requestObject) return send(404, { error: 'not_found' });
        rec.fetched = (rec.fetched ?? 0) + 1;
        return send(200, rec.requestObject, { 'content-type': 'application/oauth-authz-req+jwt' });
      }
      if (req.method === 'POST' && p === '/response') {
        const form = r.form ?? {};
        let rec;
        if (form.response) {
          let kid;
          try {
            kid = jose.decodeProtectedHeader(form.response).kid;
          } catch {
            kid = undefined;
          }
          rec = kid ? byKid.get(kid) : undefined;
        } else if (form.state) {
          rec = requests.get(form.state);
        }
        if (!rec) return send(400, { error: 'invalid_request', error_description: 'unknown request' });
        rec.posts.push(form);
        try {
          const parsed = await verifier.parseOpenid4vpAuthorizationResponse({
            authorizationResponse: form,
            authorizationRequestPayload: rec.payload,
            callbacks: { decryptJwe, verifyJwt: callbacks.verifyJwt },
          });
          assert.equal(parsed.type, 'dcql', 'a DCQL response');
          const presentations = {};
          for (const [queryId, vps] of Object.entries(parsed.dcql.presentations)) {
            presentations[queryId] = [];
            for (const vp of vps) presentations[queryId].push(await verifyPresentation(rec, queryId, vp));
          }
          rec.result = { ok: true, parsed, presentations };
          return send(200, {});
        } catch (err) {
          rec.result = { ok: false, error: err };
          return send(400, { error: 'invalid_request', error_description: String(err?.message ?? err).slice(0, 300) });
        }
      }
      return undefined;
    },
  };

  /**
   * A new request made by the library. `prefix`: 'redirect_uri' (by value, unsigned),
   * 'x509_hash' or 'x509_san_dns' (signed Request Object by reference, `x5c` self-signed);
   * `responseMode`: 'direct_post' or 'direct_post.jwt' (with `encValues`); `claims`: the claim
   * names asked for; `vct`. Returns the record: {id, link, payload, clientId, requestObject,
   * cert, posts, result}.
   */
  async function createRequest({
    prefix = 'redirect_uri',
    responseMode = 'direct_post',
    encValues = ['A128GCM', 'A256GCM'],
    claims = ['given_name', 'membership_level'],
    vct = VCT,
    queryId = 'membership',
    transactionData,
  } = {}) {
    const id = b64u(randomBytes(12));
    const state = b64u(randomBytes(16));
    const nonce = b64u(randomBytes(24));
    const base = prefix === 'x509_san_dns' ? local : ip;
    const responseUri = `${base}/response`;
    const rec = { id, state, posts: [], result: undefined, encValues };
    let clientId;
    let jar;
    if (prefix === 'redirect_uri') {
      clientId = `redirect_uri:${responseUri}`;
    } else {
      const cert = await selfSignedCertificate({ dnsNames: ['localhost'] });
      jarKeys.push({ privateKey: cert.privateKey, publicJwk: cert.publicJwk, x5c: cert.x5c });
      rec.cert = cert;
      clientId =
        prefix === 'x509_hash'
          ? `x509_hash:${await calculateX509HashClientIdPrefixValue({ x509Certificate: cert.x5c[0], hash })}`
          : 'x509_san_dns:localhost';
      jar = {
        requestUri: `${base}/requests/${id}`,
        jwtSigner: { method: 'x5c', alg: 'ES256', x5c: cert.x5c },
        expiresInSeconds: 300,
        additionalJwtPayload: { aud: 'https://self-issued.me/v2' },
      };
    }
    const clientMetadata = { client_name: 'Peer Verifier', vp_formats_supported: VP_FORMATS };
    if (responseMode === 'direct_post.jwt') {
      const { publicKey, privateKey } = await jose.generateKeyPair('ECDH-ES', { crv: 'P-256', extractable: true });
      const kid = `enc-${id}`;
      const publicJwk = { ...(await jose.exportJWK(publicKey)), kid, use: 'enc', alg: 'ECDH-ES' };
      rec.encKey = { publicJwk, privateKey };
      byKid.set(kid, rec);
      clientMetadata.jwks = { keys: [publicJwk] };
      clientMetadata.encrypted_response_enc_values_supported = encValues;
    }
    const made = await verifier.createOpenId4vpAuthorizationRequest({
      authorizationRequestPayload: {
        response_type: 'vp_token',
        client_id: clientId,
        response_uri: responseUri,
        response_mode: responseMode,
        nonce,
        state,
        dcql_query: {
          credentials: [{ id: queryId, format: 'dc+sd-jwt', meta: { vct_values: [vct] }, claims: claims.map((c) => ({ path: [c] })) }],
        },
        client_metadata: clientMetadata,
        ...(transactionData ? { transaction_data: transactionData.map((t) => b64u(JSON.stringify(t))) } : {}),
      },
      ...(jar ? { jar } : {}),
    });
    Object.assign(rec, {
      link: made.authorizationRequest,
      payload: made.authorizationRequestPayload,
      clientId,
      requestObject: made.jar?.authorizationRequestJwt,
      responseUri,
    });
    requests.set(state, rec);
    return rec;
  }

  return {
    origin: ip,
    localOrigin: local,
    createRequest,
    requests,
    log: server.log,
    /** Every POST to the response endpoint. */
    responsePosts: () => server.log.filter((e) => e.method === 'POST' && e.path === '/response'),
    describe: () => server.log.map((e) => `${e.method} ${e.path} -> ${e.status}`).join('\n'),
    close: server.close,
  };
}

/**
 * A Request Object signed with `signWith` (default: the certificate's key) carrying `x5c` of
 * `cert`: for tampering tests.
 */
export async function signRequestObject(payload, cert, { signWith = cert.privateKey, header = {} } = {}) {
  return new jose.CompactSign(utf8.encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: 'ES256', typ: 'oauth-authz-req+jwt', x5c: cert.x5c, ...header })
    .sign(signWith);
}

// --- Sigil's wallet CLI.

/** A new wallet directory in the suite's work dir (removed with it). */
export function newWalletDir(name = 'wallet') {
  return mkdtempSync(join(env.work, `${name}-`));
}

/**
 * `sigil wallet --dir DIR ARGS…` from the work dir with the suite's environment (as run.sh's
 * `sigil`). Never throws: `{code, stdout, stderr}`. `input`: what stdin gets (then closed).
 */
export function sigilWallet(dir, args, { input = '' } = {}) {
  return new Promise((resolve) => {
    const child = execFile(
      env.sigil,
      ['wallet', '--dir', dir, ...args],
      { cwd: env.work, env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 4 << 20, timeout: 60_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr, args });
      },
    );
    child.stdin.end(input);
  });
}

/** Like sigilWallet, but the command must succeed. */
export async function sigilWalletOk(dir, args, opts) {
  const out = await sigilWallet(dir, args, opts);
  assert.equal(out.code, 0, `sigil wallet ${args.join(' ')} failed (${out.code}):\n${out.stderr}\n${out.stdout}`);
  return out;
}

/** JSON lines of a wallet command's output. */
export function jsonLines(stdout) {
  return stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
}

/** `sigil wallet --dir DIR list --json`. */
export async function walletList(dir) {
  return jsonLines((await sigilWalletOk(dir, ['list', '--json'])).stdout);
}

export { sha256, b64u };
