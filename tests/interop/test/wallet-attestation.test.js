// Wallet attestations (OpenID4VCI 1.0 Appendix E, HAIP 1.0 §4.4.1) at Sigil's token endpoint,
// driven by @openid4vc/oauth2 0.4.6: the suite's wallet provider (lib/make-wallet-provider.mjs,
// which Sigil trusts through [credentials] wallet_providers) attests a wallet instance with
// createClientAttestationJwt; the library's clientAuthenticationClientAttestationJwt sends it
// with a proof of possession while @openid4vc/openid4vci redeems an offer, and the credential
// follows. Sigil's metadata announces attest_jwt_client_auth; another provider's attestation
// and a replayed proof are invalid_client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClientAttestationJwt } from '@openid4vc/oauth2';
import { env } from '../lib/env.js';
import { importProvider, walletProvider } from '../lib/wallet-provider.js';
import {
  ISSUER,
  PRE_AUTH_GRANT,
  authorizationServerMetadata,
  createOffer,
  holderKey,
  newWallet,
  signJws,
  walletCredentials,
  walletToken,
} from '../lib/vci-wallet.js';

const CLIENT_ID = 'interop-wallet';

/** `provider`'s attestation of a wallet instance whose key is `instance` (a holderKey). */
function attest(provider, instance) {
  return createClientAttestationJwt({
    issuer: 'https://wallet-provider.example',
    clientId: CLIENT_ID,
    expiresAt: new Date(Date.now() + 3_600_000),
    confirmation: { jwk: instance.publicJwk },
    additionalPayload: { wallet_name: 'Interop wallet' },
    signer: { method: 'x5c', alg: 'ES256', x5c: provider.x5c },
    callbacks: { signJwt: async (_signer, { header, payload }) => ({ jwt: await signJws(header, payload, provider.attester.privateKey) }) },
  });
}

const suiteProvider = () => importProvider(JSON.parse(readFileSync(join(env.work, 'wallet-provider.json'), 'utf8')));

/** The token endpoint's answer to a pre-authorized code with raw attestation headers. */
async function redeem(offer, headers) {
  const res = await fetch(`${ISSUER}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ grant_type: PRE_AUTH_GRANT, 'pre-authorized_code': offer.credential_offer.grants[PRE_AUTH_GRANT]['pre-authorized_code'] }),
  });
  return { status: res.status, json: await res.json() };
}

test('metadata announces attestation-based client authentication', async () => {
  const meta = await authorizationServerMetadata();
  assert.ok(meta.token_endpoint_auth_methods_supported.includes('attest_jwt_client_auth'));
  assert.ok(meta.client_attestation_signing_alg_values_supported.includes('ES256'));
  assert.ok(meta.client_attestation_pop_signing_alg_values_supported.includes('ES256'));
  assert.equal(meta['pre-authorized_grant_anonymous_access_supported'], true, 'attestations are accepted, not required');
});

test('an attested wallet redeems an offer with the library and gets its credential', async () => {
  const instance = await holderKey();
  const clientAttestationJwt = await attest(await suiteProvider(), instance);
  const wallet = newWallet({ clientAttestationJwt });
  const session = await walletToken(wallet, await createOffer());
  const tokenRequest = wallet.requests.find((r) => r.url.endsWith('/token'));
  const sent = new Headers(tokenRequest.headers);
  assert.equal(sent.get('oauth-client-attestation'), clientAttestationJwt, 'the library sent the attestation');
  assert.ok(sent.get('oauth-client-attestation-pop'), 'and its proof of possession');
  assert.equal(tokenRequest.status, 200);
  const got = await walletCredentials(wallet, session, [await holderKey()]);
  assert.equal(got.credentialResponse.credentials?.length, 1, JSON.stringify(got.credentialResponse));
});

test("another provider's attestation and a replayed proof are invalid_client", async () => {
  const instance = await holderKey();
  const stranger = await walletProvider('Unknown wallet provider');
  const wallet = newWallet({ clientAttestationJwt: await attest(stranger, instance) });
  await assert.rejects(walletToken(wallet, await createOffer()), (e) => {
    assert.match(String(e?.response?.status ?? e?.message), /401|invalid_client/);
    return true;
  });

  // Replay: the same attestation and proof twice, by hand.
  const attestation = await attest(await suiteProvider(), instance);
  const iat = Math.floor(Date.now() / 1000);
  const pop = await signJws(
    { alg: 'ES256', typ: 'oauth-client-attestation-pop+jwt' },
    { iss: CLIENT_ID, aud: ISSUER, iat, exp: iat + 60, jti: 'interop-replay' },
    instance.privateKey,
  );
  const headers = { 'OAuth-Client-Attestation': attestation, 'OAuth-Client-Attestation-PoP': pop };
  const first = await redeem(await createOffer(), headers);
  assert.equal(first.status, 200, JSON.stringify(first.json));
  const again = await redeem(await createOffer(), headers);
  assert.equal(again.status, 401);
  assert.equal(again.json.error, 'invalid_client');
  assert.match(again.json.error_description, /already used/);
});
