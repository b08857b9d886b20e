// W3C Verifiable Credentials (Data Model 2.0 secured with JOSE, format jwt_vc_json) issued by
// Sigil and checked by independent code: @openid4vc/openid4vci 0.4.6 reads the
// credential_definition, redeems the offer and requests the credential with its own jwt
// proof; jose verifies the vc+jwt with the key from /.well-known/jwt-vc-issuer; the Bitstring
// Status List credentials it names are verified with jose and read with
// @digitalbazaar/vc-bitstring-status-list (the spec authors' library) as the CLI suspends,
// reinstates and revokes. Then Sigil's verifier takes presentations made here with jose (the
// VC-JOSE-COSE vp+jwt with an enveloped credential, and the VP JWT of OpenID4VP 1.0's example),
// sent by @openid4vc/openid4vp, and refuses a wrong nonce, a wrong audience, a presentation
// by another key and a revoked credential. It also takes another issuer's (a did:jwk's) Data
// Model 1.1 credential made with jose, follows its Status List 2021 (a list node compressed,
// served here) to a revocation, and refuses a status of a kind it cannot read. The `dcql` package (the query language's own
// implementation) parses the verifier's query and finds the issued credential answers it.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import * as jose from 'jose';
import { decodeList } from '@digitalbazaar/vc-bitstring-status-list';
import { DcqlQuery } from 'dcql';
import { env } from '../lib/env.js';
import {
  ISSUER,
  createOffer,
  holderKey,
  jwtVcIssuerMetadata,
  newWallet,
  sigil,
  sleep,
  walletCredentials,
  walletToken,
} from '../lib/vci-wallet.js';
import { createVpRequest, expectRejected, newVpWallet, resolveVpRequest, submitVp, verifierResult } from '../lib/vp-wallet.js';

const TYPE = 'staff-badge';
const VC_TYPE = 'StaffBadgeCredential';
const VERIFIER = 'staff-check';
const V2 = 'https://www.w3.org/ns/credentials/v2';
const USER = 'judy';

/** Writes `definition` and defines it with the CLI (`credentials define-type` / `verifier define`). */
async function define(kind, id, definition) {
  const file = join(env.work, `${id}.json`);
  writeFileSync(file, JSON.stringify(definition));
  await sigil(...kind, id, file);
}

before(async () => {
  await define(['credentials', 'define-type'], TYPE, {
    format: 'jwt_vc_json',
    vc_type: VC_TYPE,
    display: [{ name: 'Staff badge', locale: 'en' }],
    claims: [
      { name: 'name', source: 'name', display: [{ name: 'Full name', locale: 'en' }] },
      { name: 'email', source: 'email' },
    ],
    lifetime_secs: 86400,
  });
  await define(['verifier', 'define'], VERIFIER, {
    name: 'Staff check',
    accepted_issuers: [ISSUER],
    dcql_query: {
      credentials: [{
        id: 'badge',
        format: 'jwt_vc_json',
        meta: { type_values: [[VC_TYPE]] },
        claims: [{ path: ['credentialSubject', 'name'] }],
      }],
    },
  });
  // The server reads definitions from the store it shares with the CLI.
  for (let i = 0; i < 50; i++) {
    const meta = await (await fetch(`${ISSUER}/.well-known/openid-credential-issuer`)).json();
    if (meta.credential_configurations_supported?.[TYPE]) return;
    await sleep(100);
  }
  assert.fail(`${TYPE} never showed in the issuer metadata`);
});

/** A staff badge for a new holder key, by the library; the credential, its holder and offer. */
async function issueBadge() {
  const offer = await createOffer({ user: USER, type: TYPE });
  const wallet = newWallet();
  const session = await walletToken(wallet, offer);
  const holder = await holderKey();
  const { credentialResponse } = await walletCredentials(wallet, session, [holder], TYPE);
  assert.equal(credentialResponse.credentials?.length, 1, JSON.stringify(credentialResponse));
  return { vc: credentialResponse.credentials[0].credential, holder, offer, session };
}

/** The public JWK a did:jwk names. */
function didJwkKey(did) {
  assert.match(did, /^did:jwk:/);
  return JSON.parse(Buffer.from(did.slice('did:jwk:'.length), 'base64url').toString('utf8'));
}

/** The vc+jwt verified with jose against the issuer's published keys: header and payload. */
async function verifyVc(vc) {
  const meta = await jwtVcIssuerMetadata();
  const { payload, protectedHeader } = await jose.jwtVerify(vc, jose.createLocalJWKSet(meta.jwks), {
    typ: 'vc+jwt',
    algorithms: ['ES256'],
    issuer: ISSUER,
  });
  return { header: protectedHeader, payload };
}

