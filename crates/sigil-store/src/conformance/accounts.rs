//! Tenants, users, clients and keys.

#![allow(clippy::unwrap_used)]

use super::*;

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
    let lookup = sample_user(&t(), "Lookup");
    s.create_user(&lookup, &ev(AuditKind::UserCreated))
        .await
        .unwrap();
    assert_eq!(
        s.find_user_by_email(&t(), "lookup@example.com")
            .await
            .unwrap(),
        Some(lookup)
    );
    assert!(
        s.find_user_by_email(&t(), "nobody@example.com")
            .await
            .unwrap()
            .is_none()
    );
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
