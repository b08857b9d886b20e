//! `/clients`: register, read, list, change, rotate the secret, delete.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use sigil_api_types::{
    ClientCreate, ClientPage, ClientResource, ClientUpdate, ClientWithSecret, PageParams, Problem,
};
use sigil_core::ClientId;
use sigil_core::model::{Client, LogoutChannels};
use sigil_oidc::admin::{ClientPatch, CreatedClient, NewClient, Precondition};

use super::auth::Caller;
use super::body::{JsonBody, etag_header, not_modified, optional_if_match, required_if_match};
use super::error::ApiError;
use super::query::{ApiPath, ApiQuery, ById, link_next, location};
use crate::state::AppState;

/// Page size when the caller names none.
const DEFAULT_PAGE: u32 = 50;

fn client_id(text: &str) -> Result<ClientId, ApiError> {
    ClientId::parse(text).map_err(|_| ApiError::NotFound("client"))
}

/// Refuses a caller disabling or deleting the client it calls as: the API would then refuse
/// it, and possibly everyone (the last admin client).
fn not_self(caller: &Caller, id: &ClientId) -> Result<(), ApiError> {
    if caller.client_id == id.as_str() {
        return Err(ApiError::WouldLockOut(
            "a client cannot disable or delete itself; use another administrative client",
        ));
    }
    Ok(())
}

/// A client with its `ETag`.
fn client_response(status: StatusCode, client: &Client) -> Response {
    (
        status,
        etag_header(client.revision),
        Json(ClientResource::from(client)),
    )
        .into_response()
}

/// A client with its new secret (and `ETag`); never cached.
fn with_secret(status: StatusCode, created: CreatedClient) -> Response {
    let body = ClientWithSecret {
        client: ClientResource::from(&created.client),
        client_secret: created.client_secret,
    };
    (
        status,
        etag_header(created.client.revision),
        [(axum::http::header::CACHE_CONTROL, "no-store")],
        Json(body),
    )
        .into_response()
}

/// Lists clients by `client_id`, page by page.
#[utoipa::path(
    get,
    path = "/clients",
    tag = "clients",
    params(PageParams),
    responses(
        (status = 200, description = "A page of clients; `Link: rel=\"next\"` names the next", body = ClientPage),
        (status = 400, description = "An unknown or malformed parameter", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `clients:read`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A parameter value is out of range, or `after` is not a client id", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["clients:read"]))
)]
pub async fn list_clients(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(p): ApiQuery<PageParams>,
) -> Result<Response, ApiError> {
    caller.require("clients:read")?;
    let after = p
        .after
        .as_deref()
        .map(|a| {
            ClientId::parse(a).map_err(|_| ApiError::invalid("after", "not a cursor of this list"))
        })
        .transpose()?;
    let limit = p.limit.unwrap_or(DEFAULT_PAGE);
    let (clients, more) = state
        .provider
        .list_clients(&caller.tenant.id, after.as_ref(), limit)
        .await?;
    let next_cursor = more
        .then(|| clients.last().map(|c| c.id.to_string()))
        .flatten();
    let mut res = Json(ClientPage {
        items: clients.iter().map(ClientResource::from).collect(),
        next_cursor: next_cursor.clone(),
    })
    .into_response();
    if let Some(cursor) = next_cursor {
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("limit", &limit.to_string())
            .append_pair("after", &cursor)
            .finish();
        link_next(&mut res, &caller.url(&format!("/clients?{query}")));
    }
    Ok(res)
}

