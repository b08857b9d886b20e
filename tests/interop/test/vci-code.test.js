// OpenID4VCI 1.0 authorization code flow, with @openid4vc/openid4vci and @openid4vc/oauth2 as
// the wallet app (a public client registered with Sigil): the library resolves an offer made
// for sign-in, builds the authorization request from the issuer and authorization server
// metadata (PKCE S256, issuer_state, resource = the credential issuer), a scripted user signs
// in and approves on Sigil's consent page, the library checks the response (state, RFC 9207
// iss) and exchanges the code; the credential is requested by the credential_identifier of the
// token response and verified with @sd-jwt/sd-jwt-vc. A wallet that starts on its own sends
// authorization_details of type openid_credential (RFC 9396). The library pushes its requests
// (RFC 9126, since Sigil offers it): errors in a request come back from the push, those after
// sign-in to the wallet's redirect URI, as the library parses them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { completeAuthorization, env, newAgent, registered, user } from '../lib/env.js';
import {
  CONFIG_ID,
  ISSUER,
  createOffer,
  credentialIdentifiers,
  holderKey,
  jwtVcIssuerMetadata,
  newWallet,
  sameKey,
  sdJwtVc,
  walletCredentials,
} from '../lib/vci-wallet.js';

const wallet = registered('wallet');
const liam = user('liam');
const judy = user('judy');
const REDIRECT = `${env.rp}/wallet-cb`;

/** The library's wallet for the registered client, with the issuer's metadata. */
async function walletApp() {
  const app = newWallet({ clientId: wallet.client_id });
  const issuerMetadata = await app.client.resolveIssuerMetadata(ISSUER);
  return { app, issuerMetadata };
}

/** An authorization request for an offer; the user acts on Sigil's pages. */
async function authorizeOffer({ app, issuerMetadata }, credentialOffer, u, additionalRequestPayload = {}) {
  const request = await app.client.createAuthorizationRequestUrlFromOffer({
    clientId: wallet.client_id,
    redirectUri: REDIRECT,
    credentialOffer,
    issuerMetadata,
    additionalRequestPayload,
  });
  const url = new URL(request.authorizationRequestUrl);
  const { callback, seen } = await completeAuthorization(newAgent(), url, u);
  return { request, url, callback, seen };
}

/** The library's parse of the authorization response (it checks `iss`). */
function parseResponse({ app, issuerMetadata }, callback) {
  const authorizationServerMetadata = issuerMetadata.authorizationServers[0];
  return app.client.parseAndVerifyAuthorizationResponseRedirectUrl({ url: callback.href, authorizationServerMetadata });
}

test('an offer made for sign-in: issuer_state, sign-in and consent, the code exchanged, a credential by identifier', async () => {
  const offer = await createOffer({ user: 'liam', signIn: true });
  const wa = await walletApp();
  const credentialOffer = await wa.app.client.resolveCredentialOffer(offer.credential_offer_uri);
  const issuerState = credentialOffer.grants?.authorization_code?.issuer_state;
  assert.equal(typeof issuerState, 'string', 'the offer carries an authorization code grant with issuer_state');
  assert.equal(credentialOffer.grants['urn:ietf:params:oauth:grant-type:pre-authorized_code'], undefined);
  const { request, url, callback, seen } = await authorizeOffer(wa, credentialOffer, liam);
  // Sigil offers pushed authorization requests, so the library pushes its request (RFC 9126)
  // and the browser carries only the reference.
  assert.deepEqual([...url.searchParams.keys()].sort(), ['client_id', 'request_uri']);
  const pushed = new URLSearchParams(String(wa.app.requests.find((r) => r.url.endsWith('/par')).body));
  assert.equal(pushed.get('issuer_state'), issuerState);
  assert.equal(pushed.get('code_challenge_method'), 'S256');
  assert.equal(pushed.get('resource'), ISSUER);
  assert.deepEqual(seen, ['login', 'consent'], 'the user signs in, then approves the wallet');

  const response = parseResponse(wa, callback);
  assert.equal(typeof response.code, 'string');
  const { accessTokenResponse } = await wa.app.client.retrieveAuthorizationCodeAccessTokenFromOffer({
    issuerMetadata: wa.issuerMetadata,
    credentialOffer,
    authorizationCode: response.code,
    pkceCodeVerifier: request.pkce.codeVerifier,
    redirectUri: REDIRECT,
  });
  assert.equal(accessTokenResponse.token_type, 'Bearer');
  const ids = credentialIdentifiers(accessTokenResponse);
  assert.deepEqual(ids, [offer.credential_id], 'the token response names the offered credential');

  const holder = await holderKey();
  const got = await walletCredentials(wa.app, { issuerMetadata: wa.issuerMetadata, accessTokenResponse }, [holder]);
  assert.equal(got.byIdentifier, true);
  const sdJwt = got.credentialResponse.credentials[0].credential;
  const meta = await jwtVcIssuerMetadata();
  const verified = await (await sdJwtVc(meta.jwks)).verify(sdJwt);
  assert.equal(verified.payload.vct, `${ISSUER}/vct/${CONFIG_ID}`);
  assert.equal(verified.payload.name, 'Liam Example');
  assert.ok(sameKey(verified.payload.cnf.jwk, holder.publicJwk), 'bound to the wallet key');

  // The offer is spent: pushing a second request with it is refused (invalid_request).
  const again = wa.app.client.createAuthorizationRequestUrlFromOffer({
    clientId: wallet.client_id,
    redirectUri: REDIRECT,
    credentialOffer,
    issuerMetadata: wa.issuerMetadata,
  });
  await assert.rejects(again, (err) => err.errorResponse?.error === 'invalid_request');
});