/** The status bit of the credential's entry for `purpose`, from its verified list credential. */
async function statusBit(vc, purpose) {
  const entries = jose.decodeJwt(vc).credentialStatus;
  const entry = entries.find((e) => e.statusPurpose === purpose);
  assert.ok(entry, `an entry for ${purpose}: ${JSON.stringify(entries)}`);
  assert.equal(entry.type, 'BitstringStatusListEntry');
  assert.match(entry.statusListIndex, /^[0-9]+$/, 'the index is a string of digits');
  const res = await fetch(entry.statusListCredential);
  const text = (await res.text()).trim();
  assert.equal(res.status, 200, `GET ${entry.statusListCredential}: ${text}`);
  assert.equal(res.headers.get('content-type'), 'application/vc+jwt');
  const { payload: list } = await verifyVc(text);
  assert.equal(list['@context'][0], V2);
  assert.deepEqual(list.type, ['VerifiableCredential', 'BitstringStatusListCredential']);
  assert.equal(list.id, entry.statusListCredential);
  assert.equal(list.credentialSubject.type, 'BitstringStatusList');
  assert.equal(list.credentialSubject.statusPurpose, purpose);
  const encoded = list.credentialSubject.encodedList;
  assert.ok(encoded.startsWith('u'), 'multibase base64url');
  const raw = Buffer.from(encoded.slice(1), 'base64url');
  assert.deepEqual([...raw.subarray(0, 2)], [0x1f, 0x8b], 'GZIP, not zlib');
  assert.ok(gunzipSync(raw).length >= 16384, 'at least 16 KiB of bits');
  const bits = await decodeList({ encodedList: encoded });
  return bits.getStatus(Number(entry.statusListIndex));
}

/** Waits until the credential's `purpose` bit is `set` (the CLI writes, the server reads). */
async function waitForBit(vc, purpose, set) {
  for (let i = 0; i < 50; i++) {
    if ((await statusBit(vc, purpose)) === set) return;
    await sleep(100);
  }
  assert.fail(`the ${purpose} bit never became ${set}`);
}

test('the issuer metadata describes the W3C type as jwt_vc_json with a credential_definition', async () => {
  const wallet = newWallet();
  const meta = await wallet.client.resolveIssuerMetadata(ISSUER);
  const config = meta.credentialIssuer.credential_configurations_supported[TYPE];
  assert.equal(config.format, 'jwt_vc_json');
  assert.deepEqual(config.credential_definition, { type: ['VerifiableCredential', VC_TYPE] });
  assert.deepEqual(config.credential_metadata.claims.map((c) => c.path), [['credentialSubject', 'name'], ['credentialSubject', 'email']]);
  assert.equal(config.vct, undefined);
});

test("the verifier's query is valid DCQL that the issued credential answers (the dcql package)", async () => {
  const { vc } = await issueBadge();
  const { resolved } = await request();
  const query = DcqlQuery.parse(resolved.authorizationRequestPayload.dcql_query);
  DcqlQuery.validate(query);
  const payload = jose.decodeJwt(vc);
  const asCredential = (type) => ({ credential_format: 'jwt_vc_json', type, claims: payload, cryptographic_holder_binding: true });
  assert.equal(DcqlQuery.query(query, [asCredential(payload.type)]).can_be_satisfied, true);
  assert.equal(DcqlQuery.query(query, [asCredential(['VerifiableCredential', 'OtherCredential'])]).can_be_satisfied, false);
});

test('the library receives a Data Model 2.0 vc+jwt bound to its key, which jose verifies', async () => {
  const { vc, holder } = await issueBadge();
  const { header, payload } = await verifyVc(vc);
  assert.equal(header.typ, 'vc+jwt');
  assert.equal(payload['@context'][0], V2);
  assert.deepEqual(payload.type, ['VerifiableCredential', VC_TYPE]);
  assert.equal(payload.issuer, ISSUER);
  assert.equal(payload.vc, undefined, 'no Data Model 1.1 vc claim');
  assert.equal(payload.credentialSubject.name, 'Judy Example');
  assert.deepEqual(didJwkKey(payload.credentialSubject.id), { crv: 'P-256', kty: 'EC', x: holder.publicJwk.x, y: holder.publicJwk.y });
  assert.equal(payload.cnf.jwk.x, holder.publicJwk.x);
  const from = Date.parse(payload.validFrom);
  const until = Date.parse(payload.validUntil);
  assert.ok(Math.abs(from / 1000 - payload.iat) < 2, 'validFrom is the issuance time');
  assert.equal(until - from, 86400 * 1000, 'validUntil is a lifetime later');
  assert.equal(payload.exp, payload.iat + 86400);
  assert.deepEqual(payload.credentialStatus.map((e) => e.statusPurpose), ['revocation', 'suspension']);
});

