//! `/hooks`: register, read, change and delete event hooks, rotate their signing secrets,
//! and see their deliveries with every attempt.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use sigil_api_types::{
    DeliveryListParams, DeliveryPage, DeliveryResource, HookCreate, HookList, HookResource,
    HookUpdate, HookWithSecret, Problem,
};
use sigil_core::model::Hook;
use sigil_oidc::hooks::{HookPatch, NewHook};

use super::auth::Caller;
use super::body::{JsonBody, etag_header, not_modified, required_if_match};
use super::error::ApiError;
use super::query::{ApiPath, ApiQuery, ById, location};
use crate::state::AppState;

/// Deliveries listed when the caller names no page size.
const DEFAULT_PAGE: u32 = 50;

fn hook_response(status: StatusCode, hook: &Hook) -> Response {
    (
        status,
        etag_header(hook.revision),
        Json(HookResource::from(hook)),
    )
        .into_response()
}

fn with_secret(status: StatusCode, hook: &Hook, secret: String) -> Response {
    let body = HookWithSecret {
        hook: HookResource::from(hook),
        secret,
    };
    (status, etag_header(hook.revision), Json(body)).into_response()
}

/// Lists the tenant's hooks.
#[utoipa::path(
    get,
    path = "/hooks",
    tag = "hooks",
    responses(
        (status = 200, description = "The hooks, oldest first", body = HookList),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `hooks:read`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["hooks:read"]))
)]
pub async fn list_hooks(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Response, ApiError> {
    caller.require("hooks:read")?;
    let hooks = state.provider.list_hooks(&caller.tenant.id).await?;
    let items = hooks.iter().map(HookResource::from).collect();
    Ok(Json(HookList { items }).into_response())
}

/// Registers a hook; the response carries its signing secret, once.
#[utoipa::path(
    post,
    path = "/hooks",
    tag = "hooks",
    request_body = HookCreate,
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, min_length = 1, max_length = 255, pattern = r#"^[ !#-~]+$"#, description = "Makes a retry safe: the same key and request return the first response")),
    responses(
        (status = 201, description = "Registered; `secret` signs its deliveries", body = HookWithSecret),
        (status = 400, description = "The body does not match the schema", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `hooks:write`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A request with this `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an https URL, an unknown event type, or the `Idempotency-Key` was used for another request", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["hooks:write"]))
)]
pub async fn create_hook(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<HookCreate>,
) -> Result<Response, ApiError> {
    caller.require("hooks:write")?;
    let new = NewHook {
        url: body.url,
        event_types: body.event_types,
        description: body.description,
    };
    let (hook, secret) = state
        .provider
        .create_hook(&caller.tenant.id, new, &caller.actor())
        .await?;
    let mut res = with_secret(StatusCode::CREATED, &hook, secret);
    location(&mut res, &caller.url(&format!("/hooks/{}", hook.id)));
    Ok(res)
}

/// Reads a hook.
#[utoipa::path(
    get,
    path = "/hooks/{id}",
    tag = "hooks",
    params(("id" = String, Path, description = "The hook's id")),
    responses(
        (status = 200, description = "The hook; `ETag` names its revision", body = HookResource),
        (status = 304, description = "`If-None-Match` names the current revision"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `hooks:read`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such hook", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["hooks:read"]))
)]
pub async fn get_hook(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    caller.require("hooks:read")?;
    let hook = state.provider.get_hook(&caller.tenant.id, &id).await?;
    if not_modified(&headers, hook.revision) {
        return Ok((StatusCode::NOT_MODIFIED, etag_header(hook.revision)).into_response());
    }
    Ok(hook_response(StatusCode::OK, &hook))
}

/// Changes a hook (JSON merge patch).
#[utoipa::path(
    patch,
    path = "/hooks/{id}",
    tag = "hooks",
    request_body(content = HookUpdate, content_type = "application/merge-patch+json"),
    params(
        ("id" = String, Path, description = "The hook's id"),
        ("If-Match" = String, Header, min_length = 1, description = "The `ETag` of the revision the change is based on, or `*`"),
        ("Idempotency-Key" = Option<String>, Header, nullable = false, min_length = 1, max_length = 255, pattern = r#"^[ !#-~]+$"#, description = "Makes a retry safe: the same key and request return the first response"),
    ),
    responses(
        (status = 200, description = "The changed hook with its new `ETag`", body = HookResource),
        (status = 400, description = "The body does not match the schema", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `hooks:write`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such hook", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A request with this `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The hook changed since that revision", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A value is refused, or the `Idempotency-Key` was used for another request", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "`If-Match` is missing", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["hooks:write"]))
)]
pub async fn update_hook(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<HookUpdate>,
) -> Result<Response, ApiError> {
    caller.require("hooks:write")?;
    let expect = required_if_match(&headers)?;
    let patch = HookPatch {
        url: body.url,
        event_types: body.event_types,
        description: body.description,
        disabled: body.disabled,
    };
    let hook = state
        .provider
        .update_hook(&caller.tenant.id, &id, patch, expect, &caller.actor())
        .await?;
    Ok(hook_response(StatusCode::OK, &hook))
}