/// Registers a client. A confidential client's secret is in the response, and only there.
#[utoipa::path(
    post,
    path = "/clients",
    tag = "clients",
    request_body = ClientCreate,
    params(("Idempotency-Key" = Option<String>, Header, nullable = false, min_length = 1, max_length = 255, pattern = r#"^[ !#-~]+$"#, description = "Makes a retry safe: the same key and request return the first response")),
    responses(
        (status = 201, description = "Registered; `Location` and `ETag` name it. `client_secret` is shown only now", body = ClientWithSecret),
        (status = 400, description = "The body does not match the schema", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `clients:write`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A request with this `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A value is refused (a redirect URI, grant type, method or key set), or the `Idempotency-Key` was used for another request", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["clients:write"]))
)]
pub async fn create_client(
    State(state): State<AppState>,
    caller: Caller,
    JsonBody(body): JsonBody<ClientCreate>,
) -> Result<Response, ApiError> {
    caller.require("clients:write")?;
    let new = NewClient {
        name: body.client_name,
        redirect_uris: body.redirect_uris,
        post_logout_redirect_uris: body.post_logout_redirect_uris,
        grant_types: body.grant_types,
        scopes: body.scope.into_iter().collect(),
        resources: body.resources,
        public: body.token_endpoint_auth_method.as_deref() == Some("none"),
        token_endpoint_auth_method: body.token_endpoint_auth_method,
        jwks_uri: body.jwks_uri,
        jwks: body.jwks,
        first_party: body.first_party,
        pkce_optional: body.require_pkce == Some(false),
        id_token_signed_response_alg: body.id_token_signed_response_alg,
        logout: LogoutChannels {
            backchannel_uri: body.backchannel_logout_uri,
            backchannel_session_required: body.backchannel_logout_session_required,
            frontchannel_uri: body.frontchannel_logout_uri,
            frontchannel_session_required: body.frontchannel_logout_session_required,
        },
    };
    let created = state
        .provider
        .create_client(&caller.tenant.id, new, &caller.actor())
        .await?;
    let url = caller.url(&format!("/clients/{}", created.client_id));
    let mut res = with_secret(StatusCode::CREATED, created);
    location(&mut res, &url);
    Ok(res)
}

/// Reads a client.
#[utoipa::path(
    get,
    path = "/clients/{id}",
    tag = "clients",
    params(("id" = String, Path, description = "The `client_id`")),
    responses(
        (status = 200, description = "The client; `ETag` names its revision", body = ClientResource),
        (status = 304, description = "`If-None-Match` names the current revision"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `clients:read`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such client", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["clients:read"]))
)]
pub async fn get_client(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    caller.require("clients:read")?;
    let client = state
        .provider
        .get_client(&caller.tenant.id, &client_id(&id)?)
        .await?;
    if not_modified(&headers, client.revision) {
        return Ok((StatusCode::NOT_MODIFIED, etag_header(client.revision)).into_response());
    }
    Ok(client_response(StatusCode::OK, &client))
}

/// Changes a client (JSON merge patch). The authentication method cannot change.
#[utoipa::path(
    patch,
    path = "/clients/{id}",
    tag = "clients",
    request_body(content = ClientUpdate, content_type = "application/merge-patch+json"),
    params(
        ("id" = String, Path, description = "The `client_id`"),
        ("If-Match" = String, Header, min_length = 1, description = "The `ETag` of the revision the change is based on, or `*`"),
        ("Idempotency-Key" = Option<String>, Header, nullable = false, min_length = 1, max_length = 255, pattern = r#"^[ !#-~]+$"#, description = "Makes a retry safe: the same key and request return the first response"),
    ),
    responses(
        (status = 200, description = "The changed client with its new `ETag`", body = ClientResource),
        (status = 400, description = "The body does not match the schema", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `clients:write`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such client", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The caller would disable itself, or a request with this `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The client changed since that revision", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not JSON", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A value is refused, or the `Idempotency-Key` was used for another request", body = Problem, content_type = "application/problem+json"),
        (status = 428, description = "`If-Match` is missing", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["clients:write"]))
)]
pub async fn update_client(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
    headers: HeaderMap,
    JsonBody(body): JsonBody<ClientUpdate>,
) -> Result<Response, ApiError> {
    caller.require("clients:write")?;
    let id = client_id(&id)?;
    let expect = required_if_match(&headers)?;
    if body.disabled == Some(true) {
        not_self(&caller, &id)?;
    }
    let patch = ClientPatch {
        name: body.client_name,
        redirect_uris: body.redirect_uris,
        post_logout_redirect_uris: body.post_logout_redirect_uris,
        grant_types: body.grant_types,
        scopes: body.scope.map(|s| vec![s]),
        resources: body.resources,
        jwks_uri: body.jwks_uri,
        jwks: body.jwks,
        id_token_signed_response_alg: body.id_token_signed_response_alg,
        backchannel_logout_uri: body.backchannel_logout_uri,
        backchannel_logout_session_required: body.backchannel_logout_session_required,
        frontchannel_logout_uri: body.frontchannel_logout_uri,
        frontchannel_logout_session_required: body.frontchannel_logout_session_required,
        first_party: body.first_party,
        require_pkce: body.require_pkce,
        disabled: body.disabled,
    };
    let client = state
        .provider
        .update_client(&caller.tenant.id, &id, patch, expect, &caller.actor())
        .await?;
    Ok(client_response(StatusCode::OK, &client))
}

/// Replaces a confidential client's secret; the old one stops working at once.
#[utoipa::path(
    post,
    path = "/clients/{id}/secret",
    tag = "clients",
    params(
        ("id" = String, Path, description = "The `client_id`"),
        ("If-Match" = Option<String>, Header, nullable = false, min_length = 1, description = "Rotate only if this is still the current revision"),
        ("Idempotency-Key" = Option<String>, Header, nullable = false, min_length = 1, max_length = 255, pattern = r#"^[ !#-~]+$"#, description = "Makes a retry safe: the same key and request return the first response"),
    ),
    responses(
        (status = 200, description = "The client with its new `client_secret`, shown only now", body = ClientWithSecret),
        (status = 400, description = "`If-Match` is empty", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `clients:write`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such client", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A request with this `Idempotency-Key` is still running", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The client changed since that revision", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The client has no secret (public or `private_key_jwt`), or the `Idempotency-Key` was used for another request", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["clients:write"]))
)]
pub async fn rotate_secret(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    caller.require("clients:write")?;
    let id = client_id(&id)?;
    let expect = optional_if_match(&headers)?.unwrap_or(Precondition::None);
    let rotated = state
        .provider
        .rotate_client_secret(&caller.tenant.id, &id, expect, &caller.actor())
        .await?;
    Ok(with_secret(StatusCode::OK, rotated))
}

/// Deletes a client with its users' consents, and revokes the tokens it holds.
#[utoipa::path(
    delete,
    path = "/clients/{id}",
    tag = "clients",
    params(
        ("id" = String, Path, description = "The `client_id`"),
        ("If-Match" = Option<String>, Header, nullable = false, min_length = 1, description = "Delete only if this is still the current revision"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "`If-Match` is empty", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "No or an invalid access token", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The token lacks `clients:write`", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such client", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The caller would delete itself", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The client changed since that revision", body = Problem, content_type = "application/problem+json"),
    ),
    security(("oauth2" = ["clients:write"]))
)]
pub async fn delete_client(
    State(state): State<AppState>,
    caller: Caller,
    ApiPath(ById { id }): ApiPath<ById>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    caller.require("clients:write")?;
    let expect = optional_if_match(&headers)?.unwrap_or(Precondition::None);
    let id = client_id(&id)?;
    not_self(&caller, &id)?;
    state
        .provider
        .delete_client(&caller.tenant.id, &id, expect, &caller.actor())
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
