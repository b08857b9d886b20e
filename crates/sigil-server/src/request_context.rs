//! Middleware: every request is handled inside its [`RequestContext`] (client IP, user agent,
//! request id), so audit events recorded while handling it carry them, and the response names
//! the request id in `X-Request-Id` for the caller to quote.

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::http::header::USER_AGENT;
use axum::middleware::Next;
use axum::response::Response;
use sigil_core::request::{self, RequestContext};

use crate::extract::client_ip;
use crate::state::AppState;

/// The request id header, read from callers and set on responses.
pub const X_REQUEST_ID: &str = "x-request-id";

/// Runs the request inside its context.
pub async fn request_context(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let header = |name| {
        parts
            .headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let ctx = RequestContext::new(
        client_ip(&parts, state.config.trust_forwarded_for),
        header(USER_AGENT.as_str()),
        header(X_REQUEST_ID),
    );
    let id = HeaderValue::from_str(&ctx.request_id).ok();
    let mut res = request::scope(ctx, next.run(Request::from_parts(parts, body))).await;
    if let Some(id) = id {
        res.headers_mut().insert(X_REQUEST_ID, id);
    }
    res
}
