//! `Idempotency-Key` on POST and PATCH (draft-ietf-httpapi-idempotency-key-header): the first
//! request with a key runs and its response is stored; a retry with the same key, method,
//! path and body gets that response again (marked `Idempotent-Replayed: true`) without the
//! work being done twice; the same key with another request is refused (422); a retry while
//! the first still runs gets 409. Keys are per caller, kept 24 hours, and stored in the
//! database, so they hold across nodes and restarts. A 5xx is not stored: the retry redoes it.

use std::time::Duration;

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, OriginalUri, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sigil_core::Digest32;
use sigil_store::{Claim, ClaimOutcome, IdempotencyKey, StoredResponse};

use super::auth::Caller;
use super::error::ApiError;
use crate::state::AppState;

/// How long a key is remembered.
const KEY_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// Longest key accepted.
const MAX_KEY_LEN: usize = 255;

/// Response headers replayed with a stored response.
const REPLAYED_HEADERS: &[&str] = &["content-type", "etag", "location", "link"];

/// The key: an RFC 8941 string (`"…"`) or, as many clients send it, bare; printable ASCII.
fn parse_key(value: &HeaderValue) -> Result<String, ApiError> {
    let bad = || {
        ApiError::malformed(
            "Idempotency-Key",
            format!("must be 1 to {MAX_KEY_LEN} printable ASCII characters"),
        )
    };
    let text = value.to_str().map_err(|_| bad())?.trim();
    let key = text
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(text);
    let printable = key.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b'"');
    if key.is_empty() || key.len() > MAX_KEY_LEN || !printable {
        return Err(bad());
    }
    Ok(key.to_owned())
}

/// What identifies a request: method, path and query, body.
fn request_digest(method: &Method, path: &str, body: &[u8]) -> Digest32 {
    let mut text = Vec::with_capacity(body.len() + path.len() + 8);
    text.extend_from_slice(method.as_str().as_bytes());
    text.push(b'\n');
    text.extend_from_slice(path.as_bytes());
    text.push(b'\n');
    text.extend_from_slice(body);
    Digest32::of(&text)
}

fn replay(stored: StoredResponse) -> Response {
    let mut res = Response::new(Body::from(stored.body));
    *res.status_mut() = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let headers = res.headers_mut();
    for (name, value) in stored.headers {
        if let (Ok(n), Ok(v)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::from_str(&value),
        ) {
            headers.append(n, v);
        }
    }
    headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    res
}

/// Middleware over the management API.
pub async fn idempotency(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let applies = matches!(*req.method(), Method::POST | Method::PATCH);
    let Some(raw) = req.headers().get("idempotency-key").filter(|_| applies) else {
        return next.run(req).await;
    };
    match run(&state, parse_key(raw), req, next).await {
        Ok(res) => res,
        Err(e) => e.into_response(),
    }
}

async fn run(
    state: &AppState,
    key: Result<String, ApiError>,
    req: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let (mut parts, body) = req.into_parts();
    // Who is asking comes first: keys are per caller, and strangers get 401, not 422.
    let caller = Caller::from_request_parts(&mut parts, state).await?;
    let key = IdempotencyKey {
        tenant: caller.tenant.id.clone(),
        caller: caller.actor(),
        key: key?,
    };
    parts.extensions.insert(caller);
    let body = to_bytes(body, state.config.max_body_bytes)
        .await
        .map_err(|_| ApiError::PayloadTooLarge)?;
    // The full path (the API is nested under a prefix, and tenants under another).
    let uri = parts
        .extensions
        .get::<OriginalUri>()
        .map_or_else(|| parts.uri.clone(), |o| o.0.clone());
    let path = uri.path_and_query().map_or("", |p| p.as_str());
    let now = state.provider.now();
    let claim = Claim {
        request: request_digest(&parts.method, path, &body),
        now,
        lock_until: now.plus(Duration::from_secs(state.config.request_timeout + 5)),
        expires_at: now.plus(KEY_LIFETIME),
    };
    let store = state.provider.store();
    match store.claim_idempotency_key(&key, &claim).await? {
        ClaimOutcome::Completed(stored) => return Ok(replay(stored)),
        ClaimOutcome::InFlight => return Err(ApiError::IdempotencyKeyInFlight),
        ClaimOutcome::Mismatch => return Err(ApiError::IdempotencyKeyReused),
        ClaimOutcome::Claimed => {}
    }
    let res = next.run(Request::from_parts(parts, Body::from(body))).await;
    if res.status().is_server_error() {
        if let Err(e) = store.release_idempotency_key(&key).await {
            tracing::warn!(error = %e, "could not release an idempotency key; it frees itself when its lock lapses");
        }
        return Ok(res);
    }
    let (parts, body) = res.into_parts();
    let body = to_bytes(body, usize::MAX)
        .await
        .map_err(|_| ApiError::Internal)?;
    let stored = StoredResponse {
        status: parts.status.as_u16(),
        headers: REPLAYED_HEADERS
            .iter()
            .filter_map(|name| {
                parts
                    .headers
                    .get(*name)
                    .and_then(|v| v.to_str().ok())
                    .map(|v| ((*name).to_owned(), v.to_owned()))
            })
            .collect(),
        body: body.to_vec(),
    };
    if let Err(e) = store.complete_idempotency_key(&key, &stored).await {
        // The work is done and answered; a retry will find the key in flight until its lock
        // lapses, then redo it. Logged, since that retry would not be a replay.
        tracing::warn!(error = %e, "could not store an idempotent response");
    }
    Ok(Response::from_parts(parts, Body::from(body)))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_sf_strings_or_bare_printable_ascii() {
        let key = |s: &str| parse_key(&HeaderValue::from_str(s).unwrap());
        assert_eq!(key("\"abc-123\"").unwrap(), "abc-123");
        assert_eq!(
            key("8e03978e-40d5-43e8-bc93-6894a57f9324").unwrap(),
            "8e03978e-40d5-43e8-bc93-6894a57f9324"
        );
        assert!(key("\"\"").is_err());
        assert!(key(&"k".repeat(256)).is_err());
    }

    #[test]
    fn the_digest_covers_method_path_and_body() {
        let a = request_digest(&Method::POST, "/api/v1/users", b"{}");
        assert_ne!(a, request_digest(&Method::PATCH, "/api/v1/users", b"{}"));
        assert_ne!(a, request_digest(&Method::POST, "/api/v1/users/x", b"{}"));
        assert_ne!(a, request_digest(&Method::POST, "/api/v1/users", b"{ }"));
    }
}
