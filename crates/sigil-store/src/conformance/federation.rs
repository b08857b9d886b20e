//! External identities: a subject links to one user, a user may have several links, and
//! links go with their user and with their provider.

use super::*;

fn provider(name: &str) -> AccessApp {
    AccessApp {
        tenant: t(),
        kind: AccessKind::IdentityProvider,
        name: name.into(),
        version: 0,
        document: json!({"kind": "oidc"}),
        created_at: NOW,
        updated_at: NOW,
    }
}

fn identity(provider: &str, subject: &str, user: &User) -> ExternalIdentity {
    ExternalIdentity {
        tenant: t(),
        provider: provider.into(),
        subject: subject.into(),
        user_id: user.id.clone(),
        created_at: NOW,
    }
}

pub async fn external_identities(s: &dyn Store) {
    let saved = [ev(AuditKind::IdentityProviderSaved)];
    for name in ["partner", "google"] {
        s.save_access_apps(&[provider(name)], &saved).await.unwrap();
    }
    let (ann, bob) = (sample_user(&t(), "ann"), sample_user(&t(), "bob"));
    for user in [&ann, &bob] {
        s.create_user(user, &ev(AuditKind::UserCreated))
            .await
            .unwrap();
    }
    let linked = ev(AuditKind::ExternalIdentityLinked);
    s.link_external_identity(&identity("partner", "p-1", &ann), &linked)
        .await
        .unwrap();
    s.link_external_identity(&identity("google", "g-1", &ann), &linked)
        .await
        .unwrap();
    s.link_external_identity(&identity("partner", "p-2", &bob), &linked)
        .await
        .unwrap();
    // A subject already linked stays with its user.
    let taken = s
        .link_external_identity(&identity("partner", "p-1", &bob), &linked)
        .await;
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
    // A provider that does not exist links nobody.
    let stray = s
        .link_external_identity(&identity("nowhere", "x", &bob), &linked)
        .await;
    assert!(stray.is_err());

    let found = s
        .find_external_identity(&t(), "partner", "p-1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, identity("partner", "p-1", &ann));
    assert!(
        s.find_external_identity(&t(), "google", "p-1")
            .await
            .unwrap()
            .is_none()
    );
    let providers = |links: Vec<ExternalIdentity>| -> Vec<String> {
        links.into_iter().map(|l| l.provider).collect()
    };
    let ann_links = s.list_external_identities(&t(), &ann.id).await.unwrap();
    assert_eq!(providers(ann_links), ["google", "partner"]);

    // Removing a provider removes its links; removing a user removes theirs.
    let gone = ev(AuditKind::IdentityProviderDeleted);
    assert!(
        s.delete_access_app(&t(), AccessKind::IdentityProvider, "partner", &gone)
            .await
            .unwrap()
    );
    let ann_links = s.list_external_identities(&t(), &ann.id).await.unwrap();
    assert_eq!(providers(ann_links), ["google"]);
    s.delete_user(&t(), &ann.id, None, &ev(AuditKind::UserDeleted))
        .await
        .unwrap();
    assert!(
        s.find_external_identity(&t(), "google", "g-1")
            .await
            .unwrap()
            .is_none()
    );
}
