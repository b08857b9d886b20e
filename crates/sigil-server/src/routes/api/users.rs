//! `/users`: create, read, list, change, set a password, delete.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use sigil_api_types::{
    PasswordSet, Problem, UserCreate, UserListParams, UserPage, UserResource, UserSort, UserUpdate,
};
use sigil_core::model::User;
use sigil_core::{UnixTime, UserId};
use sigil_oidc::admin::{NewUser, Precondition, UserPatch};
use sigil_store::{UserCursor, UserOrder, UserQuery};

use super::auth::Caller;
use super::body::{JsonBody, etag_header, not_modified, optional_if_match, required_if_match};
use super::error::ApiError;
use super::query::{ApiPath, ApiQuery, ById, link_next, location};
use crate::state::AppState;

/// Page size when the caller names none.
const DEFAULT_PAGE: u32 = 50;

pub(super) fn user_id(text: &str) -> Result<UserId, ApiError> {
    UserId::parse(text).map_err(|_| ApiError::NotFound("user"))
}

/// A user with its `ETag`.
fn user_response(status: StatusCode, user: &User) -> Response {
    (
        status,
        etag_header(user.revision),
        Json(UserResource::from(user)),
    )
        .into_response()
}

/// Encodes where a page ended, in the order it was sorted.
fn cursor_of(user: &User, sort: UserSort) -> String {
    let key = match sort {
        UserSort::Username | UserSort::UsernameDesc => {
            serde_json::json!(["u", sigil_core::model::normalize_username(&user.username)])
        }
        UserSort::CreatedAt | UserSort::CreatedAtDesc => {
            serde_json::json!(["c", user.created_at.0, user.id])
        }
    };
    sigil_core::b64url_encode(key.to_string().as_bytes())
}

/// Decodes a cursor made by [`cursor_of`] for the same sort.
fn parse_cursor(text: &str, sort: UserSort) -> Result<UserCursor, ApiError> {
    let bad = || ApiError::invalid("after", "not a cursor of this list and sort order");
    let bytes = sigil_core::b64url_decode(text).ok_or_else(bad)?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| bad())?;
    let by_name = matches!(sort, UserSort::Username | UserSort::UsernameDesc);
    match (value[0].as_str(), by_name) {
        (Some("u"), true) => value[1]
            .as_str()
            .map(|u| UserCursor::Username(u.to_owned())),
        (Some("c"), false) => {
            let at = value[1].as_i64();
            let id = value[2].as_str().and_then(|i| UserId::parse(i).ok());
            at.zip(id)
                .map(|(at, id)| UserCursor::CreatedAt(UnixTime(at), id))
        }
        _ => None,
    }
    .ok_or_else(bad)
}

/// The URL of the next page: the same query with `after` moved on.
fn next_link(caller: &Caller, p: &UserListParams, sort: UserSort, cursor: &str) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    if let Some(limit) = p.limit {
        q.append_pair("limit", &limit.to_string());
    }
    q.append_pair("sort", sort.as_str());
    if let Some(prefix) = &p.username_prefix {
        q.append_pair("username_prefix", prefix);
    }
    if let Some(email) = &p.email {
        q.append_pair("email", email);
    }
    if let Some(disabled) = p.disabled {
        q.append_pair("disabled", if disabled { "true" } else { "false" });
    }
    q.append_pair("after", cursor);
    caller.url(&format!("/users?{}", q.finish()))
}

/// Lists users page by page.
#[utoipa::path(
    get,
    path = "/users",
    tag = "users",
    params(UserListParams),
    responses(
        (status = 200, description = "A page of users; `Link: rel=\"next\"` names the next", body = UserPage),
        (status = 400, description = "An unknown or malformed parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `users:read`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A parameter value is out of range, or `after` is not a cursor of this list", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["users:read"]))
)]
pub async fn list_users(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<UserListParams>,
) -> Result<Response, ApiError> {
    caller.require("users:read")?;
    let sort = p.sort.unwrap_or_default();
    let query = UserQuery {
        username_prefix: p.username_prefix.clone(),
        email: p.email.clone(),
        disabled: p.disabled,
        order: match sort {
            UserSort::Username | UserSort::UsernameDesc => UserOrder::Username,
            UserSort::CreatedAt | UserSort::CreatedAtDesc => UserOrder::CreatedAt,
        },
        descending: matches!(sort, UserSort::UsernameDesc | UserSort::CreatedAtDesc),
        after: p
            .after
            .as_deref()
            .map(|a| parse_cursor(a, sort))
            .transpose()?,
        limit: p.limit.unwrap_or(DEFAULT_PAGE),
    };
    let (users, more) = state.provider.list_users(&caller.tenant.id, query).await?;
    let next_cursor = more
        .then(|| users.last().map(|u| cursor_of(u, sort)))
        .flatten();
    let mut res = Json(UserPage {
        items: users.iter().map(UserResource::from).collect(),
        next_cursor: next_cursor.clone(),
    })
    .into_response();
    if let Some(cursor) = next_cursor {
        link_next(&mut res, &next_link(&caller, &p, sort, &cursor));
    }
    Ok(res)
}

