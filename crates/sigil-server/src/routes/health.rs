//! Liveness, readiness, metrics and the stylesheet.

use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sigil_core::TenantId;

use crate::error::problem;
use crate::state::AppState;

/// `GET /healthz`: the process is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: the store answers and the default tenant's keys are loaded.
pub async fn readyz(State(state): State<AppState>) -> Response {
    if let Err(e) = state.provider.store().ping().await {
        tracing::warn!(error = %e, "not ready: store unreachable");
        let mut res = problem(503, "not-ready", "The store is unreachable", None);
        res.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            HeaderValue::from_static("1"),
        );
        return res;
    }
    if let Err(e) = state.provider.jwks(&TenantId::default_tenant()).await {
        tracing::warn!(error = %e, "not ready: signing keys unavailable");
        return problem(503, "not-ready", "Signing keys are unavailable", None);
    }
    "ready".into_response()
}

/// `GET /metrics`: Prometheus text exposition.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let mut res = state.metrics.render().into_response();
    res.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    res
}

/// `GET /static/sigil.css`.
pub async fn stylesheet(State(state): State<AppState>) -> Response {
    let mut res = (StatusCode::OK, state.pages.css().to_owned()).into_response();
    let h = res.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    h.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    res
}
