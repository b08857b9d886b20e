//! The storage conformance suite: the behaviour every backend must show, written once.
//! A backend runs it with [`conformance_suite!`](crate::conformance_suite).

#![allow(missing_docs, clippy::unwrap_used)]

use serde_json::json;
use sigil_core::model::*;
use sigil_core::{
    ClientId, Digest32, RedirectUri, ScopeSet, SessionId, TenantId, UnixTime, UserId,
};

use crate::{DeviceDecision, Issue, Redemption, Store, StoreError};

/// Generates one `#[tokio::test]` per conformance case. `$fresh` is an async fn returning a
/// value that dereferences to a fresh, empty store.
#[macro_export]
macro_rules! conformance_suite {
    ($fresh:path) => {
        $crate::conformance_suite!(@cases $fresh;
            tenants, users, clients, keys, sessions, consents, code_redemption, refresh_rotation,
            artifacts, devices, audit, change_epoch, purge);
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

const NOW: UnixTime = UnixTime(1_800_000_000);

fn t() -> TenantId {
    TenantId::default_tenant()
}

fn ev(kind: AuditKind) -> AuditEvent {
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
        created_at: NOW,
        updated_at: NOW,
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
        disabled: false,
        created_at: NOW,
        updated_at: NOW,
    }
}

fn auth(user: &User) -> Authentication {
    Authentication {
        user_id: user.id.clone(),
        auth_time: NOW,
        amr: vec!["pwd".into()],
        acr: "urn:sigil:acr:pwd".into(),
    }
}

fn sample_session(user: &User, secret: &str) -> Session {
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

fn family(user: &User, client: &Client, id: &str) -> TokenFamily {
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

fn refresh(family_id: &str, secret: &str, jti: &str) -> RefreshToken {
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

fn code(key: &str, expires: i64) -> Artifact {
    Artifact {
        tenant: t(),
        kind: ArtifactKind::AuthorizationCode,
        key: Digest32::of(key),
        payload: json!({"client_id": "x"}),
        expires_at: UnixTime(expires),
        consumed_at: None,
    }
}

pub async fn tenants(s: &dyn Store) {
    assert!(
        s.get_tenant(&t()).await.unwrap().is_some(),
        "the default tenant exists from the start"
    );
    let acme = Tenant {
        id: TenantId::parse("acme").unwrap(),
        display_name: "Acme".into(),
        created_at: NOW,
    };
    s.create_tenant(&acme, &ev(AuditKind::TenantCreated))
        .await
        .unwrap();
    assert!(matches!(
        s.create_tenant(&acme, &ev(AuditKind::TenantCreated)).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(s.get_tenant(&acme.id).await.unwrap(), Some(acme));
    assert_eq!(s.list_tenants().await.unwrap().len(), 2);
}

pub async fn users(s: &dyn Store) {
    let alice = sample_user(&t(), "Alice");
    s.create_user(&alice, &ev(AuditKind::UserCreated))
        .await
        .unwrap();
    let found = s
        .find_user_by_username(&t(), "alice")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, alice);
    assert_eq!(
        s.get_user(&t(), &alice.id).await.unwrap(),
        Some(alice.clone())
    );
    let twin = sample_user(&t(), "ALICE");
    assert!(matches!(
        s.create_user(&twin, &ev(AuditKind::UserCreated)).await,
        Err(StoreError::Conflict(_))
    ));

    let acme = Tenant {
        id: TenantId::parse("acme").unwrap(),
        display_name: "Acme".into(),
        created_at: NOW,
    };
    s.create_tenant(&acme, &ev(AuditKind::TenantCreated))
        .await
        .unwrap();
    assert!(
        s.find_user_by_username(&acme.id, "alice")
            .await
            .unwrap()
            .is_none(),
        "tenants are isolated"
    );
    let other = sample_user(&acme.id, "alice");
    s.create_user(
        &other,
        &AuditEvent::new(&acme.id, NOW, AuditKind::UserCreated, "test"),
    )
    .await
    .unwrap();
    assert!(s.get_user(&t(), &other.id).await.unwrap().is_none());
}

pub async fn clients(s: &dyn Store) {
    let c = sample_client(&t());
    s.create_client(&c, &ev(AuditKind::ClientCreated))
        .await
        .unwrap();
    assert_eq!(s.get_client(&t(), &c.id).await.unwrap(), Some(c.clone()));
    assert!(matches!(
        s.create_client(&c, &ev(AuditKind::ClientCreated)).await,
        Err(StoreError::Conflict(_))
    ));
    let mut public = sample_client(&t());
    public.auth_method = AuthMethod::None;
    public.secret_digest = None;
    public.jwks = None;
    s.create_client(&public, &ev(AuditKind::ClientCreated))
        .await
        .unwrap();
    assert_eq!(s.list_clients(&t()).await.unwrap().len(), 2);
    assert_eq!(s.get_client(&t(), &public.id).await.unwrap(), Some(public));
}

pub async fn keys(s: &dyn Store) {
    let mut k = StoredKey {
        tenant: t(),
        kid: "k1".into(),
        alg: SigningAlg::ES256,
        encrypted_private_key: vec![1, 2, 3],
        public_jwk: json!({"kty": "EC"}),
        created_at: NOW,
        activates_at: NOW,
        retires_at: None,
        publish_until: None,
    };
    s.save_keys(std::slice::from_ref(&k), &[ev(AuditKind::KeyCreated)])
        .await
        .unwrap();
    k.retires_at = Some(UnixTime(NOW.0 + 10));
    k.publish_until = Some(UnixTime(NOW.0 + 20));
    s.save_keys(std::slice::from_ref(&k), &[]).await.unwrap();
    assert_eq!(s.list_keys(&t()).await.unwrap(), vec![k]);
}

pub async fn sessions(s: &dyn Store) {
    let alice = sample_user(&t(), "alice");
    s.create_user(&alice, &ev(AuditKind::UserCreated))
        .await
        .unwrap();
    let first = sample_session(&alice, "secret-1");
    s.create_session(&first, None, &ev(AuditKind::SessionStarted))
        .await
        .unwrap();
    assert_eq!(
        s.find_session_by_secret(&t(), &Digest32::of("secret-1"))
            .await
            .unwrap(),
        Some(first.clone())
    );
    assert!(
        s.find_session_by_secret(&t(), &Digest32::of("secret-2"))
            .await
            .unwrap()
            .is_none()
    );

    s.touch_session(&t(), &first.id, UnixTime(NOW.0 + 30))
        .await
        .unwrap();
    assert_eq!(
        s.get_session(&t(), &first.id)
            .await
            .unwrap()
            .unwrap()
            .last_seen_at,
        UnixTime(NOW.0 + 30)
    );

    let second = sample_session(&alice, "secret-2");
    s.create_session(&second, Some(&first.id), &ev(AuditKind::SessionStarted))
        .await
        .unwrap();
    assert!(
        s.get_session(&t(), &first.id)
            .await
            .unwrap()
            .unwrap()
            .ended_at
            .is_some(),
        "replaced session ended"
    );
    let listed = s.list_user_sessions(&t(), &alice.id, NOW).await.unwrap();
    assert_eq!(
        listed.iter().map(|x| &x.id).collect::<Vec<_>>(),
        vec![&second.id]
    );

    assert!(
        s.end_session(&t(), &second.id, NOW, &ev(AuditKind::SessionEnded))
            .await
            .unwrap()
    );
    assert!(
        !s.end_session(&t(), &second.id, NOW, &ev(AuditKind::SessionEnded))
            .await
            .unwrap()
    );
    assert!(
        s.list_user_sessions(&t(), &alice.id, NOW)
            .await
            .unwrap()
            .is_empty()
    );
}

pub async fn consents(s: &dyn Store) {
    let alice = sample_user(&t(), "alice");
    s.create_user(&alice, &ev(AuditKind::UserCreated))
        .await
        .unwrap();
    let client = sample_client(&t());
    let consent = Consent {
        tenant: t(),
        user_id: alice.id.clone(),
        client_id: client.id.clone(),
        scopes: ScopeSet::parse("openid email").unwrap(),
        granted_at: NOW,
    };
    s.save_consent(&consent, &ev(AuditKind::ConsentGranted))
        .await
        .unwrap();
    assert_eq!(
        s.get_consent(&t(), &alice.id, &client.id).await.unwrap(),
        Some(consent.clone())
    );
    let wider = Consent {
        scopes: ScopeSet::parse("openid email profile").unwrap(),
        ..consent
    };
    s.save_consent(&wider, &ev(AuditKind::ConsentGranted))
        .await
        .unwrap();
    assert_eq!(
        s.list_user_consents(&t(), &alice.id).await.unwrap(),
        vec![wider]
    );

    let issue = Issue {
        family: Some(family(&alice, &client, "fam")),
        refresh: Some(refresh("fam", "rt", "jti-1")),
    };
    s.put_artifact(&code("c", NOW.0 + 60), NOW).await.unwrap();
    s.redeem_code(
        &t(),
        &Digest32::of("c"),
        NOW,
        &issue,
        &ev(AuditKind::TokenIssued),
    )
    .await
    .unwrap();

    assert!(
        s.withdraw_consent(
            &t(),
            &alice.id,
            &client.id,
            NOW,
            &ev(AuditKind::ConsentRevoked)
        )
        .await
        .unwrap()
    );
    assert!(
        !s.withdraw_consent(
            &t(),
            &alice.id,
            &client.id,
            NOW,
            &ev(AuditKind::ConsentRevoked)
        )
        .await
        .unwrap()
    );
    let (_, fam) = s
        .find_refresh_token(&t(), &Digest32::of("rt"))
        .await
        .unwrap()
        .unwrap();
    assert!(
        fam.revoked_at.is_some(),
        "withdrawing consent revokes the client's tokens"
    );
    assert!(s.is_access_token_revoked(&t(), "jti-1").await.unwrap());
}

pub async fn code_redemption(s: &dyn Store) {
    let alice = sample_user(&t(), "alice");
    let client = sample_client(&t());
    s.put_artifact(&code("c1", NOW.0 + 60), NOW).await.unwrap();
    let issue = Issue {
        family: Some(family(&alice, &client, "f1")),
        refresh: Some(refresh("f1", "rt1", "j1")),
    };
    let key = Digest32::of("c1");
    assert_eq!(
        s.redeem_code(&t(), &key, NOW, &issue, &ev(AuditKind::TokenIssued))
            .await
            .unwrap(),
        Redemption::Issued
    );
    let again = Issue {
        family: Some(family(&alice, &client, "f2")),
        refresh: Some(refresh("f2", "rt2", "j2")),
    };
    assert_eq!(
        s.redeem_code(&t(), &key, NOW, &again, &ev(AuditKind::TokenIssued))
            .await
            .unwrap(),
        Redemption::AlreadyUsed
    );
    assert!(
        s.find_refresh_token(&t(), &Digest32::of("rt2"))
            .await
            .unwrap()
            .is_none(),
        "a lost race writes nothing"
    );
    assert!(
        s.get_artifact(&t(), ArtifactKind::AuthorizationCode, &key, NOW)
            .await
            .unwrap()
            .unwrap()
            .consumed_at
            .is_some()
    );

    s.put_artifact(&code("old", NOW.0 - 1), NOW).await.unwrap();
    assert_eq!(
        s.redeem_code(
            &t(),
            &Digest32::of("old"),
            NOW,
            &Issue::default(),
            &ev(AuditKind::TokenIssued)
        )
        .await
        .unwrap(),
        Redemption::AlreadyUsed,
        "expired codes cannot be redeemed"
    );
}

pub async fn refresh_rotation(s: &dyn Store) {
    let alice = sample_user(&t(), "alice");
    let client = sample_client(&t());
    s.put_artifact(&code("c", NOW.0 + 60), NOW).await.unwrap();
    let issue = Issue {
        family: Some(family(&alice, &client, "fam")),
        refresh: Some(refresh("fam", "r1", "j1")),
    };
    s.redeem_code(
        &t(),
        &Digest32::of("c"),
        NOW,
        &issue,
        &ev(AuditKind::TokenIssued),
    )
    .await
    .unwrap();
    let (token, fam) = s
        .find_refresh_token(&t(), &Digest32::of("r1"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(token, issue.refresh.clone().unwrap());
    assert_eq!(fam, issue.family.clone().unwrap());

    let r2 = refresh("fam", "r2", "j2");
    assert_eq!(
        s.rotate_refresh_token(&t(), &Digest32::of("r1"), &r2, &ev(AuditKind::TokenIssued))
            .await
            .unwrap(),
        Redemption::Issued
    );
    assert!(
        s.find_refresh_token(&t(), &Digest32::of("r1"))
            .await
            .unwrap()
            .unwrap()
            .0
            .used_at
            .is_some()
    );
    let r3 = refresh("fam", "r3", "j3");
    assert_eq!(
        s.rotate_refresh_token(&t(), &Digest32::of("r1"), &r3, &ev(AuditKind::TokenIssued))
            .await
            .unwrap(),
        Redemption::AlreadyUsed
    );

    // Another family that must survive the revocation of the first.
    s.put_artifact(&code("c2", NOW.0 + 60), NOW).await.unwrap();
    let other = Issue {
        family: Some(family(&alice, &client, "other")),
        refresh: Some(refresh("other", "o1", "oj")),
    };
    s.redeem_code(
        &t(),
        &Digest32::of("c2"),
        NOW,
        &other,
        &ev(AuditKind::TokenIssued),
    )
    .await
    .unwrap();

    s.revoke_family(&t(), "fam", NOW, &ev(AuditKind::TokenRevoked))
        .await
        .unwrap();
    assert!(
        s.find_refresh_token(&t(), &Digest32::of("r2"))
            .await
            .unwrap()
            .unwrap()
            .1
            .revoked_at
            .is_some()
    );
    assert!(s.is_access_token_revoked(&t(), "j1").await.unwrap());
    assert!(s.is_access_token_revoked(&t(), "j2").await.unwrap());
    assert!(
        s.find_refresh_token(&t(), &Digest32::of("o1"))
            .await
            .unwrap()
            .unwrap()
            .1
            .revoked_at
            .is_none()
    );
    assert!(!s.is_access_token_revoked(&t(), "oj").await.unwrap());

    s.revoke_access_token(
        &t(),
        "standalone",
        UnixTime(NOW.0 + 60),
        &ev(AuditKind::TokenRevoked),
    )
    .await
    .unwrap();
    s.revoke_access_token(
        &t(),
        "standalone",
        UnixTime(NOW.0 + 60),
        &ev(AuditKind::TokenRevoked),
    )
    .await
    .unwrap();
    assert!(s.is_access_token_revoked(&t(), "standalone").await.unwrap());
    s.revoke_family(&t(), "no-such-family", NOW, &ev(AuditKind::TokenRevoked))
        .await
        .unwrap();
}

pub async fn artifacts(s: &dyn Store) {
    let a = Artifact {
        kind: ArtifactKind::AssertionJti,
        ..code("jti", NOW.0 + 60)
    };
    assert!(s.put_artifact(&a, NOW).await.unwrap());
    assert!(
        !s.put_artifact(&a, NOW).await.unwrap(),
        "a live key cannot be stored twice"
    );
    assert!(
        s.put_artifact(&a, UnixTime(NOW.0 + 60)).await.unwrap(),
        "an expired one can be reused"
    );

    let i = Artifact {
        kind: ArtifactKind::Interaction,
        ..code("ix", NOW.0 + 60)
    };
    s.put_artifact(&i, NOW).await.unwrap();
    assert!(
        s.update_artifact(
            &t(),
            ArtifactKind::Interaction,
            &i.key,
            &json!({"step": 2}),
            NOW
        )
        .await
        .unwrap()
    );
    let read = s
        .get_artifact(&t(), ArtifactKind::Interaction, &i.key, NOW)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.payload, json!({"step": 2}));
    assert!(
        s.get_artifact(&t(), ArtifactKind::AuthorizationCode, &i.key, NOW)
            .await
            .unwrap()
            .is_none(),
        "kinds are separate"
    );
    assert!(
        s.consume_artifact(&t(), ArtifactKind::Interaction, &i.key, NOW)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        s.consume_artifact(&t(), ArtifactKind::Interaction, &i.key, NOW)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        !s.update_artifact(&t(), ArtifactKind::Interaction, &i.key, &json!({}), NOW)
            .await
            .unwrap()
    );
    assert!(
        s.get_artifact(
            &t(),
            ArtifactKind::Interaction,
            &i.key,
            UnixTime(NOW.0 + 61)
        )
        .await
        .unwrap()
        .is_none()
    );
}

pub async fn devices(s: &dyn Store) {
    let alice = sample_user(&t(), "alice");
    let client = sample_client(&t());
    let d = DeviceAuthorization {
        tenant: t(),
        device_code_digest: Digest32::of("dc"),
        user_code: "BCDF-GHJK".into(),
        client_id: client.id.clone(),
        scopes: ScopeSet::parse("openid").unwrap(),
        expires_at: UnixTime(NOW.0 + 600),
        interval_secs: 5,
        last_polled_at: None,
        status: DeviceStatus::Pending,
        approval: None,
        grant_id: "g".into(),
        access_jti: "aj".into(),
    };
    s.create_device_authorization(&d).await.unwrap();
    let clash = DeviceAuthorization {
        device_code_digest: Digest32::of("dc2"),
        ..d.clone()
    };
    assert!(matches!(
        s.create_device_authorization(&clash).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        s.find_device_by_user_code(&t(), "BCDF-GHJK", NOW)
            .await
            .unwrap(),
        Some(d.clone())
    );
    assert!(
        s.find_device_by_user_code(&t(), "BCDF-GHJK", UnixTime(NOW.0 + 600))
            .await
            .unwrap()
            .is_none()
    );

    s.record_device_poll(&t(), &d.device_code_digest, NOW, 10)
        .await
        .unwrap();
    let polled = s
        .find_device_by_code(&t(), &d.device_code_digest)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (polled.last_polled_at, polled.interval_secs),
        (Some(NOW), 10)
    );

    let issue = Issue {
        family: Some(family(&alice, &client, "g")),
        refresh: Some(refresh("g", "drt", "aj")),
    };
    assert_eq!(
        s.redeem_device(
            &t(),
            &d.device_code_digest,
            &issue,
            &ev(AuditKind::TokenIssued)
        )
        .await
        .unwrap(),
        Redemption::AlreadyUsed,
        "a pending authorization cannot be redeemed"
    );
    let approval = DeviceApproval {
        auth: auth(&alice),
        session_id: SessionId::generate(),
    };
    let decision = DeviceDecision::Approve(approval.clone());
    assert!(
        s.decide_device(
            &t(),
            "BCDF-GHJK",
            &decision,
            NOW,
            &ev(AuditKind::DeviceDecided)
        )
        .await
        .unwrap()
    );
    assert!(
        !s.decide_device(
            &t(),
            "BCDF-GHJK",
            &DeviceDecision::Deny,
            NOW,
            &ev(AuditKind::DeviceDecided)
        )
        .await
        .unwrap()
    );
    let approved = s
        .find_device_by_code(&t(), &d.device_code_digest)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (approved.status, approved.approval),
        (DeviceStatus::Approved, Some(approval))
    );
    assert_eq!(
        s.redeem_device(
            &t(),
            &d.device_code_digest,
            &issue,
            &ev(AuditKind::TokenIssued)
        )
        .await
        .unwrap(),
        Redemption::Issued
    );
    assert_eq!(
        s.redeem_device(
            &t(),
            &d.device_code_digest,
            &issue,
            &ev(AuditKind::TokenIssued)
        )
        .await
        .unwrap(),
        Redemption::AlreadyUsed
    );
}

pub async fn audit(s: &dyn Store) {
    let a = ev(AuditKind::TokenIssued).details(json!({"grant_type": "client_credentials"}));
    let b = ev(AuditKind::SignInFailed).ip(Some("10.0.0.1".into()));
    s.append_audit(&[a.clone(), b.clone()]).await.unwrap();
    assert_eq!(s.list_audit(&t(), 10).await.unwrap(), vec![b, a]);
    assert_eq!(s.list_audit(&t(), 1).await.unwrap().len(), 1);
}

pub async fn change_epoch(s: &dyn Store) {
    let before = s.change_epoch().await.unwrap();
    s.create_client(&sample_client(&t()), &ev(AuditKind::ClientCreated))
        .await
        .unwrap();
    assert!(s.change_epoch().await.unwrap() > before);
    s.ping().await.unwrap();
}

pub async fn purge(s: &dyn Store) {
    s.put_artifact(&code("gone", NOW.0 - 5), NOW).await.unwrap();
    s.put_artifact(&code("kept", NOW.0 + 5), NOW).await.unwrap();
    s.revoke_access_token(
        &t(),
        "old",
        UnixTime(NOW.0 - 1),
        &ev(AuditKind::TokenRevoked),
    )
    .await
    .unwrap();
    assert_eq!(s.purge_expired(NOW).await.unwrap(), 2);
    assert!(
        s.get_artifact(
            &t(),
            ArtifactKind::AuthorizationCode,
            &Digest32::of("kept"),
            NOW
        )
        .await
        .unwrap()
        .is_some()
    );
}