/// Creates a user.
#[utoipa::path(
    post,
    path = "/users",
    tag = "users",
    request_body = UserCreate,
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, min_length = 1, max_length = 255, pattern = r#"^[ !#-~]+$"#, description = "Makes a retry safe: the same key and request return the first response")),
    responses(
        (status = 201, description = "Created; `Location` and `ETag` name it", body = UserResource),
        (status = 400, description = "The body does not match the schema", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `users:write`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The username is taken, or a request with this `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A value is refused (password policy), or the `Idempotency-Key` was used for another request", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["users:write"]))
)]
pub async fn create_user(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<UserCreate>,
) -> Result<Response, ApiError> {
    caller.require("users:write")?;
    let new = NewUser {
        username: body.username,
        password: body.password,
        email: body.email,
        email_verified: body.email_verified,
        name: body.name,
        ..NewUser::default()
    };
    let user = state
        .provider
        .create_user(&caller.tenant.id, new, &caller.actor())
        .await?;
    let mut res = user_response(StatusCode::CREATED, &user);
    location(&mut res, &caller.url(&format!("/users/{}", user.id)));
    Ok(res)
}

/// Reads a user.
#[utoipa::path(
    get,
    path = "/users/{id}",
    tag = "users",
    params(("id" = String, Path, description = "The user's id (`sub`)")),
    responses(
        (status = 200, description = "The user; `ETag` names its revision", body = UserResource),
        (status = 304, description = "`If-None-Match` names the current revision"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `users:read`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["users:read"]))
)]
pub async fn get_user(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    caller.require("users:read")?;
    let user = state
        .provider
        .get_user(&caller.tenant.id, &user_id(&id)?)
        .await?;
    if not_modified(&headers, user.revision) {
        return Ok((StatusCode::NOT_MODIFIED, etag_header(user.revision)).into_response());
    }
    Ok(user_response(StatusCode::OK, &user))
}

/// Changes a user (JSON merge patch).
#[utoipa::path(
    patch,
    path = "/users/{id}",
    tag = "users",
    request_body(content = UserUpdate, content_type = "application/merge-patch+json"),
    params(
        ("id" = String, Path, description = "The user's id (`sub`)"),
        ("If-Match" = String, Header, min_length = 1, description = "The `ETag` of the revision the change is based on, or `*`"),
        ("Idempotency-Key" = Option<String>, Header, nullable = false, min_length = 1, max_length = 255, pattern = r#"^[ !#-~]+$"#, description = "Makes a retry safe: the same key and request return the first response"),
    ),
    responses(
        (status = 200, description = "The changed user with its new `ETag`", body = UserResource),
        (status = 400, description = "The body does not match the schema", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `users:write`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The new username is taken, or a request with this `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The user changed since that revision", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The `Idempotency-Key` was used for another request", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "`If-Match` is missing", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["users:write"]))
)]
pub async fn update_user(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<UserUpdate>,
) -> Result<Response, ApiError> {
    caller.require("users:write")?;
    let id = user_id(&id)?;
    let expect = required_if_match(&headers)?;
    let patch = UserPatch {
        username: body.username,
        email: body.email,
        email_verified: body.email_verified,
        name: body.name,
        disabled: body.disabled,
        ..UserPatch::default()
    };
    let user = state
        .provider
        .update_user(&caller.tenant.id, &id, patch, expect, &caller.actor())
        .await?;
    Ok(user_response(StatusCode::OK, &user))
}

/// Sets a user's password.
#[utoipa::path(
    post,
    path = "/users/{id}/password",
    tag = "users",
    request_body = PasswordSet,
    params(
        ("id" = String, Path, description = "The user's id (`sub`)"),
        ("Idempotency-Key" = Option<String>, Header, nullable = false, min_length = 1, max_length = 255, pattern = r#"^[ !#-~]+$"#, description = "Makes a retry safe: the same key and request return the first response"),
    ),
    responses(
        (status = 204, description = "The password is set; `ETag` names the user's new revision"),
        (status = 400, description = "The body does not match the schema", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `users:write`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A request with this `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The password policy refuses it, or the `Idempotency-Key` was used for another request", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["users:write"]))
)]
pub async fn set_password(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
    JsonBody(body): JsonBody<PasswordSet>,
) -> Result<Response, ApiError> {
    caller.require("users:write")?;
    let user = state
        .provider
        .set_password(
            &caller.tenant.id,
            &user_id(&id)?,
            body.password,
            &caller.actor(),
        )
        .await?;
    Ok((StatusCode::NO_CONTENT, etag_header(user.revision)).into_response())
}

/// Deletes a user with their sessions and consents, and revokes their tokens.
#[utoipa::path(
    delete,
    path = "/users/{id}",
    tag = "users",
    params(
        ("id" = String, Path, description = "The user's id (`sub`)"),
        ("If-Match" = Option<String>, Header, nullable = false, min_length = 1, description = "Delete only if this is still the current revision"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "`If-Match` is empty", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `users:write`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The user changed since that revision", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["users:write"]))
)]
pub async fn delete_user(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    caller.require("users:write")?;
    let expect = optional_if_match(&headers)?.unwrap_or(Precondition::None);
    state
        .provider
        .delete_user(&caller.tenant.id, &user_id(&id)?, expect, &caller.actor())
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
