//! Event hooks: administrators register endpoints for audit event types; every matching event
//! is delivered to them as a signed POST, retried with exponential backoff for a day, each
//! attempt recorded. Deliveries leave from a background task (the server's dispatcher), never
//! from the request that caused the event, so a slow or dead endpoint slows no sign-in.
//!
//! The signature is `Sigil-Signature: t={unix time},v1={hex HMAC-SHA256(secret, "{t}.{body}")}`:
//! the receiver recomputes it over the raw body, compares in constant time, and refuses a `t`
//! far from its clock (docs/HOOKS.md has the recipe).

use std::time::Duration;

use aws_lc_rs::hmac;
use serde_json::json;
use sigil_core::model::{
    ALL_EVENTS, AuditEvent, AuditKind, Delivery, DeliveryAttempt, DeliveryState, Hook,
};
use sigil_core::{TenantId, UnixTime, random};
use sigil_store::{AttemptOutcome, StoreError};

use crate::admin::{AdminError, Precondition, clean_description, invalid};
use crate::provider::Provider;

/// Most event types one hook lists.
const MAX_EVENT_TYPES: usize = 100;
/// The longest a retry waits.
const MAX_RETRY_WAIT: u64 = 3600;
/// The prefix of hook signing secrets.
const SECRET_PREFIX: &str = "whsec_";

/// A new hook.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NewHook {
    /// The endpoint (https).
    pub url: String,
    /// Dotted audit event types, or `*`.
    pub event_types: Vec<String>,
    /// What it is for.
    pub description: Option<String>,
}

/// Changes to a hook; `None` leaves a field alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HookPatch {
    /// New endpoint.
    pub url: Option<String>,
    /// New event types.
    pub event_types: Option<Vec<String>>,
    /// New description, or none.
    pub description: Option<Option<String>>,
    /// Stops or resumes deliveries.
    pub disabled: Option<bool>,
}

/// The context a hook's secret is sealed under, binding it to its hook.
fn seal_context(tenant: &TenantId, id: &str) -> Vec<u8> {
    format!("sigil hook secret\0{tenant}\0{id}").into_bytes()
}

/// The `Sigil-Signature` header of a body sent at `t`.
pub fn signature(secret: &[u8], t: UnixTime, body: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, secret);
    let tag = hmac::sign(&key, format!("{}.{body}", t.0).as_bytes());
    let hex: String = tag.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    format!("t={},v1={hex}", t.0)
}

