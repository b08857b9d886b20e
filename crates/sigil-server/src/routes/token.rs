//! The token, introspection, revocation and device authorization endpoints: form in, JSON out,
//! never cached.

use axum::Json;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, PRAGMA};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sigil_oidc::grants::TokenHeaders;
use sigil_oidc::{OAuthError, Params};

use crate::error::oauth_error;
use crate::extract::{FormParams, Tenant, authorization, client_attestation, dpop_header};
use crate::ratelimit::{RouteClass, over_limit, too_many_requests};
use crate::state::AppState;

fn no_store<T: Serialize>(result: Result<T, OAuthError>) -> Response {
    match result {
        Ok(body) => {
            let mut res = Json(body).into_response();
            res.headers_mut()
                .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            res.headers_mut()
                .insert(PRAGMA, HeaderValue::from_static("no-cache"));
            res
        }
        Err(e) => oauth_error(&e),
    }
}

/// Counts a client that names itself in the form (`client_secret_post`, assertions with a
/// `client_id`, public clients) against its bucket; HTTP Basic clients were counted, in the
/// same bucket, by the rate limit middleware. The `429` answer when it is spent.
async fn form_client_over_limit(
    state: &AppState,
    headers: &HeaderMap,
    params: &Params,
) -> Option<Response> {
    if authorization(headers).is_some() {
        return None;
    }
    let id = params.get("client_id")?;
    let quota = state.config.rate_limits.token.per_client;
    let wait = over_limit(
        state,
        RouteClass::Token,
        "client",
        quota,
        &format!("id:{id}"),
    )
    .await?;
    Some(too_many_requests(wait))
}

/// `POST /token`.
pub async fn token(
    State(state): State<AppState>,
    Tenant(t): Tenant,
    headers: HeaderMap,
    FormParams(params): FormParams,
) -> Response {
    if let Some(res) = form_client_over_limit(&state, &headers, &params).await {
        return res;
    }
    let dpop = match dpop_header(&headers) {
        Ok(dpop) => dpop,
        Err(e) => return no_store::<()>(Err(e)),
    };
    let client_attestation = match client_attestation(&headers) {
        Ok(presented) => presented,
        Err(e) => return no_store::<()>(Err(e)),
    };
    let sent = TokenHeaders {
        authorization: authorization(&headers),
        dpop: dpop.as_deref(),
        client_attestation,
    };
    let res = no_store(state.provider.token(&t, &params, sent).await);
    crate::routes::vci::with_dpop_nonce(&state, &t, res)
}

/// `POST /introspect`.
pub async fn introspect(
    State(state): State<AppState>,
    Tenant(t): Tenant,
    headers: HeaderMap,
    FormParams(params): FormParams,
) -> Response {
    if let Some(res) = form_client_over_limit(&state, &headers, &params).await {
        return res;
    }
    no_store(
        state
            .provider
            .introspect(&t, &params, authorization(&headers))
            .await,
    )
}

/// `POST /revoke`.
pub async fn revoke(
    State(state): State<AppState>,
    Tenant(t): Tenant,
    headers: HeaderMap,
    FormParams(params): FormParams,
) -> Response {
    if let Some(res) = form_client_over_limit(&state, &headers, &params).await {
        return res;
    }
    match state
        .provider
        .revoke(&t, &params, authorization(&headers))
        .await
    {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => oauth_error(&e),
    }
}

/// `POST /par`: a pushed authorization request (RFC 9126), `201` with its `request_uri`.
pub async fn pushed_authorization_request(
    State(state): State<AppState>,
    Tenant(t): Tenant,
    headers: HeaderMap,
    FormParams(params): FormParams,
) -> Response {
    if let Some(res) = form_client_over_limit(&state, &headers, &params).await {
        return res;
    }
    let client_attestation = match client_attestation(&headers) {
        Ok(presented) => presented,
        Err(e) => return no_store::<()>(Err(e)),
    };
    let sent = TokenHeaders {
        authorization: authorization(&headers),
        dpop: None,
        client_attestation,
    };
    let pushed = state
        .provider
        .push_authorization_request(&t, &params, sent)
        .await;
    let mut res = no_store(pushed);
    if res.status() == StatusCode::OK {
        *res.status_mut() = StatusCode::CREATED;
    }
    res
}

/// `POST /device_authorization`.
pub async fn device_authorization(
    State(state): State<AppState>,
    Tenant(t): Tenant,
    headers: HeaderMap,
    FormParams(params): FormParams,
) -> Response {
    if let Some(res) = form_client_over_limit(&state, &headers, &params).await {
        return res;
    }
    no_store(
        state
            .provider
            .device_authorization(&t, &params, authorization(&headers))
            .await,
    )
}
