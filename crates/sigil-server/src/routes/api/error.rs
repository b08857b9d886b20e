//! Management API errors as RFC 9457 problem documents, one stable type URI per kind
//! (`urn:sigil:problem:{kind}`, listed in docs/API.md).

use axum::Json;
use axum::http::header::{CONTENT_TYPE, RETRY_AFTER, WWW_AUTHENTICATE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sigil_api_types::{FieldError, Problem};
use sigil_oidc::admin::AdminError;
use sigil_store::StoreError;

/// Why a management API request failed.
#[derive(Debug)]
pub enum ApiError {
    /// No, or an invalid, access token.
    InvalidToken(&'static str),
    /// The token lacks the scope the route needs.
    InsufficientScope(&'static str),
    /// The caller may not use the management API at all (a user's token).
    Forbidden(&'static str),
    /// No such resource.
    NotFound(&'static str),
    /// The resource does not support the method.
    MethodNotAllowed,
    /// The body or a parameter is not what the schema says.
    Malformed(Vec<FieldError>),
    /// The request is well-formed but a value is refused.
    Invalid(Vec<FieldError>),
    /// The resource already exists.
    Conflict(String),
    /// The change would lock the caller out (a client disabling or deleting itself).
    WouldLockOut(&'static str),
    /// `If-Match` names a revision that is no longer current.
    PreconditionFailed,
    /// An update without `If-Match`.
    PreconditionRequired,
    /// The body is not JSON.
    UnsupportedMediaType,
    /// The body is larger than the server accepts.
    PayloadTooLarge,
    /// An `Idempotency-Key` was reused with another request.
    IdempotencyKeyReused,
    /// The first request with this `Idempotency-Key` is still running.
    IdempotencyKeyInFlight,
    /// The store is unreachable.
    Unavailable,
    /// Anything else; the cause is logged, not shown.
    Internal,
}

impl ApiError {
    /// One malformed field.
    pub fn malformed(pointer: impl Into<String>, detail: impl Into<String>) -> Self {
        ApiError::Malformed(vec![FieldError {
            pointer: pointer.into(),
            detail: detail.into(),
        }])
    }

    /// One refused value.
    pub fn invalid(pointer: impl Into<String>, detail: impl Into<String>) -> Self {
        ApiError::Invalid(vec![FieldError {
            pointer: pointer.into(),
            detail: detail.into(),
        }])
    }

    fn parts(&self) -> (u16, &'static str, &'static str, Option<String>) {
        match self {
            ApiError::InvalidToken(why) => (
                401,
                "invalid-token",
                "The access token is missing or invalid",
                Some((*why).to_owned()),
            ),
            ApiError::InsufficientScope(scope) => (
                403,
                "insufficient-scope",
                "The access token lacks a scope this operation needs",
                Some(format!("this operation needs the scope {scope}")),
            ),
            ApiError::Forbidden(why) => (403, "forbidden", "Forbidden", Some((*why).to_owned())),
            ApiError::NotFound(what) => (
                404,
                "not-found",
                "Not found",
                Some(format!("no such {what}")),
            ),
            ApiError::MethodNotAllowed => (
                405,
                "method-not-allowed",
                "The resource does not support this method",
                None,
            ),
            ApiError::Malformed(_) => (
                400,
                "malformed-request",
                "The request does not match its schema",
                None,
            ),
            ApiError::Invalid(_) => (422, "validation", "A value is not acceptable", None),
            ApiError::Conflict(what) => (
                409,
                "conflict",
                "The resource already exists",
                Some(format!("{what} already exists")),
            ),
            ApiError::WouldLockOut(why) => (
                409,
                "would-lock-out",
                "The change would lock the caller out",
                Some((*why).to_owned()),
            ),
            ApiError::PreconditionFailed => (
                412,
                "precondition-failed",
                "The resource has changed",
                Some("If-Match does not name the current revision; read it again".into()),
            ),
            ApiError::PreconditionRequired => (
                428,
                "precondition-required",
                "If-Match is required",
                Some(
                    "send the ETag of the revision you read in If-Match (or * to overwrite)".into(),
                ),
            ),
            ApiError::UnsupportedMediaType => (
                415,
                "unsupported-media-type",
                "The body must be JSON",
                Some("send Content-Type: application/json".into()),
            ),
            ApiError::PayloadTooLarge => (413, "payload-too-large", "The body is too large", None),
            ApiError::IdempotencyKeyReused => (
                422,
                "idempotency-key-reused",
                "The Idempotency-Key was used for another request",
                Some(
                    "an Idempotency-Key may be retried only with the same method, path and body"
                        .into(),
                ),
            ),
            ApiError::IdempotencyKeyInFlight => (
                409,
                "idempotency-key-in-flight",
                "A request with this Idempotency-Key is still being processed",
                Some("retry after it has finished".into()),
            ),
            ApiError::Unavailable => (
                503,
                "unavailable",
                "The service is temporarily unavailable",
                None,
            ),
            ApiError::Internal => (500, "internal", "Internal error", None),
        }
    }

    /// The problem document this error is answered with.
    pub fn problem(&self) -> Problem {
        let (status, kind, title, detail) = self.parts();
        let errors = match self {
            ApiError::Malformed(e) | ApiError::Invalid(e) => e.clone(),
            _ => Vec::new(),
        };
        Problem {
            kind: format!("urn:sigil:problem:{kind}"),
            title: title.to_owned(),
            status,
            detail,
            errors,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = self.problem();
        let status =
            StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut res = (status, Json(problem)).into_response();
        let headers = res.headers_mut();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        let challenge = match &self {
            ApiError::InvalidToken(_) => {
                Some("Bearer realm=\"sigil\", error=\"invalid_token\"".to_owned())
            }
            ApiError::InsufficientScope(scope) => Some(format!(
                "Bearer realm=\"sigil\", error=\"insufficient_scope\", scope=\"{scope}\""
            )),
            _ => None,
        };
        if let Some(v) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            headers.insert(WWW_AUTHENTICATE, v);
        }
        if matches!(
            self,
            ApiError::Unavailable | ApiError::IdempotencyKeyInFlight
        ) {
            headers.insert(RETRY_AFTER, HeaderValue::from_static("1"));
        }
        res
    }
}

impl From<sigil_oidc::OAuthError> for ApiError {
    fn from(e: sigil_oidc::OAuthError) -> Self {
        if e.code == sigil_oidc::ErrorCode::TemporarilyUnavailable {
            return ApiError::Unavailable;
        }
        tracing::error!(error = %e.description, "management API provider failure");
        ApiError::Internal
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) => ApiError::Unavailable,
            StoreError::Conflict(what) => ApiError::Conflict(what.to_owned()),
            other => {
                tracing::error!(error = %other, "management API store failure");
                ApiError::Internal
            }
        }
    }
}

impl From<AdminError> for ApiError {
    fn from(e: AdminError) -> Self {
        match e {
            AdminError::Invalid { field, message } => ApiError::Invalid(vec![FieldError {
                pointer: format!("/{field}"),
                detail: message,
            }]),
            AdminError::Conflict(what) => ApiError::Conflict(what),
            AdminError::NoSuchTenant(_) => ApiError::NotFound("tenant"),
            AdminError::NotFound(what) => ApiError::NotFound(what),
            AdminError::Stale(_) => ApiError::PreconditionFailed,
            AdminError::Store(e) => e.into(),
        }
    }
}