/// Deletes a hook and its deliveries.
#[utoipa::path(
    delete,
    path = "/hooks/{id}",
    tag = "hooks",
    params(("id" = String, Path, description = "The hook's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `hooks:write`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such hook", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["hooks:write"]))
)]
pub async fn delete_hook(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
) -> Result<Response, ApiError> {
    caller.require("hooks:write")?;
    state
        .provider
        .delete_hook(&caller.tenant.id, &id, &caller.actor())
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Replaces a hook's signing secret; the response carries the new one, once.
#[utoipa::path(
    post,
    path = "/hooks/{id}/rotate-secret",
    tag = "hooks",
    params(
        ("id" = String, Path, description = "The hook's id"),
        ("Idempotency-Key" = Option<String>, Header, nullable = false, min_length = 1, max_length = 255, pattern = r#"^[ !#-~]+$"#, description = "Makes a retry safe: the same key and request return the first response"),
    ),
    responses(
        (status = 200, description = "The hook and its new secret; deliveries from now on are signed with it", body = HookWithSecret),
        (status = 400, description = "A malformed `Idempotency-Key`", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `hooks:write`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such hook", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A request with this `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The `Idempotency-Key` was used for another request", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["hooks:write"]))
)]
pub async fn rotate_hook_secret(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
) -> Result<Response, ApiError> {
    caller.require("hooks:write")?;
    let (hook, secret) = state
        .provider
        .rotate_hook_secret(&caller.tenant.id, &id, &caller.actor())
        .await?;
    Ok(with_secret(StatusCode::OK, &hook, secret))
}

/// A hook's latest deliveries, each with its attempts.
#[utoipa::path(
    get,
    path = "/hooks/{id}/deliveries",
    tag = "hooks",
    params(("id" = String, Path, description = "The hook's id"), DeliveryListParams),
    responses(
        (status = 200, description = "The latest deliveries, newest first", body = DeliveryPage),
        (status = 400, description = "An unknown or malformed parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `hooks:read`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such hook", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A page size out of range", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["hooks:read"]))
)]
pub async fn list_deliveries(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
    ApiQuery(p): ApiQuery<DeliveryListParams>,
) -> Result<Response, ApiError> {
    caller.require("hooks:read")?;
    let deliveries = state
        .provider
        .hook_deliveries(
            &caller.tenant.id,
            &id,
            None,
            p.limit.unwrap_or(DEFAULT_PAGE),
        )
        .await?;
    let items = deliveries
        .iter()
        .map(|(d, attempts)| DeliveryResource::new(d, attempts))
        .collect();
    Ok(Json(DeliveryPage { items }).into_response())
}
