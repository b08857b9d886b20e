//! Batched audit events for work that writes nothing else (client-credentials tokens, failed
//! sign-ins): they are queued in memory and written by a background task at least once per
//! flush interval (one second by default), so the token endpoint never waits on the disk.
//!
//! Identical events of one flush (same tenant, kind, outcome, actor, user, client, IP, user
//! agent and details) are written as one row carrying `count`, `first_at` and `last_at`, and no
//! request id (they came from many): a service fetching thousands of tokens a second leaves one
//! row per second, not thousands, and the trail still says who got how many tokens, with which
//! scope, from where and when (to the second).

use std::sync::Arc;
use std::time::Duration;

use std::collections::HashMap;
use std::hash::{Hash, Hasher};

use sigil_core::UnixTime;
use sigil_core::model::AuditEvent;
use sigil_store::Store;
use tokio::sync::mpsc;

/// Events waiting to be written; beyond this the newest are dropped and counted.
const CAPACITY: usize = 65_536;
/// Most distinct events written in one transaction.
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

/// Writes queued events: a batch starts with the first event after a flush and is written
/// `interval` later (or sooner once it holds [`BATCH`] distinct events). Ends, after a last
/// flush, once every sink is dropped.
pub async fn run_flusher(mut queue: AuditQueue, store: Arc<dyn Store>, interval: Duration) {
    let mut pending = Coalescer::default();
    loop {
        let first = if pending.is_empty() {
            queue.rx.recv().await
        } else {
            // Events kept after a failed write: retry after an interval even if nothing new comes.
            match tokio::time::timeout(interval, queue.rx.recv()).await {
                Ok(event) => event,
                Err(_) => {
                    pending.flush(&*store).await;
                    continue;
                }
            }
        };
        let Some(first) = first else {
            pending.flush(&*store).await;
            return;
        };
        pending.add(first);
        let deadline = tokio::time::Instant::now() + interval;
        while pending.len() < BATCH {
            match tokio::time::timeout_at(deadline, queue.rx.recv()).await {
                Ok(Some(event)) => pending.add(event),
                Ok(None) => {
                    pending.flush(&*store).await;
                    return;
                }
                Err(_) => break,
            }
        }
        pending.flush(&*store).await;
    }
}

/// Identical events merged as they arrive: what a flush writes.
#[derive(Default)]
struct Coalescer {
    entries: Vec<(AuditEvent, u64, UnixTime, UnixTime)>,
    index: HashMap<u64, Vec<usize>>,
}

/// Everything that makes two events "the same" (all but id, time and request id).
fn same(a: &AuditEvent, b: &AuditEvent) -> bool {
    a.tenant == b.tenant
        && a.kind == b.kind
        && a.outcome == b.outcome
        && a.actor == b.actor
        && a.user_id == b.user_id
        && a.client_id == b.client_id
        && a.ip == b.ip
        && a.user_agent == b.user_agent
        && a.details == b.details
}

fn hash_value(v: &serde_json::Value, h: &mut impl Hasher) {
    use serde_json::Value;
    match v {
        Value::Null => 0u8.hash(h),
        Value::Bool(b) => b.hash(h),
        Value::Number(n) => n.to_string().hash(h),
        Value::String(s) => s.hash(h),
        Value::Array(items) => items.iter().for_each(|i| hash_value(i, h)),
        Value::Object(map) => map.iter().for_each(|(k, v)| {
            k.hash(h);
            hash_value(v, h);
        }),
    }
}

fn key(e: &AuditEvent) -> u64 {
    let mut h = std::hash::DefaultHasher::new();
    (
        e.tenant.as_str(),
        e.kind.as_str(),
        e.outcome,
        &e.actor,
        &e.user_id,
        &e.client_id,
        &e.ip,
        &e.user_agent,
    )
        .hash(&mut h);
    hash_value(&e.details, &mut h);
    h.finish()
}

impl Coalescer {
    fn add(&mut self, e: AuditEvent) {
        let slots = self.index.entry(key(&e)).or_default();
        if let Some(&i) = slots.iter().find(|&&i| same(&self.entries[i].0, &e)) {
            let entry = &mut self.entries[i];
            entry.1 += 1;
            entry.2 = entry.2.min(e.at);
            entry.3 = entry.3.max(e.at);
            return;
        }
        slots.push(self.entries.len());
        self.entries.push((e.clone(), 1, e.at, e.at));
    }

    fn len(&self) -> usize {
        self.entries.len()
    }

    fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The events to write: merged ones carry `count`, `first_at` and `last_at`.
    fn events(&self) -> Vec<AuditEvent> {
        self.entries
            .iter()
            .map(|(e, count, first, last)| {
                let mut e = e.clone();
                if *count > 1 {
                    let mut details = match e.details {
                        serde_json::Value::Object(map) => map,
                        serde_json::Value::Null => serde_json::Map::new(),
                        other => serde_json::Map::from_iter([("value".to_owned(), other)]),
                    };
                    details.insert("count".into(), (*count).into());
                    details.insert("first_at".into(), first.0.into());
                    details.insert("last_at".into(), last.0.into());
                    e.details = serde_json::Value::Object(details);
                    e.at = *last;
                    e.request_id = None;
                }
                e
            })
            .collect()
    }

    /// Writes the merged events; keeps them for the next try when the store fails.
    async fn flush(&mut self, store: &dyn Store) {
        if self.is_empty() {
            return;
        }
        let events = self.events();
        if let Err(e) = store.append_audit(&events).await {
            tracing::error!(error = %e, events = events.len(), "writing audit events failed; will retry");
            return;
        }
        self.entries.clear();
        self.index.clear();
    }
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
        let mut c = Coalescer::default();
        for e in [
            ev(10, "client:a"),
            ev(11, "client:a"),
            ev(12, "client:b"),
            ev(12, "client:a"),
        ] {
            c.add(e);
        }
        let merged = c.events();
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