test('suspension and revocation show in the Bitstring Status List credentials', async () => {
  const { vc, offer } = await issueBadge();
  assert.equal(await statusBit(vc, 'revocation'), false);
  assert.equal(await statusBit(vc, 'suspension'), false);
  await sigil('credentials', 'suspend', offer.credential_id);
  await waitForBit(vc, 'suspension', true);
  assert.equal(await statusBit(vc, 'revocation'), false);
  await sigil('credentials', 'reinstate', offer.credential_id);
  await waitForBit(vc, 'suspension', false);
  await sigil('credentials', 'revoke', offer.credential_id);
  await waitForBit(vc, 'revocation', true);
});

/** A request for the staff badge, resolved by the library, and what a presentation needs. */
async function request() {
  const req = await createVpRequest({ verifier: VERIFIER });
  const wallet = newVpWallet();
  const { resolved } = await resolveVpRequest(wallet, req.request_uri);
  const payload = resolved.authorizationRequestPayload;
  assert.equal(payload.dcql_query.credentials[0].format, 'jwt_vc_json');
  assert.deepEqual(payload.client_metadata.vp_formats_supported.jwt_vc_json.alg_values.includes('ES256'), true);
  return { req, wallet, resolved, nonce: payload.nonce, aud: payload.client_id };
}

/** The VC-JOSE-COSE presentation: a vp+jwt enveloping the credential, the holder's jwk in its header. */
async function envelopedVp(vc, key, { nonce, aud }) {
  return new jose.SignJWT({
    '@context': [V2],
    type: ['VerifiablePresentation'],
    verifiableCredential: [{ '@context': V2, id: `data:application/vc+jwt,${vc}`, type: 'EnvelopedVerifiableCredential' }],
    nonce,
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'vp+jwt', jwk: key.publicJwk })
    .setAudience(aud)
    .setIssuedAt()
    .sign(key.privateKey);
}

/** The VP JWT of OpenID4VP 1.0's example: a `vp` claim listing the credential, iss a did:jwk. */
async function vpClaimJwt(vc, key, { nonce, aud }) {
  const did = didJwk(key.publicJwk);
  return new jose.SignJWT({
    vp: { '@context': ['https://www.w3.org/2018/credentials/v1'], type: ['VerifiablePresentation'], verifiableCredential: [vc] },
    nonce,
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: `${did}#0` })
    .setIssuer(did)
    .setAudience(aud)
    .setIssuedAt()
    .sign(key.privateKey);
}

for (const [form, make] of [['a vp+jwt with an enveloped credential', envelopedVp], ['a VP JWT with a vp claim', vpClaimJwt]]) {
  test(`Sigil's verifier takes ${form} and keeps only the name asked for`, async () => {
    const { vc, holder } = await issueBadge();
    const r = await request();
    const vp = await make(vc, holder, r);
    const sent = await submitVp(r.wallet, r.resolved, { badge: [vp] });
    assert.equal(sent.status, 200, sent.text);
    const result = await verifierResult(r.req.id);
    assert.equal(result.status, 'verified', JSON.stringify(result));
    assert.deepEqual(result.claims, { badge: { credentialSubject: { name: 'Judy Example' } } });
  });
}

/** The `did:jwk` of a public JWK. */
function didJwk({ kty, crv, x, y }) {
  return `did:jwk:${Buffer.from(JSON.stringify({ crv, kty, x, y })).toString('base64url')}`;
}

