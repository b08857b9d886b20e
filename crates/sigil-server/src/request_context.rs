//! Every request is handled inside its [`RequestContext`] (client IP, user agent, request
//! id; [`crate::edge`] sets it), so audit events recorded while handling it carry them, and
//! the response names the request id in `X-Request-Id` for the caller to quote.

use axum::http::HeaderValue;
use axum::http::header::USER_AGENT;
use axum::http::request::Parts;
use sigil_core::request::RequestContext;

use crate::extract::client_ip;

/// The request id header, read from callers and set on responses.
pub const X_REQUEST_ID: &str = "x-request-id";

/// The context of a request, from its head.
pub fn of(parts: &Parts, trust_forwarded_for: bool) -> RequestContext {
    let header = |name| {
        parts
            .headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    RequestContext::new(
        client_ip(parts, trust_forwarded_for),
        header(USER_AGENT.as_str()),
        header(X_REQUEST_ID),
    )
}
