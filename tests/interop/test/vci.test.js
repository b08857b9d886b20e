// OpenID4VCI 1.0 credential issuance (pre-authorized code flow) driven by an independent wallet:
// @openid4vc/openid4vci resolves the offer by reference, reads issuer and authorization server
// metadata, redeems the pre-authorized code (anonymously, with or without tx_code), gets a
// c_nonce, builds jwt proofs and requests SD-JWT VCs (one and a batch of two); @sd-jwt/sd-jwt-vc
// verifies them with the key from /.well-known/jwt-vc-issuer, presents only `email` with a
// KB-JWT and checks the Token Status List; the CLI revokes, suspends and reinstates. Error
// responses of the token and credential endpoints are checked with raw requests.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, randomBytes } from 'node:crypto';
import * as jose from 'jose';
import { Oauth2ClientErrorResponseError } from '@openid4vc/oauth2';
import { Openid4vciVersion } from '@openid4vc/openid4vci';
import { user } from '../lib/env.js';
import {
  CONFIG_ID,
  ISSUER,
  PRE_AUTH_GRANT,
  createOffer,
  credentialIdentifiers,
  credentialRequest,
  fetchStatus,
  freshNonce,
  handProof,
  holderKey,
  issuerJwt,
  jwtVcIssuerMetadata,
  newWallet,
  sameKey,
  sdJwtVc,
  sigil,
  sigilJson,
  sigilJsonLines,
  tokenRequest,
  waitForStatus,
  walletCredentials,
  walletToken,
} from '../lib/vci-wallet.js';

const judy = user('judy');
const GROUP = 'vci-staff';
const VERIFIER = 'https://verifier.example';
const CLAIMS = ['name', 'email', 'groups'];
const now = () => Math.floor(Date.now() / 1000);

before(async () => {
  await sigil('group', 'create', GROUP, '--description', 'OpenID4VCI interop');
  await sigil('group', 'add-member', GROUP, judy.username ?? 'judy');
});

/** An offer, the library's token, one credential for a new holder key. */
async function issueOne({ txCode = false } = {}) {
  const offer = await createOffer({ txCode });
  const wallet = newWallet();
  const session = await walletToken(wallet, offer);
  const holder = await holderKey();
  const got = await walletCredentials(wallet, session, [holder]);
  assert.equal(got.credentialResponse.credentials?.length, 1, JSON.stringify(got.credentialResponse));
  return { offer, wallet, session, holder, ...got, sdJwt: got.credentialResponse.credentials[0].credential };
}

/** A fresh access token (new offer) and the credential request body naming `employee`. */
async function freshSession() {
  const offer = await createOffer();
  const wallet = newWallet();
  const session = await walletToken(wallet, offer);
  const ids = credentialIdentifiers(session.accessTokenResponse);
  const naming = ids.length > 0 ? { credential_identifier: ids[0] } : { credential_configuration_id: CONFIG_ID };
  return { offer, token: session.accessTokenResponse.access_token, naming };
}

/** Checks the issuer-signed part of an SD-JWT VC issued to `holder`; returns its payload. */
function checkIssuerJwt(sdJwt, holder, meta) {
  assert.equal(typeof sdJwt, 'string');
  assert.ok(sdJwt.endsWith('~'), 'an SD-JWT without key binding ends with ~');
  const { header, payload } = issuerJwt(sdJwt);
  assert.equal(header.typ, 'dc+sd-jwt');
  assert.equal(header.alg, 'ES256');
  assert.ok(meta.jwks.keys.some((k) => k.kid === header.kid), `kid ${header.kid} is in the jwt-vc-issuer metadata`);
  assert.equal(payload.iss, ISSUER);
  assert.equal(payload.vct, `${ISSUER}/vct/employee`);
  assert.ok(payload.iat <= now() + 5, 'iat not in the future');
  assert.ok(payload.exp > now(), 'exp in the future');
  assert.ok(sameKey(payload.cnf?.jwk, holder.publicJwk), `cnf.jwk is the holder key: ${JSON.stringify(payload.cnf)}`);
  assert.equal(payload.cnf.jwk.d, undefined);
  const ref = payload.status?.status_list;
  assert.ok(Number.isInteger(ref?.idx) && ref.idx >= 0, `status.status_list.idx: ${JSON.stringify(payload.status)}`);
  assert.ok(ref.uri.startsWith(`${ISSUER}/vci/status-lists/`), `status list uri ${ref.uri}`);
  for (const c of CLAIMS) assert.equal(payload[c], undefined, `${c} is selectively disclosable, not in the clear`);
  assert.ok(Array.isArray(payload._sd) && payload._sd.length >= CLAIMS.length, 'digests of the disclosable claims');
  assert.equal(payload._sd_alg ?? 'sha-256', 'sha-256');
  return payload;
}

