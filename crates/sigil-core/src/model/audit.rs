//! Audit events: who did what, when, from where. Written with the change they describe.

use serde::{Deserialize, Serialize};

use crate::{ClientId, TenantId, UnixTime, UserId};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AuditKind {
    /// A tenant was created.
    #[serde(rename = "tenant.created")]
    TenantCreated,
    /// A user was created.
    #[serde(rename = "user.created")]
    UserCreated,
    /// A user's profile or status was changed by an administrator.
    #[serde(rename = "user.updated")]
    UserUpdated,
    /// A user's password was set by an administrator.
    #[serde(rename = "user.password_set")]
    UserPasswordSet,
    /// A user was deleted.
    #[serde(rename = "user.deleted")]
    UserDeleted,
    /// A client was registered.
    #[serde(rename = "client.created")]
    ClientCreated,
    /// A client's settings were changed.
    #[serde(rename = "client.updated")]
    ClientUpdated,
    /// A client's secret was replaced.
    #[serde(rename = "client.secret_rotated")]
    ClientSecretRotated,
    /// A client was deleted.
    #[serde(rename = "client.deleted")]
    ClientDeleted,
    /// A group was created.
    #[serde(rename = "group.created")]
    GroupCreated,
    /// A group was renamed or described.
    #[serde(rename = "group.updated")]
    GroupUpdated,
    /// A group was deleted.
    #[serde(rename = "group.deleted")]
    GroupDeleted,
    /// A user was added to a group.
    #[serde(rename = "group.member_added")]
    GroupMemberAdded,
    /// A user was removed from a group.
    #[serde(rename = "group.member_removed")]
    GroupMemberRemoved,
    /// A signing key was created (rotation).
    #[serde(rename = "key.created")]
    KeyCreated,
    /// A user signed in.
    #[serde(rename = "session.started")]
    SessionStarted,
    /// A sign-in failed.
    #[serde(rename = "signin.failed")]
    SignInFailed,
    /// A session ended.
    #[serde(rename = "session.ended")]
    SessionEnded,
    /// Every session of a user was ended by an administrator (and, if asked, their grants
    /// revoked).
    #[serde(rename = "user.sessions_revoked")]
    UserSessionsRevoked,
    /// Consent was given.
    #[serde(rename = "consent.granted")]
    ConsentGranted,
    /// Consent was withdrawn.
    #[serde(rename = "consent.revoked")]
    ConsentRevoked,
    /// Tokens were issued.
    #[serde(rename = "token.issued")]
    TokenIssued,
    /// A token or grant was revoked.
    #[serde(rename = "token.revoked")]
    TokenRevoked,
    /// A used code or refresh token was presented again; its grant was revoked.
    #[serde(rename = "token.replay_detected")]
    ReplayDetected,
    /// A device authorization was approved or denied.
    #[serde(rename = "device.decided")]
    DeviceDecided,
    /// A SCIM provisioning token was created.
    #[serde(rename = "provisioning_token.created")]
    ProvisioningTokenCreated,
    /// A SCIM provisioning token was deleted.
    #[serde(rename = "provisioning_token.deleted")]
    ProvisioningTokenDeleted,
    /// An event hook was registered.
    #[serde(rename = "hook.created")]
    HookCreated,
    /// An event hook was changed (or its secret rotated).
    #[serde(rename = "hook.updated")]
    HookUpdated,
    /// An event hook was deleted.
    #[serde(rename = "hook.deleted")]
    HookDeleted,
    /// A verifiable credential was offered to a user.
    #[serde(rename = "credential.offered")]
    CredentialOffered,
    /// A verifiable credential was issued to a wallet.
    #[serde(rename = "credential.issued")]
    CredentialIssued,
    /// A credential was suspended, reinstated or revoked.
    #[serde(rename = "credential.status_changed")]
    CredentialStatusChanged,
    /// A wallet asked for a credential whose type needs an administrator's approval; it was
    /// deferred.
    #[serde(rename = "credential.approval_requested")]
    CredentialApprovalRequested,
    /// An administrator approved a credential; the wallet can collect it.
    #[serde(rename = "credential.approved")]
    CredentialApproved,
    /// A wallet reported what became of an issued credential (accepted, failed, deleted).
    #[serde(rename = "credential.notified")]
    CredentialNotified,
    /// A wallet's presentation was verified (the claims are in the result, not the event).
    #[serde(rename = "presentation.verified")]
    PresentationVerified,
    /// A wallet's presentation was rejected.
    #[serde(rename = "presentation.rejected")]
    PresentationRejected,
    /// A credential type or verifier definition was saved.
    #[serde(rename = "vc_definition.saved")]
    VcDefinitionSaved,
    /// A credential type or verifier definition was deleted.
    #[serde(rename = "vc_definition.deleted")]
    VcDefinitionDeleted,
    /// A gateway application was saved (imported or edited); the event records its version.
    #[serde(rename = "access_app.saved")]
    AccessAppSaved,
    /// A gateway application was deleted.
    #[serde(rename = "access_app.deleted")]
    AccessAppDeleted,
    /// The gateway decided a request (allowed, denied, public or sent to sign in).
    #[serde(rename = "gateway.decision")]
    GatewayDecision,
    /// A client's sign-on policy was saved; the event records its version.
    #[serde(rename = "sign_on_policy.saved")]
    SignOnPolicySaved,
    /// A client's sign-on policy was deleted.
    #[serde(rename = "sign_on_policy.deleted")]
    SignOnPolicyDeleted,
    /// A sign-on policy refused a user's sign-in to a client.
    #[serde(rename = "sign_on.denied")]
    SignOnDenied,
    /// An external identity provider was added or changed; the event records its version.
    #[serde(rename = "identity_provider.saved")]
    IdentityProviderSaved,
    /// An external identity provider was removed.
    #[serde(rename = "identity_provider.deleted")]
    IdentityProviderDeleted,
    /// A user's account was linked to their identity at an external provider (created for
    /// them, or proven theirs).
    #[serde(rename = "external_identity.linked")]
    ExternalIdentityLinked,
    /// A sign-in through an external identity provider was refused.
    #[serde(rename = "federated_sign_in.failed")]
    FederatedSignInFailed,
    /// A SAML service provider was registered or changed.
    #[serde(rename = "saml_sp.saved")]
    SamlSpSaved,
    /// A SAML service provider was removed.
    #[serde(rename = "saml_sp.deleted")]
    SamlSpDeleted,
    /// Sigil signed a user in to a SAML service provider (an assertion was issued).
    #[serde(rename = "saml.assertion_issued")]
    SamlAssertionIssued,
    /// A client was sent a back-channel logout token for an ended session (the details say
    /// whether it accepted it).
    #[serde(rename = "logout.backchannel_sent")]
    BackchannelLogoutSent,
}

