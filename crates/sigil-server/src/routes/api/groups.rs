//! `/groups`: create, read, list, rename, delete groups; list, add and remove their members;
//! and `/users/{id}/groups`, the groups a user belongs to.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use sigil_api_types::{
    GroupCreate, GroupListParams, GroupPage, GroupResource, GroupUpdate, MemberAdd, MemberPage,
    PageParams, Problem, UserResource,
};
use sigil_core::model::Group;
use sigil_core::{GroupId, UserId};
use sigil_oidc::admin::{AdminError, GroupPatch, Precondition};

use super::auth::Caller;
use super::body::{JsonBody, etag_header, not_modified, optional_if_match, required_if_match};
use super::error::ApiError;
use super::query::{ApiPath, ApiQuery, ById, link_next, location};
use super::users::user_id;
use crate::state::AppState;

/// Page size when the caller names none.
const DEFAULT_PAGE: u32 = 50;

fn group_id(text: &str) -> Result<GroupId, ApiError> {
    GroupId::parse(text).map_err(|_| ApiError::NotFound("group"))
}

/// A group with its `ETag`.
fn group_response(status: StatusCode, group: &Group) -> Response {
    (
        status,
        etag_header(group.revision),
        Json(GroupResource::from(group)),
    )
        .into_response()
}

/// `{id}` and `{user_id}` of a membership path.
#[derive(Debug, serde::Deserialize)]
pub struct ByMember {
    /// The group's id.
    pub id: String,
    /// The member's user id.
    pub user_id: String,
}

/// Lists groups by name.
#[utoipa::path(
    get,
    path = "/groups",
    tag = "groups",
    params(GroupListParams),
    responses(
        (status = 200, description = "A page of groups; `Link: rel=\"next\"` names the next", body = GroupPage),
        (status = 400, description = "An unknown or malformed parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `groups:read`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A page size out of range, or a foreign cursor", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["groups:read"]))
)]
pub async fn list_groups(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<GroupListParams>,
) -> Result<Response, ApiError> {
    caller.require("groups:read")?;
    let after = p
        .after
        .as_deref()
        .map(|a| {
            Some(a)
                .filter(|a| a.len() <= 1024)
                .and_then(sigil_core::b64url_decode)
                .and_then(|b| String::from_utf8(b).ok())
                .filter(|name| !name.is_empty())
                .ok_or_else(|| ApiError::invalid("after", "not a cursor of this list"))
        })
        .transpose()?;
    let limit = p.limit.unwrap_or(DEFAULT_PAGE);
    let (groups, more) = state
        .provider
        .list_groups(
            &caller.tenant.id,
            p.name_prefix.as_deref(),
            after.as_deref(),
            limit,
        )
        .await?;
    let next_cursor = more
        .then(|| {
            groups
                .last()
                .map(|g| sigil_core::b64url_encode(g.name.as_bytes()))
        })
        .flatten();
    let mut res = Json(GroupPage {
        items: groups.iter().map(GroupResource::from).collect(),
        next_cursor: next_cursor.clone(),
    })
    .into_response();
    if let Some(cursor) = next_cursor {
        let mut q = form_urlencoded::Serializer::new(String::new());
        q.append_pair("limit", &limit.to_string());
        if let Some(prefix) = &p.name_prefix {
            q.append_pair("name_prefix", prefix);
        }
        q.append_pair("after", &cursor);
        link_next(&mut res, &caller.url(&format!("/groups?{}", q.finish())));
    }
    Ok(res)
}