function checkJudyClaims(claims) {
  assert.equal(claims.name, 'Judy Example');
  assert.equal(claims.email, 'judy@example.com');
  assert.ok(Array.isArray(claims.groups), `groups is an array: ${JSON.stringify(claims.groups)}`);
  assert.ok(claims.groups.includes(GROUP), `groups has ${GROUP}: ${JSON.stringify(claims.groups)}`);
}

test('pre-authorized code with tx_code: offer by reference, metadata, token, proof, SD-JWT VC verified and presented', async () => {
  const offer = await createOffer({ txCode: true });
  assert.match(offer.credential_offer_uri, /^openid-credential-offer:\/\/\?credential_offer_uri=/);
  assert.ok(offer.byReference.startsWith(`${ISSUER}/vci/offers/`), offer.byReference);
  assert.equal(typeof offer.tx_code, 'string');
  assert.ok(offer.credential_id, 'the CLI names the credential');
  const grant = offer.credential_offer.grants[PRE_AUTH_GRANT];
  assert.ok(grant?.tx_code, 'the offer announces a tx_code');

  const wallet = newWallet();
  const credentialOffer = await wallet.client.resolveCredentialOffer(offer.credential_offer_uri);
  assert.equal(credentialOffer.credential_issuer, ISSUER);
  assert.deepEqual(credentialOffer.credential_configuration_ids, [CONFIG_ID]);
  const resolvedGrant = credentialOffer.grants?.[PRE_AUTH_GRANT];
  assert.equal(resolvedGrant?.['pre-authorized_code'], grant['pre-authorized_code'], 'the offer by reference is the one the CLI printed');
  assert.ok(resolvedGrant.tx_code);
  if (resolvedGrant.tx_code.length !== undefined) assert.equal(resolvedGrant.tx_code.length, offer.tx_code.length);
  if (resolvedGrant.tx_code.input_mode === 'numeric') assert.match(offer.tx_code, /^[0-9]+$/);

  const issuerMetadata = await wallet.client.resolveIssuerMetadata(credentialOffer.credential_issuer);
  assert.equal(issuerMetadata.originalDraftVersion, Openid4vciVersion.V1, 'the library reads the metadata as OpenID4VCI 1.0');
  const ci = issuerMetadata.credentialIssuer;
  assert.equal(ci.credential_issuer, ISSUER);
  assert.equal(ci.authorization_servers, undefined, 'Sigil is its own authorization server');
  assert.equal(ci.credential_endpoint, `${ISSUER}/vci/credential`);
  assert.equal(ci.nonce_endpoint, `${ISSUER}/vci/nonce`);
  assert.equal(ci.notification_endpoint, `${ISSUER}/vci/notification`);
  assert.equal(ci.batch_credential_issuance?.batch_size, 10);
  const conf = issuerMetadata.knownCredentialConfigurations[CONFIG_ID];
  assert.ok(conf, `the library validates ${CONFIG_ID} as a known format: ${JSON.stringify(ci.credential_configurations_supported)}`);
  assert.equal(conf.format, 'dc+sd-jwt');
  assert.equal(conf.vct, `${ISSUER}/vct/employee`);
  assert.deepEqual(conf.cryptographic_binding_methods_supported, ['jwk']);
  assert.deepEqual(conf.credential_signing_alg_values_supported, ['ES256']);
  assert.ok(conf.proof_types_supported?.jwt?.proof_signing_alg_values_supported.includes('ES256'));
  assert.ok(conf.credential_metadata?.display?.length > 0, 'display');
  const paths = (conf.credential_metadata?.claims ?? []).map((c) => JSON.stringify(c.path));
  for (const c of CLAIMS) assert.ok(paths.includes(JSON.stringify([c])), `claims metadata for ${c}: ${paths}`);
  assert.equal(issuerMetadata.authorizationServers.length, 1);
  const as = issuerMetadata.authorizationServers[0];
  assert.equal(as.issuer, ISSUER);
  assert.equal(as['pre-authorized_grant_anonymous_access_supported'], true);
  assert.ok(as.grant_types_supported?.includes(PRE_AUTH_GRANT), 'the pre-authorized code grant is advertised');

  const { accessTokenResponse } = await wallet.client.retrievePreAuthorizedCodeAccessTokenFromOffer({
    credentialOffer,
    issuerMetadata,
    txCode: offer.tx_code,
  });
  assert.equal(accessTokenResponse.token_type.toLowerCase(), 'bearer');
  assert.equal(typeof accessTokenResponse.access_token, 'string');
  const tokenCall = wallet.requests.find((r) => r.url === as.token_endpoint);
  assert.ok(tokenCall, wallet.describe());
  const sent = new URLSearchParams(tokenCall.body);
  assert.equal(sent.get('grant_type'), PRE_AUTH_GRANT);
  assert.equal(sent.get('tx_code'), offer.tx_code);
  assert.equal(sent.get('client_id'), null, 'anonymous: no client_id');
  assert.equal(new Headers(tokenCall.headers).get('authorization'), null, 'anonymous: no client authentication');

  const holder = await holderKey();
  const { credentialResponse } = await walletCredentials(wallet, { issuerMetadata, accessTokenResponse }, [holder]);
  assert.equal(credentialResponse.credentials?.length, 1, JSON.stringify(credentialResponse));
  assert.equal(typeof credentialResponse.notification_id, 'string');
  const sdJwt = credentialResponse.credentials[0].credential;

  const meta = await jwtVcIssuerMetadata();
  checkIssuerJwt(sdJwt, holder, meta);

  // The library's verification: issuer signature by kid, disclosures, and the status list
  // (fetched as application/statuslist+jwt and verified with the same keys).
  const verifier = await sdJwtVc(meta.jwks);
  const verified = await verifier.verify(sdJwt, { requiredClaimKeys: CLAIMS });
  assert.equal(verified.header.typ, 'dc+sd-jwt');
  checkJudyClaims(verified.payload);
  assert.equal(verified.kb, undefined);

  // The holder shows only `email`, bound to a verifier's nonce with a KB-JWT.
  const presenter = await sdJwtVc(meta.jwks, holder);
  const kbNonce = randomBytes(16).toString('base64url');
  const kb = { payload: { iat: now(), aud: VERIFIER, nonce: kbNonce } };
  const presentation = await presenter.present(sdJwt, { email: true }, { kb });
  assert.equal(presentation.split('~').length, 3, 'issuer JWT, one disclosure, KB-JWT');
  const shown = await verifier.verify(presentation, { keyBindingNonce: kbNonce, requiredClaimKeys: ['email'] });
  assert.equal(shown.payload.email, 'judy@example.com');
  assert.equal(shown.payload.name, undefined, 'name not disclosed');
  assert.equal(shown.payload.groups, undefined, 'groups not disclosed');
  assert.equal(shown.kb?.header.typ, 'kb+jwt');
  assert.equal(shown.kb.payload.aud, VERIFIER);
  await assert.rejects(verifier.verify(presentation, { keyBindingNonce: 'another-nonce' }), /Invalid Nonce/, 'a KB-JWT for another nonce');
  const thief = await holderKey();
  const stolen = await (await sdJwtVc(meta.jwks, thief)).present(sdJwt, { email: true }, { kb });
  await assert.rejects(verifier.verify(stolen, { keyBindingNonce: kbNonce }), /Invalid JWT Signature/, 'a KB-JWT by a key other than cnf.jwk');

  const note = await wallet.client.sendNotification({
    issuerMetadata,
    accessToken: accessTokenResponse.access_token,
    notification: { notificationId: credentialResponse.notification_id, event: 'credential_accepted' },
  });
  assert.equal(note.response.status, 204);
});