impl AuditKind {
    /// The dotted event name.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditKind::TenantCreated => "tenant.created",
            AuditKind::UserCreated => "user.created",
            AuditKind::UserUpdated => "user.updated",
            AuditKind::UserPasswordSet => "user.password_set",
            AuditKind::UserDeleted => "user.deleted",
            AuditKind::ClientCreated => "client.created",
            AuditKind::ClientUpdated => "client.updated",
            AuditKind::ClientSecretRotated => "client.secret_rotated",
            AuditKind::ClientDeleted => "client.deleted",
            AuditKind::GroupCreated => "group.created",
            AuditKind::GroupUpdated => "group.updated",
            AuditKind::GroupDeleted => "group.deleted",
            AuditKind::GroupMemberAdded => "group.member_added",
            AuditKind::GroupMemberRemoved => "group.member_removed",
            AuditKind::KeyCreated => "key.created",
            AuditKind::SessionStarted => "session.started",
            AuditKind::SignInFailed => "signin.failed",
            AuditKind::SessionEnded => "session.ended",
            AuditKind::UserSessionsRevoked => "user.sessions_revoked",
            AuditKind::ConsentGranted => "consent.granted",
            AuditKind::ConsentRevoked => "consent.revoked",
            AuditKind::TokenIssued => "token.issued",
            AuditKind::TokenRevoked => "token.revoked",
            AuditKind::ReplayDetected => "token.replay_detected",
            AuditKind::DeviceDecided => "device.decided",
            AuditKind::ProvisioningTokenCreated => "provisioning_token.created",
            AuditKind::ProvisioningTokenDeleted => "provisioning_token.deleted",
            AuditKind::HookCreated => "hook.created",
            AuditKind::HookUpdated => "hook.updated",
            AuditKind::HookDeleted => "hook.deleted",
            AuditKind::CredentialOffered => "credential.offered",
            AuditKind::CredentialIssued => "credential.issued",
            AuditKind::CredentialStatusChanged => "credential.status_changed",
            AuditKind::CredentialApprovalRequested => "credential.approval_requested",
            AuditKind::CredentialApproved => "credential.approved",
            AuditKind::CredentialNotified => "credential.notified",
            AuditKind::PresentationVerified => "presentation.verified",
            AuditKind::PresentationRejected => "presentation.rejected",
            AuditKind::VcDefinitionSaved => "vc_definition.saved",
            AuditKind::VcDefinitionDeleted => "vc_definition.deleted",
            AuditKind::AccessAppSaved => "access_app.saved",
            AuditKind::AccessAppDeleted => "access_app.deleted",
            AuditKind::GatewayDecision => "gateway.decision",
            AuditKind::SignOnPolicySaved => "sign_on_policy.saved",
            AuditKind::SignOnPolicyDeleted => "sign_on_policy.deleted",
            AuditKind::SignOnDenied => "sign_on.denied",
            AuditKind::IdentityProviderSaved => "identity_provider.saved",
            AuditKind::IdentityProviderDeleted => "identity_provider.deleted",
            AuditKind::ExternalIdentityLinked => "external_identity.linked",
            AuditKind::FederatedSignInFailed => "federated_sign_in.failed",
            AuditKind::SamlSpSaved => "saml_sp.saved",
            AuditKind::SamlSpDeleted => "saml_sp.deleted",
            AuditKind::SamlAssertionIssued => "saml.assertion_issued",
            AuditKind::BackchannelLogoutSent => "logout.backchannel_sent",
        }
    }
}

