// Sigil's holder wallet (`sigil wallet`) against an independent issuer and verifier built from
// the same libraries the other direction uses (lib/peer-issuer-verifier.js):
// - receive: OpenID4VCI 1.0 pre-authorized code flow from an @openid4vc/openid4vci +
//   @openid4vc/oauth2 issuer: offers by value and by reference, tx_code, a separate
//   authorization server, issuer identifiers with and without a path (RFC 8615 insertion),
//   c_nonce, the jwt key proof checked by the library, SD-JWT VC issued by @sd-jwt/sd-jwt-vc
//   with its keys in JWT VC Issuer Metadata (inline and jwks_uri), notification; credentials
//   the wallet must refuse (unpublished key, bad signature, bound to another key, another iss);
//   `list --json` with the issuer's display names.
// - present: OpenID4VP 1.0 requests made by @openid4vc/openid4vp's Openid4vpVerifier
//   (`redirect_uri` by value; `x509_hash` and `x509_san_dns` signed Request Objects by
//   reference, self-signed certificates), DCQL; the wallet answers with `present --yes`; the
//   library parses the response (direct_post; direct_post.jwt decrypted with jose, A128GCM and
//   A256GCM) and @sd-jwt/sd-jwt-vc verifies each presentation (issuer signature, disclosures,
//   KB-JWT signature, nonce, sd_hash; aud and iat here); only the claims asked are disclosed.
// - refusals: tampered requests (client_id of the link not the request's, a foreign
//   certificate, a forged signature, an unsigned request under an x509 client_id, a
//   redirect_uri client_id that is not the response URI), no consent, no matching credential:
//   the command fails or declines, and nothing is posted to the verifier.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as jose from 'jose';
import {
  CLAIMS,
  CONFIG_ID,
  CREDENTIAL_NAME,
  LABELS,
  NESTED,
  PRE_AUTH_GRANT,
  UNLABELLED,
  VCT,
  jsonLines,
  newWalletDir,
  now,
  selfSignedCertificate,
  sha256,
  b64u,
  signRequestObject,
  sigilWallet,
  sigilWalletOk,
  startPeerIssuer,
  startPeerVerifier,
  walletList,
  wellKnown,
} from '../lib/peer-issuer-verifier.js';

/** Issuer A: identifier with a path, its own authorization server, jwks_uri, nonce, notification. */
let peerA;
/** Issuer B: identifier at the origin, its own AS, inline jwks, no nonce or notification endpoint. */
let peerB;
let verifier;
/** A wallet holding one credential of issuer A (for the presentation tests). */
let holderDir;

before(async () => {
  peerA = await startPeerIssuer({ path: '/peer', separateAs: true, jwksUri: true });
  peerB = await startPeerIssuer({ path: '', separateAs: false, jwksUri: false, nonceEndpoint: false, notificationEndpoint: false });
  verifier = await startPeerVerifier({ issuers: [peerA, peerB].map((p) => ({ issuer: p.issuer, jwks: p.jwks })) });
  holderDir = newWalletDir('holder');
  const offer = await peerA.offer();
  await sigilWalletOk(holderDir, ['receive', offer.link, '--json']);
});

after(async () => {
  await Promise.all([peerA?.close(), peerB?.close(), verifier?.close()]);
});

/** The requests `peer` got since log index `from`, as `METHOD path` strings. */
function seen(peer, from = 0) {
  return peer.log.slice(from).map((e) => `${e.method} ${e.path}`);
}

/** The issuer-signed JWT's header and payload of an SD-JWT. */
function issuerJwt(sdJwt) {
  const jwt = sdJwt.split('~')[0];
  return { header: jose.decodeProtectedHeader(jwt), payload: jose.decodeJwt(jwt) };
}

