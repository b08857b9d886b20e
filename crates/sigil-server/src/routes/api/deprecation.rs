//! Announcing that an operation of `/api/v1` will go: every response of a deprecated operation
//! carries `Deprecation` (RFC 9745: since when), `Sunset` (RFC 8594: when it stops answering)
//! and `Link`s to its successor and to the notice, and the OpenAPI document marks the
//! operation `deprecated`. Clients and API gateways see it on every call, months ahead.

use axum::extract::{MatchedPath, Request};
use axum::http::{HeaderValue, Method};
use axum::middleware::Next;
use axum::response::Response;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc2822;

/// An operation announced for removal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deprecation {
    /// The operation's method.
    pub method: Method,
    /// Its route, relative to `/api/v1`, as the router names it (`/users/{id}`).
    pub path: &'static str,
    /// Since when it is deprecated (Unix seconds).
    pub since: i64,
    /// When it stops answering (Unix seconds), at least six months later.
    pub sunset: i64,
    /// What replaces it (a URL or a path under the API).
    pub successor: &'static str,
}

/// The deprecated operations of `/api/v1`. None yet: v1 has only gained.
pub const DEPRECATED: &[Deprecation] = &[];

/// Where the deprecation policy and notices are written down.
const NOTICE: &str = "https://github.com/sigil-idp/sigil/blob/main/docs/API.md#versioning";

impl Deprecation {
    /// The headers announcing it: `Deprecation`, `Sunset`, `Link`.
    pub fn headers(&self) -> Vec<(&'static str, HeaderValue)> {
        let http_date = |t: i64| {
            OffsetDateTime::from_unix_timestamp(t)
                .ok()
                .and_then(|d| d.format(&Rfc2822).ok())
                .map(|s| s.replace("+0000", "GMT"))
        };
        let mut out = Vec::new();
        if let Ok(v) = HeaderValue::from_str(&format!("@{}", self.since)) {
            out.push(("deprecation", v));
        }
        if let Some(v) = http_date(self.sunset).and_then(|d| HeaderValue::from_str(&d).ok()) {
            out.push(("sunset", v));
        }
        let link = format!(
            "<{}>; rel=\"successor-version\", <{NOTICE}>; rel=\"deprecation\"",
            self.successor
        );
        if let Ok(v) = HeaderValue::from_str(&link) {
            out.push(("link", v));
        }
        out
    }

    fn matches(&self, method: &Method, route: &str) -> bool {
        *method == self.method && route.ends_with(&format!("{}{}", super::PREFIX, self.path))
    }
}

/// Middleware: announces the deprecation of the operation a request reached, if any.
pub async fn announce(req: Request, next: Next) -> Response {
    announce_from(DEPRECATED, req, next).await
}

/// [`announce`] over a given list.
pub async fn announce_from(list: &[Deprecation], req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let mut res = next.run(req).await;
    let found = route.and_then(|r| list.iter().find(|d| d.matches(&method, &r)));
    if let Some(d) = found {
        for (name, value) in d.headers() {
            res.headers_mut().append(name, value);
        }
    }
    res
}

/// Marks the deprecated operations in the OpenAPI document.
pub fn mark(doc: &mut utoipa::openapi::OpenApi, list: &[Deprecation]) {
    for d in list {
        let Some(item) = doc.paths.paths.get_mut(d.path) else {
            continue;
        };
        let operation = match d.method {
            Method::GET => item.get.as_mut(),
            Method::POST => item.post.as_mut(),
            Method::PUT => item.put.as_mut(),
            Method::PATCH => item.patch.as_mut(),
            Method::DELETE => item.delete.as_mut(),
            _ => None,
        };
        if let Some(op) = operation {
            op.deprecated = Some(utoipa::openapi::Deprecated::True);
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::routing::get;
    use tower::ServiceExt;

    use super::*;

    fn sample() -> Deprecation {
        Deprecation {
            method: Method::GET,
            path: "/things/{id}",
            since: 1_798_761_600,
            sunset: 1_814_400_000,
            successor: "/api/v2/things/{id}",
        }
    }

    #[tokio::test]
    async fn a_deprecated_operation_announces_itself_and_no_other_does() {
        let list = [sample()];
        let app = Router::new()
            .route(
                "/api/v1/things/{id}",
                get(|| async { "thing" }).post(|| async { "made" }),
            )
            .layer(axum::middleware::from_fn(move |req, next| {
                let list = list.clone();
                async move { announce_from(&list, req, next).await }
            }));
        let call = |method: Method| {
            let app = app.clone();
            async move {
                let req = axum::http::Request::builder()
                    .method(method)
                    .uri("/api/v1/things/7")
                    .body(Body::empty())
                    .unwrap_or_default();
                app.oneshot(req).await.map(|r| r.headers().clone())
            }
        };
        let Ok(headers) = call(Method::GET).await;
        assert_eq!(headers["deprecation"], "@1798761600");
        assert_eq!(headers["sunset"], "Thu, 01 Jul 2027 00:00:00 GMT");
        let link = headers["link"].to_str().unwrap_or_default();
        assert!(
            link.starts_with("</api/v2/things/{id}>; rel=\"successor-version\""),
            "{link}"
        );
        let Ok(other) = call(Method::POST).await;
        assert!(!other.contains_key("deprecation") && !other.contains_key("sunset"));
    }

    #[test]
    fn the_document_marks_deprecated_operations() {
        let mut doc = utoipa::openapi::OpenApiBuilder::new()
            .paths(utoipa::openapi::PathsBuilder::new().path(
                "/things/{id}",
                utoipa::openapi::PathItem::new(
                    utoipa::openapi::HttpMethod::Get,
                    utoipa::openapi::path::Operation::new(),
                ),
            ))
            .build();
        mark(&mut doc, &[sample()]);
        let op = doc.paths.paths["/things/{id}"].get.as_ref();
        assert!(matches!(
            op.and_then(|o| o.deprecated.clone()),
            Some(utoipa::openapi::Deprecated::True)
        ));
    }
}
