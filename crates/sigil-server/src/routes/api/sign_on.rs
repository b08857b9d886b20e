//! `/clients/{id}/sign-on-policy`: who may sign in to a client and how strongly (Cedar
//! policies and an assurance level; docs/SITEMINDER.md), and its dry run.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sigil_api_types::{Problem, SignOnEvaluateRequest, SignOnPolicyResource, rfc3339};
use sigil_oidc::sign_on::SignOnTrial;
use sigil_policy::SignOnPolicy;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::auth::Caller;
use super::body::JsonBody;
use super::error::ApiError;
use super::query::{ApiPath, ById};
use crate::state::AppState;

fn resource(record: sigil_core::model::AccessApp) -> SignOnPolicyResource {
    SignOnPolicyResource {
        client_id: record.name,
        version: record.version,
        updated_at: Some(rfc3339(record.updated_at)),
        policy: record.document,
    }
}

/// Reads a client's sign-on policy.
#[utoipa::path(
    get,
    path = "/clients/{id}/sign-on-policy",
    tag = "gateway",
    params(("id" = String, Path, description = "The client's id, or `saml:{name}` for a SAML service provider")),
    responses(
        (status = 200, description = "The policy; version 0 and no policy when the client has none (anyone may sign in)", body = SignOnPolicyResource),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `policies:read`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such client", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["policies:read"]))
)]
pub async fn get_sign_on_policy(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
) -> Result<Response, ApiError> {
    caller.require("policies:read")?;
    let record = state.provider.sign_on_policy(&caller.tenant, &id).await?;
    let resource = match record {
        Some(record) => resource(record),
        None => SignOnPolicyResource {
            client_id: id,
            version: 0,
            updated_at: None,
            policy: serde_json::Value::Null,
        },
    };
    Ok(Json(resource).into_response())
}

/// Saves a client's sign-on policy as its next version, validated against the schema first.
#[utoipa::path(
    put,
    path = "/clients/{id}/sign-on-policy",
    tag = "gateway",
    request_body(content = Object, description = "`policies` (Cedar, each with an `@id`), `assurance` (the level a sign-in needs), `levels` (level per `acr`), `user_attributes`, `directory`"),
    params(("id" = String, Path, description = "The client's id, or `saml:{name}` for a SAML service provider")),
    responses(
        (status = 200, description = "The policy as saved, with its version", body = SignOnPolicyResource),
        (status = 400, description = "The body is not a JSON object", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `policies:write`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such client", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a sign-on policy, or policies that do not validate", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["policies:write"]))
)]
pub async fn put_sign_on_policy(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
    JsonBody(body): JsonBody<serde_json::Map<String, serde_json::Value>>,
) -> Result<Response, ApiError> {
    caller.require("policies:write")?;
    let policy: SignOnPolicy = serde_json::from_value(serde_json::Value::Object(body))
        .map_err(|e| ApiError::invalid("/", format!("not a sign-on policy: {e}")))?;
    let saved = state
        .provider
        .save_sign_on_policy(&caller.tenant, &caller.actor(), &id, policy)
        .await?;
    Ok(Json(resource(saved)).into_response())
}

/// Removes a client's sign-on policy, if it has one: anyone may sign in to it again.
#[utoipa::path(
    delete,
    path = "/clients/{id}/sign-on-policy",
    tag = "gateway",
    params(("id" = String, Path, description = "The client's id, or `saml:{name}` for a SAML service provider")),
    responses(
        (status = 204, description = "Removed, or there was none"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `policies:write`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such client", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["policies:write"]))
)]
pub async fn delete_sign_on_policy(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
) -> Result<Response, ApiError> {
    caller.require("policies:write")?;
    state
        .provider
        .delete_sign_on_policy(&caller.tenant, &caller.actor(), &id)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Decides one sign-in with the client's policy without signing anyone in: the decision and
/// the policies that made it.
#[utoipa::path(
    post,
    path = "/clients/{id}/sign-on-policy/evaluate",
    tag = "gateway",
    request_body = SignOnEvaluateRequest,
    params(("id" = String, Path, description = "The client's id, or `saml:{name}` for a SAML service provider")),
    responses(
        (status = 200, description = "`decision` (`allow`, `deny`, `step-up`), `reason`, `required_assurance`, `policies`", body = Object),
        (status = 400, description = "The body is not JSON of this shape", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `policies:read`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such client", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No such user, or an invalid address or time", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["policies:read"]))
)]
pub async fn evaluate_sign_on(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
    JsonBody(body): JsonBody<SignOnEvaluateRequest>,
) -> Result<Response, ApiError> {
    caller.require("policies:read")?;
    let ip = match body.ip.as_deref() {
        Some(ip) => Some(
            ip.parse()
                .map_err(|_| ApiError::invalid("/ip", format!("{ip:?} is not an IP address")))?,
        ),
        None => None,
    };
    let time =
        match body.time.as_deref() {
            Some(t) => Some(OffsetDateTime::parse(t, &Rfc3339).map_err(|_| {
                ApiError::invalid("/time", format!("{t:?} is not an RFC 3339 time"))
            })?),
            None => None,
        };
    let trial = SignOnTrial {
        user: body.user,
        acr: body.acr,
        ip,
        time,
    };
    let decision = state
        .provider
        .try_sign_on(&caller.tenant, &id, trial)
        .await?;
    Ok(Json(decision).into_response())
}
