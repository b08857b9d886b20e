//! The verifier (OpenID4VP 1.0) over the provider: a relying application (or the CLI) asks
//! for a presentation, Sigil publishes a request object the wallet fetches by reference,
//! verifies what the wallet posts back, and keeps the result (the claims asked for, or why
//! it was rejected) for the application to read. Protocol pieces come from `sigil-vc`.
//!
//! A request lives as an artifact until the wallet answers; the answer exchanges it for a
//! result artifact in one transaction, so a request is answered once.

mod issuer_keys;
mod response;
mod sign_in;
mod status;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sigil_core::model::{Artifact, ArtifactKind};
use sigil_core::{Digest32, UnixTime, b64url_encode, random};
use sigil_keys::jws::JwsHeader;
use sigil_vc::verifier::{
    ClientIdPrefix, REQUEST_OBJECT_TYP, RequestParams, ResponseMode, request_link,
    request_link_by_value, request_object,
};

use crate::admin::AdminError;
use crate::error::{ErrorCode, OAuthError};
use crate::provider::{Provider, TenantCtx};

pub use response::ResponseError;
pub use sign_in::WalletSignIn;

/// Where request objects are fetched.
pub const REQUEST_PATH: &str = "/vp/requests";
/// Where wallets post their responses.
pub const RESPONSE_PATH: &str = "/vp/response";
/// The page that shows a request as a QR code and a link.
pub const PRESENTATION_PAGE_PATH: &str = "/presentation";

/// A pending request, as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PendingRequest {
    pub verifier: String,
    pub client_id: String,
    pub prefix: ClientIdPrefix,
    pub response_mode: ResponseMode,
    pub nonce: String,
    /// The certificate (base64 DER) for signed prefixes.
    pub x5c: Option<String>,
    /// The intermediates above it (base64 DER), when the issuer CA is an operator's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub x5c_chain: Vec<String>,
    /// The key that signs the request object.
    pub kid: String,
    /// For `direct_post.jwt`: the response decryption key (P-256 scalar), sealed.
    pub decryption_key: Option<String>,
    pub expires_at: UnixTime,
    /// For a sign-in: the digest of the browser that started it, the only one it signs in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser: Option<String>,
}

/// What became of a request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PresentationOutcome {
    /// `pending`, `verified` or `rejected`.
    pub status: String,
    /// The verifier asked.
    pub verifier: String,
    /// On `verified`: per credential query id, the claims asked for.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub claims: Map<String, Value>,
    /// On `rejected`: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For a sign-in: the digest of the browser it signs in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser: Option<String>,
}

/// A request made.
#[derive(Debug, Clone, Serialize)]
pub struct CreatedRequest {
    /// The request's id (its `state`), to read the result by.
    pub id: String,
    /// `openid4vp://?client_id=…&request_uri=…`, for a QR code or a link.
    pub request_uri: String,
    /// The client identifier the wallet sees.
    pub client_id: String,
    /// The page that shows the request to a person.
    pub page: String,
    /// When the request lapses.
    pub expires_at: UnixTime,
}

fn seal_context(t: &TenantCtx, id: &str) -> Vec<u8> {
    format!("sigil presentation response key:{}:{id}", t.id).into_bytes()
}

impl Provider {
    /// Starts a presentation request for `verifier`.
    pub async fn request_presentation(
        &self,
        t: &TenantCtx,
        verifier: &str,
        prefix: ClientIdPrefix,
        response_mode: ResponseMode,
    ) -> Result<CreatedRequest, AdminError> {
        self.new_presentation_request(t, verifier, prefix, response_mode, None)
            .await
    }

