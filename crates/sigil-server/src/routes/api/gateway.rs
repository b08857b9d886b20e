//! `/gateway/apps`: applications behind the identity-aware gateway with their Cedar policies
//! (docs/SITEMINDER.md), and `/gateway/apps/{id}/evaluate`, the dry run of one decision.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use sigil_api_types::{EvaluateRequest, GatewayAppList, GatewayAppResource, Problem, rfc3339};
use sigil_core::model::AccessApp;
use sigil_oidc::access::DryRun;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::auth::Caller;
use super::body::JsonBody;
use super::error::ApiError;
use super::query::{ApiPath, ById};
use crate::state::AppState;

fn resource(app: AccessApp) -> GatewayAppResource {
    GatewayAppResource {
        name: app.name,
        version: app.version,
        updated_at: rfc3339(app.updated_at),
        application: app.document,
    }
}

/// Lists the gateway's applications.
#[utoipa::path(
    get,
    path = "/gateway/apps",
    tag = "gateway",
    responses(
        (status = 200, description = "The applications, by name", body = GatewayAppList),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `policies:read`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["policies:read"]))
)]
pub async fn list_gateway_apps(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Response, ApiError> {
    caller.require("policies:read")?;
    let apps = state.provider.access_apps(&caller.tenant).await?;
    let items = apps.into_iter().map(resource).collect();
    Ok(Json(GatewayAppList { items }).into_response())
}

/// Reads one application.
#[utoipa::path(
    get,
    path = "/gateway/apps/{id}",
    tag = "gateway",
    params(("id" = String, Path, description = "The application's name")),
    responses(
        (status = 200, description = "The application", body = GatewayAppResource),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `policies:read`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such application", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["policies:read"]))
)]
pub async fn get_gateway_app(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
) -> Result<Response, ApiError> {
    caller.require("policies:read")?;
    let app = state.provider.access_app(&caller.tenant, &id).await?;
    Ok(Json(resource(app)).into_response())
}

/// Saves an application: its policies are validated against the schema and its patterns
/// compiled first; each save is a new version.
#[utoipa::path(
    put,
    path = "/gateway/apps/{id}",
    tag = "gateway",
    request_body(content = Object, description = "`realms` (with `routes`), `policies` (Cedar, each with an `@id`), `user_attributes`, `responses`, `deny_redirects`, `legacy_headers`, `upstream`; the name comes from the path"),
    params(("id" = String, Path, description = "The application's name")),
    responses(
        (status = 200, description = "The application as saved, with its version", body = GatewayAppResource),
        (status = 400, description = "The body is not a JSON object", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `policies:write`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not an application, or policies that do not validate", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["policies:write"]))
)]
pub async fn put_gateway_app(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
    JsonBody(mut body): JsonBody<serde_json::Map<String, Value>>,
) -> Result<Response, ApiError> {
    caller.require("policies:write")?;
    if id.is_empty() || id.len() > 200 || id.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "/name",
            "an application name is 1 to 200 printable characters",
        ));
    }
    body.insert("name".into(), Value::String(id));
    let app: sigil_policy::Application = serde_json::from_value(Value::Object(body))
        .map_err(|e| ApiError::invalid("/", format!("not an application: {e}")))?;
    let mut saved = state
        .provider
        .save_access_apps(&caller.tenant, &caller.actor(), std::slice::from_ref(&app))
        .await?;
    let saved = saved.pop().ok_or(ApiError::NotFound("application"))?;
    Ok(Json(resource(saved)).into_response())
}

/// Decides one request the way the gateway would, and says why: the decision, the headers
/// it would inject, and the realms, rules and policies that decided.
#[utoipa::path(
    post,
    path = "/gateway/apps/{id}/evaluate",
    tag = "gateway",
    request_body = EvaluateRequest,
    params(("id" = String, Path, description = "The application's name")),
    responses(
        (status = 200, description = "`decision` (`allow`, `deny`, `public`, `step-up`), `reason`, `headers`, `cookies`, `required_assurance`, `redirect`, `matched`", body = Object),
        (status = 400, description = "The body is not JSON of this shape", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `policies:read`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such application", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A path the gateway refuses, or an invalid address or time", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["policies:read"]))
)]
pub async fn evaluate_gateway_request(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
    JsonBody(body): JsonBody<EvaluateRequest>,
) -> Result<Response, ApiError> {
    caller.require("policies:read")?;
    let ip = match body.ip.as_deref() {
        Some(ip) => ip
            .parse()
            .map_err(|_| ApiError::invalid("/ip", format!("{ip:?} is not an IP address")))?,
        None => std::net::IpAddr::from([127, 0, 0, 1]),
    };
    let time = match body.time.as_deref() {
        Some(t) => OffsetDateTime::parse(t, &Rfc3339)
            .map_err(|_| ApiError::invalid("/time", format!("{t:?} is not an RFC 3339 time")))?,
        None => OffsetDateTime::now_utc(),
    };
    let run = DryRun {
        method: body.method,
        path: body.path,
        user: body.user,
        client: body.client,
        groups: body.groups,
        attributes: body.attributes,
        assurance: body.assurance,
        ip,
        time,
    };
    let decision = state.provider.dry_run(&caller.tenant, &id, run).await?;
    Ok(Json(decision).into_response())
}
