//! Codes, refresh tokens and their families.

#![allow(clippy::unwrap_used)]

use super::*;

pub async fn code_redemption(s: &dyn Store) {
    let alice = sample_user(&t(), "alice");
    let client = sample_client(&t());
    s.put_artifact(&code("c1", NOW.0 + 60), NOW).await.unwrap();
    let issue = Issue {
        family: Some(family(&alice, &client, "f1")),
        refresh: Some(refresh("f1", "rt1", "j1")),
        session_client: None,
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
        session_client: None,
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
        session_client: None,
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
        session_client: None,
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