    pub(crate) async fn new_presentation_request(
        &self,
        t: &TenantCtx,
        verifier: &str,
        prefix: ClientIdPrefix,
        response_mode: ResponseMode,
        browser: Option<String>,
    ) -> Result<CreatedRequest, AdminError> {
        let invalid = |field, message: String| AdminError::Invalid { field, message };
        if self
            .verifier(t, verifier)
            .await
            .map_err(oauth_admin)?
            .is_none()
        {
            return Err(invalid("verifier", format!("no verifier {verifier:?}")));
        }
        let now = self.now();
        let id = random::identifier();
        let key = self.es256_signer(&t.id, now).await.map_err(oauth_admin)?;
        let response_uri = t.url(RESPONSE_PATH);
        let mut x5c_chain = Vec::new();
        let (client_id, x5c) = match prefix {
            ClientIdPrefix::RedirectUri => (format!("redirect_uri:{response_uri}"), None),
            ClientIdPrefix::X509Hash | ClientIdPrefix::X509SanDns => {
                let host = url::Url::parse(&t.issuer)
                    .ok()
                    .and_then(|u| u.domain().map(str::to_owned));
                let dns: Vec<String> = host.iter().cloned().collect();
                let (cert, chain) = self
                    .verifier_certificate(t, &key, &dns, now)
                    .await
                    .map_err(oauth_admin)?;
                x5c_chain = chain;
                let client_id = if prefix == ClientIdPrefix::X509Hash {
                    format!("x509_hash:{}", b64url_encode(Digest32::of(&cert).0))
                } else {
                    let host = host.ok_or_else(|| {
                        invalid(
                            "client_id_prefix",
                            "x509_san_dns needs an issuer URL with a DNS name, not an IP address"
                                .into(),
                        )
                    })?;
                    format!("x509_san_dns:{host}")
                };
                (client_id, Some(sigil_core::b64_encode(&cert)))
            }
        };
        let decryption_key = match response_mode {
            ResponseMode::DirectPost => None,
            ResponseMode::DirectPostJwt => {
                let scalar = sigil_keys::jwe::generate_p256_scalar()
                    .map_err(|e| invalid("response_mode", e.to_string()))?;
                Some(b64url_encode(self.kek.seal(&seal_context(t, &id), &scalar)))
            }
        };
        let expires_at = now.plus(Duration::from_secs(
            self.config.credentials.presentation_request_ttl,
        ));
        let pending = PendingRequest {
            verifier: verifier.to_owned(),
            client_id: client_id.clone(),
            prefix,
            response_mode,
            nonce: random::secret_token(),
            x5c,
            x5c_chain,
            kid: key.kid().to_owned(),
            decryption_key,
            expires_at,
            browser,
        };
        let artifact = Artifact {
            tenant: t.id.clone(),
            kind: ArtifactKind::PresentationRequest,
            key: Digest32::of(&id),
            payload: serde_json::to_value(&pending).unwrap_or_default(),
            expires_at,
            consumed_at: None,
        };
        self.store.put_artifact(&artifact, now).await?;
        let link = self.link_of(t, &id, &pending).await.map_err(oauth_admin)?;
        Ok(CreatedRequest {
            request_uri: link,
            page: t.url(&format!("{PRESENTATION_PAGE_PATH}/{id}")),
            client_id,
            id,
            expires_at,
        })
    }

    /// The `openid4vp://` link of a request: by reference to its request object, or for the
    /// unsigned `redirect_uri` prefix, by value (wallets fetch only signed request objects).
    async fn link_of(
        &self,
        t: &TenantCtx,
        id: &str,
        pending: &PendingRequest,
    ) -> Result<String, OAuthError> {
        if pending.prefix.signs() {
            return Ok(request_link(
                &pending.client_id,
                &t.url(&format!("{REQUEST_PATH}/{id}")),
            ));
        }
        Ok(request_link_by_value(
            &self.request_claims(t, id, pending).await?,
        ))
    }

    /// The claims of a request object.
    async fn request_claims(
        &self,
        t: &TenantCtx,
        id: &str,
        pending: &PendingRequest,
    ) -> Result<Value, OAuthError> {
        let verifier = self
            .verifier(t, &pending.verifier)
            .await?
            .ok_or_else(|| OAuthError::new(ErrorCode::ServerError, "the verifier is gone"))?;
        let encryption_jwk = match &pending.decryption_key {
            None => None,
            Some(sealed) => Some(self.response_encryption_jwk(t, id, sealed)?),
        };
        Ok(request_object(&RequestParams {
            client_id: &pending.client_id,
            response_uri: &t.url(RESPONSE_PATH),
            response_mode: pending.response_mode,
            nonce: &pending.nonce,
            state: id,
            query: &verifier.request_query(),
            name: &verifier.name,
            encryption_jwk,
            iat: self.now().0,
            exp: pending.expires_at.0,
        }))
    }

