//! Idempotency keys (the IETF `Idempotency-Key` header): the first request with a key holds
//! it while it runs and then stores its response; a retry with the same key and request gets
//! that response again instead of doing the work twice. Stored durably, so retries that land
//! on another node, or after a restart, are answered the same.

use async_trait::async_trait;
use sigil_core::{Digest32, TenantId, UnixTime};

use crate::StoreResult;

/// Which key: keys are scoped to the tenant and the caller that sent them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey {
    /// Tenant.
    pub tenant: TenantId,
    /// The caller (`client:{id}`), so two callers never share keys.
    pub caller: String,
    /// The key as sent.
    pub key: String,
}

/// A response kept for replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// HTTP status.
    pub status: u16,
    /// The headers worth replaying (content type, ETag, Location, Link).
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

/// A claim on a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Claim {
    /// Digest of the request (method, path, body).
    pub request: Digest32,
    /// Now.
    pub now: UnixTime,
    /// Until when the claimant holds the key while it works; after that a retry may take over
    /// (its node died mid-request).
    pub lock_until: UnixTime,
    /// When the key is forgotten.
    pub expires_at: UnixTime,
}

/// What a claim found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimOutcome {
    /// The key was free (new, expired, or abandoned): the caller holds it now and must
    /// complete or release it.
    Claimed,
    /// The first request finished: answer with its response.
    Completed(StoredResponse),
    /// The first request is still running.
    InFlight,
    /// The key was used for a different request.
    Mismatch,
}

/// Idempotency keys.
#[async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims `key` for a request, atomically with respect to concurrent claims.
    async fn claim_idempotency_key(
        &self,
        key: &IdempotencyKey,
        claim: &Claim,
    ) -> StoreResult<ClaimOutcome>;
    /// Stores the response of the request holding `key`.
    async fn complete_idempotency_key(
        &self,
        key: &IdempotencyKey,
        response: &StoredResponse,
    ) -> StoreResult<()>;
    /// Frees a key whose request failed in a way a retry should redo (a 5xx).
    async fn release_idempotency_key(&self, key: &IdempotencyKey) -> StoreResult<()>;
}