/** Checks a `list --json` record of a credential of `peer`. */
function checkListed(c, peer, { id } = {}) {
  if (id) assert.equal(c.id, id);
  assert.equal(c.issuer, peer.issuer);
  assert.equal(c.name, CREDENTIAL_NAME, 'the display name from credential_metadata.display');
  assert.equal(c.vct, VCT);
  assert.equal(c.type, CONFIG_ID);
  for (const [name, label] of Object.entries(LABELS)) {
    assert.equal(c.labels?.[name], label, `label of ${name}: ${JSON.stringify(c.labels)}`);
    assert.deepEqual(c.claims?.[name], CLAIMS[name], `claim ${name}: ${JSON.stringify(c.claims)}`);
  }
  assert.ok(typeof c.expires_at === 'number' && c.expires_at > now(), `expires_at: ${c.expires_at}`);
  assert.ok(typeof c.received_at === 'number' && Math.abs(c.received_at - now()) < 120, `received_at: ${c.received_at}`);
  // Nothing secret in the listing.
  const text = JSON.stringify(c);
  assert.ok(!text.includes('~'), 'no SD-JWT in the listing');
  assert.ok(!/"d"\s*:/.test(text), 'no private key in the listing');
}

// --- Receiving.

describe('receive (OpenID4VCI pre-authorized code flow from a peer issuer)', () => {
  test('offer by reference with tx_code; issuer with a path and a separate authorization server; jwks_uri; nonce; notification', async () => {
    const dir = newWalletDir('receive-a');
    const offer = await peerA.offer({ txCode: '493817', byReference: true });
    assert.match(offer.link, /^openid-credential-offer:\/\/\?credential_offer_uri=/);
    assert.equal(new URL(offer.link).searchParams.get('credential_offer_uri'), offer.uri);

    // Without the code the wallet asks for it, before the token endpoint is asked anything.
    let from = peerA.log.length;
    const missing = await sigilWallet(dir, ['receive', offer.link]);
    assert.notEqual(missing.code, 0, 'receive without --tx-code fails');
    assert.match(missing.stderr, /transaction code|tx-code/i, missing.stderr);
    assert.ok(!seen(peerA, from).includes('POST /as/token'), `no token request without a code:\n${seen(peerA, from).join('\n')}`);

    // A wrong code: the library's token endpoint refuses with invalid_grant.
    from = peerA.log.length;
    const wrong = await sigilWallet(dir, ['receive', offer.link, '--tx-code', '000000']);
    assert.notEqual(wrong.code, 0, 'a wrong tx_code fails');
    assert.match(wrong.stderr, /invalid_grant/, wrong.stderr);
    const wrongToken = peerA.log.slice(from).find((e) => e.path === '/as/token');
    assert.equal(wrongToken?.status, 400);
    assert.equal((await walletList(dir)).length, 0, 'nothing kept after a failure');

    // The right code.
    from = peerA.log.length;
    const got = await sigilWalletOk(dir, ['receive', offer.link, '--tx-code', '493817', '--json']);
    const lines = jsonLines(got.stdout);
    assert.equal(lines.length, 1, got.stdout);
    assert.equal(lines[0].issuer, peerA.issuer);
    assert.equal(lines[0].name, CREDENTIAL_NAME);
    assert.equal(lines[0].vct, VCT);
    assert.equal(typeof lines[0].id, 'string');

    // The requests, in order: offer, issuer metadata (path after /.well-known), AS metadata,
    // token, nonce, credential, JWT VC issuer metadata and its jwks_uri, notification.
    const flow = seen(peerA, from);
    assert.deepEqual(flow, [
      'GET /peer/offers/' + offer.id,
      'GET /.well-known/openid-credential-issuer/peer',
      'GET /.well-known/oauth-authorization-server/as',
      'POST /as/token',
      'POST /peer/nonce',
      'POST /peer/credential',
      'GET /.well-known/jwt-vc-issuer/peer',
      'GET /peer/jwks',
      'POST /peer/notification',
    ]);
    assert.equal(wellKnown(peerA.issuer, 'openid-credential-issuer'), `${peerA.origin}/.well-known/openid-credential-issuer/peer`);
    const byPath = (p) => peerA.log.slice(from).find((e) => `${e.method} ${e.path}` === p);
    for (const e of peerA.log.slice(from)) assert.ok(e.status >= 200 && e.status < 300, `${e.method} ${e.path} -> ${e.status} ${e.response}`);

    // Token request: the pre-authorized code grant with tx_code, no client authentication.
    const token = byPath('POST /as/token');
    assert.match(token.headers['content-type'], /^application\/x-www-form-urlencoded/);
    assert.deepEqual(Object.keys(token.form).sort(), ['grant_type', 'pre-authorized_code', 'tx_code']);
    assert.equal(token.form.grant_type, PRE_AUTH_GRANT);
    assert.equal(token.form['pre-authorized_code'], offer.code);
    assert.equal(token.form.tx_code, '493817');
    assert.equal(token.headers.authorization, undefined);

    // Credential request: the configuration id, one jwt proof (checked by the library), Bearer.
    const cred = byPath('POST /peer/credential');
    assert.match(cred.headers['content-type'], /^application\/json/);
    assert.match(cred.headers.authorization ?? '', /^Bearer ey/);
    assert.equal(cred.json.credential_configuration_id, CONFIG_ID);
    assert.equal(cred.json.credential_identifier, undefined);
    assert.equal(cred.json.proof, undefined, '`proofs`, not the pre-1.0 `proof`');
    assert.equal(cred.json.proofs?.jwt?.length, 1);
    const [proof] = cred.json.proofs.jwt;
    const ph = jose.decodeProtectedHeader(proof);
    const pp = jose.decodeJwt(proof);
    assert.equal(ph.typ, 'openid4vci-proof+jwt');
    assert.equal(ph.alg, 'ES256');
    assert.equal(ph.jwk?.kty, 'EC');
    assert.equal(ph.jwk?.d, undefined);
    assert.equal(ph.kid, undefined, 'jwk or kid, not both');
    assert.equal(pp.aud, peerA.issuer);
    assert.ok(Math.abs(pp.iat - now()) < 120, `proof iat ${pp.iat}`);
    const nonceAnswer = JSON.parse(byPath('POST /peer/nonce').response);
    assert.equal(pp.nonce, nonceAnswer.c_nonce, 'the proof carries the c_nonce');
    assert.equal(peerA.state.nonces.get(pp.nonce)?.used, true);

    // The credential issued is bound to the proof's key; the wallet verified and kept it.
    const issued = peerA.issued.at(-1);
    assert.deepEqual({ ...issuerJwt(issued.credential).payload.cnf.jwk }, { kty: ph.jwk.kty, crv: ph.jwk.crv, x: ph.jwk.x, y: ph.jwk.y });
    assert.equal(issuerJwt(issued.credential).header.typ, 'dc+sd-jwt');
    assert.equal(issuerJwt(issued.credential).header.kid, peerA.issuerKey.kid, 'signed with the second published key');

    // Notification: credential_accepted with the issuer's notification_id, with the token.
    const note = byPath('POST /peer/notification');
    assert.match(note.headers.authorization ?? '', /^Bearer /);
    assert.deepEqual(peerA.notifications.at(-1), { notification_id: `note-${offer.id}`, event: 'credential_accepted', offerId: offer.id });

    const listed = await walletList(dir);
    assert.equal(listed.length, 1);
    checkListed(listed[0], peerA, { id: lines[0].id });

    // The offer is spent: a second receive fails at the token endpoint, nothing more is kept.
    const again = await sigilWallet(dir, ['receive', offer.link, '--tx-code', '493817']);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /invalid_grant/, again.stderr);
    assert.equal((await walletList(dir)).length, 1);
  });

  test('offer by value without tx_code; issuer at the origin as its own authorization server; inline jwks; no nonce endpoint', async () => {
    const dir = newWalletDir('receive-b');
    const offer = await peerB.offer();
    assert.match(offer.link, /^openid-credential-offer:\/\/\?credential_offer=/);
    const inLink = JSON.parse(new URL(offer.link).searchParams.get('credential_offer'));
    assert.equal(inLink.credential_issuer, peerB.issuer);
    assert.equal(inLink.grants[PRE_AUTH_GRANT].tx_code, undefined);

    const from = peerB.log.length;
    const got = await sigilWalletOk(dir, ['receive', offer.link, '--json']);
    assert.equal(jsonLines(got.stdout).length, 1, got.stdout);
    assert.deepEqual(seen(peerB, from), [
      'GET /.well-known/openid-credential-issuer',
      'GET /.well-known/oauth-authorization-server',
      'POST /token',
      'POST /credential',
      'GET /.well-known/jwt-vc-issuer',
    ]);
    const token = peerB.log.slice(from).find((e) => e.path === '/token');
    assert.equal(token.form.tx_code, undefined, 'no tx_code when the offer has none');
    const cred = peerB.log.slice(from).find((e) => e.path === '/credential');
    const pp = jose.decodeJwt(cred.json.proofs.jwt[0]);
    assert.equal(pp.aud, peerB.issuer);
    assert.equal(pp.nonce, undefined, 'no nonce without a nonce endpoint');

    const listed = await walletList(dir);
    assert.equal(listed.length, 1);
    checkListed(listed[0], peerB);

    // A second credential of another offer is kept beside the first.
    await sigilWalletOk(dir, ['receive', (await peerB.offer()).link]);
    const two = await walletList(dir);
    assert.equal(two.length, 2);
    assert.notEqual(two[0].id, two[1].id);
  });

  test('the grant\'s authorization_server picks among several in the issuer metadata', async () => {
    const peer = await startPeerIssuer({ path: '/multi', separateAs: true, decoyAs: true });
    try {
      assert.deepEqual(peer.metadata.authorization_servers, [`${peer.origin}/as0`, peer.asIssuer]);
      const offer = await peer.offer();
      assert.equal(offer.object.grants[PRE_AUTH_GRANT].authorization_server, peer.asIssuer);
      const dir = newWalletDir('receive-multi-as');
      const out = await sigilWallet(dir, ['receive', offer.link]);
      assert.ok(!seen(peer).includes('POST /as0/token'), `asked the first authorization server, not the grant's:\n${peer.describe()}\n${out.stderr}`);
      assert.equal(out.code, 0, out.stderr);
    } finally {
      await peer.close();
    }
  });

  test('list --json shows disclosable claims the issuer gave no display name for', async () => {
    const listed = await walletList(holderDir);
    assert.equal(listed.length, 1);
    assert.deepEqual(listed[0].claims.member_number, UNLABELLED.member_number, `member_number listed: ${JSON.stringify(listed[0].claims)}`);
  });

  describe('credentials the wallet must refuse (nothing kept, no notification of acceptance)', () => {
    const cases = [
      ['unknown-kid', /publish|key/i, 'signed with a kid the issuer does not publish'],
      ['bad-signature', /verify|signature/i, 'signed by a key that is not the published one (same kid)'],
      ['other-holder', /bound|key/i, 'bound (cnf.jwk) to another key than the proof'],
      ['other-iss', /issuer/i, 'naming another iss than the credential issuer'],
      ['wrong-typ', /typ/i, 'whose header typ is not dc+sd-jwt'],
      ['expired', /expire/i, 'that has expired already'],
    ];
    for (const [mode, re, what, opts = {}] of cases) {
      test(`a credential ${what}`, opts, async () => {
        const dir = newWalletDir(`refuse-${mode}`);
        const offer = await peerA.offer();
        peerA.misissue = mode;
        let out;
        const notes = peerA.notifications.length;
        try {
          out = await sigilWallet(dir, ['receive', offer.link]);
        } finally {
          peerA.misissue = undefined;
        }
        assert.equal(peerA.issued.at(-1)?.misissue, mode, 'the peer issued the bad credential');
        assert.notEqual(out.code, 0, `receive of a credential ${what} must fail:\n${out.stdout}`);
        assert.match(out.stderr, re, out.stderr);
        assert.equal((await walletList(dir)).length, 0, 'nothing kept');
        const accepted = peerA.notifications.slice(notes).filter((n) => n.event === 'credential_accepted');
        assert.equal(accepted.length, 0, 'no credential_accepted');
      });
    }
  });
});