    pub(crate) async fn pending_request(
        &self,
        t: &TenantCtx,
        id: &str,
    ) -> Result<Option<PendingRequest>, OAuthError> {
        if id.len() > 64 {
            return Ok(None);
        }
        let found = self
            .store
            .get_artifact(
                &t.id,
                ArtifactKind::PresentationRequest,
                &Digest32::of(id),
                self.now(),
            )
            .await?
            .filter(|a| a.consumed_at.is_none());
        Ok(found.and_then(|a| serde_json::from_value(a.payload).ok()))
    }

    /// The request object of a pending request: a JWT signed with the certificate's key
    /// (`x5c` in its header), or unsigned for the `redirect_uri` prefix. `None` once answered
    /// or expired.
    pub async fn presentation_request_object(
        &self,
        t: &TenantCtx,
        id: &str,
    ) -> Result<Option<String>, OAuthError> {
        let Some(pending) = self.pending_request(t, id).await? else {
            return Ok(None);
        };
        let now = self.now();
        let claims = self.request_claims(t, id, &pending).await?;
        if !pending.prefix.signs() {
            let header = json!({"alg": "none", "typ": REQUEST_OBJECT_TYP});
            return Ok(Some(format!(
                "{}.{}.",
                b64url_encode(header.to_string()),
                b64url_encode(claims.to_string())
            )));
        }
        let ring = self.keyring(&t.id).await?;
        let key = ring
            .published_key(&pending.kid, now)
            .ok_or_else(|| OAuthError::new(ErrorCode::ServerError, "the request's key is gone"))?;
        let header = JwsHeader {
            alg: key.alg().as_str().to_owned(),
            kid: None,
            typ: Some(REQUEST_OBJECT_TYP.into()),
            crit: None,
            jwk: None,
            x5c: pending
                .x5c
                .map(|c| std::iter::once(c).chain(pending.x5c_chain).collect()),
        };
        Ok(Some(sigil_keys::jws::sign_with_header(
            &key, &header, &claims,
        )))
    }

    fn response_encryption_jwk(
        &self,
        t: &TenantCtx,
        id: &str,
        sealed: &str,
    ) -> Result<Map<String, Value>, OAuthError> {
        let scalar = sigil_core::b64url_decode(sealed)
            .and_then(|s| self.kek.open(&seal_context(t, id), &s).ok())
            .ok_or_else(|| {
                OAuthError::new(ErrorCode::ServerError, "a response key is unreadable")
            })?;
        let mut jwk = sigil_keys::jwe::p256_public_jwk(&scalar)
            .map_err(|_| OAuthError::new(ErrorCode::ServerError, "a response key is unreadable"))?;
        jwk.insert("kid".into(), json!(id));
        jwk.insert("use".into(), json!("enc"));
        jwk.insert("alg".into(), json!("ECDH-ES"));
        Ok(jwk)
    }

    /// The `openid4vp://` link of a pending request.
    pub async fn presentation_link(
        &self,
        t: &TenantCtx,
        id: &str,
    ) -> Result<Option<String>, OAuthError> {
        match self.pending_request(t, id).await? {
            Some(p) => Ok(Some(self.link_of(t, id, &p).await?)),
            None => Ok(None),
        }
    }

    /// What became of request `id`: pending, verified (with the claims asked for) or
    /// rejected; `None` when unknown or its result has expired.
    pub async fn presentation_outcome(
        &self,
        t: &TenantCtx,
        id: &str,
    ) -> Result<Option<PresentationOutcome>, OAuthError> {
        let now = self.now();
        let key = Digest32::of(id);
        if let Some(result) = self
            .store
            .get_artifact(&t.id, ArtifactKind::PresentationResult, &key, now)
            .await?
        {
            return Ok(serde_json::from_value(result.payload).ok());
        }
        Ok(self
            .pending_request(t, id)
            .await?
            .map(|p| PresentationOutcome {
                status: "pending".into(),
                verifier: p.verifier,
                claims: Map::new(),
                reason: None,
                browser: p.browser,
            }))
    }
}

/// A provider failure, as an administrative error.
pub(crate) fn oauth_admin(e: OAuthError) -> AdminError {
    AdminError::Store(sigil_store::StoreError::Backend(e.description.to_string()))
}
