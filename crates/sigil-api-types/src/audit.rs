//! Audit events.

use serde::{Deserialize, Serialize};
use sigil_core::model::AuditEvent;
use utoipa::{IntoParams, ToSchema};

use crate::rfc3339;

/// One audit event: who did what to whom, from where, and whether it succeeded. Never holds
/// a secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuditEventResource {
    /// Unique id.
    pub id: String,
    /// When (RFC 3339).
    pub at: String,
    /// What happened, as a dotted name (`user.created`, `signin.failed`, `token.issued` …).
    #[serde(rename = "type")]
    pub kind: String,
    /// `success`, or `failure` for refused attempts.
    pub outcome: String,
    /// Who acted: `user:{sub}`, `client:{client_id}`, `cli`, `anonymous`.
    pub actor: String,
    /// The user concerned.
    pub user_id: Option<String>,
    /// The client concerned.
    pub client_id: Option<String>,
    /// Client IP of the request.
    pub ip: Option<String>,
    /// `User-Agent` of the request.
    pub user_agent: Option<String>,
    /// The request's `X-Request-Id`, as in logs and traces (absent on merged events).
    pub request_id: Option<String>,
    /// What else is known; merged events (many identical ones in a second) carry `count`,
    /// `first_at` and `last_at`.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

impl From<&AuditEvent> for AuditEventResource {
    fn from(e: &AuditEvent) -> Self {
        AuditEventResource {
            id: e.id.clone(),
            at: rfc3339(e.at),
            kind: e.kind.as_str().to_owned(),
            outcome: e.outcome.as_str().to_owned(),
            actor: e.actor.clone(),
            user_id: e.user_id.as_ref().map(ToString::to_string),
            client_id: e.client_id.as_ref().map(ToString::to_string),
            ip: e.ip.clone(),
            user_agent: e.user_agent.clone(),
            request_id: e.request_id.clone(),
            details: match &e.details {
                serde_json::Value::Null => serde_json::json!({}),
                other => other.clone(),
            },
        }
    }
}

/// A page of audit events, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AuditPage {
    /// The events on this page.
    pub items: Vec<AuditEventResource>,
    /// The cursor of the next (older) page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Whether an event records a success or a refused attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeFilter {
    /// Successes.
    Success,
    /// Refused attempts.
    Failure,
}

/// Query parameters of `GET /audit-events`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditListParams {
    /// Page size, 1 to 200; 50 when absent.
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    /// Where to continue: the `next_cursor` of the previous page.
    #[param(min_length = 1)]
    pub after: Option<String>,
    /// Only events of this type (`user.created`, `signin.failed` …).
    #[serde(rename = "type")]
    #[param(rename = "type", min_length = 1, max_length = 64)]
    pub kind: Option<String>,
    /// Only events concerning this user.
    #[param(min_length = 1, max_length = 256)]
    pub user_id: Option<String>,
    /// Only events concerning this client.
    #[param(min_length = 1, max_length = 256)]
    pub client_id: Option<String>,
    /// Only events by this actor (`client:{client_id}`, `user:{sub}`, `cli`).
    #[param(min_length = 1, max_length = 300)]
    pub actor: Option<String>,
    /// Only successes or only failures.
    #[param(inline)]
    pub outcome: Option<OutcomeFilter>,
    /// Only events at or after this time (RFC 3339).
    #[param(format = DateTime)]
    pub since: Option<String>,
    /// Only events before this time (RFC 3339).
    #[param(format = DateTime)]
    pub until: Option<String>,
}