test('batch issuance: two proofs, two credentials with their own cnf and status index', async () => {
  const offer = await createOffer();
  assert.equal(offer.tx_code, null);
  assert.equal(offer.credential_offer.grants[PRE_AUTH_GRANT].tx_code, undefined, 'no tx_code announced');
  const wallet = newWallet();
  const session = await walletToken(wallet, offer);
  const keys = [await holderKey(), await holderKey()];
  const { credentialResponse } = await walletCredentials(wallet, session, keys);
  const creds = credentialResponse.credentials ?? [];
  assert.equal(creds.length, 2, JSON.stringify(credentialResponse));

  const meta = await jwtVcIssuerMetadata();
  const verifier = await sdJwtVc(meta.jwks);
  const payloads = [];
  for (const { credential } of creds) {
    const holder = keys.find((k) => sameKey(k.publicJwk, issuerJwt(credential).payload.cnf?.jwk));
    assert.ok(holder, 'each credential is bound to one of the proof keys');
    payloads.push(checkIssuerJwt(credential, holder, meta));
    checkJudyClaims((await verifier.verify(credential)).payload);
  }
  assert.ok(!sameKey(payloads[0].cnf.jwk, payloads[1].cnf.jwk), 'one credential per proof key');
  const [a, b] = payloads.map((p) => p.status.status_list);
  assert.ok(a.uri !== b.uri || a.idx !== b.idx, `distinct status entries: ${JSON.stringify([a, b])}`);
});