test('an offer for someone else is refused after sign-in (access_denied)', async () => {
  const offer = await createOffer({ user: 'liam', signIn: true });
  const wa = await walletApp();
  const credentialOffer = await wa.app.client.resolveCredentialOffer(offer.credential_offer_uri);
  const { callback } = await authorizeOffer(wa, credentialOffer, judy);
  assert.equal(callback.searchParams.get('error'), 'access_denied');
  const parsed = parseResponse(wa, callback);
  assert.equal(parsed.error, 'access_denied', 'the library reads the error response (its iss checked)');
  assert.equal(parsed.code, undefined);
});

/**
 * A wallet that starts on its own: the library's authorization request with `request`
 * (scope, state, resource, authorization_details), the user signing in and approving, and the
 * code exchanged. Returns the callback and the token response.
 */
async function ownStart(wa, { authorizationDetails, resource, ...request }) {
  const asMetadata = wa.issuerMetadata.authorizationServers[0];
  const oauth2 = wa.app.client.oauth2Client;
  const asked = await oauth2.createAuthorizationRequestUrl({
    authorizationServerMetadata: asMetadata,
    clientId: wallet.client_id,
    redirectUri: REDIRECT,
    resource,
    ...request,
    additionalRequestPayload: authorizationDetails ? { authorization_details: JSON.stringify(authorizationDetails) } : undefined,
  });
  const { callback } = await completeAuthorization(newAgent(), new URL(asked.authorizationRequestUrl), liam);
  const response = wa.app.client.parseAndVerifyAuthorizationResponseRedirectUrl({ url: callback.href, authorizationServerMetadata: asMetadata });
  const { accessTokenResponse } = await oauth2.retrieveAuthorizationCodeAccessToken({
    authorizationServerMetadata: asMetadata,
    authorizationCode: response.code,
    pkceCodeVerifier: asked.pkce.codeVerifier,
    redirectUri: REDIRECT,
    resource,
  });
  return { callback, accessTokenResponse };
}

test('a wallet that starts on its own asks with authorization_details', async () => {
  const wa = await walletApp();
  const details = [{ type: 'openid_credential', credential_configuration_id: CONFIG_ID }];
  const asMetadata = wa.issuerMetadata.authorizationServers[0];
  assert.deepEqual(asMetadata.authorization_details_types_supported, ['openid_credential']);
  const { callback, accessTokenResponse } = await ownStart(wa, { authorizationDetails: details, resource: ISSUER, state: 'own-start' });
  assert.equal(callback.searchParams.get('state'), 'own-start');
  const granted = accessTokenResponse.authorization_details;
  assert.equal(granted.length, 1);
  assert.equal(granted[0].type, 'openid_credential');
  assert.equal(granted[0].credential_configuration_id, CONFIG_ID);
  assert.equal(granted[0].credential_identifiers.length, 1);
  const holder = await holderKey();
  const got = await walletCredentials(wa.app, { issuerMetadata: wa.issuerMetadata, accessTokenResponse }, [holder]);
  assert.equal(got.credentialResponse.notification_id, granted[0].credential_identifiers[0]);

  // An unknown configuration: the pushed request is refused (invalid_authorization_details).
  const bad = wa.app.client.oauth2Client.createAuthorizationRequestUrl({
    authorizationServerMetadata: asMetadata,
    clientId: wallet.client_id,
    redirectUri: REDIRECT,
    additionalRequestPayload: { authorization_details: JSON.stringify([{ type: 'openid_credential', credential_configuration_id: 'nope' }]) },
  });
  await assert.rejects(bad, (err) => err.errorResponse?.error === 'invalid_authorization_details');
});

test('a wallet that asks by the scope in the issuer metadata requests by configuration id', async () => {
  const wa = await walletApp();
  const scope = wa.issuerMetadata.credentialIssuer.credential_configurations_supported[CONFIG_ID].scope;
  assert.equal(typeof scope, 'string');
  const { accessTokenResponse } = await ownStart(wa, { scope });
  assert.equal(accessTokenResponse.authorization_details, undefined, 'no identifiers when asked by scope');
  const holder = await holderKey();
  const got = await walletCredentials(wa.app, { issuerMetadata: wa.issuerMetadata, accessTokenResponse }, [holder]);
  assert.equal(got.byIdentifier, false, 'the library requested by credential_configuration_id');
  assert.equal(got.credentialResponse.credentials.length, 1);
});
