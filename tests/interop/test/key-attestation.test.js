// Key attestations (OpenID4VCI 1.0 Appendix D, HAIP 1.0 §4.5.1) at Sigil's issuer, driven by
// @openid4vc/openid4vci 0.4.6 as the wallet: a wallet provider CA made with @peculiar/x509
// (lib/wallet-provider.js) is the type's trust anchor; the library reads
// key_attestations_required from Sigil's metadata (and refuses to build a proof without an
// attestation), then puts the attestation made here with jose in its jwt proof's
// key_attestation header. An attestation
// proof stands for two keys at once; an attestation from a provider Sigil does not trust is
// refused with invalid_proof.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as jose from 'jose';
import { env } from '../lib/env.js';
import { walletProvider } from '../lib/wallet-provider.js';
import {
  createOffer,
  credentialIdentifiers,
  credentialRequest,
  freshNonce,
  holderKey,
  issuerJwt,
  newWallet,
  sameKey,
  sigil,
  walletCredentials,
  walletToken,
} from '../lib/vci-wallet.js';

const TYPE = 'secure-badge';
const STORAGE = 'iso_18045_high';

/** The provider's key attestation of `keys` (public JWKs) for `nonce`. */
function attestation(provider, keys, nonce) {
  return new jose.SignJWT({ nonce, attested_keys: keys, key_storage: [STORAGE], user_authentication: ['iso_18045_moderate'] })
    .setProtectedHeader({ alg: 'ES256', typ: 'key-attestation+jwt', x5c: provider.x5c })
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(provider.attester.privateKey);
}

let trusted;

before(async () => {
  trusted = await walletProvider('Interop wallet provider');
  const file = join(env.work, `${TYPE}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      vct: `${env.issuer}/vct/${TYPE}`,
      claims: [{ name: 'name', source: 'name' }],
      lifetime_secs: 3600,
      key_attestation: { key_storage: [STORAGE], trust_anchors: [trusted.caPem] },
    }),
  );
  await sigil('credentials', 'define-type', TYPE, file);
});

/** A redeemed offer of the secure badge: the wallet and its session. */
async function session() {
  const wallet = newWallet();
  return { wallet, session: await walletToken(wallet, await createOffer({ type: TYPE })) };
}

/** The body naming the secure badge, as the token response asks. */
function naming(accessTokenResponse) {
  const ids = credentialIdentifiers(accessTokenResponse);
  return ids.length > 0 ? { credential_identifier: ids[0] } : { credential_configuration_id: TYPE };
}

/** The holder key (cnf.jwk) of each credential of a response. */
function boundKeys(response) {
  return response.credentials.map((c) => issuerJwt(c.credential).payload.cnf.jwk);
}

test('the library reads the requirement and sends an attested jwt proof', async () => {
  const { wallet, session: s } = await session();
  const proofTypes = s.issuerMetadata.credentialIssuer.credential_configurations_supported[TYPE].proof_types_supported;
  assert.deepEqual(proofTypes.jwt.key_attestations_required, { key_storage: [STORAGE] });
  assert.deepEqual(proofTypes.attestation.key_attestations_required, { key_storage: [STORAGE] });

  const holder = await holderKey();
  const { c_nonce: nonce } = await wallet.client.requestNonce({ issuerMetadata: s.issuerMetadata });
  await assert.rejects(
    wallet.client.createCredentialRequestJwtProof({
      issuerMetadata: s.issuerMetadata,
      credentialConfigurationId: TYPE,
      signer: { method: 'jwk', alg: 'ES256', publicJwk: holder.publicJwk },
      nonce,
    }),
    'the library will not prove a key without the attestation Sigil requires',
  );

  const got = await walletCredentials(wallet, s, [holder], TYPE, {
    attest: (n, key) => attestation(trusted, [key.publicJwk], n),
  });
  assert.equal(got.credentialResponse.credentials?.length, 1, JSON.stringify(got.credentialResponse));
  assert.ok(sameKey(boundKeys(got.credentialResponse)[0], holder.publicJwk));
  const header = jose.decodeProtectedHeader(got.proofs[0]);
  assert.equal(typeof header.key_attestation, 'string', 'the library put the attestation in the proof header');
});

test('an attestation proof stands for each key it attests', async () => {
  const { session: s } = await session();
  const [a, b] = [await holderKey(), await holderKey()];
  const jwt = await attestation(trusted, [a.publicJwk, b.publicJwk], await freshNonce());
  const res = await credentialRequest(s.accessTokenResponse.access_token, { ...naming(s.accessTokenResponse), proofs: { attestation: [jwt] } });
  assert.equal(res.status, 200, res.text);
  const keys = boundKeys(res.json);
  assert.equal(keys.length, 2);
  assert.ok(sameKey(keys[0], a.publicJwk) && sameKey(keys[1], b.publicJwk));
});

test("another provider's attestation is invalid_proof", async () => {
  const { session: s } = await session();
  const stranger = await walletProvider('Unknown wallet provider');
  const holder = await holderKey();
  const jwt = await attestation(stranger, [holder.publicJwk], await freshNonce());
  const res = await credentialRequest(s.accessTokenResponse.access_token, { ...naming(s.accessTokenResponse), proofs: { attestation: [jwt] } });
  assert.equal(res.status, 400, res.text);
  assert.equal(res.json.error, 'invalid_proof');
  assert.match(res.json.error_description, /not trusted/);
});