test('status list: valid, then revoked with the CLI (status 1, the library refuses the credential)', async () => {
  const meta = await jwtVcIssuerMetadata();
  const { offer, sdJwt } = await issueOne();
  const ref = issuerJwt(sdJwt).payload.status.status_list;
  const before = await fetchStatus(ref, meta.jwks);
  assert.equal(before.status, 0, 'VALID');
  await (await sdJwtVc(meta.jwks)).verify(sdJwt);

  const listed = await sigilJsonLines('credentials', 'list', '--user', 'judy', '--json');
  const mine = listed.find((c) => c.id === offer.credential_id);
  assert.ok(mine, `credentials list shows ${offer.credential_id}`);
  assert.equal(mine.status, 'valid');
  assert.equal(mine.state, 'issued');
  assert.equal(mine.type, 'employee');

  await sigil('credentials', 'revoke', offer.credential_id);
  await waitForStatus(ref, meta.jwks, 1);
  await assert.rejects((await sdJwtVc(meta.jwks)).verify(sdJwt), /Status is not valid/, 'the library checks the status list');
});

test('status list: suspended (status 2) and reinstated (status 0) with the CLI', async () => {
  const meta = await jwtVcIssuerMetadata();
  const { offer, sdJwt } = await issueOne();
  const ref = issuerJwt(sdJwt).payload.status.status_list;
  const before = await fetchStatus(ref, meta.jwks);
  assert.equal(before.status, 0);
  assert.ok(before.bits >= 2, `SUSPENDED (0x02) needs at least 2 bits per status, the list has ${before.bits}`);

  await sigil('credentials', 'suspend', offer.credential_id);
  await waitForStatus(ref, meta.jwks, 2);
  await assert.rejects((await sdJwtVc(meta.jwks)).verify(sdJwt), /Status is not valid/);

  await sigil('credentials', 'reinstate', offer.credential_id);
  await waitForStatus(ref, meta.jwks, 0);
  await (await sdJwtVc(meta.jwks)).verify(sdJwt);
});

