//! The token, introspection, revocation and device authorization endpoints: form in, JSON out,
//! never cached.

use axum::Json;
use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, PRAGMA};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sigil_oidc::OAuthError;

use crate::error::oauth_error;
use crate::extract::{FormParams, Tenant, authorization};
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

/// `POST /token`.
pub async fn token(
    State(state): State<AppState>,
    Tenant(t): Tenant,
    headers: HeaderMap,
    FormParams(params): FormParams,
) -> Response {
    no_store(
        state
            .provider
            .token(&t, &params, authorization(&headers))
            .await,
    )
}

/// `POST /introspect`.
pub async fn introspect(
    State(state): State<AppState>,
    Tenant(t): Tenant,
    headers: HeaderMap,
    FormParams(params): FormParams,
) -> Response {
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
    match state
        .provider
        .revoke(&t, &params, authorization(&headers))
        .await
    {
        Ok(()) => StatusCode::OK.into_response(),
        Err(e) => oauth_error(&e),
    }
}

/// `POST /device_authorization`.
pub async fn device_authorization(
    State(state): State<AppState>,
    Tenant(t): Tenant,
    headers: HeaderMap,
    FormParams(params): FormParams,
) -> Response {
    no_store(
        state
            .provider
            .device_authorization(&t, &params, authorization(&headers))
            .await,
    )
}
