//! `/credential-types` and `/verifiers`: the credential types a tenant issues and the
//! verifiers it asks wallets with, as JSON documents (docs/CREDENTIALS.md).

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};
use sigil_api_types::{DefinitionList, Problem};

use super::auth::Caller;
use super::body::JsonBody;
use super::error::ApiError;
use super::query::{ApiPath, ById};
use crate::state::AppState;

fn list(items: Vec<Value>) -> Response {
    Json(DefinitionList { items }).into_response()
}

/// Lists the credential types, the ready-made `employee` first.
#[utoipa::path(
    get,
    path = "/credential-types",
    tag = "credentials",
    responses(
        (status = 200, description = "The credential types", body = DefinitionList),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `credentials:read`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["credentials:read"]))
)]
pub async fn list_credential_types(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Response, ApiError> {
    caller.require("credentials:read")?;
    let types = state.provider.credential_types(&caller.tenant).await?;
    Ok(list(
        types
            .iter()
            .filter_map(|t| serde_json::to_value(t).ok())
            .collect(),
    ))
}

/// Defines or redefines a credential type.
#[utoipa::path(
    put,
    path = "/credential-types/{id}",
    tag = "credentials",
    request_body(content = Object, description = "`vct`, `display`, `claims` (`name`, `source`, `disclosable`, `display`), `lifetime_secs`"),
    params(
        ("id" = String, Path, description = "The `credential_configuration_id`"),
    ),
    responses(
        (status = 200, description = "The credential type as saved", body = Object),
        (status = 400, description = "The body is not a JSON object", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `credentials:write`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a valid credential type, or the ready-made id", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["credentials:write"]))
)]
pub async fn put_credential_type(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
    JsonBody(body): JsonBody<Map<String, Value>>,
) -> Result<Response, ApiError> {
    caller.require("credentials:write")?;
    let ty = state
        .provider
        .save_credential_type(&caller.tenant, &caller.actor(), &id, Value::Object(body))
        .await?;
    Ok(Json(ty).into_response())
}

/// Deletes a credential type (credentials already issued stay valid).
#[utoipa::path(
    delete,
    path = "/credential-types/{id}",
    tag = "credentials",
    params(("id" = String, Path, description = "The `credential_configuration_id`")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `credentials:write`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such defined type (the ready-made one cannot be deleted)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["credentials:write"]))
)]
pub async fn delete_credential_type(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
) -> Result<Response, ApiError> {
    caller.require("credentials:write")?;
    state
        .provider
        .delete_credential_type(&caller.tenant, &caller.actor(), &id)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Lists the verifiers, the ready-made `employee-check` first.
#[utoipa::path(
    get,
    path = "/verifiers",
    tag = "presentations",
    responses(
        (status = 200, description = "The verifiers", body = DefinitionList),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `presentations:read`", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["presentations:read"]))
)]
pub async fn list_verifiers(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Response, ApiError> {
    caller.require("presentations:read")?;
    let verifiers = state.provider.verifiers(&caller.tenant).await?;
    Ok(list(
        verifiers
            .iter()
            .filter_map(|v| serde_json::to_value(v).ok())
            .collect(),
    ))
}

/// Defines or redefines a verifier.
#[utoipa::path(
    put,
    path = "/verifiers/{id}",
    tag = "presentations",
    request_body(content = Object, description = "`name`, `dcql_query` (OpenID4VP DCQL, `dc+sd-jwt` credentials), `accepted_issuers`"),
    params(
        ("id" = String, Path, description = "The verifier's id"),
    ),
    responses(
        (status = 200, description = "The verifier as saved", body = Object),
        (status = 400, description = "The body is not a JSON object", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `presentations:write`", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a valid verifier, or the ready-made id", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["presentations:write"]))
)]
pub async fn put_verifier(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
    JsonBody(body): JsonBody<Map<String, Value>>,
) -> Result<Response, ApiError> {
    caller.require("presentations:write")?;
    let verifier = state
        .provider
        .save_verifier(&caller.tenant, &caller.actor(), &id, Value::Object(body))
        .await?;
    Ok(Json(verifier).into_response())
}

/// Deletes a verifier.
#[utoipa::path(
    delete,
    path = "/verifiers/{id}",
    tag = "presentations",
    params(("id" = String, Path, description = "The verifier's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `presentations:write`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such defined verifier (the ready-made one cannot be deleted)", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["presentations:write"]))
)]
pub async fn delete_verifier(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
) -> Result<Response, ApiError> {
    caller.require("presentations:write")?;
    state
        .provider
        .delete_verifier(&caller.tenant, &caller.actor(), &id)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