test('credential endpoint: a used or unknown c_nonce is invalid_nonce', async () => {
  const holder = await holderKey();
  const first = await freshSession();
  const nonce = await freshNonce();
  const ok = await credentialRequest(first.token, { ...first.naming, proofs: { jwt: [await handProof(holder, nonce)] } });
  assert.equal(ok.status, 200, `a hand-made proof is accepted: ${ok.text}`);
  assert.equal(ok.json.credentials?.length, 1);

  const second = await freshSession();
  const replay = await credentialRequest(second.token, { ...second.naming, proofs: { jwt: [await handProof(holder, nonce)] } });
  assert.equal(replay.status, 400, replay.text);
  assert.equal(replay.json?.error, 'invalid_nonce');
  assert.equal(replay.json.credentials, undefined);

  const unknown = await credentialRequest(second.token, { ...second.naming, proofs: { jwt: [await handProof(holder, 'never-issued')] } });
  assert.equal(unknown.status, 400, unknown.text);
  assert.equal(unknown.json?.error, 'invalid_nonce');
});

test('credential endpoint: a proof not signed by its header jwk, or for another audience, is invalid_proof', async () => {
  const holder = await holderKey();
  const other = await holderKey();
  const s = await freshSession();
  const forged = await credentialRequest(s.token, {
    ...s.naming,
    proofs: { jwt: [await handProof(holder, await freshNonce(), { signWith: other })] },
  });
  assert.equal(forged.status, 400, forged.text);
  assert.equal(forged.json?.error, 'invalid_proof');
  assert.equal(forged.json.credentials, undefined);

  const s2 = await freshSession();
  const elsewhere = await credentialRequest(s2.token, {
    ...s2.naming,
    proofs: { jwt: [await handProof(holder, await freshNonce(), { aud: 'https://other-issuer.example' })] },
  });
  assert.equal(elsewhere.status, 400, elsewhere.text);
  assert.equal(elsewhere.json?.error, 'invalid_proof');
});

test('credential endpoint: an unknown credential_configuration_id is unknown_credential_configuration', async () => {
  const holder = await holderKey();
  const s = await freshSession();
  const res = await credentialRequest(s.token, {
    credential_configuration_id: 'no-such-configuration',
    proofs: { jwt: [await handProof(holder, await freshNonce())] },
  });
  assert.equal(res.status, 400, res.text);
  assert.equal(res.json?.error, 'unknown_credential_configuration');
});

test('token endpoint: wrong or missing tx_code, and a reused pre-authorized code', async () => {
  const wrong = await createOffer({ txCode: true });
  const code = wrong.credential_offer.grants[PRE_AUTH_GRANT]['pre-authorized_code'];
  const badTx = wrong.tx_code === '000000' ? '111111' : '000000';
  const bad = await tokenRequest({ grant_type: PRE_AUTH_GRANT, 'pre-authorized_code': code, tx_code: badTx });
  assert.equal(bad.status, 400, bad.text);
  assert.equal(bad.json?.error, 'invalid_grant', 'wrong tx_code (OpenID4VCI 1.0 §6.3)');
  assert.equal(bad.json.access_token, undefined);

  const missing = await createOffer({ txCode: true });
  const none = await tokenRequest({ grant_type: PRE_AUTH_GRANT, 'pre-authorized_code': missing.credential_offer.grants[PRE_AUTH_GRANT]['pre-authorized_code'] });
  assert.equal(none.status, 400, none.text);
  assert.equal(none.json?.error, 'invalid_request', 'tx_code expected but missing (OpenID4VCI 1.0 §6.3)');

  const once = await createOffer();
  const wallet = newWallet();
  const credentialOffer = await wallet.client.resolveCredentialOffer(once.credential_offer_uri);
  const issuerMetadata = await wallet.client.resolveIssuerMetadata(credentialOffer.credential_issuer);
  await wallet.client.retrievePreAuthorizedCodeAccessTokenFromOffer({ credentialOffer, issuerMetadata });
  await assert.rejects(wallet.client.retrievePreAuthorizedCodeAccessTokenFromOffer({ credentialOffer, issuerMetadata }), (err) => {
    assert.ok(err instanceof Oauth2ClientErrorResponseError, `${err.name}: ${err.message}`);
    assert.equal(err.errorResponse.error, 'invalid_grant');
    assert.equal(err.response.status, 400);
    return true;
  });
  const raw = await tokenRequest({ grant_type: PRE_AUTH_GRANT, 'pre-authorized_code': credentialOffer.grants[PRE_AUTH_GRANT]['pre-authorized_code'] });
  assert.equal(raw.json?.error, 'invalid_grant', 'still refused');
});

