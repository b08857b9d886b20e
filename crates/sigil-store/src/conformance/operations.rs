//! Audit, the change epoch and housekeeping.

#![allow(clippy::unwrap_used)]

use super::*;

pub async fn audit(s: &dyn Store) {
    let events =
        |records: Vec<AuditRecord>| records.into_iter().map(|r| r.event).collect::<Vec<_>>();
    let mut a = ev(AuditKind::TokenIssued).details(json!({"grant_type": "client_credentials"}));
    a.user_agent = Some("curl/8".into());
    a.request_id = Some("req-1".into());
    let b = ev(AuditKind::SignInFailed)
        .failure()
        .ip(Some("10.0.0.1".into()));
    s.append_audit(&[a.clone(), b.clone()]).await.unwrap();
    assert_eq!(
        events(s.list_audit(&t(), &AuditQuery::latest(10)).await.unwrap()),
        vec![b.clone(), a.clone()],
        "newest first, every field kept"
    );
    assert_eq!(
        s.list_audit(&t(), &AuditQuery::latest(1))
            .await
            .unwrap()
            .len(),
        1
    );

    // Filters, alone and together, and paging by position.
    let alice = UserId::parse("alice-id").unwrap();
    let client = ClientId::parse("client-a").unwrap();
    let mut batch = Vec::new();
    for i in 0..5 {
        let mut e = ev(AuditKind::TokenIssued).user(&alice).client(&client);
        e.at = UnixTime(NOW.0 + i);
        batch.push(e);
    }
    batch.push(ev(AuditKind::UserUpdated).user(&alice));
    s.append_audit(&batch).await.unwrap();
    let query = |f: &dyn Fn(&mut AuditQuery)| {
        let mut q = AuditQuery::latest(50);
        f(&mut q);
        q
    };
    let count = |q: AuditQuery| async move { s.list_audit(&t(), &q).await.unwrap().len() };
    assert_eq!(count(query(&|q| q.user_id = Some(alice.clone()))).await, 6);
    assert_eq!(
        count(query(&|q| q.client_id = Some(client.clone()))).await,
        5
    );
    assert_eq!(
        count(query(&|q| q.kind = Some(AuditKind::TokenIssued))).await,
        6
    );
    assert_eq!(
        count(query(&|q| q.outcome = Some(AuditOutcome::Failure))).await,
        1
    );
    assert_eq!(count(query(&|q| q.actor = Some("nobody".into()))).await, 0);
    let window = query(&|q| {
        q.client_id = Some(client.clone());
        q.since = Some(UnixTime(NOW.0 + 1));
        q.until = Some(UnixTime(NOW.0 + 4));
    });
    assert_eq!(count(window).await, 3);
    let mut page = query(&|q| q.kind = Some(AuditKind::TokenIssued));
    page.limit = 4;
    let first = s.list_audit(&t(), &page).await.unwrap();
    page.before = first.last().map(|r| r.seq);
    let second = s.list_audit(&t(), &page).await.unwrap();
    assert_eq!((first.len(), second.len()), (4, 2));
    assert!(first.windows(2).all(|w| w[0].seq > w[1].seq));
    assert!(
        first.last().unwrap().seq > second[0].seq,
        "pages do not overlap"
    );
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
