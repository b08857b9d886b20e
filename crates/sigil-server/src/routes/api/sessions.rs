//! `/users/{id}/sessions`: list a user's sessions, end one, or sign the user out everywhere.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use sigil_api_types::{Problem, RevokeSessionsParams, SessionList, SessionResource};
use sigil_core::SessionId;

use super::auth::Caller;
use super::error::ApiError;
use super::query::{ApiPath, ApiQuery, ById, BySession};
use super::users::user_id;
use crate::state::AppState;

/// Lists a user's live sessions, newest first.
#[utoipa::path(
    get,
    path = "/users/{id}/sessions",
    tag = "sessions",
    params(("id" = String, Path, description = "The user's id (`sub`)")),
    responses(
        (status = 200, description = "The user's live sessions", body = SessionList),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `sessions:read`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["sessions:read"]))
)]
pub async fn list_sessions(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
) -> Result<Response, ApiError> {
    caller.require("sessions:read")?;
    let sessions = state
        .provider
        .user_sessions(&caller.tenant.id, &user_id(&id)?)
        .await?;
    Ok(Json(SessionList {
        items: sessions.iter().map(SessionResource::from).collect(),
    })
    .into_response())
}

/// Signs a user out everywhere: ends every session and, with `revoke_tokens=true`, revokes
/// every token they hold.
#[utoipa::path(
    delete,
    path = "/users/{id}/sessions",
    tag = "sessions",
    params(("id" = String, Path, description = "The user's id (`sub`)"), RevokeSessionsParams),
    responses(
        (status = 204, description = "Every session ended (and tokens revoked, if asked)"),
        (status = 400, description = "An unknown or malformed parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `sessions:write`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["sessions:write"]))
)]
pub async fn revoke_sessions(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
    ApiQuery(p): ApiQuery<RevokeSessionsParams>,
) -> Result<Response, ApiError> {
    caller.require("sessions:write")?;
    state
        .provider
        .revoke_user_sessions(
            &caller.tenant.id,
            &user_id(&id)?,
            p.revoke_tokens.unwrap_or(false),
            &caller.actor(),
        )
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Ends one of a user's sessions.
#[utoipa::path(
    delete,
    path = "/users/{id}/sessions/{sid}",
    tag = "sessions",
    params(
        ("id" = String, Path, description = "The user's id (`sub`)"),
        ("sid" = String, Path, description = "The session's id"),
    ),
    responses(
        (status = 204, description = "The session ended"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `sessions:write`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user, or no such live session of theirs", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["sessions:write"]))
)]
pub async fn revoke_session(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(BySession { id, sid }): ApiPath<BySession>,
) -> Result<Response, ApiError> {
    caller.require("sessions:write")?;
    let sid = SessionId::parse(&sid).map_err(|_| ApiError::NotFound("session"))?;
    state
        .provider
        .revoke_session(&caller.tenant.id, &user_id(&id)?, &sid, &caller.actor())
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