/// The wait before retry `n` (1 for the first retry): doubling from `first`, at most an hour.
pub fn retry_wait(first: u64, n: i64) -> u64 {
    let doublings = u32::try_from(n.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    first.saturating_mul(1u64 << doublings).min(MAX_RETRY_WAIT)
}

impl Provider {
    fn check_url(&self, url: &str) -> Result<(), AdminError> {
        let parsed = url::Url::parse(url).map_err(|_| invalid("url", "url is not a URL"))?;
        let scheme_ok = parsed.scheme() == "https"
            || (parsed.scheme() == "http" && self.config.hooks.allow_http);
        if !scheme_ok {
            return Err(invalid("url", "url must be https"));
        }
        if parsed.host_str().is_none_or(str::is_empty)
            || !parsed.username().is_empty()
            || parsed.password().is_some()
            || parsed.fragment().is_some()
            || url.len() > 2000
        {
            return Err(invalid(
                "url",
                "url needs a host and no credentials or fragment (at most 2000 characters)",
            ));
        }
        Ok(())
    }

    fn check_event_types(types: &[String]) -> Result<(), AdminError> {
        if types.is_empty() || types.len() > MAX_EVENT_TYPES {
            return Err(invalid(
                "event_types",
                "list 1 to 100 event types, or \"*\"",
            ));
        }
        for t in types {
            let known = t == ALL_EVENTS
                || serde_json::from_value::<AuditKind>(serde_json::Value::String(t.clone()))
                    .is_ok();
            if !known {
                return Err(invalid("event_types", format!("unknown event type {t}")));
            }
        }
        Ok(())
    }

    /// A fresh secret for a hook, and its sealed form.
    fn new_hook_secret(&self, tenant: &TenantId, id: &str) -> (String, Vec<u8>) {
        let secret = format!("{SECRET_PREFIX}{}", random::secret_token());
        let sealed = self.kek.seal(&seal_context(tenant, id), secret.as_bytes());
        (secret, sealed)
    }

    /// Registers a hook: the hook and its signing secret (shown once).
    pub async fn create_hook(
        &self,
        tenant: &TenantId,
        new: NewHook,
        actor: &str,
    ) -> Result<(Hook, String), AdminError> {
        self.require_tenant(tenant).await?;
        self.check_url(&new.url)?;
        Self::check_event_types(&new.event_types)?;
        let id = random::identifier();
        let (secret, secret_sealed) = self.new_hook_secret(tenant, &id);
        let now = self.now();
        let hook = Hook {
            tenant: tenant.clone(),
            id,
            url: new.url,
            event_types: new.event_types,
            secret_sealed,
            description: clean_description(new.description)?,
            disabled: false,
            created_at: now,
            updated_at: now,
            revision: 1,
        };
        let audit = AuditEvent::new(tenant, now, AuditKind::HookCreated, actor)
            .details(json!({"hook_id": hook.id, "url": hook.url, "event_types": hook.event_types}));
        self.store.create_hook(&hook, &audit).await?;
        Ok((hook, secret))
    }

    /// Reads a hook.
    pub async fn get_hook(&self, tenant: &TenantId, id: &str) -> Result<Hook, AdminError> {
        self.store
            .get_hook(tenant, id)
            .await?
            .ok_or(AdminError::NotFound("hook"))
    }

    /// A tenant's hooks.
    pub async fn list_hooks(&self, tenant: &TenantId) -> Result<Vec<Hook>, AdminError> {
        self.require_tenant(tenant).await?;
        Ok(self.store.list_hooks(tenant).await?)
    }

    async fn save_hook(&self, mut hook: Hook, actor: &str, what: &str) -> Result<Hook, AdminError> {
        hook.updated_at = self.now();
        let audit = AuditEvent::new(&hook.tenant, hook.updated_at, AuditKind::HookUpdated, actor)
            .details(json!({"hook_id": hook.id, "change": what, "url": hook.url}));
        if !self.store.update_hook(&hook, &audit).await? {
            return Err(AdminError::Stale("hook"));
        }
        hook.revision += 1;
        Ok(hook)
    }

    /// Changes a hook.
    pub async fn update_hook(
        &self,
        tenant: &TenantId,
        id: &str,
        patch: HookPatch,
        expect: Precondition,
        actor: &str,
    ) -> Result<Hook, AdminError> {
        let stored = self.get_hook(tenant, id).await?;
        let mut hook = stored.clone();
        if let Some(url) = patch.url {
            self.check_url(&url)?;
            hook.url = url;
        }
        if let Some(types) = patch.event_types {
            Self::check_event_types(&types)?;
            hook.event_types = types;
        }
        if let Some(description) = patch.description {
            hook.description = clean_description(description)?;
        }
        if let Some(disabled) = patch.disabled {
            hook.disabled = disabled;
        }
        expect.check(stored.revision, "hook")?;
        self.save_hook(hook, actor, "settings").await
    }

    /// Replaces a hook's signing secret: the new one signs every delivery from now on.
    pub async fn rotate_hook_secret(
        &self,
        tenant: &TenantId,
        id: &str,
        actor: &str,
    ) -> Result<(Hook, String), AdminError> {
        let mut hook = self.get_hook(tenant, id).await?;
        let (secret, sealed) = self.new_hook_secret(tenant, id);
        hook.secret_sealed = sealed;
        let hook = self.save_hook(hook, actor, "secret").await?;
        Ok((hook, secret))
    }

    /// Deletes a hook and its deliveries.
    pub async fn delete_hook(
        &self,
        tenant: &TenantId,
        id: &str,
        actor: &str,
    ) -> Result<(), AdminError> {
        let audit = AuditEvent::new(tenant, self.now(), AuditKind::HookDeleted, actor)
            .details(json!({"hook_id": id}));
        if self.store.delete_hook(tenant, id, &audit).await? {
            Ok(())
        } else {
            Err(AdminError::NotFound("hook"))
        }
    }

    /// A hook's latest deliveries (before `before`, at most `limit`), each with its attempts.
    pub async fn hook_deliveries(
        &self,
        tenant: &TenantId,
        id: &str,
        before: Option<UnixTime>,
        limit: u32,
    ) -> Result<Vec<(Delivery, Vec<DeliveryAttempt>)>, AdminError> {
        crate::admin::check_page(limit)?;
        self.get_hook(tenant, id).await?;
        let mut out = Vec::new();
        for d in self
            .store
            .list_deliveries(tenant, id, before, limit)
            .await?
        {
            let attempts = self.store.list_attempts(tenant, &d.id).await?;
            out.push((d, attempts));
        }
        Ok(out)
    }

    /// Turns outbox events into deliveries; `body` renders an event as the body sent.
    pub async fn fan_out_hook_events(
        &self,
        limit: u32,
        body: &(dyn Fn(&AuditEvent) -> String + Send + Sync),
    ) -> Result<u32, StoreError> {
        let now = self.now();
        let make = move |event: &AuditEvent, hooks: &[Hook]| -> Vec<Delivery> {
            let wanted: Vec<&Hook> = hooks
                .iter()
                .filter(|h| h.wants(event.kind.as_str()))
                .collect();
            if wanted.is_empty() {
                return Vec::new();
            }
            let payload = body(event);
            wanted
                .into_iter()
                .map(|h| Delivery {
                    tenant: h.tenant.clone(),
                    id: random::identifier(),
                    hook_id: h.id.clone(),
                    event_id: event.id.clone(),
                    event_type: event.kind.as_str().to_owned(),
                    payload: payload.clone(),
                    state: DeliveryState::Pending,
                    attempts: 0,
                    next_attempt_at: now,
                    last_status: None,
                    last_error: None,
                    created_at: now,
                    updated_at: now,
                })
                .collect()
        };
        self.store.fan_out(limit, &make).await
    }

    /// Takes due deliveries for sending (leased for twice the attempt timeout).
    pub async fn lease_hook_deliveries(&self, limit: u32) -> Result<Vec<Delivery>, StoreError> {
        let now = self.now();
        let lease =
            UnixTime(now.0 + 2 * i64::try_from(self.config.hooks.timeout).unwrap_or(60) + 5);
        self.store.lease_deliveries(now, lease, limit).await
    }

    /// The endpoint and headers of a delivery: URL, signature at `now`, or `None` when its hook
    /// is gone or disabled (the delivery is then dropped).
    pub async fn prepare_delivery(
        &self,
        delivery: &Delivery,
    ) -> Result<Option<(String, String)>, StoreError> {
        let Some(hook) = self
            .store
            .get_hook(&delivery.tenant, &delivery.hook_id)
            .await?
        else {
            return Ok(None);
        };
        if hook.disabled {
            return Ok(None);
        }
        let secret = self
            .kek
            .open(&seal_context(&hook.tenant, &hook.id), &hook.secret_sealed)
            .map_err(|e| StoreError::Corrupt(format!("hook secret: {e}")))?;
        Ok(Some((
            hook.url,
            signature(&secret, self.now(), &delivery.payload),
        )))
    }

    /// Records an attempt: delivered on a 2xx, else retried after a doubling wait until a day
    /// has passed since the event, then given up.
    pub async fn record_hook_attempt(
        &self,
        delivery: &Delivery,
        status: Option<u16>,
        error: Option<String>,
        took: Duration,
    ) -> Result<(), StoreError> {
        let now = self.now();
        let n = delivery.attempts + 1;
        let ok = status.is_some_and(|s| (200..300).contains(&s));
        let cfg = &self.config.hooks;
        let next = UnixTime(now.0 + i64::try_from(retry_wait(cfg.first_retry, n)).unwrap_or(3600));
        let deadline = delivery.created_at.0 + i64::try_from(cfg.give_up_after).unwrap_or(86_400);
        let state = if ok {
            DeliveryState::Delivered
        } else if next.0 > deadline {
            DeliveryState::Failed
        } else {
            DeliveryState::Pending
        };
        let error = match (ok, error, status) {
            (true, _, _) => None,
            (false, Some(e), _) => Some(e),
            (false, None, Some(s)) => Some(format!("the endpoint answered {s}")),
            (false, None, None) => Some("no answer".into()),
        };
        let outcome = AttemptOutcome {
            attempt: DeliveryAttempt {
                n,
                at: now,
                status: status.map(i64::from),
                error,
                duration_ms: i64::try_from(took.as_millis()).unwrap_or(i64::MAX),
            },
            state,
            next_attempt_at: next,
        };
        self.store
            .record_attempt(&delivery.tenant, &delivery.id, &outcome)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_and_backoff() {
        // HMAC-SHA256 of "1700000000.{}" with key "whsec_test", as any HMAC library computes it.
        let sig = signature(b"whsec_test", UnixTime(1_700_000_000), "{}");
        assert!(sig.starts_with("t=1700000000,v1="));
        assert_eq!(sig.len(), "t=1700000000,v1=".len() + 64);
        assert_ne!(
            sig,
            signature(b"whsec_other", UnixTime(1_700_000_000), "{}")
        );
        assert_ne!(sig, signature(b"whsec_test", UnixTime(1_700_000_001), "{}"));
        assert_eq!([1, 2, 3, 4].map(|n| retry_wait(10, n)), [10, 20, 40, 80]);
        assert_eq!(retry_wait(10, 30), 3600, "at most an hour");
    }
}