/** Serves `body` (with `type`) at `/status/1` on a loopback port until the test ends: its URL. */
async function serveOnce(t, type, body) {
  const server = createServer((req, res) => {
    res.writeHead(req.url === '/status/1' ? 200 : 404, { 'content-type': type });
    res.end(req.url === '/status/1' ? body() : 'not found');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise((resolve) => { server.close(resolve); server.closeAllConnections(); }));
  return `http://127.0.0.1:${server.address().port}/status/1`;
}

test("Sigil's verifier takes another issuer's Data Model 1.1 credential (a vc claim) and follows its Status List 2021", async (t) => {
  // An issuer that is a did:jwk, signing the 1.1 JWT encoding with jose; the holder is the
  // subject (sub), as 1.1 binds it.
  const issuer = await holderKey();
  const holder = await holderKey();
  const iss = didJwk(issuer.publicJwk);
  await define(['verifier', 'define'], 'staff-check-v1', {
    name: 'Staff check (1.1)',
    accepted_issuers: [iss],
    dcql_query: { credentials: [{ id: 'badge', format: 'jwt_vc_json', meta: { type_values: [[VC_TYPE]] }, claims: [{ path: ['credentialSubject', 'name'] }] }] },
  });
  const V1 = 'https://www.w3.org/2018/credentials/v1';
  const issued = new Date(Date.now() - 60_000).toISOString().replace(/\.\d+Z$/, 'Z');
  const sign = (vc, sub) =>
    new jose.SignJWT({ vc })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: `${iss}#0` })
      .setIssuer(iss)
      .setSubject(sub)
      .setNotBefore('1 minute ago')
      .setExpirationTime('1h')
      .sign(issuer.privateKey);

  // The issuer's revocation list (VC Status List 2021): 16 KiB of bits, index 7 revoked,
  // GZIP-compressed and base64url-encoded by node, in a 1.1 StatusList2021Credential.
  const bits = Buffer.alloc(16 * 1024);
  bits[0] = 0x01; // index 7: the right-most bit of the first byte
  const listJwt = await sign(
    {
      '@context': [V1, 'https://w3id.org/vc/status-list/2021/v1'],
      type: ['VerifiableCredential', 'StatusList2021Credential'],
      issuanceDate: issued,
      credentialSubject: { type: 'StatusList2021', statusPurpose: 'revocation', encodedList: gzipSync(bits).toString('base64url') },
    },
    'urn:example:status-list-1',
  );
  const listUrl = await serveOnce(t, 'application/jwt', () => listJwt);
  const entry = (index, type = 'StatusList2021Entry') => ({
    id: `${listUrl}#${index}`, type, statusPurpose: 'revocation', statusListIndex: String(index), statusListCredential: listUrl,
  });
  const credential = (status) =>
    sign(
      {
        '@context': [V1],
        type: ['VerifiableCredential', VC_TYPE],
        issuanceDate: issued,
        credentialSubject: { name: 'Judy Elsewhere' },
        credentialStatus: status,
      },
      didJwk(holder.publicJwk),
    );
  const present = async (vc) => {
    const req = await createVpRequest({ verifier: 'staff-check-v1' });
    const wallet = newVpWallet();
    const { resolved } = await resolveVpRequest(wallet, req.request_uri);
    const { nonce, client_id: aud } = resolved.authorizationRequestPayload;
    const sent = await submitVp(wallet, resolved, { badge: [await vpClaimJwt(vc, holder, { nonce, aud })] });
    assert.equal(sent.status, 200, sent.text);
    return req.id;
  };
  const result = await verifierResult(await present(await credential(entry(3))));
  assert.equal(result.status, 'verified', JSON.stringify(result));
  assert.deepEqual(result.claims, { badge: { credentialSubject: { name: 'Judy Elsewhere' } } });

  const revoked = await expectRejected(await present(await credential(entry(7))), 'revoked in its Status List 2021');
  assert.equal(revoked.reason, 'the credential is revoked');
  const unreadable = await expectRejected(await present(await credential(entry(3, 'RevocationList2020Status'))), 'an unreadable status');
  assert.match(unreadable.reason, /RevocationList2020Status status cannot be checked/);
});

test("Sigil's verifier refuses a wrong nonce or audience, another holder's key and a revoked credential", async () => {
  const { vc, holder, offer } = await issueBadge();
  const other = await holderKey();
  const cases = [
    ['a wrong nonce', (r) => envelopedVp(vc, holder, { ...r, nonce: 'not-the-nonce' }), /nonce/],
    ['a wrong audience', (r) => envelopedVp(vc, holder, { ...r, aud: 'x509_hash:someone-else' }), /aud/],
    ['another key', (r) => envelopedVp(vc, other, r), /bound/],
  ];
  for (const [what, make, reason] of cases) {
    const r = await request();
    const sent = await submitVp(r.wallet, r.resolved, { badge: [await make(r)] });
    assert.equal(sent.status, 200, sent.text);
    const result = await expectRejected(r.req.id, what);
    assert.match(result.reason, reason, what);
  }
  await sigil('credentials', 'revoke', offer.credential_id);
  const r = await request();
  await submitVp(r.wallet, r.resolved, { badge: [await envelopedVp(vc, holder, r)] });
  const result = await expectRejected(r.req.id, 'revoked');
  assert.equal(result.reason, 'the credential is revoked');
});
