//! `grant_type=authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.5, OpenID Connect Core
//! §3.1.3): single-use codes bound to client, redirect URI and PKCE challenge; a replayed
//! code revokes what it issued.

use sigil_core::Digest32;
use sigil_core::model::{ArtifactKind, Client, GrantType};
use sigil_store::Redemption;

use super::mint::TokenResponse;
use super::{UserGrant, issued_event};
use crate::authorize::code::{CodePayload, decode_payload};
use crate::error::OAuthError;
use crate::params::Params;
use crate::pkce;
use crate::provider::{Provider, TenantCtx};

fn check_binding(
    payload: &CodePayload,
    client: &Client,
    params: &Params,
) -> Result<(), OAuthError> {
    if payload.client_id != client.id {
        return Err(OAuthError::invalid_grant(
            "the code was issued to another client",
        ));
    }
    match params.get("redirect_uri") {
        Some(uri) if uri != payload.redirect_uri => {
            return Err(OAuthError::invalid_grant(
                "redirect_uri does not match the authorization request",
            ));
        }
        None if payload.redirect_uri_in_request => {
            return Err(OAuthError::invalid_request("redirect_uri is required"));
        }
        _ => {}
    }
    match (&payload.code_challenge, params.get("code_verifier")) {
        (Some(challenge), Some(verifier)) => pkce::verify(verifier, challenge),
        (Some(_), None) => Err(OAuthError::invalid_grant("code_verifier is required")),
        (None, Some(_)) => Err(OAuthError::invalid_grant(
            "code_verifier sent but the request had no code_challenge",
        )),
        (None, None) => Ok(()),
    }
}

impl Provider {
    /// Revokes what a replayed code gave. A credential access token still collects its
    /// deferred credentials once expired, so its revocation is kept as long as they last.
    pub(crate) async fn revoke_code_grant(
        &self,
        t: &TenantCtx,
        client: &Client,
        payload: &CodePayload,
    ) -> Result<(), OAuthError> {
        let (tokens, credentials) = (&self.config.tokens, &self.config.credentials);
        let access_ttl = match payload.credentials {
            Some(_) => credentials.access_token_ttl + credentials.deferred_ttl,
            None => tokens.access_token_ttl,
        };
        let grant = (payload.grant_id.as_str(), payload.access_jti.as_str());
        self.revoke_replayed_grant_lasting(t, client, grant, access_ttl)
            .await
    }

    /// The authorization code grant; `dpop` is the request's DPoP proof and `attested`
    /// whether the client also proved a wallet attestation (which a credential code needs
    /// where attestations are required).
    pub(crate) async fn authorization_code_grant(
        &self,
        t: &TenantCtx,
        client: &Client,
        params: &Params,
        (dpop, attested): (Option<&str>, bool),
    ) -> Result<TokenResponse, OAuthError> {
        let code = params.require("code")?;
        let key = Digest32::of(code);
        let now = self.now();
        let artifact = self
            .store
            .get_artifact(&t.id, ArtifactKind::AuthorizationCode, &key, now)
            .await?
            .ok_or_else(|| OAuthError::invalid_grant("the code is invalid or has expired"))?;
        let payload = decode_payload(&artifact)?;
        if artifact.consumed_at.is_some() {
            if payload.client_id == client.id {
                self.revoke_code_grant(t, client, &payload).await?;
            }
            return Err(OAuthError::invalid_grant("the code was already used"));
        }
        check_binding(&payload, client, params)?;
        if let Some(grant) = &payload.credentials {
            self.require_attested(attested)?;
            return self
                .redeem_credential_code(t, client, &key, (&payload, grant), dpop)
                .await;
        }
        let user = self.active_user(t, &payload.auth.user_id).await?;
        let grant = UserGrant {
            auth: &payload.auth,
            scopes: &payload.scopes,
            nonce: payload.nonce.clone(),
            session_id: &payload.session_id,
            grant_id: &payload.grant_id,
            access_jti: &payload.access_jti,
            audience: payload.audience.clone(),
        };
        let (response, issue) = self.mint_user_grant(t, client, &user, grant).await?;
        let audit = issued_event(
            t,
            now,
            client,
            Some(&user),
            GrantType::AuthorizationCode,
            &payload.scopes,
        );
        if self
            .store
            .redeem_code(&t.id, &key, now, &issue, &audit)
            .await?
            == Redemption::AlreadyUsed
        {
            self.revoke_code_grant(t, client, &payload).await?;
            return Err(OAuthError::invalid_grant("the code was already used"));
        }
        Ok(response)
    }
}