/// Creates a group.
#[utoipa::path(
    post,
    path = "/groups",
    tag = "groups",
    request_body = GroupCreate,
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, min_length = 1, max_length = 255, pattern = r#"^[ !#-~]+$"#, description = "Makes a retry safe: the same key and request return the first response")),
    responses(
        (status = 201, description = "Created; `Location` and `ETag` name it", body = GroupResource),
        (status = 400, description = "The body does not match the schema", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `groups:write`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The name is taken, or a request with this `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A value is refused, or the `Idempotency-Key` was used for another request", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["groups:write"]))
)]
pub async fn create_group(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<GroupCreate>,
) -> Result<Response, ApiError> {
    caller.require("groups:write")?;
    let group = state
        .provider
        .create_group(
            &caller.tenant.id,
            body.name,
            body.description,
            &caller.actor(),
        )
        .await?;
    let mut res = group_response(StatusCode::CREATED, &group);
    location(&mut res, &caller.url(&format!("/groups/{}", group.id)));
    Ok(res)
}

/// Reads a group.
#[utoipa::path(
    get,
    path = "/groups/{id}",
    tag = "groups",
    params(("id" = String, Path, description = "The group's id")),
    responses(
        (status = 200, description = "The group; `ETag` names its revision (membership changes count)", body = GroupResource),
        (status = 304, description = "`If-None-Match` names the current revision"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `groups:read`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such group", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["groups:read"]))
)]
pub async fn get_group(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    caller.require("groups:read")?;
    let group = state
        .provider
        .get_group(&caller.tenant.id, &group_id(&id)?)
        .await?;
    if not_modified(&headers, group.revision) {
        return Ok((StatusCode::NOT_MODIFIED, etag_header(group.revision)).into_response());
    }
    Ok(group_response(StatusCode::OK, &group))
}

/// Renames or describes a group (JSON merge patch).
#[utoipa::path(
    patch,
    path = "/groups/{id}",
    tag = "groups",
    request_body(content = GroupUpdate, content_type = "application/merge-patch+json"),
    params(
        ("id" = String, Path, description = "The group's id"),
        ("If-Match" = String, Header, min_length = 1, description = "The `ETag` of the revision the change is based on, or `*`"),
        ("Idempotency-Key" = Option<String>, Header, nullable = false, min_length = 1, max_length = 255, pattern = r#"^[ !#-~]+$"#, description = "Makes a retry safe: the same key and request return the first response"),
    ),
    responses(
        (status = 200, description = "The changed group with its new `ETag`", body = GroupResource),
        (status = 400, description = "The body does not match the schema", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `groups:write`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such group", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The new name is taken, or a request with this `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The group changed since that revision", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A value is refused, or the `Idempotency-Key` was used for another request", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "`If-Match` is missing", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["groups:write"]))
)]
pub async fn update_group(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<GroupUpdate>,
) -> Result<Response, ApiError> {
    caller.require("groups:write")?;
    let id = group_id(&id)?;
    let expect = required_if_match(&headers)?;
    let patch = GroupPatch {
        name: body.name,
        description: body.description,
        ..GroupPatch::default()
    };
    let group = state
        .provider
        .update_group(&caller.tenant.id, &id, patch, expect, &caller.actor())
        .await?;
    Ok(group_response(StatusCode::OK, &group))
}

