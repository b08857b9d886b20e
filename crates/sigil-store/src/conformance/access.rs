//! Access documents: saved together or not at all, versioned on every save, listed by name,
//! deleted; each kind apart from the others even under one name.

use super::*;

fn app(name: &str, v: i64) -> AccessApp {
    AccessApp {
        tenant: t(),
        kind: AccessKind::GatewayApp,
        name: name.into(),
        version: 0,
        document: json!({"v": v}),
        created_at: NOW,
        updated_at: NOW,
    }
}

pub async fn access_apps(s: &dyn Store) {
    let saved = |n: usize| vec![ev(AuditKind::AccessAppSaved); n];
    s.save_access_apps(&[app("portal", 1), app("hr", 1)], &saved(2))
        .await
        .unwrap();
    s.save_access_apps(&[app("portal", 2)], &saved(1))
        .await
        .unwrap();
    let apps = s
        .list_access_apps(&t(), AccessKind::GatewayApp)
        .await
        .unwrap();
    let summary: Vec<(&str, i64)> = apps.iter().map(|a| (a.name.as_str(), a.version)).collect();
    assert_eq!(summary, [("hr", 1), ("portal", 2)]);
    let tenant = t();
    let get = |kind, name: &'static str| s.get_access_app(&tenant, kind, name);
    let portal = get(AccessKind::GatewayApp, "portal")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(portal.document, json!({"v": 2}));
    assert!(get(AccessKind::GatewayApp, "nope").await.unwrap().is_none());

    // A sign-on policy, identity provider or SAML SP of the same name is another document.
    for other in [
        AccessKind::SignOn,
        AccessKind::IdentityProvider,
        AccessKind::SamlServiceProvider,
    ] {
        assert!(get(other, "portal").await.unwrap().is_none());
    }
    let sign_on = AccessApp {
        kind: AccessKind::SignOn,
        ..app("portal", 7)
    };
    s.save_access_apps(&[sign_on], &[ev(AuditKind::SignOnPolicySaved)])
        .await
        .unwrap();
    let sign_on = get(AccessKind::SignOn, "portal").await.unwrap().unwrap();
    assert_eq!((sign_on.kind, sign_on.version), (AccessKind::SignOn, 1));
    assert_eq!(sign_on.document, json!({"v": 7}));
    assert_eq!(
        get(AccessKind::GatewayApp, "portal")
            .await
            .unwrap()
            .unwrap()
            .version,
        2
    );

    // A batch naming an unknown tenant fails whole: the first application is not saved.
    let mut stray = app("stray", 1);
    stray.tenant = TenantId::parse("no-such-tenant").unwrap();
    assert!(
        s.save_access_apps(&[app("claims", 1), stray], &saved(2))
            .await
            .is_err()
    );
    assert!(
        get(AccessKind::GatewayApp, "claims")
            .await
            .unwrap()
            .is_none()
    );

    let gone = ev(AuditKind::AccessAppDeleted);
    let delete = |kind, name: &'static str| s.delete_access_app(&tenant, kind, name, &gone);
    assert!(delete(AccessKind::GatewayApp, "hr").await.unwrap());
    assert!(!delete(AccessKind::GatewayApp, "hr").await.unwrap());
    assert!(!delete(AccessKind::SignOn, "hr").await.unwrap());
    let left = s.list_access_apps(&t(), AccessKind::GatewayApp).await;
    assert_eq!(left.unwrap().len(), 1);
    assert!(delete(AccessKind::SignOn, "portal").await.unwrap());
    assert!(
        get(AccessKind::GatewayApp, "portal")
            .await
            .unwrap()
            .is_some()
    );
}
