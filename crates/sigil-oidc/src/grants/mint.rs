//! Minting the tokens every grant returns.

use serde::Serialize;
use sigil_core::model::{Authentication, Client, SigningAlg, User};
use sigil_core::{ScopeSet, SessionId, UnixTime};
use sigil_keys::{KeyRing, sign_compact};

use crate::error::{ErrorCode, OAuthError};
use crate::provider::TenantCtx;
use crate::tokens::{
    ACCESS_TOKEN_TYP, AccessTokenClaims, Audience, ID_TOKEN_TYP, IdTokenClaims, half_hash,
    user_claims,
};

/// The token endpoint's successful response (RFC 6749 §5.1, OpenID Connect Core §3.1.3.3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenResponse {
    /// The access token.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Access token lifetime, seconds.
    pub expires_in: u64,
    /// Granted scopes.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub scope: String,
    /// Refresh token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// ID token.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    /// The credentials a credential access token grants, with their identifiers
    /// (OpenID4VCI 1.0 §6.2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorization_details: Option<Vec<sigil_vc::authorization::CredentialAuthorization>>,
}

/// What an access token says.
pub(crate) struct AccessGrant<'a> {
    pub sub: &'a str,
    pub client_id: &'a str,
    pub audience: Vec<String>,
    pub scopes: &'a ScopeSet,
    pub jti: String,
    pub auth: Option<&'a Authentication>,
}

/// No key can sign: the keyring is empty or every key has retired.
pub(crate) fn no_key() -> OAuthError {
    OAuthError::new(ErrorCode::ServerError, "no signing key is available")
}

/// Signs an access token; returns it with its expiry.
pub(crate) fn access_token(
    t: &TenantCtx,
    ring: &KeyRing,
    grant: AccessGrant<'_>,
    now: UnixTime,
    ttl: u64,
) -> Result<(String, UnixTime), OAuthError> {
    let key = ring.signer(SigningAlg::ES256, now).ok_or_else(no_key)?;
    let exp = UnixTime(now.0 + ttl as i64);
    let claims = AccessTokenClaims {
        iss: t.issuer.clone(),
        exp: exp.0,
        aud: Audience::from_list(grant.audience),
        sub: grant.sub.to_owned(),
        client_id: grant.client_id.to_owned(),
        iat: now.0,
        jti: grant.jti,
        scope: grant.scopes.to_string(),
        auth_time: grant.auth.map(|a| a.auth_time.0),
        acr: grant.auth.map(|a| a.acr.clone()),
        amr: grant.auth.map(|a| a.amr.clone()),
    };
    Ok((sign_compact(&key, ACCESS_TOKEN_TYP, &claims), exp))
}

/// What an ID token says.
pub(crate) struct IdGrant<'a> {
    pub client: &'a Client,
    pub user: &'a User,
    pub auth: &'a Authentication,
    pub scopes: &'a ScopeSet,
    pub nonce: Option<String>,
    pub sid: Option<&'a SessionId>,
    pub access_token: &'a str,
}

/// Signs an ID token with the client's chosen algorithm.
pub(crate) fn id_token(
    t: &TenantCtx,
    ring: &KeyRing,
    grant: IdGrant<'_>,
    now: UnixTime,
    ttl: u64,
) -> Result<String, OAuthError> {
    let alg = grant.client.id_token_signed_response_alg;
    let key = ring.signer(alg, now).ok_or_else(no_key)?;
    let claims = IdTokenClaims {
        iss: t.issuer.clone(),
        sub: grant.user.id.to_string(),
        aud: grant.client.id.to_string(),
        exp: now.0 + ttl as i64,
        iat: now.0,
        auth_time: grant.auth.auth_time.0,
        nonce: grant.nonce,
        acr: grant.auth.acr.clone(),
        amr: grant.auth.amr.clone(),
        sid: grant.sid.map(|s| s.to_string()),
        azp: grant.client.id.to_string(),
        at_hash: Some(half_hash(alg, grant.access_token)),
        user_claims: user_claims(grant.user, grant.scopes),
    };
    Ok(sign_compact(&key, ID_TOKEN_TYP, &claims))
}
