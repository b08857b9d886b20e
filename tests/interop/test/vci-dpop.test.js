// DPoP-bound credential access tokens (RFC 9449) with @openid4vc/openid4vci and
// @openid4vc/oauth2 as the wallet: the library sends a DPoP proof with its pre-authorized code
// token request and gets a DPoP token bound to its key (cnf.jkt, checked with jose), then
// requests the credential under the DPoP scheme with a proof for that request. The token
// alone, as a Bearer token, opens nothing. The suite's server asks for its own DPoP nonces
// (dpop_nonce, RFC 9449 §8 and §9): the library retries with the nonce it is given.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as jose from 'jose';
import {
  CONFIG_ID,
  createOffer,
  credentialRequest,
  holderKey,
  jwkSigner,
  jwtVcIssuerMetadata,
  newWallet,
  sameKey,
  sdJwtVc,
} from '../lib/vci-wallet.js';

test('the library binds its token with DPoP and requests the credential with a proof', async () => {
  const offer = await createOffer();
  const wallet = newWallet();
  const credentialOffer = await wallet.client.resolveCredentialOffer(offer.credential_offer_uri);
  const issuerMetadata = await wallet.client.resolveIssuerMetadata(credentialOffer.credential_issuer);
  const algs = issuerMetadata.authorizationServers[0].dpop_signing_alg_values_supported;
  assert.ok(algs?.includes('ES256'), `dpop_signing_alg_values_supported: ${algs}`);
  const dpopKey = await holderKey();
  const dpop = { signer: jwkSigner(dpopKey) };
  const { accessTokenResponse } = await wallet.client.retrievePreAuthorizedCodeAccessTokenFromOffer({
    credentialOffer,
    issuerMetadata,
    dpop,
  });
  assert.equal(accessTokenResponse.token_type, 'DPoP');
  const token = accessTokenResponse.access_token;
  assert.equal(jose.decodeJwt(token).cnf?.jkt, await jose.calculateJwkThumbprint(dpopKey.publicJwk), 'bound to the DPoP key');
  const tokenRequest = wallet.requests.find((r) => r.url.endsWith('/token'));
  const sentProof = new Headers(tokenRequest?.headers).get('dpop');
  assert.equal(jose.decodeProtectedHeader(sentProof).typ, 'dpop+jwt', 'the token request carried a DPoP proof');
  const tokenRequests = wallet.requests.filter((r) => r.url.endsWith('/token'));
  assert.deepEqual(tokenRequests.map((r) => r.status), [400, 200], 'use_dpop_nonce, then the retry with the nonce');
  const retried = jose.decodeJwt(new Headers(tokenRequests[1].headers).get('dpop'));
  assert.match(String(retried.nonce), /^\d+\./, 'the retry carries the server nonce');

  const { c_nonce: nonce } = await wallet.client.requestNonce({ issuerMetadata });
  const holder = await holderKey();
  const { jwt } = await wallet.client.createCredentialRequestJwtProof({
    issuerMetadata,
    credentialConfigurationId: CONFIG_ID,
    signer: jwkSigner(holder),
    nonce,
  });

  // As a Bearer token, without proof: refused.
  const bearer = await credentialRequest(token, { credential_configuration_id: CONFIG_ID, proofs: { jwt: [jwt] } });
  assert.equal(bearer.status, 401);
  assert.equal(bearer.json?.error, 'invalid_token');

  const { credentialResponse } = await wallet.client.retrieveCredentials({
    issuerMetadata,
    credentialConfigurationId: CONFIG_ID,
    accessToken: token,
    proofs: { jwt: [jwt] },
    dpop,
  });
  const credential = credentialResponse.credentials[0].credential;
  const meta = await jwtVcIssuerMetadata();
  const verified = await (await sdJwtVc(meta.jwks)).verify(credential);
  assert.ok(sameKey(verified.payload.cnf.jwk, holder.publicJwk), 'bound to the holder key, not the DPoP key');
  const sent = wallet.requests.filter((r) => r.url.endsWith('/vci/credential')).at(-1);
  assert.match(String(new Headers(sent.headers).get('authorization')), /^DPoP /);
  assert.equal(sent.status, 200);
  assert.match(String(jose.decodeJwt(new Headers(sent.headers).get('dpop')).nonce), /^\d+\./, 'the credential request proof carries the nonce');
});
