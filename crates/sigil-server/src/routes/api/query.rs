//! Query parameters into a typed struct; a malformed or unknown parameter is a 400 problem.

use axum::extract::{FromRequestParts, Query};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// Typed query parameters.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        Query::<T>::try_from_uri(&parts.uri)
            .map(|Query(q)| ApiQuery(q))
            .map_err(|e| ApiError::malformed("query", e.body_text()))
    }
}

/// Adds `Link: <url>; rel="next"` to a page.
pub fn link_next(res: &mut axum::response::Response, url: &str) {
    if let Ok(link) = axum::http::HeaderValue::from_str(&format!("<{url}>; rel=\"next\"")) {
        res.headers_mut().insert(axum::http::header::LINK, link);
    }
}

/// Adds `Location: url` to a response.
pub fn location(res: &mut axum::response::Response, url: &str) {
    if let Ok(value) = axum::http::HeaderValue::from_str(url) {
        res.headers_mut()
            .insert(axum::http::header::LOCATION, value);
    }
}

/// Named path parameters. By name, not position: under `/t/{tenant}` the tenant is a path
/// parameter too. A path that does not fit is a 404 problem.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(t)| ApiPath(t))
            .map_err(|_| ApiError::NotFound("resource"))
    }
}

/// `{id}` of a resource path.
#[derive(Debug, serde::Deserialize)]
pub struct ById {
    /// The resource's id.
    pub id: String,
}

/// `{id}` and `{sid}` of a user's session path.
#[derive(Debug, serde::Deserialize)]
pub struct BySession {
    /// The user's id.
    pub id: String,
    /// The session's id.
    pub sid: String,
}
