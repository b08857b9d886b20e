//! Event hooks, their outbox, deliveries and attempts.

use async_trait::async_trait;
use sigil_core::model::{AuditEvent, Delivery, DeliveryAttempt, DeliveryState, Hook};
use sigil_core::{TenantId, UnixTime};

use crate::StoreResult;

/// Turns one audit event and the enabled hooks of its tenant into deliveries (the service
/// decides who wants it and what the body is; the store only keeps what it is given).
pub type MakeDeliveries<'a> = dyn Fn(&AuditEvent, &[Hook]) -> Vec<Delivery> + Send + Sync + 'a;

/// What an attempt of a delivery changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptOutcome {
    /// The attempt.
    pub attempt: DeliveryAttempt,
    /// Where the delivery stands after it.
    pub state: DeliveryState,
    /// When it is tried next (while pending).
    pub next_attempt_at: UnixTime,
}

/// Event hooks. Audit events of tenants with an enabled hook also enter an outbox in the
/// transaction that records them ([`crate::AuditStore`] and every audited change), so a hook
/// misses no event and no sign-in waits for a hook.
#[async_trait]
pub trait HookStore: Send + Sync {
    /// Registers a hook.
    async fn create_hook(&self, hook: &Hook, audit: &AuditEvent) -> StoreResult<()>;
    /// A hook by id.
    async fn get_hook(&self, tenant: &TenantId, id: &str) -> StoreResult<Option<Hook>>;
    /// A tenant's hooks, oldest first.
    async fn list_hooks(&self, tenant: &TenantId) -> StoreResult<Vec<Hook>>;
    /// Replaces a hook if its stored revision is still `hook.revision` (storing one more);
    /// false when gone or changed since.
    async fn update_hook(&self, hook: &Hook, audit: &AuditEvent) -> StoreResult<bool>;
    /// Deletes a hook with its deliveries; false if there was none.
    async fn delete_hook(
        &self,
        tenant: &TenantId,
        id: &str,
        audit: &AuditEvent,
    ) -> StoreResult<bool>;
    /// Takes up to `limit` events from the outbox and stores the deliveries `make` returns for
    /// each, in one transaction (an event is fanned out once, whichever node takes it).
    /// Returns how many events were taken.
    async fn fan_out(&self, limit: u32, make: &MakeDeliveries<'_>) -> StoreResult<u32>;
    /// Leases up to `limit` pending deliveries due at `now` until `lease_until` (so that no
    /// other node sends them meanwhile) and returns them.
    async fn lease_deliveries(
        &self,
        now: UnixTime,
        lease_until: UnixTime,
        limit: u32,
    ) -> StoreResult<Vec<Delivery>>;
    /// Records an attempt and the delivery's new state, ending its lease.
    async fn record_attempt(
        &self,
        tenant: &TenantId,
        delivery: &str,
        outcome: &AttemptOutcome,
    ) -> StoreResult<()>;
    /// A hook's deliveries, newest first, at most `limit`, created before `before` if given.
    async fn list_deliveries(
        &self,
        tenant: &TenantId,
        hook: &str,
        before: Option<UnixTime>,
        limit: u32,
    ) -> StoreResult<Vec<Delivery>>;
    /// A delivery's attempts, first first.
    async fn list_attempts(
        &self,
        tenant: &TenantId,
        delivery: &str,
    ) -> StoreResult<Vec<DeliveryAttempt>>;
}