/// Deletes a group (its members stay).
#[utoipa::path(
    delete,
    path = "/groups/{id}",
    tag = "groups",
    params(
        ("id" = String, Path, description = "The group's id"),
        ("If-Match" = Option<String>, Header, nullable = false, min_length = 1, description = "Delete only if this is still the current revision"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "`If-Match` is empty", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `groups:write`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such group", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The group changed since that revision", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["groups:write"]))
)]
pub async fn delete_group(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    caller.require("groups:write")?;
    let expect = optional_if_match(&headers)?.unwrap_or(Precondition::None);
    state
        .provider
        .delete_group(&caller.tenant.id, &group_id(&id)?, expect, &caller.actor())
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Lists a group's members by user id.
#[utoipa::path(
    get,
    path = "/groups/{id}/members",
    tag = "groups",
    params(("id" = String, Path, description = "The group's id"), PageParams),
    responses(
        (status = 200, description = "A page of members; `Link: rel=\"next\"` names the next", body = MemberPage),
        (status = 400, description = "An unknown or malformed parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `groups:read`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such group", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A page size out of range, or a foreign cursor", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["groups:read"]))
)]
pub async fn list_members(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
    ApiQuery(p): ApiQuery<PageParams>,
) -> Result<Response, ApiError> {
    caller.require("groups:read")?;
    let group = group_id(&id)?;
    let after = p
        .after
        .as_deref()
        .map(|a| {
            UserId::parse(a).map_err(|_| ApiError::invalid("after", "not a cursor of this list"))
        })
        .transpose()?;
    let limit = p.limit.unwrap_or(DEFAULT_PAGE);
    let (users, more) = state
        .provider
        .list_members(&caller.tenant.id, &group, after.as_ref(), limit)
        .await?;
    let next_cursor = more
        .then(|| users.last().map(|u| u.id.to_string()))
        .flatten();
    let mut res = Json(MemberPage {
        items: users.iter().map(UserResource::from).collect(),
        next_cursor: next_cursor.clone(),
    })
    .into_response();
    if let Some(cursor) = next_cursor {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("limit", &limit.to_string())
            .append_pair("after", &cursor)
            .finish();
        link_next(
            &mut res,
            &caller.url(&format!("/groups/{group}/members?{query}")),
        );
    }
    Ok(res)
}

/// Adds a user to a group.
#[utoipa::path(
    post,
    path = "/groups/{id}/members",
    tag = "groups",
    request_body = MemberAdd,
    params(
        ("id" = String, Path, description = "The group's id"),
        ("Idempotency-Key" = Option<String>, Header, nullable = false, min_length = 1, max_length = 255, pattern = r#"^[ !#-~]+$"#, description = "Makes a retry safe: the same key and request return the first response"),
    ),
    responses(
        (status = 201, description = "Added", body = UserResource),
        (status = 200, description = "Already a member", body = UserResource),
        (status = 400, description = "The body does not match the schema", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `groups:write`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such group", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A request with this `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No such user, or the `Idempotency-Key` was used for another request", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["groups:write"]))
)]
pub async fn add_member(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
    JsonBody(body): JsonBody<MemberAdd>,
) -> Result<Response, ApiError> {
    caller.require("groups:write")?;
    let group = group_id(&id)?;
    let no_user = || ApiError::invalid("/user_id", "no such user");
    let user = UserId::parse(&body.user_id).map_err(|_| no_user())?;
    let (member, added) = state
        .provider
        .add_member(&caller.tenant.id, &group, &user, &caller.actor())
        .await
        .map_err(|e| match e {
            AdminError::NotFound("user") => no_user(),
            other => other.into(),
        })?;
    let status = if added {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let mut res = (status, Json(UserResource::from(&member))).into_response();
    location(
        &mut res,
        &caller.url(&format!("/groups/{group}/members/{user}")),
    );
    Ok(res)
}

/// Removes a user from a group.
#[utoipa::path(
    delete,
    path = "/groups/{id}/members/{user_id}",
    tag = "groups",
    params(
        ("id" = String, Path, description = "The group's id"),
        ("user_id" = String, Path, description = "The member's user id"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `groups:write`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such group, or the user is not a member", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["groups:write"]))
)]
pub async fn remove_member(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ByMember {
        id,
        user_id: member,
    }): ApiPath<ByMember>,
) -> Result<Response, ApiError> {
    caller.require("groups:write")?;
    let user = UserId::parse(&member).map_err(|_| ApiError::NotFound("member"))?;
    state
        .provider
        .remove_member(&caller.tenant.id, &group_id(&id)?, &user, &caller.actor())
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Lists the groups a user belongs to, by name.
#[utoipa::path(
    get,
    path = "/users/{id}/groups",
    tag = "groups",
    params(("id" = String, Path, description = "The user's id (`sub`)")),
    responses(
        (status = 200, description = "The user's groups", body = GroupPage),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `groups:read`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["groups:read"]))
)]
pub async fn user_groups(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
) -> Result<Response, ApiError> {
    caller.require("groups:read")?;
    let groups = state
        .provider
        .user_groups(&caller.tenant.id, &user_id(&id)?)
        .await?;
    Ok(Json(GroupPage {
        items: groups.iter().map(GroupResource::from).collect(),
        next_cursor: None,
    })
    .into_response())
}