// --- Presenting.

/** Runs `present LINK --yes --json` in `dir`; returns the parsed outcome. */
async function presentYes(dir, link) {
  const out = await sigilWalletOk(dir, ['present', link, '--yes', '--json']);
  return JSON.parse(out.stdout);
}

/** Checks the verifier's view of a successful answer to `rec` asking `claims`. */
function checkVerified(rec, claims, { queryId = 'membership' } = {}) {
  assert.ok(rec.result, 'the verifier got a response');
  assert.ok(rec.result.ok, `the verifier accepted it: ${rec.result.error?.stack ?? rec.result.error}`);
  const { parsed, presentations } = rec.result;
  assert.deepEqual(Object.keys(parsed.dcql.presentations), [queryId], 'vp_token names exactly the query asked');
  assert.equal(presentations[queryId].length, 1, 'one presentation');
  const [p] = presentations[queryId];
  assert.deepEqual(p.disclosedNames, [...claims].sort(), 'exactly the claims asked are disclosed');
  for (const c of claims) assert.deepEqual(p.claims[c], CLAIMS[c]);
  for (const c of [...Object.keys(CLAIMS), ...Object.keys(UNLABELLED)]) {
    if (!claims.includes(c)) assert.equal(p.claims[c], undefined, `${c} withheld`);
  }
  assert.equal(p.claims.iss, peerA.issuer);
  assert.equal(p.header.typ, 'dc+sd-jwt');
  assert.equal(p.kb.payload.aud, rec.clientId);
  assert.equal(p.kb.payload.nonce, rec.payload.nonce);
  return p;
}

