//! `/tenants`: the default tenant's administrators see and create every tenant; any other
//! tenant's administrators see only their own.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sigil_api_types::{Problem, TenantCreate, TenantList, TenantResource, rfc3339};
use sigil_core::TenantId;
use sigil_core::model::Tenant;

use super::auth::Caller;
use super::body::JsonBody;
use super::error::ApiError;
use super::query::{ApiPath, ById, location};
use crate::state::AppState;

fn resource(state: &AppState, t: &Tenant) -> TenantResource {
    TenantResource {
        id: t.id.to_string(),
        display_name: t.display_name.clone(),
        issuer: state.provider.tenant_ctx(&t.id).issuer,
        created_at: rfc3339(t.created_at),
    }
}

/// Whether the caller may see tenant `id`: its own, or any from the default tenant.
fn may_see(caller: &Caller, id: &TenantId) -> bool {
    caller.tenant.id.is_default() || &caller.tenant.id == id
}

/// Lists the tenants the caller may see.
#[utoipa::path(
    get,
    path = "/tenants",
    tag = "tenants",
    responses(
        (status = 200, description = "Every tenant for the default tenant's administrators; the caller's own otherwise", body = TenantList),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `tenants:read`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["tenants:read"]))
)]
pub async fn list_tenants(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Response, ApiError> {
    caller.require("tenants:read")?;
    let items = state
        .provider
        .list_tenants()
        .await?
        .iter()
        .filter(|t| may_see(&caller, &t.id))
        .map(|t| resource(&state, t))
        .collect();
    Ok(Json(TenantList { items }).into_response())
}

/// Reads a tenant.
#[utoipa::path(
    get,
    path = "/tenants/{id}",
    tag = "tenants",
    params(("id" = String, Path, description = "The tenant's id")),
    responses(
        (status = 200, description = "The tenant", body = TenantResource),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `tenants:read`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such tenant (or not one the caller may see)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["tenants:read"]))
)]
pub async fn get_tenant(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
) -> Result<Response, ApiError> {
    caller.require("tenants:read")?;
    let id = TenantId::parse(&id).map_err(|_| ApiError::NotFound("tenant"))?;
    if !may_see(&caller, &id) {
        return Err(ApiError::NotFound("tenant"));
    }
    let tenant = state.provider.get_tenant(&id).await?;
    Ok(Json(resource(&state, &tenant)).into_response())
}

/// Creates a tenant with its own signing keys (the default tenant's administrators only).
#[utoipa::path(
    post,
    path = "/tenants",
    tag = "tenants",
    request_body = TenantCreate,
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, min_length = 1, max_length = 255, pattern = r#"^[ !#-~]+$"#, description = "Makes a retry safe: the same key and request return the first response")),
    responses(
        (status = 201, description = "Created; `Location` names it", body = TenantResource),
        (status = 400, description = "The body does not match the schema", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `tenants:write`, or is not the default tenant's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The id is taken, or a request with this `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A value is refused, or the `Idempotency-Key` was used for another request", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["tenants:write"]))
)]
pub async fn create_tenant(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<TenantCreate>,
) -> Result<Response, ApiError> {
    caller.require("tenants:write")?;
    if !caller.tenant.id.is_default() {
        return Err(ApiError::Forbidden(
            "only the default tenant's administrators create tenants",
        ));
    }
    let name = body.display_name.unwrap_or_else(|| body.id.clone());
    let tenant = state
        .provider
        .create_tenant(&body.id, &name, &caller.actor())
        .await?;
    let mut res = (StatusCode::CREATED, Json(resource(&state, &tenant))).into_response();
    location(&mut res, &caller.url(&format!("/tenants/{}", tenant.id)));
    Ok(res)
}
