//! Verifiable credentials: offers, issued credentials and their status, presentation
//! requests and their results.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sigil_core::model::IssuedCredential;
use utoipa::ToSchema;

use crate::rfc3339;

/// A credential to offer to a user.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CredentialOfferCreate {
    /// The credential type (`credential_configuration_id`), e.g. `employee`.
    #[schema(min_length = 1, max_length = 64)]
    #[serde(rename = "type")]
    pub type_id: String,
    /// The user's id.
    #[schema(min_length = 1, max_length = 64)]
    pub user_id: String,
    /// Require a transaction code (returned here, to be given to the user another way).
    /// Pre-authorized code offers only.
    #[serde(default)]
    pub tx_code: bool,
    /// How the wallet redeems the offer.
    #[serde(default)]
    pub grant: OfferGrantType,
}

/// How a wallet redeems an offer (the offer's `grants`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, ToSchema)]
pub enum OfferGrantType {
    /// With the pre-authorized code in the offer: the user need not sign in.
    #[default]
    #[serde(rename = "urn:ietf:params:oauth:grant-type:pre-authorized_code")]
    PreAuthorizedCode,
    /// By signing the user in (the authorization code flow, with the offer's `issuer_state`):
    /// only that user can redeem it.
    #[serde(rename = "authorization_code")]
    AuthorizationCode,
}

/// An offer made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CredentialOfferResource {
    /// The credential's id.
    pub credential_id: String,
    /// The `openid-credential-offer://` link a wallet accepts.
    pub credential_offer_uri: String,
    /// Where wallets fetch the offer.
    pub offer_url: String,
    /// A page showing the offer as a QR code and a link.
    pub offer_page: String,
    /// The transaction code, when one was asked for.
    pub tx_code: Option<String>,
    /// When the offer lapses (RFC 3339).
    pub expires_at: String,
}

/// A credential offered to a user, and perhaps issued.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CredentialResource {
    /// Identifier.
    pub id: String,
    /// The credential type.
    #[serde(rename = "type")]
    pub type_id: String,
    /// The user it is about.
    pub user_id: String,
    /// `offered`, `pending` (awaiting approval), `approved` or `issued`.
    pub state: String,
    /// `valid`, `suspended` or `revoked`.
    pub status: String,
    /// Copies issued (each bound to its own holder key).
    pub copies: u32,
    /// When it was offered (RFC 3339).
    pub created_at: String,
    /// When a wallet first received it.
    pub issued_at: Option<String>,
    /// When the copies last issued expire.
    pub expires_at: Option<String>,
    /// Last change.
    pub updated_at: String,
}

impl From<&IssuedCredential> for CredentialResource {
    fn from(c: &IssuedCredential) -> Self {
        CredentialResource {
            id: c.id.clone(),
            type_id: c.type_id.clone(),
            user_id: c.user_id.to_string(),
            state: c.state.as_str().into(),
            status: c.status.as_str().into(),
            copies: c.copies,
            created_at: rfc3339(c.created_at),
            issued_at: c.issued_at.map(rfc3339),
            expires_at: c.expires_at.map(rfc3339),
            updated_at: rfc3339(c.updated_at),
        }
    }
}

/// A user's credentials, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CredentialList {
    /// The credentials.
    pub items: Vec<CredentialResource>,
}

/// A status change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CredentialAction {
    /// Valid → suspended.
    Suspend,
    /// Suspended → valid.
    Reinstate,
    /// Valid or suspended → revoked, for good.
    Revoke,
    /// Offered or pending → approved: a type that needs approval may now be issued (a
    /// waiting wallet collects it at the deferred credential endpoint).
    Approve,
}

/// A status change to make.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CredentialStatusChange {
    /// What to do.
    pub action: CredentialAction,
}

/// How the wallet answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
pub enum PresentationResponseMode {
    /// A form post of `vp_token` and `state`.
    #[default]
    #[serde(rename = "direct_post")]
    DirectPost,
    /// The same, encrypted to a key of the request (JWE).
    #[serde(rename = "direct_post.jwt")]
    DirectPostJwt,
}

/// How the verifier names itself to the wallet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClientIdPrefixChoice {
    /// `x509_hash:`: a certificate, named by its hash; the request is signed.
    #[default]
    X509Hash,
    /// `x509_san_dns:`: a certificate for the issuer's DNS name; the request is signed.
    X509SanDns,
    /// `redirect_uri:`: the response URI; the request is not signed.
    RedirectUri,
}

/// A presentation request to start.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PresentationRequestCreate {
    /// How the wallet answers (default `direct_post`).
    #[serde(default)]
    pub response_mode: PresentationResponseMode,
    /// How the verifier names itself (default `x509_hash`).
    #[serde(default)]
    pub client_id_prefix: ClientIdPrefixChoice,
}

/// A presentation request started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PresentationRequestResource {
    /// Identifier: read the result by it.
    pub id: String,
    /// The `openid4vp://` link a wallet answers (show it as a QR code or a link).
    pub request_uri: String,
    /// The client identifier the wallet sees.
    pub client_id: String,
    /// A page showing the request to a person.
    pub page: String,
    /// When the request lapses (RFC 3339).
    pub expires_at: String,
}

/// What became of a presentation request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PresentationResultResource {
    /// The request's id.
    pub id: String,
    /// `pending`, `verified` or `rejected`.
    pub status: String,
    /// The verifier.
    pub verifier: String,
    /// On `verified`: per credential asked for, the claims asked for (and nothing else).
    #[schema(value_type = Object)]
    pub claims: Map<String, Value>,
    /// On `rejected`: why.
    pub reason: Option<String>,
}

/// Credential types or verifiers defined for the tenant (the ready-made ones included).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DefinitionList {
    /// The definitions, as JSON documents (docs/CREDENTIALS.md describes their fields).
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<Value>,
}