/** Checks the wallet's `--json` outcome for `rec`. */
function checkOutcome(outcome, rec, claims) {
  assert.equal(outcome.sent, true, JSON.stringify(outcome));
  assert.equal(outcome.consent.verifier, rec.clientId);
  assert.equal(outcome.consent.name, 'Peer Verifier', 'client_metadata.client_name');
  assert.equal(outcome.consent.disclosures.length, 1);
  const [d] = outcome.consent.disclosures;
  assert.equal(d.query, 'membership');
  assert.equal(d.name, CREDENTIAL_NAME);
  assert.deepEqual(
    Object.keys(d.claims).sort(),
    claims.map((c) => LABELS[c] ?? c).sort(),
    `the holder is shown the claims by their labels: ${JSON.stringify(d.claims)}`,
  );
  for (const c of claims) assert.deepEqual(d.claims[LABELS[c] ?? c], CLAIMS[c] ?? UNLABELLED[c]);
}

describe('present (OpenID4VP 1.0 to a peer verifier)', () => {
  test('redirect_uri client_id, request by value, direct_post', async () => {
    const claims = ['given_name', 'membership_level'];
    const rec = await verifier.createRequest({ prefix: 'redirect_uri', responseMode: 'direct_post', claims });
    assert.equal(rec.requestObject, undefined, 'by value, unsigned');
    const params = new URL(rec.link).searchParams;
    assert.equal(params.get('client_id'), `redirect_uri:${verifier.origin}/response`);
    assert.equal(params.get('request_uri'), null);
    assert.ok(params.get('dcql_query'), 'parameters travel in the link');

    const outcome = await presentYes(holderDir, rec.link);
    checkOutcome(outcome, rec, claims);
    assert.equal(rec.posts.length, 1);
    const [post] = verifier.responsePosts().filter((e) => e.form?.state === rec.state);
    assert.match(post.headers['content-type'], /^application\/x-www-form-urlencoded/);
    assert.deepEqual(Object.keys(post.form).sort(), ['state', 'vp_token']);
    checkVerified(rec, claims);
  });

  test('x509_hash client_id, signed Request Object by reference, direct_post', async () => {
    const claims = ['family_name', 'address'];
    const rec = await verifier.createRequest({ prefix: 'x509_hash', responseMode: 'direct_post', claims });
    const params = new URL(rec.link).searchParams;
    assert.equal(params.get('client_id'), rec.clientId);
    assert.equal(params.get('request_uri'), `${verifier.origin}/requests/${rec.id}`);
    assert.equal(rec.clientId, `x509_hash:${b64u(sha256(rec.cert.der))}`);
    assert.deepEqual(jose.decodeProtectedHeader(rec.requestObject).x5c, rec.cert.x5c);

    const outcome = await presentYes(holderDir, rec.link);
    checkOutcome(outcome, rec, claims);
    assert.equal(rec.fetched, 1, 'the Request Object was fetched once');
    checkVerified(rec, claims);
  });

  test('x509_hash client_id, direct_post.jwt (ECDH-ES, A128GCM), decrypted by the library', async () => {
    const claims = ['given_name', 'member_since'];
    const rec = await verifier.createRequest({ prefix: 'x509_hash', responseMode: 'direct_post.jwt', encValues: ['A128GCM', 'A256GCM'], claims });
    await presentYes(holderDir, rec.link);
    assert.equal(rec.posts.length, 1);
    assert.deepEqual(Object.keys(rec.posts[0]), ['response'], 'only `response` is posted');
    assert.equal(rec.posts[0].response.split('.').length, 5, 'a compact JWE');
    assert.equal(rec.jweHeader?.alg, 'ECDH-ES');
    assert.equal(rec.jweHeader?.enc, 'A128GCM');
    assert.equal(rec.jweHeader?.kid, rec.encKey.publicJwk.kid, 'kid of the verifier key');
    assert.equal(rec.result?.parsed?.jarm?.type, 'Encrypted');
    assert.equal(rec.result.parsed.authorizationResponsePayload.state, rec.state, 'state inside the JWE');
    checkVerified(rec, claims);
  });

  test('x509_san_dns:localhost client_id, direct_post.jwt with A256GCM only', async () => {
    const claims = ['membership_level'];
    const rec = await verifier.createRequest({ prefix: 'x509_san_dns', responseMode: 'direct_post.jwt', encValues: ['A256GCM'], claims });
    assert.equal(rec.clientId, 'x509_san_dns:localhost');
    assert.match(rec.cert.cert.subjectAltName ?? '', /DNS:localhost/);
    assert.equal(new URL(rec.payload.response_uri).hostname, 'localhost');
    await presentYes(holderDir, rec.link);
    assert.equal(rec.jweHeader?.enc, 'A256GCM');
    checkVerified(rec, claims);
  });

  test('without --yes the holder is asked; no answer discloses nothing', async () => {
    const rec = await verifier.createRequest({ prefix: 'redirect_uri', claims: ['given_name'] });
    const out = await sigilWallet(holderDir, ['present', rec.link, '--json'], { input: 'n\n' });
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stderr, /Peer Verifier/, 'the verifier is named');
    assert.match(out.stderr, /First name/, 'the claim is shown by its label');
    assert.match(out.stderr, /Ada/, 'with its value');
    assert.doesNotMatch(out.stderr, /Lovelace/, 'claims not asked are not shown');
    assert.equal(JSON.parse(out.stdout).sent, false);
    assert.equal(rec.posts.length, 0, 'nothing posted');
  });

  test('a request for a credential the wallet does not hold fails, nothing posted', async () => {
    const rec = await verifier.createRequest({ prefix: 'redirect_uri', vct: 'urn:example:other:1', claims: ['given_name'] });
    const out = await sigilWallet(holderDir, ['present', rec.link, '--yes']);
    assert.notEqual(out.code, 0);
    assert.match(out.stderr, /no credentials that answer/, out.stderr);
    assert.equal(rec.posts.length, 0);
  });

  test('a claim with disclosable members, and an array of disclosable elements, are presented whole', async () => {
    const dir = newWalletDir('holder-nested');
    await sigilWalletOk(dir, ['receive', (await peerA.offer({ nested: true })).link]);
    const [listed] = await walletList(dir);
    assert.deepEqual(listed.claims.address, NESTED.address, 'the wallet read the nested disclosures');
    const rec = await verifier.createRequest({ prefix: 'redirect_uri', claims: ['address', 'nationalities'] });
    const out = await sigilWallet(dir, ['present', rec.link, '--yes', '--json']);
    assert.equal(out.code, 0, out.stderr);
    assert.ok(rec.result?.ok, `verified: ${rec.result?.error}`);
    const [p] = rec.result.presentations.membership;
    assert.deepEqual(
      { address: p.claims.address, nationalities: p.claims.nationalities },
      NESTED,
      `as verified: ${JSON.stringify({ address: p.claims.address, nationalities: p.claims.nationalities })}; disclosures: ${JSON.stringify(p.disclosures)}`,
    );
  });

  test('a request with transaction_data the wallet cannot process is refused, nothing posted', async () => {
    const rec = await verifier.createRequest({
      prefix: 'x509_hash',
      claims: ['given_name'],
      transactionData: [{ type: 'urn:example:peer:payment:1', credential_ids: ['membership'], amount: '42.00 EUR', payee: 'Peer Shop' }],
    });
    assert.equal(jose.decodeJwt(rec.requestObject).transaction_data?.length, 1);
    const out = await sigilWallet(holderDir, ['present', rec.link, '--yes']);
    assert.equal(rec.posts.length, 0, `a presentation was posted without transaction_data_hashes: ${JSON.stringify(rec.result?.presentations?.membership?.[0]?.kb?.payload)}`);
    assert.notEqual(out.code, 0);
  });

  test('a signed Request Object passed by value (`request`)', async () => {
    const rec = await verifier.createRequest({ prefix: 'x509_hash', claims: ['given_name'] });
    const link = `openid4vp://?${new URLSearchParams({ client_id: rec.clientId, request: rec.requestObject })}`;
    const out = await sigilWallet(holderDir, ['present', link, '--yes']);
    assert.equal(out.code, 0, out.stderr);
    checkVerified(rec, ['given_name']);
  });
});

