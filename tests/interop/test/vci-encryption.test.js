// OpenID4VCI 1.0 §10, encrypted credential requests and responses, with jose as the wallet's
// JWE implementation (@openid4vc/openid4vci 0.4.6 cannot encrypt): the library redeems the
// offer; jose encrypts the credential request (ECDH-ES, A128GCM and A256GCM) to the key Sigil
// publishes in credential_request_encryption, names its own key in
// credential_response_encryption, and decrypts Sigil's application/jwt answer, whose SD-JWT VC
// @sd-jwt/sd-jwt-vc then verifies. Errors come back plain; a request for an encrypted answer
// sent in the clear, or encrypted to another key, is invalid_encryption_parameters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as jose from 'jose';
import {
  CONFIG_ID,
  ISSUER,
  createOffer,
  credentialRequest,
  freshNonce,
  handProof,
  holderKey,
  jwtVcIssuerMetadata,
  newWallet,
  sdJwtVc,
  walletToken,
} from '../lib/vci-wallet.js';

/** The issuer metadata's encryption members, checked, and the issuer's request key. */
async function issuerEncryption() {
  const meta = await (await fetch(`${ISSUER}/.well-known/openid-credential-issuer`)).json();
  const request = meta.credential_request_encryption;
  const response = meta.credential_response_encryption;
  assert.deepEqual(response.alg_values_supported, ['ECDH-ES']);
  assert.deepEqual(response.enc_values_supported, ['A128GCM', 'A256GCM']);
  assert.equal(typeof request.encryption_required, 'boolean');
  const [key] = request.jwks.keys;
  assert.equal(key.alg, 'ECDH-ES');
  assert.equal(typeof key.kid, 'string');
  assert.equal(key.d, undefined);
  return key;
}

/** An access token (the library redeems an `employee` offer) and a request body with a fresh proof. */
async function freshRequest() {
  const offer = await createOffer();
  const session = await walletToken(newWallet(), offer);
  const holder = await holderKey();
  const body = { credential_configuration_id: CONFIG_ID, proofs: { jwt: [await handProof(holder, await freshNonce())] } };
  return { token: session.accessTokenResponse.access_token, body, holder };
}

/** A wallet key for the answer: the key pair and its public JWK with alg and kid. */
async function answerKey() {
  const { publicKey, privateKey } = await jose.generateKeyPair('ECDH-ES', { crv: 'P-256', extractable: true });
  return { privateKey, jwk: { ...(await jose.exportJWK(publicKey)), alg: 'ECDH-ES', kid: 'wallet-1' } };
}

/** POSTs `body` (a string) as `contentType` to the credential endpoint. */
async function post(token, body, contentType) {
  const res = await fetch(`${ISSUER}/vci/credential`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
    body,
  });
  return { status: res.status, contentType: res.headers.get('content-type'), text: await res.text() };
}

/** `body` with credential_response_encryption, encrypted by jose to `key` with `enc`. */
async function encrypt(body, key, answer, enc) {
  const plain = JSON.stringify({ ...body, credential_response_encryption: { jwk: answer.jwk, enc } });
  return new jose.CompactEncrypt(new TextEncoder().encode(plain))
    .setProtectedHeader({ alg: 'ECDH-ES', enc, kid: key.kid })
    .encrypt(await jose.importJWK(key, 'ECDH-ES'));
}

for (const enc of ['A128GCM', 'A256GCM']) {
  test(`a request jose encrypts (${enc}) gets a credential encrypted to the wallet's key`, async () => {
    const key = await issuerEncryption();
    const { token, body, holder } = await freshRequest();
    const answer = await answerKey();
    const res = await post(token, await encrypt(body, key, answer, enc), 'application/jwt');
    assert.equal(res.status, 200, res.text);
    assert.equal(res.contentType, 'application/jwt');
    const { plaintext, protectedHeader } = await jose.compactDecrypt(res.text, answer.privateKey);
    assert.equal(protectedHeader.alg, 'ECDH-ES');
    assert.equal(protectedHeader.enc, enc);
    assert.equal(protectedHeader.kid, 'wallet-1');
    const credential = JSON.parse(new TextDecoder().decode(plaintext)).credentials[0].credential;
    const meta = await jwtVcIssuerMetadata();
    const verified = await (await sdJwtVc(meta.jwks, holder)).verify(credential);
    assert.equal(verified.payload.iss, ISSUER);
  });
}

test('errors stay plain; asking in the clear or encrypting to another key is invalid_encryption_parameters', async () => {
  const key = await issuerEncryption();
  const { token, body } = await freshRequest();
  const answer = await answerKey();
  const clear = await credentialRequest(token, { ...body, credential_response_encryption: { jwk: answer.jwk, enc: 'A128GCM' } });
  assert.equal(clear.status, 400);
  assert.equal(clear.json.error, 'invalid_encryption_parameters');
  const { publicKey } = await jose.generateKeyPair('ECDH-ES', { crv: 'P-256', extractable: true });
  const stranger = { ...(await jose.exportJWK(publicKey)), kid: 'stranger' };
  const wrong = await post(token, await encrypt(body, stranger, answer, 'A128GCM'), 'application/jwt');
  assert.equal(wrong.status, 400);
  assert.equal(JSON.parse(wrong.text).error, 'invalid_encryption_parameters');
  const first = await post(token, await encrypt(body, key, answer, 'A128GCM'), 'application/jwt');
  assert.equal(first.status, 200, first.text);
  const replay = await post(token, await encrypt(body, key, answer, 'A128GCM'), 'application/jwt');
  assert.equal(replay.status, 400);
  assert.match(replay.contentType, /^application\/json/);
  assert.equal(JSON.parse(replay.text).error, 'invalid_nonce');
});
