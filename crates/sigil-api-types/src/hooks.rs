//! Event hooks and their deliveries.

use serde::{Deserialize, Serialize};
use sigil_core::model::{Delivery, DeliveryAttempt, Hook};
use utoipa::{IntoParams, ToSchema};

use crate::{nullable, rfc3339};

/// An endpoint receiving events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HookResource {
    /// Identifier.
    pub id: String,
    /// Where events are POSTed.
    pub url: String,
    /// The event types delivered (`user.created` …), or `*` for all.
    pub event_types: Vec<String>,
    /// What the hook is for.
    pub description: Option<String>,
    /// A disabled hook receives nothing.
    pub disabled: bool,
    /// Creation time (RFC 3339).
    pub created_at: String,
    /// Last change (RFC 3339).
    pub updated_at: String,
}

impl From<&Hook> for HookResource {
    fn from(h: &Hook) -> Self {
        HookResource {
            id: h.id.clone(),
            url: h.url.clone(),
            event_types: h.event_types.clone(),
            description: h.description.clone(),
            disabled: h.disabled,
            created_at: rfc3339(h.created_at),
            updated_at: rfc3339(h.updated_at),
        }
    }
}

/// A hook with its signing secret, shown only when created or rotated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HookWithSecret {
    /// The hook.
    #[serde(flatten)]
    pub hook: HookResource,
    /// The HMAC-SHA256 key deliveries are signed with (`Sigil-Signature`). Keep it; it is
    /// not shown again.
    pub secret: String,
}

/// A hook to register.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HookCreate {
    /// The endpoint: an `https` URL.
    #[schema(min_length = 1, max_length = 2000)]
    pub url: String,
    /// Event types to deliver (`user.created`, `signin.failed` …) or `["*"]`.
    #[schema(min_items = 1, max_items = 100)]
    pub event_types: Vec<String>,
    /// What the hook is for.
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub description: Option<String>,
}

/// Changes to a hook, as a JSON merge patch (RFC 7396).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HookUpdate {
    /// New endpoint.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 2000)]
    pub url: Option<String>,
    /// New event types.
    #[serde(default)]
    #[schema(min_items = 1, max_items = 100)]
    pub event_types: Option<Vec<String>>,
    /// New description, or `null` to remove it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>, nullable, max_length = 1000)]
    pub description: Option<Option<String>>,
    /// Stop (`true`) or resume deliveries.
    #[serde(default)]
    pub disabled: Option<bool>,
}

/// A tenant's hooks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct HookList {
    /// The hooks, oldest first.
    pub items: Vec<HookResource>,
}

/// One try of a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AttemptResource {
    /// When (RFC 3339).
    pub at: String,
    /// The HTTP status the endpoint answered, if it answered.
    pub status: Option<i64>,
    /// What went wrong, if anything.
    pub error: Option<String>,
    /// How long it took, milliseconds.
    pub duration_ms: i64,
}

impl From<&DeliveryAttempt> for AttemptResource {
    fn from(a: &DeliveryAttempt) -> Self {
        AttemptResource {
            at: rfc3339(a.at),
            status: a.status,
            error: a.error.clone(),
            duration_ms: a.duration_ms,
        }
    }
}

/// One event on its way to a hook, with every attempt.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DeliveryResource {
    /// Identifier (the `Sigil-Delivery` header).
    pub id: String,
    /// The audit event's id (`Sigil-Event-Id`).
    pub event_id: String,
    /// The event's type.
    pub event_type: String,
    /// `pending` (tried again at `next_attempt_at`), `delivered` or `failed` (retried for a
    /// day, then given up).
    pub state: String,
    /// When it is tried next (while pending, RFC 3339).
    pub next_attempt_at: Option<String>,
    /// When the event was queued (RFC 3339).
    pub created_at: String,
    /// The attempts, first first.
    pub attempts: Vec<AttemptResource>,
}

impl DeliveryResource {
    /// A delivery with its attempts.
    pub fn new(d: &Delivery, attempts: &[DeliveryAttempt]) -> Self {
        DeliveryResource {
            id: d.id.clone(),
            event_id: d.event_id.clone(),
            event_type: d.event_type.clone(),
            state: d.state.as_str().to_owned(),
            next_attempt_at: (d.state == sigil_core::model::DeliveryState::Pending)
                .then(|| rfc3339(d.next_attempt_at)),
            created_at: rfc3339(d.created_at),
            attempts: attempts.iter().map(AttemptResource::from).collect(),
        }
    }
}

/// A page of deliveries, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DeliveryPage {
    /// The deliveries on this page.
    pub items: Vec<DeliveryResource>,
}

/// How many deliveries to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveryListParams {
    /// Page size, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}
