//! Authorization codes: what a code stands for, and the authorization response that
//! carries it (with RFC 9207 `iss`).

use serde::{Deserialize, Serialize};
use sigil_core::model::{Artifact, ArtifactKind, Authentication};
use sigil_core::{ClientId, Digest32, ScopeSet, SessionId};

use super::request::AuthorizationRequest;
use crate::error::OAuthError;
use crate::provider::{Provider, TenantCtx};

/// What is stored under a code's digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodePayload {
    /// The client it was issued to.
    pub client_id: ClientId,
    /// The redirect URI it was sent to.
    pub redirect_uri: String,
    /// Whether the authorization request named the redirect URI.
    pub redirect_uri_in_request: bool,
    /// Granted scopes.
    pub scopes: ScopeSet,
    /// The request's nonce.
    pub nonce: Option<String>,
    /// The PKCE challenge.
    pub code_challenge: Option<String>,
    /// The user's authentication.
    pub auth: Authentication,
    /// The session it was issued in.
    pub session_id: SessionId,
    /// Grant id of the tokens it will yield (so a replay can revoke them).
    pub grant_id: String,
    /// `jti` of the access token it will yield.
    pub access_jti: String,
    /// Audience of the access tokens.
    pub audience: Vec<String>,
    /// The credentials asked for, when the code is a wallet's (OpenID4VCI).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<crate::credentials::CredentialGrant>,
}

/// Appends query parameters to a redirect URI, keeping its own query.
pub fn with_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    match url::Url::parse(uri) {
        Ok(mut url) => {
            {
                let mut q = url.query_pairs_mut();
                for (k, v) in pairs {
                    q.append_pair(k, v);
                }
            }
            url.to_string()
        }
        Err(_) => uri.to_owned(),
    }
}

/// The error response sent to a client's redirect URI (RFC 6749 §4.1.2.1, RFC 9207).
pub fn error_redirect(
    t: &TenantCtx,
    redirect_uri: &str,
    state: Option<&str>,
    error: &OAuthError,
) -> String {
    let mut pairs = vec![
        ("error", error.code.as_str()),
        ("error_description", error.description.as_ref()),
    ];
    if let Some(s) = state {
        pairs.push(("state", s));
    }
    pairs.push(("iss", t.issuer.as_str()));
    with_query(redirect_uri, &pairs)
}

/// Audience of access tokens from a user grant: the requested resource, plus the issuer
/// (for UserInfo) in OpenID Connect requests or when nothing else was asked for.
pub fn user_token_audience(t: &TenantCtx, resource: Option<&str>, openid: bool) -> Vec<String> {
    let mut aud: Vec<String> = resource.map(str::to_owned).into_iter().collect();
    if openid || aud.is_empty() {
        aud.push(t.issuer.clone());
    }
    aud
}

impl Provider {
    /// Issues a code for a request the user has authenticated and consented to, and returns
    /// the redirect carrying it. With `interaction`, the code replaces that interaction in one
    /// write (`None` if it was already completed).
    pub(crate) async fn issue_code(
        &self,
        t: &TenantCtx,
        req: &AuthorizationRequest,
        auth: &Authentication,
        session_id: &SessionId,
        interaction: Option<&Digest32>,
    ) -> Result<Option<String>, OAuthError> {
        let now = self.now();
        let code = sigil_core::random::secret_token();
        let payload = CodePayload {
            client_id: req.client_id.clone(),
            redirect_uri: req.redirect_uri.clone(),
            redirect_uri_in_request: req.redirect_uri_in_request,
            scopes: req.scopes.clone(),
            nonce: req.nonce.clone(),
            code_challenge: req.code_challenge.clone(),
            auth: auth.clone(),
            session_id: session_id.clone(),
            grant_id: sigil_core::random::identifier(),
            access_jti: sigil_core::random::identifier(),
            audience: user_token_audience(t, req.resource.as_deref(), req.is_openid()),
            credentials: req.credentials.clone(),
        };
        let artifact = Artifact {
            tenant: t.id.clone(),
            kind: ArtifactKind::AuthorizationCode,
            key: Digest32::of(&code),
            payload: serde_json::to_value(&payload)
                .map_err(|_| OAuthError::invalid_request("unencodable request"))?,
            expires_at: now.plus(std::time::Duration::from_secs(self.config.tokens.code_ttl)),
            consumed_at: None,
        };
        let stored = match interaction {
            Some(key) => {
                self.store
                    .exchange_artifact(&t.id, ArtifactKind::Interaction, key, &artifact, now)
                    .await?
            }
            None => self.store.put_artifact(&artifact, now).await?,
        };
        if !stored {
            return Ok(None);
        }
        let mut pairs = vec![("code", code.as_str())];
        if let Some(s) = &req.state {
            pairs.push(("state", s));
        }
        pairs.push(("iss", t.issuer.as_str()));
        Ok(Some(with_query(&req.redirect_uri, &pairs)))
    }
}

/// Reads a stored code payload.
pub(crate) fn decode_payload(artifact: &Artifact) -> Result<CodePayload, OAuthError> {
    serde_json::from_value(artifact.payload.clone())
        .map_err(|_| OAuthError::invalid_grant("the code is not valid"))
}
