//! Batched audit events for work that writes nothing else (client-credentials tokens, failed
//! sign-ins): they are queued in memory and written by a background task at least once per
//! flush interval (one second by default), so the token endpoint never waits on the disk.
//!
//! Identical events of one flush (same tenant, kind, actor, user, client, IP and details) are
//! written as one row carrying `count`, `first_at` and `last_at`: a service fetching thousands
//! of tokens a second leaves one row per second, not thousands, and the trail still says who got
//! how many tokens, with which scope, from where and when (to the second).

use std::sync::Arc;
use std::time::Duration;

use std::collections::HashMap;

use sigil_core::UnixTime;
use sigil_core::model::AuditEvent;
use sigil_store::Store;
use tokio::sync::mpsc;

/// Events waiting to be written; beyond this the newest are dropped and counted.
const CAPACITY: usize = 65_536;
/// Most events written in one transaction.
const BATCH: usize = 1_000;

/// The sending side, held by the provider.
#[derive(Debug, Clone)]
pub struct AuditSink {
    tx: mpsc::Sender<AuditEvent>,
}

/// The receiving side, driven by [`run_flusher`].
#[derive(Debug)]
pub struct AuditQueue {
    rx: mpsc::Receiver<AuditEvent>,
}

/// A connected sink and queue.
pub fn audit_channel() -> (AuditSink, AuditQueue) {
    let (tx, rx) = mpsc::channel(CAPACITY);
    (AuditSink { tx }, AuditQueue { rx })
}

impl AuditSink {
    /// Queues an event without waiting.
    pub fn record(&self, event: AuditEvent) {
        if self.tx.try_send(event).is_err() {
            metrics::counter!("sigil_audit_events_dropped_total").increment(1);
            tracing::error!("audit queue full or closed; an audit event was dropped");
        }
    }
}

/// Writes queued events every `interval` until every sink is dropped, then flushes the rest.
pub async fn run_flusher(mut queue: AuditQueue, store: Arc<dyn Store>, interval: Duration) {
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        let first = tokio::time::timeout(interval, queue.rx.recv()).await;
        match first {
            Ok(Some(event)) => batch.push(event),
            Ok(None) => {
                flush(&*store, &mut batch).await;
                return;
            }
            Err(_) => {}
        }
        while batch.len() < BATCH {
            match queue.rx.try_recv() {
                Ok(event) => batch.push(event),
                Err(_) => break,
            }
        }
        flush(&*store, &mut batch).await;
    }
}

async fn flush(store: &dyn Store, batch: &mut Vec<AuditEvent>) {
    if batch.is_empty() {
        return;
    }
    let merged = coalesce(batch);
    if let Err(e) = store.append_audit(&merged).await {
        tracing::error!(error = %e, events = batch.len(), "writing audit events failed; will retry");
        return;
    }
    batch.clear();
}

/// Merges identical events (all but id and time equal) into one with a count.
pub fn coalesce(events: &[AuditEvent]) -> Vec<AuditEvent> {
    let mut out: Vec<(AuditEvent, u64, UnixTime, UnixTime)> = Vec::new();
    // Everything but the id and the time, as one string.
    let mut index: HashMap<String, usize> = HashMap::new();
    for e in events {
        let key = serde_json::json!([
            e.tenant,
            e.kind,
            e.actor,
            e.user_id,
            e.client_id,
            e.ip,
            e.details
        ])
        .to_string();
        match index.get(&key) {
            Some(&i) => {
                let entry = &mut out[i];
                entry.1 += 1;
                entry.2 = entry.2.min(e.at);
                entry.3 = entry.3.max(e.at);
            }
            None => {
                index.insert(key, out.len());
                out.push((e.clone(), 1, e.at, e.at));
            }
        }
    }
    out.into_iter()
        .map(|(mut e, count, first, last)| {
            if count > 1 {
                let mut details = match e.details {
                    serde_json::Value::Object(map) => map,
                    serde_json::Value::Null => serde_json::Map::new(),
                    other => serde_json::Map::from_iter([("value".to_owned(), other)]),
                };
                details.insert("count".into(), count.into());
                details.insert("first_at".into(), first.0.into());
                details.insert("last_at".into(), last.0.into());
                e.details = serde_json::Value::Object(details);
                e.at = last;
            }
            e
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sigil_core::TenantId;
    use sigil_core::model::AuditKind;

    #[test]
    fn identical_events_merge_with_a_count_and_others_stay_apart() {
        let t = TenantId::default_tenant();
        let ev = |at, actor: &str| {
            AuditEvent::new(&t, UnixTime(at), AuditKind::TokenIssued, actor)
                .details(serde_json::json!({"scope": "a"}))
        };
        let merged = coalesce(&[
            ev(10, "client:a"),
            ev(11, "client:a"),
            ev(12, "client:b"),
            ev(12, "client:a"),
        ]);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].details["count"], 3);
        assert_eq!(
            (merged[0].details["first_at"].as_i64(), merged[0].at),
            (Some(10), UnixTime(12))
        );
        assert_eq!(merged[0].details["scope"], "a");
        assert!(
            merged[1].details.get("count").is_none(),
            "a single event is written as is"
        );
    }
}
