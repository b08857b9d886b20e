//! `/audit-events`: the tenant's audit trail, newest first, filtered and paged.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use sigil_api_types::{AuditEventResource, AuditListParams, AuditPage, OutcomeFilter, Problem};
use sigil_core::model::{AuditKind, AuditOutcome};
use sigil_core::{ClientId, UnixTime, UserId};
use sigil_store::AuditQuery;

use super::auth::Caller;
use super::error::ApiError;
use super::query::{ApiQuery, link_next};
use crate::state::AppState;

/// Page size when the caller names none.
const DEFAULT_PAGE: u32 = 50;

/// An RFC 3339 time parameter.
fn time_param(name: &'static str, text: Option<&str>) -> Result<Option<UnixTime>, ApiError> {
    text.map(|t| {
        UnixTime::parse_rfc3339(t)
            .ok_or_else(|| ApiError::invalid(name, "not an RFC 3339 date-time"))
    })
    .transpose()
}

fn outcome(filter: OutcomeFilter) -> AuditOutcome {
    match filter {
        OutcomeFilter::Success => AuditOutcome::Success,
        OutcomeFilter::Failure => AuditOutcome::Failure,
    }
}

/// The store query a request's parameters ask for.
fn audit_query(p: &AuditListParams) -> Result<AuditQuery, ApiError> {
    let kind = p
        .kind
        .as_deref()
        .map(|k| {
            AuditKind::parse(k)
                .ok_or_else(|| ApiError::invalid("type", format!("unknown event type {k}")))
        })
        .transpose()?;
    let before = p
        .after
        .as_deref()
        .map(|a| {
            a.parse::<i64>()
                .map_err(|_| ApiError::invalid("after", "not a cursor of this list"))
        })
        .transpose()?;
    Ok(AuditQuery {
        kind,
        user_id: p
            .user_id
            .as_deref()
            .map(|u| UserId::parse(u).map_err(|_| ApiError::invalid("user_id", "not a user id")))
            .transpose()?,
        client_id: p
            .client_id
            .as_deref()
            .map(|c| {
                ClientId::parse(c).map_err(|_| ApiError::invalid("client_id", "not a client id"))
            })
            .transpose()?,
        actor: match p.actor.as_deref() {
            Some(a) if a.is_empty() || a.len() > 300 => {
                return Err(ApiError::invalid("actor", "must be 1 to 300 bytes"));
            }
            other => other.map(str::to_owned),
        },
        outcome: p.outcome.map(outcome),
        since: time_param("since", p.since.as_deref())?,
        until: time_param("until", p.until.as_deref())?,
        before,
        limit: p.limit.unwrap_or(DEFAULT_PAGE),
    })
}

/// Lists audit events, newest first.
#[utoipa::path(
    get,
    path = "/audit-events",
    tag = "audit",
    params(AuditListParams),
    responses(
        (status = 200, description = "A page of events; `Link: rel=\"next\"` names the next (older) one", body = AuditPage),
        (status = 400, description = "An unknown or malformed parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `audit:read`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An unknown event type, a malformed time, a page size out of range or a foreign cursor", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["audit:read"]))
)]
pub async fn list_audit(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<AuditListParams>,
) -> Result<Response, ApiError> {
    caller.require("audit:read")?;
    let query = audit_query(&p)?;
    let (records, more) = state.provider.list_audit(&caller.tenant.id, query).await?;
    let next_cursor = more
        .then(|| records.last().map(|r| r.seq.to_string()))
        .flatten();
    let mut res = Json(AuditPage {
        items: records
            .iter()
            .map(|r| AuditEventResource::from(&r.event))
            .collect(),
        next_cursor: next_cursor.clone(),
    })
    .into_response();
    if let Some(cursor) = next_cursor {
        let mut q = form_urlencoded::Serializer::new(String::new());
        let pairs = [
            ("limit", p.limit.map(|l| l.to_string())),
            ("type", p.kind.clone()),
            ("user_id", p.user_id.clone()),
            ("client_id", p.client_id.clone()),
            ("actor", p.actor.clone()),
            ("outcome", p.outcome.map(|o| outcome(o).as_str().to_owned())),
            ("since", p.since.clone()),
            ("until", p.until.clone()),
            ("after", Some(cursor)),
        ];
        for (name, value) in pairs {
            if let Some(v) = value {
                q.append_pair(name, &v);
            }
        }
        link_next(
            &mut res,
            &caller.url(&format!("/audit-events?{}", q.finish())),
        );
    }
    Ok(res)
}
