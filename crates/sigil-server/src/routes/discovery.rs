//! Provider metadata and the JWK Set.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderValue;
use axum::http::header::CACHE_CONTROL;
use axum::response::{IntoResponse, Response};
use sigil_oidc::discovery::metadata;

use crate::error::oauth_error;
use crate::extract::Tenant;
use crate::state::AppState;

/// Marks a response cacheable by anyone for `max_age` seconds.
pub(crate) fn public(mut res: Response, max_age: u64) -> Response {
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!("public, max-age={max_age}")) {
        h.insert(CACHE_CONTROL, v);
    }
    res
}

/// `GET /.well-known/openid-configuration` and `/.well-known/oauth-authorization-server`.
pub async fn get_metadata(State(state): State<AppState>, Tenant(t): Tenant) -> Response {
    public(
        Json(metadata(
            &t,
            state
                .provider
                .issues_credentials()
                .then_some(&state.provider.config().credentials),
            state.provider.config().tokens.require_par,
        ))
        .into_response(),
        3600,
    )
}

/// `GET /jwks`.
pub async fn get_jwks(State(state): State<AppState>, Tenant(t): Tenant) -> Response {
    match state.provider.jwks(&t.id).await {
        Ok(jwks) => {
            let mut res = public(
                Json(jwks).into_response(),
                state.provider.config().keys.jwks_max_age,
            );
            res.headers_mut().insert(
                axum::http::header::CONTENT_TYPE,
                HeaderValue::from_static("application/jwk-set+json"),
            );
            res
        }
        Err(e) => oauth_error(&e),
    }
}
