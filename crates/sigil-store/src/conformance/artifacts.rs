//! Single-use artifacts and device authorizations.

#![allow(clippy::unwrap_used)]

use super::*;

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

    let polled_at = UnixMillis(NOW.0 * 1000 + 999);
    s.record_device_poll(&t(), &d.device_code_digest, polled_at, 10)
        .await
        .unwrap();
    let polled = s
        .find_device_by_code(&t(), &d.device_code_digest)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (polled.last_polled_at, polled.interval_secs),
        (Some(polled_at), 10)
    );

    let issue = Issue {
        family: Some(family(&alice, &client, "g")),
        refresh: Some(refresh("g", "drt", "aj")),
        session_client: None,
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

pub async fn exchange(s: &dyn Store) {
    let ix = Artifact {
        kind: ArtifactKind::Interaction,
        ..code("ix", NOW.0 + 60)
    };
    s.put_artifact(&ix, NOW).await.unwrap();
    let first = code("from-ix", NOW.0 + 60);
    let second = code("twice", NOW.0 + 60);
    assert!(
        s.exchange_artifact(&t(), ArtifactKind::Interaction, &ix.key, &first, NOW)
            .await
            .unwrap()
    );
    assert!(
        !s.exchange_artifact(&t(), ArtifactKind::Interaction, &ix.key, &second, NOW)
            .await
            .unwrap(),
        "an interaction becomes a code once"
    );
    assert!(
        s.get_artifact(&t(), ArtifactKind::AuthorizationCode, &first.key, NOW)
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        s.get_artifact(&t(), ArtifactKind::AuthorizationCode, &second.key, NOW)
            .await
            .unwrap()
            .is_none(),
        "a failed exchange stores nothing"
    );
    assert!(
        s.consume_artifact(&t(), ArtifactKind::Interaction, &ix.key, NOW)
            .await
            .unwrap()
            .is_none()
    );
}