test('credential endpoint: the access token only in an Authorization header', async () => {
  const holder = await holderKey();
  const s = await freshSession();
  const body = async () => ({ ...s.naming, proofs: { jwt: [await handProof(holder, await freshNonce())] } });

  const inQuery = await credentialRequest(null, await body(), { query: `?access_token=${encodeURIComponent(s.token)}` });
  assert.ok([400, 401].includes(inQuery.status), `token in the query string: ${inQuery.status} ${inQuery.text}`);
  assert.equal(inQuery.json?.credentials, undefined, 'no credential');
  assert.equal(inQuery.json?.credential, undefined, 'no credential');

  const without = await credentialRequest(null, await body());
  assert.equal(without.status, 401, without.text);
  assert.match(without.headers.get('www-authenticate') ?? '', /^Bearer/i, 'a Bearer challenge (RFC 6750 §3)');

  const invalid = await credentialRequest('not-a-token', await body());
  assert.equal(invalid.status, 401, invalid.text);
  assert.match(invalid.headers.get('www-authenticate') ?? '', /invalid_token/);

  const header = await credentialRequest(s.token, await body());
  assert.equal(header.status, 200, `the same token as a Bearer header works: ${header.text}`);
  assert.equal(header.json.credentials?.length, 1);
});

test('x5c: the signing key comes with a certificate from the issuer CA that `sigil credentials issuer-ca` prints (node:crypto checks it)', async () => {
  const { sdJwt } = await issueOne();
  const { header } = issuerJwt(sdJwt);
  assert.ok(Array.isArray(header.x5c) && header.x5c.length === 1, 'the leaf only');
  const leaf = new X509Certificate(Buffer.from(header.x5c[0], 'base64'));
  const ca = new X509Certificate(await sigil('credentials', 'issuer-ca'));
  assert.ok(ca.ca, 'the issuer CA is a CA');
  assert.ok(!leaf.ca, 'the leaf is not');
  assert.ok(leaf.checkIssued(ca) && leaf.verify(ca.publicKey), 'the CA issued and signed the leaf');
  const now = new Date();
  assert.ok(new Date(leaf.validFrom) <= now && now < new Date(leaf.validTo), 'valid now');
  const host = new URL(ISSUER).hostname;
  assert.equal(leaf.checkIP(host), host, 'the leaf names the issuer host');
  assert.ok(leaf.subjectAltName.includes(`URI:${ISSUER}`), leaf.subjectAltName);
  assert.deepEqual(leaf.keyUsage, ['1.3.6.1.5.5.7.3.36'], 'document signing only');
  await jose.compactVerify(sdJwt.split('~')[0], leaf.publicKey);
  // The status list token is signed the same way.
  const ref = issuerJwt(sdJwt).payload.status.status_list;
  const token = await (await fetch(ref.uri)).text();
  const statusHeader = jose.decodeProtectedHeader(token.trim());
  assert.deepEqual(statusHeader.x5c, header.x5c);
  await jose.compactVerify(token.trim(), leaf.publicKey);
});
