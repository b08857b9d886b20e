//! Audit, the change epoch and housekeeping.

#![allow(clippy::unwrap_used)]

use super::*;

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
