//! The hook dispatcher: a background task on every node that turns outbox events into
//! deliveries and sends the due ones, a few at a time, each with the attempt timeout. Nothing
//! here runs inside a request: a dead endpoint costs this task time, never a sign-in.
//! Deliveries go out like any outbound request (no internal addresses unless allowed, no
//! redirects).

use std::sync::Arc;
use std::time::{Duration, Instant};

use sigil_api_types::AuditEventResource;
use sigil_core::model::{AuditEvent, Delivery};
use sigil_oidc::Provider;
use tokio::task::{JoinHandle, JoinSet};

use crate::config::OutboundConfig;
use crate::jwks_fetch::pinned_client;

/// Outbox events fanned out per round.
const FAN_OUT_BATCH: u32 = 500;
/// Deliveries sent at once.
const CONCURRENCY: u32 = 8;

/// The body of an event's deliveries: the event as the audit API shows it.
fn body(event: &AuditEvent) -> String {
    serde_json::to_string(&AuditEventResource::from(event)).unwrap_or_default()
}

/// Starts the dispatcher; it runs until the runtime stops.
pub fn spawn_dispatcher(provider: Arc<Provider>, outbound: OutboundConfig) -> JoinHandle<()> {
    tokio::spawn(async move {
        let cfg = provider.config().hooks.clone();
        let outbound = OutboundConfig {
            timeout: cfg.timeout,
            ..outbound
        };
        let mut tick = tokio::time::interval(Duration::from_millis(cfg.poll_interval_ms.max(10)));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = round(&provider, &outbound).await {
                tracing::warn!(error = %e, "event hook dispatch failed; retrying");
            }
        }
    })
}

/// One round: fan out what the outbox holds, then send what is due.
async fn round(provider: &Arc<Provider>, outbound: &OutboundConfig) -> Result<(), String> {
    while provider
        .fan_out_hook_events(FAN_OUT_BATCH, &body)
        .await
        .map_err(|e| e.to_string())?
        == FAN_OUT_BATCH
    {}
    let due = provider
        .lease_hook_deliveries(CONCURRENCY)
        .await
        .map_err(|e| e.to_string())?;
    let mut sending = JoinSet::new();
    for delivery in due {
        let (provider, outbound) = (provider.clone(), outbound.clone());
        sending.spawn(async move { send(&provider, &outbound, delivery).await });
    }
    while let Some(done) = sending.join_next().await {
        if let Ok(Err(e)) = done {
            tracing::warn!(error = %e, "recording an event hook attempt failed");
        }
    }
    Ok(())
}

/// Sends one delivery and records the attempt.
async fn send(
    provider: &Provider,
    outbound: &OutboundConfig,
    delivery: Delivery,
) -> Result<(), sigil_store::StoreError> {
    let started = Instant::now();
    let (status, error) = match provider.prepare_delivery(&delivery).await? {
        None => (None, Some("the hook is disabled".to_owned())),
        Some((url, signature)) => post(outbound, &url, &signature, &delivery).await,
    };
    let outcome = if error.is_some() {
        "failed"
    } else {
        "delivered"
    };
    metrics::counter!("sigil_hook_attempts_total", "outcome" => outcome).increment(1);
    if let Some(e) = &error {
        tracing::info!(hook = %delivery.hook_id, delivery = %delivery.id, error = %e, "event hook delivery failed");
    }
    provider
        .record_hook_attempt(&delivery, status, error, started.elapsed())
        .await
}

/// POSTs a delivery: the status answered, or what went wrong.
async fn post(
    outbound: &OutboundConfig,
    url: &str,
    signature: &str,
    delivery: &Delivery,
) -> (Option<u16>, Option<String>) {
    let client = match pinned_client(url, outbound, "the hook url").await {
        Ok((_, client)) => client,
        Err(e) => return (None, Some(e)),
    };
    let sent = client
        .post(url)
        .header("content-type", "application/json")
        .header("user-agent", "Sigil-Hooks/1")
        .header("sigil-signature", signature)
        .header("sigil-delivery", &delivery.id)
        .header("sigil-event-id", &delivery.event_id)
        .header("sigil-event-type", &delivery.event_type)
        .body(delivery.payload.clone())
        .send()
        .await;
    match sent {
        Ok(res) => {
            let status = res.status();
            let error = (!status.is_success()).then(|| format!("the endpoint answered {status}"));
            (Some(status.as_u16()), error)
        }
        Err(e) if e.is_timeout() => (None, Some("timed out".into())),
        Err(e) => (None, Some(format!("could not deliver: {e}"))),
    }
}
