//! Event hooks: HTTPS endpoints an administrator registers for audit event types, and the
//! deliveries of events to them with every attempt (so an administrator sees what was sent,
//! when, and what the endpoint answered).

use serde::{Deserialize, Serialize};

use crate::{TenantId, UnixTime};

/// The event type a hook subscribes to when it wants every event.
pub const ALL_EVENTS: &str = "*";

/// A registered endpoint.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hook {
    /// Owning tenant: a hook receives this tenant's events only.
    pub tenant: TenantId,
    /// Identifier.
    pub id: String,
    /// Where deliveries are POSTed.
    pub url: String,
    /// Dotted audit event types (`user.created`), or [`ALL_EVENTS`].
    pub event_types: Vec<String>,
    /// The HMAC-SHA256 signing secret, sealed with the key-encryption key.
    pub secret_sealed: Vec<u8>,
    /// What the hook is for.
    pub description: Option<String>,
    /// A disabled hook receives nothing (events meanwhile are not queued for it).
    pub disabled: bool,
    /// Creation time.
    pub created_at: UnixTime,
    /// Last change.
    pub updated_at: UnixTime,
    /// Counts changes, starting at 1 (the API's ETag).
    pub revision: i64,
}

impl std::fmt::Debug for Hook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hook")
            .field("tenant", &self.tenant)
            .field("id", &self.id)
            .field("url", &self.url)
            .field("event_types", &self.event_types)
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

impl Hook {
    /// Whether the hook wants events of this type.
    pub fn wants(&self, event_type: &str) -> bool {
        !self.disabled
            && self
                .event_types
                .iter()
                .any(|t| t == ALL_EVENTS || t == event_type)
    }
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Not yet accepted; tried again at `next_attempt_at`.
    Pending,
    /// The endpoint answered 2xx.
    Delivered,
    /// Given up on (retried for 24 hours).
    Failed,
}

impl DeliveryState {
    /// The name stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
        }
    }

    /// Parses a stored name.
    pub fn parse(text: &str) -> Option<Self> {
        [
            DeliveryState::Pending,
            DeliveryState::Delivered,
            DeliveryState::Failed,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// One event on its way to one hook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    /// Owning tenant.
    pub tenant: TenantId,
    /// Identifier (sent as `Sigil-Delivery`).
    pub id: String,
    /// The hook.
    pub hook_id: String,
    /// The audit event's id.
    pub event_id: String,
    /// The audit event's type.
    pub event_type: String,
    /// The body sent, exactly (what the signature covers, with the timestamp).
    pub payload: String,
    /// Where it stands.
    pub state: DeliveryState,
    /// Attempts made.
    pub attempts: i64,
    /// When it is tried next (while pending).
    pub next_attempt_at: UnixTime,
    /// The last answer's HTTP status, if there was one.
    pub last_status: Option<i64>,
    /// Why the last attempt failed, if it did.
    pub last_error: Option<String>,
    /// When the event was queued.
    pub created_at: UnixTime,
    /// Last change.
    pub updated_at: UnixTime,
}

/// One try of a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryAttempt {
    /// 1 for the first.
    pub n: i64,
    /// When it was made.
    pub at: UnixTime,
    /// The HTTP status answered, if any.
    pub status: Option<i64>,
    /// What went wrong (connection refused, timeout, a non-2xx status).
    pub error: Option<String>,
    /// How long it took.
    pub duration_ms: i64,
}
