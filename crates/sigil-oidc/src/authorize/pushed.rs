//! Pushed authorization requests (RFC 9126): a client sends its authorization request to the
//! PAR endpoint over a back channel, authenticated as at the token endpoint, and gets a
//! `request_uri` to send the browser with instead. The request is checked when pushed (its
//! errors go back to the client directly) and again when the browser brings the reference;
//! only the pushed parameters count then. A reference is used once, within `par_ttl`.

use serde::{Deserialize, Serialize};
use sigil_core::model::{Artifact, ArtifactKind};
use sigil_core::{ClientId, Digest32, random};

use super::request::AuthorizeError;
use crate::error::OAuthError;
use crate::grants::TokenHeaders;
use crate::params::Params;
use crate::provider::{Provider, TenantCtx};

/// The prefix of the `request_uri` values the PAR endpoint hands out.
pub const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

/// Client authentication parameters, never kept with a pushed request.
const CLIENT_AUTHENTICATION: [&str; 3] =
    ["client_secret", "client_assertion", "client_assertion_type"];

/// What is kept of a pushed request.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Pushed {
    client_id: ClientId,
    params: Vec<(String, String)>,
}

/// The PAR endpoint's answer (RFC 9126 §2.2).
#[derive(Debug, Clone, Serialize)]
pub struct PushedRequest {
    /// What the browser brings to the authorization endpoint.
    pub request_uri: String,
    /// Seconds it can be used.
    pub expires_in: u64,
}

impl Provider {
    /// The PAR endpoint: authenticates the client (and a wallet's attestation, which a
    /// credential request needs where attestations are required), checks the request as the
    /// authorization endpoint would, and keeps it under a fresh `request_uri`.
    pub async fn push_authorization_request(
        &self,
        t: &TenantCtx,
        params: &Params,
        sent: TokenHeaders<'_>,
    ) -> Result<PushedRequest, OAuthError> {
        let client = self
            .authenticate_client(t, sent.authorization, params)
            .await?;
        let attested = self
            .attested_client(t, sent.client_attestation, &client)
            .await?;
        if params.has("request_uri") {
            return Err(OAuthError::invalid_request(
                "request_uri cannot be part of a pushed request",
            ));
        }
        let mut pairs: Vec<(String, String)> = params
            .pairs()
            .iter()
            .filter(|(k, _)| !CLIENT_AUTHENTICATION.contains(&k.as_str()) && k != "client_id")
            .cloned()
            .collect();
        pairs.push(("client_id".into(), client.id.to_string()));
        let request = Params::from_pairs(pairs.clone());
        let checked = self
            .checked_request(t, &request, &client)
            .await
            .map_err(|e| match e {
                AuthorizeError::Page(e) | AuthorizeError::Redirect { error: e, .. } => e,
            })?;
        if checked.credentials.is_some() {
            self.require_attested(attested)?;
        }
        let reference = random::secret_token();
        let now = self.now();
        let ttl = self.config.tokens.par_ttl;
        let pushed = Pushed {
            client_id: client.id.clone(),
            params: pairs,
        };
        let artifact = Artifact {
            tenant: t.id.clone(),
            kind: ArtifactKind::PushedRequest,
            key: Digest32::of(&reference),
            payload: serde_json::to_value(&pushed)
                .map_err(|_| OAuthError::invalid_request("unencodable request"))?,
            expires_at: now.plus(std::time::Duration::from_secs(ttl)),
            consumed_at: None,
        };
        self.store.put_artifact(&artifact, now).await?;
        Ok(PushedRequest {
            request_uri: format!("{REQUEST_URI_PREFIX}{reference}"),
            expires_in: ttl,
        })
    }

    /// The parameters of the pushed request an authorization request names (spent), or
    /// `None` when it names none of Sigil's.
    pub(super) async fn pushed_params(
        &self,
        t: &TenantCtx,
        params: &Params,
    ) -> Result<Option<Params>, OAuthError> {
        let Some(reference) = params
            .get("request_uri")
            .and_then(|u| u.strip_prefix(REQUEST_URI_PREFIX))
        else {
            return Ok(None);
        };
        let unknown = || OAuthError::invalid_request("request_uri is unknown, used or expired");
        if reference.len() > 64 {
            return Err(unknown());
        }
        let kind = ArtifactKind::PushedRequest;
        let key = Digest32::of(reference);
        let artifact = self
            .store
            .consume_artifact(&t.id, kind, &key, self.now())
            .await?
            .ok_or_else(unknown)?;
        let pushed: Pushed = serde_json::from_value(artifact.payload).map_err(|_| unknown())?;
        if params.get("client_id") != Some(pushed.client_id.as_str()) {
            return Err(OAuthError::invalid_request(
                "the request_uri was pushed by another client",
            ));
        }
        Ok(Some(Params::from_pairs(pushed.params)))
    }
}
