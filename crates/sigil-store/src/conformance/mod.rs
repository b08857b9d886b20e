//! The storage conformance suite: the behaviour every backend must show, written once.
//! A backend runs it with [`conformance_suite!`](crate::conformance_suite).

#![allow(missing_docs, clippy::unwrap_used)]

use serde_json::json;
use sigil_core::model::*;
use sigil_core::{
    ClientId, Digest32, GroupId, RedirectUri, ScopeSet, SessionId, TenantId, UnixMillis, UnixTime,
    UserId,
};

use crate::{
    AuditQuery, AuditRecord, DeviceDecision, Issue, Redemption, SessionClient, Store, StoreError,
};

mod access;
mod accounts;
mod artifacts;
mod credentials;
mod directory;
mod federation;
mod grants;
mod groups;
mod hooks;
mod operations;
mod search;
mod sessions;

pub use access::access_apps;
pub use accounts::{clients, keys, tenants, users};
pub use artifacts::{artifacts, devices, exchange};
pub use credentials::credentials;
pub use directory::{client_changes, user_changes, user_listing};
pub use federation::external_identities;
pub use grants::{code_redemption, refresh_rotation};
pub use groups::groups;
pub use hooks::hooks;
pub use operations::{audit, change_epoch, idempotency, purge};
pub use search::{group_search, provisioning_tokens, user_search};
pub use sessions::{consents, session_clients, sessions, sign_out_everywhere};

/// Generates one `#[tokio::test]` per conformance case. `$fresh` is an async fn returning a
/// value that dereferences to a fresh, empty store.
#[macro_export]
macro_rules! conformance_suite {
    ($fresh:path) => {
        $crate::conformance_suite!(@cases $fresh;
            tenants, users, user_listing, user_changes, clients, client_changes, keys, groups, user_search, group_search, provisioning_tokens, hooks, credentials, access_apps, external_identities, sessions, session_clients, sign_out_everywhere, consents, code_redemption, refresh_rotation,
            artifacts, exchange, devices, audit, change_epoch, purge, idempotency);
    };
    (@cases $fresh:path; $($case:ident),*) => {
        $(
            #[tokio::test]
            async fn $case() {
                let fixture = $fresh().await;
                $crate::conformance::$case(&*fixture).await;
            }
        )*
    };
}

pub(crate) const NOW: UnixTime = UnixTime(1_800_000_000);

pub(crate) fn t() -> TenantId {
    TenantId::default_tenant()
}

pub(crate) fn ev(kind: AuditKind) -> AuditEvent {
    AuditEvent::new(&t(), NOW, kind, "test")
}

pub fn sample_user(tenant: &TenantId, username: &str) -> User {
    User {
        tenant: tenant.clone(),
        id: UserId::generate(),
        username: username.into(),
        email: Some(format!("{}@example.com", username.to_lowercase())),
        email_verified: true,
        name: Some("Sample Person".into()),
        password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
        disabled: false,
        external_id: None,
        attributes: serde_json::Map::new(),
        created_at: NOW,
        updated_at: NOW,
        revision: 1,
    }
}

pub fn sample_client(tenant: &TenantId) -> Client {
    Client {
        tenant: tenant.clone(),
        id: ClientId::generate(),
        name: "Sample App".into(),
        secret_digest: Some(Digest32::of("secret")),
        auth_method: AuthMethod::ClientSecretBasic,
        redirect_uris: vec![RedirectUri::parse("https://app.example/cb").unwrap()],
        post_logout_redirect_uris: vec![RedirectUri::parse("https://app.example/bye").unwrap()],
        grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
        scopes: ScopeSet::parse("openid profile email offline_access").unwrap(),
        resources: vec!["https://api.example".into()],
        jwks_uri: None,
        jwks: Some(json!({"keys": []})),
        require_pkce: true,
        first_party: false,
        id_token_signed_response_alg: SigningAlg::ES256,
        logout: LogoutChannels {
            backchannel_uri: Some("https://app.example/logout/back".into()),
            backchannel_session_required: true,
            frontchannel_uri: None,
            frontchannel_session_required: false,
        },
        disabled: false,
        created_at: NOW,
        updated_at: NOW,
        revision: 1,
    }
}

pub(crate) fn auth(user: &User) -> Authentication {
    Authentication {
        user_id: user.id.clone(),
        auth_time: NOW,
        amr: vec!["pwd".into()],
        acr: "urn:sigil:acr:pwd".into(),
    }
}

pub(crate) fn sample_session(user: &User, secret: &str) -> Session {
    Session {
        tenant: t(),
        id: SessionId::generate(),
        secret_digest: Digest32::of(secret),
        auth: auth(user),
        created_at: NOW,
        last_seen_at: NOW,
        expires_at: UnixTime(NOW.0 + 3600),
        ended_at: None,
        user_agent: Some("test".into()),
        ip: Some("127.0.0.1".into()),
    }
}

pub(crate) fn family(user: &User, client: &Client, id: &str) -> TokenFamily {
    TokenFamily {
        tenant: t(),
        id: id.into(),
        client_id: client.id.clone(),
        user_id: user.id.clone(),
        session_id: None,
        scopes: ScopeSet::parse("openid offline_access").unwrap(),
        auth_time: NOW,
        amr: vec!["pwd".into()],
        acr: "urn:sigil:acr:pwd".into(),
        audience: vec!["https://api.example".into()],
        created_at: NOW,
        expires_at: UnixTime(NOW.0 + 86400),
        revoked_at: None,
    }
}

pub(crate) fn refresh(family_id: &str, secret: &str, jti: &str) -> RefreshToken {
    RefreshToken {
        tenant: t(),
        digest: Digest32::of(secret),
        family_id: family_id.into(),
        scopes: ScopeSet::parse("openid offline_access").unwrap(),
        issued_at: NOW,
        expires_at: UnixTime(NOW.0 + 3600),
        used_at: None,
        access_jti: jti.into(),
        access_expires_at: UnixTime(NOW.0 + 600),
    }
}

pub(crate) fn code(key: &str, expires: i64) -> Artifact {
    Artifact {
        tenant: t(),
        kind: ArtifactKind::AuthorizationCode,
        key: Digest32::of(key),
        payload: json!({"client_id": "x"}),
        expires_at: UnixTime(expires),
        consumed_at: None,
    }
}
