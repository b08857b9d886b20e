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
