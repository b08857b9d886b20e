//! Event hooks: the outbox fills in the same transaction as the audit trail, fan-out and
//! leases take each row once, attempts are kept.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::AttemptOutcome;

fn sample_hook(id: &str, types: &[&str]) -> Hook {
    Hook {
        tenant: t(),
        id: id.into(),
        url: "https://hooks.example/in".into(),
        event_types: types.iter().map(|s| (*s).to_owned()).collect(),
        secret_sealed: vec![1, 2, 3],
        description: None,
        disabled: false,
        created_at: NOW,
        updated_at: NOW,
        revision: 1,
    }
}

fn deliveries_for(event: &AuditEvent, hooks: &[Hook]) -> Vec<Delivery> {
    hooks
        .iter()
        .filter(|h| h.wants(event.kind.as_str()))
        .map(|h| Delivery {
            tenant: event.tenant.clone(),
            id: format!("{}-{}", h.id, event.id),
            hook_id: h.id.clone(),
            event_id: event.id.clone(),
            event_type: event.kind.as_str().into(),
            payload: "{}".into(),
            state: DeliveryState::Pending,
            attempts: 0,
            next_attempt_at: NOW,
            last_status: None,
            last_error: None,
            created_at: NOW,
            updated_at: NOW,
        })
        .collect()
}

pub async fn hooks(s: &dyn Store) {
    // Before any hook, events do not enter the outbox.
    s.append_audit(&[ev(AuditKind::UserCreated)]).await.unwrap();
    assert_eq!(s.fan_out(10, &deliveries_for).await.unwrap(), 0);

    let users = sample_hook("h1", &["user.created"]);
    let all = sample_hook("h2", &[ALL_EVENTS]);
    for h in [&users, &all] {
        s.create_hook(h, &ev(AuditKind::HookCreated)).await.unwrap();
    }
    assert_eq!(s.get_hook(&t(), "h1").await.unwrap(), Some(users.clone()));
    assert_eq!(s.list_hooks(&t()).await.unwrap().len(), 2);
    let mut changed = all.clone();
    changed.url = "https://elsewhere.example/in".into();
    assert!(
        s.update_hook(&changed, &ev(AuditKind::HookUpdated))
            .await
            .unwrap()
    );
    assert!(
        !s.update_hook(&changed, &ev(AuditKind::HookUpdated))
            .await
            .unwrap(),
        "stale"
    );

    // The hook changes above were audited, so they are in the outbox too; so is this one.
    s.append_audit(&[ev(AuditKind::UserCreated)]).await.unwrap();
    let taken = s.fan_out(100, &deliveries_for).await.unwrap();
    assert!(taken >= 2, "{taken}");
    assert_eq!(
        s.fan_out(100, &deliveries_for).await.unwrap(),
        0,
        "taken once"
    );

    // Leases: each due delivery goes to one taker until it is recorded.
    let leased = s
        .lease_deliveries(NOW, UnixTime(NOW.0 + 30), 100)
        .await
        .unwrap();
    let to_users: Vec<&Delivery> = leased.iter().filter(|d| d.hook_id == "h1").collect();
    assert_eq!(to_users.len(), 1, "one user.created event after h1 existed");
    assert!(leased.iter().filter(|d| d.hook_id == "h2").count() >= 2);
    assert!(
        s.lease_deliveries(NOW, UnixTime(NOW.0 + 30), 100)
            .await
            .unwrap()
            .is_empty()
    );
    let d = to_users[0];
    let retry = AttemptOutcome {
        attempt: DeliveryAttempt {
            n: 1,
            at: NOW,
            status: Some(503),
            error: Some("503 Service Unavailable".into()),
            duration_ms: 12,
        },
        state: DeliveryState::Pending,
        next_attempt_at: UnixTime(NOW.0 + 10),
    };
    s.record_attempt(&t(), &d.id, &retry).await.unwrap();
    let again = s
        .lease_deliveries(UnixTime(NOW.0 + 10), UnixTime(NOW.0 + 40), 100)
        .await
        .unwrap();
    assert_eq!(
        again.iter().map(|d| &d.hook_id).collect::<Vec<_>>(),
        ["h1"],
        "due again, lease over"
    );
    assert_eq!((again[0].attempts, again[0].last_status), (1, Some(503)));
    let listed = s.list_deliveries(&t(), "h1", None, 10).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        s.list_attempts(&t(), &d.id).await.unwrap(),
        vec![retry.attempt.clone()]
    );

    // Finished deliveries are purged after 30 days; pending ones stay.
    let to_all = leased.iter().find(|d| d.hook_id == "h2").unwrap();
    let delivered = AttemptOutcome {
        state: DeliveryState::Delivered,
        ..retry.clone()
    };
    s.record_attempt(&t(), &to_all.id, &delivered)
        .await
        .unwrap();
    let before = s
        .list_deliveries(&t(), "h2", None, 100)
        .await
        .unwrap()
        .len();
    s.purge_expired(UnixTime(NOW.0 + 31 * 86_400))
        .await
        .unwrap();
    let after = s.list_deliveries(&t(), "h2", None, 100).await.unwrap();
    assert_eq!(after.len(), before - 1);
    assert!(after.iter().all(|d| d.id != to_all.id));

    // A disabled hook receives nothing; a deleted one takes its deliveries along.
    let mut off = s.get_hook(&t(), "h1").await.unwrap().unwrap();
    off.disabled = true;
    assert!(
        s.update_hook(&off, &ev(AuditKind::HookUpdated))
            .await
            .unwrap()
    );
    s.append_audit(&[ev(AuditKind::UserCreated)]).await.unwrap();
    s.fan_out(100, &deliveries_for).await.unwrap();
    assert_eq!(
        s.list_deliveries(&t(), "h1", None, 10).await.unwrap().len(),
        1
    );
    assert!(
        s.delete_hook(&t(), "h1", &ev(AuditKind::HookDeleted))
            .await
            .unwrap()
    );
    assert!(
        s.list_deliveries(&t(), "h1", None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(s.list_attempts(&t(), &d.id).await.unwrap().is_empty());
}
