//! The UserInfo endpoint: bearer token in the `Authorization` header (GET or POST) or, for
//! POST, in a form body (RFC 6750 §2.1–2.2); never in the query string.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header::{CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sigil_oidc::{OAuthError, Params, TenantCtx};

use crate::error::bearer_error;
use crate::extract::{Tenant, bearer_token};
use crate::state::AppState;

/// `401` with a bare `Bearer` challenge: no token was sent.
pub(crate) fn missing() -> Response {
    let mut res = StatusCode::UNAUTHORIZED.into_response();
    res.headers_mut().insert(
        WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"sigil\""),
    );
    res
}

async fn answer(state: &AppState, t: &TenantCtx, token: &str) -> Response {
    match state.provider.userinfo(t, token).await {
        Ok(claims) => Json(claims).into_response(),
        Err(e) => bearer_error(&e),
    }
}

/// `GET /userinfo`.
pub async fn userinfo_get(
    State(state): State<AppState>,
    Tenant(t): Tenant,
    headers: HeaderMap,
) -> Response {
    match bearer_token(&headers) {
        Some(token) => answer(&state, &t, token).await,
        None => missing(),
    }
}

/// `POST /userinfo`.
pub async fn userinfo_post(
    State(state): State<AppState>,
    Tenant(t): Tenant,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let is_form = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let from_body = if is_form {
        match Params::parse(&body) {
            Ok(p) => p.get("access_token").map(str::to_owned),
            Err(e) => return bearer_error(&e),
        }
    } else {
        None
    };
    match (bearer_token(&headers), from_body) {
        (Some(_), Some(_)) => bearer_error(&OAuthError::invalid_request(
            "send the access token in one place only",
        )),
        (Some(token), None) => answer(&state, &t, token).await,
        (None, Some(token)) => answer(&state, &t, &token).await,
        (None, None) => missing(),
    }
}
