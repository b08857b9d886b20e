//! `/keys`: list the tenant's signing keys, rotate them.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use sigil_api_types::{KeyList, KeyResource, KeyRotation, Problem, rfc3339};
use sigil_core::UnixTime;
use sigil_core::model::SigningAlg;
use sigil_oidc::keys::KeySummary;

use super::auth::Caller;
use super::body::JsonBody;
use super::error::ApiError;
use crate::state::AppState;

/// The keys, oldest first.
fn key_list(keys: &[KeySummary]) -> Response {
    let mut keys: Vec<&KeySummary> = keys.iter().collect();
    keys.sort_by(|a, b| {
        (a.created_at, a.activates_at, &a.kid).cmp(&(b.created_at, b.activates_at, &b.kid))
    });
    let items = keys
        .into_iter()
        .map(|k| KeyResource {
            kid: k.kid.clone(),
            alg: k.alg.to_owned(),
            state: k.state.to_owned(),
            created_at: rfc3339(UnixTime(k.created_at)),
            activates_at: rfc3339(UnixTime(k.activates_at)),
            retires_at: k.retires_at.map(|t| rfc3339(UnixTime(t))),
            publish_until: k.publish_until.map(|t| rfc3339(UnixTime(t))),
        })
        .collect();
    Json(KeyList { items }).into_response()
}

/// Lists the tenant's signing keys.
#[utoipa::path(
    get,
    path = "/keys",
    tag = "keys",
    responses(
        (status = 200, description = "The signing keys, oldest first", body = KeyList),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `keys:read`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["keys:read"]))
)]
pub async fn list_keys(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Response, ApiError> {
    caller.require("keys:read")?;
    let keys = state.provider.list_keys(&caller.tenant.id).await?;
    Ok(key_list(&keys))
}

/// Rotates signing keys: new keys are published now and sign after the propagation delay;
/// the keys they replace stay published until the tokens they signed have expired.
#[utoipa::path(
    post,
    path = "/keys/rotate",
    tag = "keys",
    request_body = KeyRotation,
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, min_length = 1, max_length = 255, pattern = r#"^[ !#-~]+$"#, description = "Makes a retry safe: the same key and request return the first response")),
    responses(
        (status = 200, description = "Every key after the rotation", body = KeyList),
        (status = 400, description = "The body does not match the schema", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `keys:write`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A request with this `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The delay is out of range, or the `Idempotency-Key` was used for another request", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["keys:write"]))
)]
pub async fn rotate_keys(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<KeyRotation>,
) -> Result<Response, ApiError> {
    caller.require("keys:write")?;
    let delay = match body.activate_after_seconds {
        Some(s) if s > 30 * 24 * 3600 => {
            return Err(ApiError::invalid(
                "/activate_after_seconds",
                "at most 30 days (2592000 seconds)",
            ));
        }
        other => other.map(|s| Duration::from_secs(s.into())),
    };
    if body.algs.len() > 3 {
        return Err(ApiError::invalid("/algs", "at most the three algorithms"));
    }
    let mut algs: Vec<SigningAlg> = Vec::new();
    for alg in body.algs.into_iter().map(SigningAlg::from) {
        if !algs.contains(&alg) {
            algs.push(alg);
        }
    }
    state
        .provider
        .rotate_keys(&caller.tenant.id, &algs, delay, &caller.actor())
        .await?;
    let keys = state.provider.list_keys(&caller.tenant.id).await?;
    Ok(key_list(&keys))
}
