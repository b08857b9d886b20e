//! The two error surfaces. Protocol endpoints answer with the specification's errors: a JSON
//! body `{error, error_description}` (RFC 6749 §5.2), with a `WWW-Authenticate` challenge for
//! 401s (Basic for client authentication, Bearer for resource access, RFC 6750 §3). Everything
//! else answers with RFC 9457 problem+json. A 5xx never carries internal detail: the cause is
//! logged where it happened.

use axum::Json;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, PRAGMA, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use sigil_oidc::{ErrorCode, OAuthError};

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// An RFC 9457 problem document. `kind` names the error kind; its type URI is
/// `urn:sigil:problem:{kind}`, stable across releases.
pub fn problem(code: u16, kind: &str, title: &str, detail: Option<&str>) -> Response {
    let mut body = json!({
        "type": format!("urn:sigil:problem:{kind}"),
        "title": title,
        "status": code,
    });
    if let Some(d) = detail {
        body["detail"] = json!(d);
    }
    let mut res = (status(code), Json(body)).into_response();
    res.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/problem+json"),
    );
    res
}

/// A protocol error as a JSON response (token, introspection, revocation, device endpoints).
pub fn oauth_error(e: &OAuthError) -> Response {
    let body = json!({"error": e.code.as_str(), "error_description": e.description});
    let mut res = (status(e.code.http_status()), Json(body)).into_response();
    let headers = res.headers_mut();
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    if e.code == ErrorCode::InvalidClient && e.basic_challenge {
        headers.insert(
            WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"sigil\", charset=\"UTF-8\""),
        );
    }
    if e.code == ErrorCode::TemporarilyUnavailable {
        headers.insert(RETRY_AFTER, HeaderValue::from_static("1"));
    }
    res
}

/// A resource-access error (UserInfo) with its `WWW-Authenticate: Bearer` challenge.
pub fn bearer_error(e: &OAuthError) -> Response {
    let mut res = oauth_error(e);
    let challenge = if e.code == ErrorCode::InvalidRequest && e.description.is_empty() {
        "Bearer realm=\"sigil\"".to_owned()
    } else {
        format!(
            "Bearer realm=\"sigil\", error=\"{}\", error_description=\"{}\"",
            e.code.as_str(),
            sigil_oidc::params::sanitize(&e.description)
        )
    };
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        res.headers_mut().insert(WWW_AUTHENTICATE, v);
    }
    res
}

/// Fallback for unknown routes.
pub async fn not_found(uri: axum::http::Uri) -> Response {
    // Under `/t/{tenant}`, nested routers' own fallbacks are not reached; SCIM clients get a
    // SCIM error all the same.
    if crate::routes::scim::is_scim_path(uri.path()) {
        return crate::routes::scim::not_found();
    }
    problem(404, "not-found", "Not found", None)
}
