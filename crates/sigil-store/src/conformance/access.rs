//! Gateway applications: saved together or not at all, versioned on every save, listed by
//! name, deleted.

use super::*;

fn app(name: &str, v: i64) -> AccessApp {
    AccessApp {
        tenant: t(),
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
    let apps = s.list_access_apps(&t()).await.unwrap();
    let summary: Vec<(&str, i64)> = apps.iter().map(|a| (a.name.as_str(), a.version)).collect();
    assert_eq!(summary, [("hr", 1), ("portal", 2)]);
    let portal = s.get_access_app(&t(), "portal").await.unwrap().unwrap();
    assert_eq!(portal.document, json!({"v": 2}));
    assert!(s.get_access_app(&t(), "nope").await.unwrap().is_none());

    // A batch naming an unknown tenant fails whole: the first application is not saved.
    let mut stray = app("stray", 1);
    stray.tenant = TenantId::parse("no-such-tenant").unwrap();
    assert!(
        s.save_access_apps(&[app("claims", 1), stray], &saved(2))
            .await
            .is_err()
    );
    assert!(s.get_access_app(&t(), "claims").await.unwrap().is_none());

    let gone = ev(AuditKind::AccessAppDeleted);
    assert!(s.delete_access_app(&t(), "hr", &gone).await.unwrap());
    assert!(!s.delete_access_app(&t(), "hr", &gone).await.unwrap());
    assert_eq!(s.list_access_apps(&t()).await.unwrap().len(), 1);
}