impl AuditKind {
    /// Parses a dotted event name (`user.created`).
    pub fn parse(name: &str) -> Option<Self> {
        serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
    }
}

/// Whether what the event records succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditOutcome {
    /// It happened.
    #[default]
    Success,
    /// It was attempted and refused (a failed sign-in, a replayed token).
    Failure,
}

impl AuditOutcome {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditOutcome::Success => "success",
            AuditOutcome::Failure => "failure",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        [AuditOutcome::Success, AuditOutcome::Failure]
            .into_iter()
            .find(|o| o.as_str() == text)
    }
}

/// One audit event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// Owning tenant.
    pub tenant: TenantId,
    /// Unique id.
    pub id: String,
    /// When.
    pub at: UnixTime,
    /// What.
    pub kind: AuditKind,
    /// Who acted: `user:{sub}`, `client:{id}`, `cli`, `system`.
    pub actor: String,
    /// The user concerned.
    pub user_id: Option<UserId>,
    /// The client concerned.
    pub client_id: Option<ClientId>,
    /// Client IP of the request.
    pub ip: Option<String>,
    /// `User-Agent` of the request.
    pub user_agent: Option<String>,
    /// Id of the request (its `X-Request-Id`), to find it in logs and traces.
    pub request_id: Option<String>,
    /// Whether it succeeded.
    pub outcome: AuditOutcome,
    /// Kind-specific details; never secrets.
    pub details: serde_json::Value,
}

impl AuditEvent {
    /// A new, successful event with a fresh id and no details, carrying the IP, user agent
    /// and id of the request being handled, if any ([`crate::request`]).
    pub fn new(tenant: &TenantId, at: UnixTime, kind: AuditKind, actor: impl Into<String>) -> Self {
        let request = crate::request::current().unwrap_or_default();
        AuditEvent {
            tenant: tenant.clone(),
            id: crate::random::identifier(),
            at,
            kind,
            actor: actor.into(),
            user_id: None,
            client_id: None,
            ip: request.ip,
            user_agent: request.user_agent,
            request_id: (!request.request_id.is_empty()).then_some(request.request_id),
            outcome: AuditOutcome::Success,
            details: serde_json::Value::Null,
        }
    }

    /// Marks the event a refused attempt.
    pub fn failure(mut self) -> Self {
        self.outcome = AuditOutcome::Failure;
        self
    }

    /// Sets the user concerned.
    pub fn user(mut self, user: &UserId) -> Self {
        self.user_id = Some(user.clone());
        self
    }

    /// Sets the client concerned.
    pub fn client(mut self, client: &ClientId) -> Self {
        self.client_id = Some(client.clone());
        self
    }

    /// Sets the request IP, when known (otherwise it stays the handled request's).
    pub fn ip(mut self, ip: Option<String>) -> Self {
        if ip.is_some() {
            self.ip = ip;
        }
        self
    }

    /// Sets details.
    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}
