//! The verifiable credential issuer (OpenID4VCI 1.0) over the provider: administrators offer
//! credentials to users, wallets redeem offers at the token endpoint (pre-authorized code
//! grant) or have their user sign in (authorization code flow), fetch a `c_nonce`, prove possession of their keys and receive SD-JWT VCs bound to
//! them, each copy with its own entry in a status list that Sigil publishes as a signed Token
//! Status List. Protocol pieces without storage come from `sigil-vc`.

mod authorization;
mod certificates;
mod deferred;
mod definitions;
mod encryption;
mod issuance;
mod offers;
mod status;
mod wallet_auth;

pub use authorization::{CredentialGrant, OfferBinding};
pub use encryption::RequestBody;
pub(crate) use encryption::RequestKey;
pub use issuance::{CredentialResponse, IssuedCopy};
pub use offers::{CreatedOffer, OFFER_PAGE_PATH, OFFER_PATH, OfferGrant};
pub(crate) use status::marked_by;
pub use status::{PublishedList, STATUS_LIST_PATH, STATUS_LIST_TYP, StatusChange};

use serde_json::Value;
use sigil_keys::JwsAlg;
use sigil_vc::VciError;
use sigil_vc::did::{did_document, did_web_of};
use sigil_vc::metadata::{IssuerInfo, issuer_metadata, jwt_vc_issuer_metadata};

use crate::config::ISSUER_ID_DID_WEB;
use crate::error::OAuthError;
use crate::provider::{Provider, TenantCtx};

/// `typ` of the access tokens the credential endpoint accepts. They are not RFC 9068 access
/// tokens (`at+jwt`) on purpose: a wallet's token, obtained without client authentication,
/// opens the credential and notification endpoints and nothing else.
pub const CREDENTIAL_ACCESS_TOKEN_TYP: &str = "vci-at+jwt";

/// Algorithms accepted in holder key proofs.
pub const PROOF_ALGS: [JwsAlg; 4] = [JwsAlg::ES256, JwsAlg::EdDSA, JwsAlg::PS256, JwsAlg::RS256];

/// Why the credential, nonce or notification endpoint refused a request.
#[derive(Debug, thiserror::Error)]
pub enum IssuerError {
    /// The access token is missing or invalid (401), or the server failed.
    #[error(transparent)]
    Token(#[from] OAuthError),
    /// The request was refused with an OpenID4VCI error (400).
    #[error(transparent)]
    Request(#[from] VciError),
}

impl From<sigil_store::StoreError> for IssuerError {
    fn from(e: sigil_store::StoreError) -> Self {
        IssuerError::Token(e.into())
    }
}

impl Provider {
    /// Whether this deployment issues credentials at all.
    pub fn issues_credentials(&self) -> bool {
        self.config.credentials.sd_jwt_vc != "off"
    }

    fn issuer_info<'a>(
        &self,
        t: &'a TenantCtx,
        name: &'a str,
        encryption: (Value, Value),
    ) -> IssuerInfo<'a> {
        IssuerInfo {
            issuer: &t.issuer,
            name,
            batch_size: self.config.credentials.batch_size,
            signing_algs: &["ES256"],
            proof_algs: &PROOF_ALGS,
            encryption: Some(encryption),
        }
    }

    /// Credential Issuer Metadata (`/.well-known/openid-credential-issuer`).
    pub async fn credential_issuer_metadata(
        &self,
        t: &TenantCtx,
    ) -> Result<serde_json::Value, OAuthError> {
        let tenant = self.tenant(&t.id).await?;
        let name = tenant.map_or_else(|| t.id.to_string(), |t| t.display_name.clone());
        let encryption = self.encryption_metadata(t).await?;
        Ok(issuer_metadata(
            &self.issuer_info(t, &name, encryption),
            &self.credential_types(t).await?,
        ))
    }

    /// What this tenant's credentials and status lists name as their issuer: its issuer URL,
    /// or with `[credentials] issuer_id = "did:web"` the `did:web` of that URL.
    pub fn credential_issuer_id(&self, t: &TenantCtx) -> String {
        if self.config.credentials.issuer_id == ISSUER_ID_DID_WEB
            && let Some(did) = did_web_of(&t.issuer)
        {
            return did;
        }
        t.issuer.clone()
    }

    /// Whether `iss` names this tenant as an issuer: its URL, or the DID it issues as (so
    /// what it issued before it took a DID is still its own).
    pub fn is_own_issuer(&self, t: &TenantCtx, iss: &str) -> bool {
        iss == t.issuer || iss == self.credential_issuer_id(t)
    }

    /// The DID document of a tenant that issues as a `did:web`: its credential signing keys;
    /// `None` when it issues under its URL.
    pub async fn issuer_did_document(&self, t: &TenantCtx) -> Result<Option<Value>, OAuthError> {
        let did = self.credential_issuer_id(t);
        if !sigil_vc::did::is_did(&did) {
            return Ok(None);
        }
        Ok(Some(did_document(&did, &self.jwks(&t.id).await?)))
    }

    /// JWT VC Issuer Metadata (`/.well-known/jwt-vc-issuer`): the keys credentials and status
    /// lists are signed with.
    pub async fn jwt_vc_issuer_metadata(
        &self,
        t: &TenantCtx,
    ) -> Result<serde_json::Value, OAuthError> {
        Ok(jwt_vc_issuer_metadata(&t.issuer, self.jwks(&t.id).await?))
    }
}
