//! The one middleware every request passes through. On the way in: its context (client IP,
//! user agent, request id), its tenant, its rate limits; on the way out: `X-Request-Id`, the
//! rate limit fields and the security headers, on every answer including the refusals.
//!
//! One layer rather than one per concern: each axum `from_fn` layer boxes the request's future
//! and clones the service inside it on every request, which the token endpoint's profile
//! showed (bench/RESULTS.md).

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use sigil_core::request;

use crate::request_context::{self, X_REQUEST_ID};
use crate::security::add_security_headers;
use crate::state::AppState;
use crate::{ratelimit, tenant};

/// Middleware: runs the request inside its context, for an existing tenant, within its rate
/// limits.
pub async fn edge(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (mut parts, body) = req.into_parts();
    let ctx = request_context::of(&parts, state.config.trust_forwarded_for);
    let request_id = HeaderValue::from_str(&ctx.request_id).ok();
    let mut res = match tenant::resolve(&state, parts.uri.path()).await {
        Err(refused) => refused,
        Ok(tenant) => {
            let counts = ratelimit::count(&state, &parts, &tenant, ctx.ip.as_deref()).await;
            let mut res = match counts.refusal(parts.uri.path()) {
                Some(refused) => refused,
                None => {
                    parts.extensions.insert(tenant);
                    let req = Request::from_parts(parts, body);
                    request::scope(ctx, next.run(req)).await
                }
            };
            counts.describe(&state.limiter, &mut res);
            res
        }
    };
    if let Some(id) = request_id {
        res.headers_mut().insert(X_REQUEST_ID, id);
    }
    add_security_headers(&state, &mut res);
    res
}
