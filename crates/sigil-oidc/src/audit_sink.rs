//! Batched audit events for work that writes nothing else (client-credentials tokens): they
//! are queued in memory and written by a background task at least once per flush interval
//! (one second by default), so the token endpoint never waits on the disk.

use std::sync::Arc;
use std::time::Duration;

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
    if let Err(e) = store.append_audit(batch).await {
        tracing::error!(error = %e, events = batch.len(), "writing audit events failed; will retry");
        return;
    }
    batch.clear();
}
