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

pub async fn idempotency(s: &dyn Store) {
    use crate::{Claim, ClaimOutcome, IdempotencyKey, StoredResponse};
    let key = |caller: &str, k: &str| IdempotencyKey {
        tenant: t(),
        caller: caller.into(),
        key: k.into(),
    };
    let claim = |body: &str, now: i64| Claim {
        request: Digest32::of(body),
        now: UnixTime(now),
        lock_until: UnixTime(now + 30),
        expires_at: UnixTime(now + 86_400),
    };
    let k = key("client:a", "k1");
    let first = claim("body", NOW.0);
    assert_eq!(
        s.claim_idempotency_key(&k, &first).await.unwrap(),
        ClaimOutcome::Claimed
    );
    assert_eq!(
        s.claim_idempotency_key(&k, &first).await.unwrap(),
        ClaimOutcome::InFlight
    );
    assert_eq!(
        s.claim_idempotency_key(&k, &claim("other body", NOW.0))
            .await
            .unwrap(),
        ClaimOutcome::Mismatch
    );
    assert_eq!(
        s.claim_idempotency_key(&key("client:b", "k1"), &first)
            .await
            .unwrap(),
        ClaimOutcome::Claimed,
        "keys are per caller"
    );
    let response = StoredResponse {
        status: 201,
        headers: vec![("etag".into(), "\"1\"".into())],
        body: b"{\"id\":1}".to_vec(),
    };
    s.complete_idempotency_key(&k, &response).await.unwrap();
    assert_eq!(
        s.claim_idempotency_key(&k, &claim("body", NOW.0 + 60))
            .await
            .unwrap(),
        ClaimOutcome::Completed(response.clone())
    );
    assert_eq!(
        s.claim_idempotency_key(&k, &claim("other body", NOW.0 + 60))
            .await
            .unwrap(),
        ClaimOutcome::Mismatch
    );

    // A claim whose node died is taken over once its lock lapses.
    let abandoned = key("client:a", "k2");
    s.claim_idempotency_key(&abandoned, &first).await.unwrap();
    assert_eq!(
        s.claim_idempotency_key(&abandoned, &claim("body", NOW.0 + 10))
            .await
            .unwrap(),
        ClaimOutcome::InFlight
    );
    assert_eq!(
        s.claim_idempotency_key(&abandoned, &claim("body", NOW.0 + 31))
            .await
            .unwrap(),
        ClaimOutcome::Claimed
    );

    // A released key (the request failed with a 5xx) can be used again at once.
    let released = key("client:a", "k3");
    s.claim_idempotency_key(&released, &first).await.unwrap();
    s.release_idempotency_key(&released).await.unwrap();
    assert_eq!(
        s.claim_idempotency_key(&released, &first).await.unwrap(),
        ClaimOutcome::Claimed
    );

    // After 24 hours a key is forgotten: the same key starts a new request.
    let later = claim("new body", NOW.0 + 86_401);
    assert_eq!(
        s.claim_idempotency_key(&k, &later).await.unwrap(),
        ClaimOutcome::Claimed
    );
    assert_eq!(
        s.claim_idempotency_key(&k, &later).await.unwrap(),
        ClaimOutcome::InFlight
    );
    assert!(s.purge_expired(UnixTime(NOW.0 + 3 * 86_400)).await.unwrap() >= 3);
    assert_eq!(
        s.claim_idempotency_key(&released, &first).await.unwrap(),
        ClaimOutcome::Claimed
    );
}