// --- Tampered requests.

describe('tampered requests: the wallet refuses, nothing is posted', () => {
  /** Runs `present --yes` on `link`; asserts failure matching `re` and no POST for `rec`. */
  async function refused(link, re, rec) {
    const before = verifier.responsePosts().length;
    const out = await sigilWallet(holderDir, ['present', link, '--yes', '--json']);
    assert.notEqual(out.code, 0, `the wallet must refuse:\n${out.stdout}`);
    assert.match(out.stderr, re, out.stderr);
    assert.equal(verifier.responsePosts().length, before, 'nothing posted to the verifier');
    if (rec) assert.equal(rec.posts.length, 0);
    return out;
  }
  const relink = (link, changes) => {
    const u = new URL(link);
    for (const [k, v] of Object.entries(changes)) u.searchParams.set(k, v);
    return u.toString();
  };

  test('x509_hash: the link names the hash of another certificate', async () => {
    const rec = await verifier.createRequest({ prefix: 'x509_hash' });
    const other = await selfSignedCertificate({ dnsNames: ['localhost'] });
    const link = relink(rec.link, { client_id: `x509_hash:${b64u(sha256(other.der))}` });
    await refused(link, /certificate is not the one the client_id names|client_id/, rec);
  });

  test('x509_hash: the Request Object names another client_id than the link', async () => {
    const rec = await verifier.createRequest({ prefix: 'x509_hash' });
    // The request re-signed (validly, same certificate) for another client_id.
    rec.requestObject = await signRequestObject({ ...jose.decodeJwt(rec.requestObject), client_id: 'x509_hash:AAAA' }, rec.cert);
    await refused(rec.link, /client_id is not the link's/, rec);
  });

  test('x509_hash: the Request Object is not signed by the certificate key', async () => {
    const rec = await verifier.createRequest({ prefix: 'x509_hash' });
    const stranger = await selfSignedCertificate();
    rec.requestObject = await signRequestObject(jose.decodeJwt(rec.requestObject), rec.cert, { signWith: stranger.privateKey });
    await refused(rec.link, /signature does not verify/, rec);
  });

  test('x509_hash: an unsigned Request Object (alg none)', async () => {
    const rec = await verifier.createRequest({ prefix: 'x509_hash' });
    const payload = jose.decodeJwt(rec.requestObject);
    rec.requestObject = `${b64u(JSON.stringify({ alg: 'none', typ: 'oauth-authz-req+jwt' }))}.${b64u(JSON.stringify(payload))}.`;
    await refused(rec.link, /only redirect_uri: requests may be unsigned/, rec);
  });

  test('x509_hash: an expired Request Object', async () => {
    const rec = await verifier.createRequest({ prefix: 'x509_hash' });
    const t = now();
    rec.requestObject = await signRequestObject({ ...jose.decodeJwt(rec.requestObject), iat: t - 7200, exp: t - 3600 }, rec.cert);
    await refused(rec.link, /expire/i, rec);
  });

  test('x509_san_dns: the link names a DNS name the certificate does not have', async () => {
    const rec = await verifier.createRequest({ prefix: 'x509_san_dns' });
    await refused(relink(rec.link, { client_id: 'x509_san_dns:verifier.example' }), /client_id/, rec);
  });

  test('redirect_uri by value: the client_id is not the response URI', async () => {
    const rec = await verifier.createRequest({ prefix: 'redirect_uri' });
    await refused(relink(rec.link, { client_id: 'redirect_uri:https://verifier.example/cb' }), /redirect_uri|client_id/, rec);
    await refused(relink(rec.link, { response_uri: `${verifier.origin}/elsewhere` }), /redirect_uri|client_id/, rec);
  });
});
