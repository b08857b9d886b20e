//! What a user granted: consents, token families and refresh tokens, and the short-lived
//! single-use artifacts (codes, interactions, assertion ids).

use serde::{Deserialize, Serialize};

use crate::{ClientId, Digest32, ScopeSet, SessionId, TenantId, UnixTime, UserId};

/// A user's remembered consent for one client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    /// Owning tenant.
    pub tenant: TenantId,
    /// Who consented.
    pub user_id: UserId,
    /// To which client.
    pub client_id: ClientId,
    /// The scopes consented to (accumulated over time).
    pub scopes: ScopeSet,
    /// When consent was last given.
    pub granted_at: UnixTime,
}

/// One grant (one code redemption or device approval) and every refresh token rotated from it.
/// Replay of a rotated refresh token revokes exactly this family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenFamily {
    /// Owning tenant.
    pub tenant: TenantId,
    /// Family id (the grant id).
    pub id: String,
    /// Client the tokens were issued to.
    pub client_id: ClientId,
    /// The user.
    pub user_id: UserId,
    /// Session the grant was made in.
    pub session_id: Option<SessionId>,
    /// Scopes granted.
    pub scopes: ScopeSet,
    /// Original authentication time.
    pub auth_time: UnixTime,
    /// Original authentication methods.
    pub amr: Vec<String>,
    /// Original authentication context.
    pub acr: String,
    /// Audience of the family's access tokens.
    pub audience: Vec<String>,
    /// When the grant was made.
    pub created_at: UnixTime,
    /// Absolute end of the family; no refresh beyond it.
    pub expires_at: UnixTime,
    /// When it was revoked.
    pub revoked_at: Option<UnixTime>,
}

/// One refresh token, stored by digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshToken {
    /// Owning tenant.
    pub tenant: TenantId,
    /// SHA-256 of the token.
    pub digest: Digest32,
    /// Its family.
    pub family_id: String,
    /// Scopes of this token (a refresh may narrow them).
    pub scopes: ScopeSet,
    /// Issue time.
    pub issued_at: UnixTime,
    /// Expiry (idle lifetime of the chain).
    pub expires_at: UnixTime,
    /// When it was rotated (used); a second use is a replay.
    pub used_at: Option<UnixTime>,
    /// `jti` of the access token issued alongside, revoked with the family.
    pub access_jti: String,
    /// Expiry of that access token (how long its `jti` must stay on the revocation list).
    pub access_expires_at: UnixTime,
}

/// Kinds of short-lived single-use artifacts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArtifactKind {
    /// An authorization code.
    AuthorizationCode,
    /// An authorization request waiting for the user (login, consent).
    Interaction,
    /// A pushed authorization request (RFC 9126), by its `request_uri` reference.
    PushedRequest,
    /// A client assertion `jti`, kept to refuse replays.
    AssertionJti,
    /// A DPoP proof's key thumbprint and `jti`, kept to refuse replays.
    DpopJti,
    /// An OpenID4VCI pre-authorized code (a credential offer).
    PreAuthorizedCode,
    /// An OpenID4VCI credential offer redeemed by signing in (by its `issuer_state`).
    CredentialOfferState,
    /// An OpenID4VCI `c_nonce`, spent by the key proofs of one credential request.
    CredentialNonce,
    /// A credential request waiting for an administrator's approval (by `transaction_id`).
    DeferredIssuance,
    /// An OpenID4VP presentation request waiting for the wallet's response.
    PresentationRequest,
    /// What became of a presentation request: verified claims, or why it was rejected.
    PresentationResult,
    /// A sign-in sent to an external identity provider, waiting for its answer (by `state`).
    FederatedLogin,
    /// A federated identity waiting for the owner of a matching account to prove it is theirs.
    PendingLink,
    /// The provider (and its sealed ID token) a session was signed in through, by session.
    FederatedSession,
    /// A sign-out sent on to a provider, waiting for it to send the browser back (by `state`).
    FederatedLogout,
    /// A SAML AuthnRequest waiting for the user to sign in.
    SamlRequest,
    /// An AuthnRequest Sigil sent to an external SAML identity provider (by `RelayState`).
    SamlLogin,
    /// A checked answer from an external SAML identity provider, waiting for the browser that
    /// started the sign-in (its assertion consumer service is posted to cross-site).
    SamlAnswer,
    /// An assertion ID from an external SAML identity provider, kept to refuse replays.
    SamlAssertionId,
    /// The service providers a session signed its user in to (by session), for logout.
    SamlParticipants,
    /// A single logout Sigil started, going from one service provider to the next (by
    /// `RelayState`).
    SamlLogoutChain,
    /// A SAML message Sigil sends over HTTP-POST, waiting for the browser to post its form.
    SamlPostForm,
}

impl ArtifactKind {
    /// Storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            ArtifactKind::AuthorizationCode => "code",
            ArtifactKind::Interaction => "interaction",
            ArtifactKind::PushedRequest => "pushed_request",
            ArtifactKind::AssertionJti => "assertion_jti",
            ArtifactKind::DpopJti => "dpop_jti",
            ArtifactKind::PreAuthorizedCode => "pre_authorized_code",
            ArtifactKind::CredentialOfferState => "credential_offer_state",
            ArtifactKind::CredentialNonce => "credential_nonce",
            ArtifactKind::DeferredIssuance => "deferred_issuance",
            ArtifactKind::PresentationRequest => "presentation_request",
            ArtifactKind::PresentationResult => "presentation_result",
            ArtifactKind::FederatedLogin => "federated_login",
            ArtifactKind::PendingLink => "pending_link",
            ArtifactKind::FederatedSession => "federated_session",
            ArtifactKind::FederatedLogout => "federated_logout",
            ArtifactKind::SamlRequest => "saml_request",
            ArtifactKind::SamlLogin => "saml_login",
            ArtifactKind::SamlAnswer => "saml_answer",
            ArtifactKind::SamlAssertionId => "saml_assertion_id",
            ArtifactKind::SamlParticipants => "saml_participants",
            ArtifactKind::SamlLogoutChain => "saml_logout_chain",
            ArtifactKind::SamlPostForm => "saml_post_form",
        }
    }
}

/// A stored artifact: a JSON payload under a digest key, with an expiry and single-use flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// Owning tenant.
    pub tenant: TenantId,
    /// Kind.
    pub kind: ArtifactKind,
    /// SHA-256 of the artifact's handle.
    pub key: Digest32,
    /// JSON payload.
    pub payload: serde_json::Value,
    /// Expiry.
    pub expires_at: UnixTime,
    /// When it was consumed.
    pub consumed_at: Option<UnixTime>,
}
