//! Forwarding to the upstream application with hyper: bodies stream both ways, connection
//! upgrades (WebSockets) are spliced through, hop-by-hop headers are dropped (RFC 9110
//! §7.6.1), and the request is cleaned before the identity headers go on: every incoming
//! header that could pose as one the gateway injects is removed, whatever its case, its
//! repetition, or whether it is spelt with `-` or `_` (CGI-style servers read `SM-USER` and
//! `SM_USER` as one), and so are the gateway's own cookies and any cookie it injects.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use axum::http::{Request, Response, StatusCode, Uri};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls_platform_verifier::BuilderVerifierExt;
use sigil_policy::decide::InjectedNames;

/// Headers that describe one connection, not the message (RFC 9110 §7.6.1), plus the
/// proxy credentials of the client.
const HOP_BY_HOP: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Why the upstream cannot be reached.
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    /// The configured upstream is not an absolute http(s) URL.
    #[error("upstream {0:?} is not an absolute http or https URL")]
    Url(String),
    /// TLS could not be set up.
    #[error("TLS: {0}")]
    Tls(String),
}

/// The names that must never reach the upstream from the client.
#[derive(Debug, Clone, Default)]
pub struct Protected {
    /// Header names, lowercase with `_` folded to `-`.
    headers: BTreeSet<String>,
    /// Cookie names.
    cookies: BTreeSet<String>,
}

impl Protected {
    /// The names an application's decisions can inject.
    pub fn new(injected: &InjectedNames) -> Self {
        Self {
            headers: injected.headers.iter().map(|h| fold(h)).collect(),
            cookies: injected.cookies.clone(),
        }
    }

    /// Whether a cookie stays away from the upstream: an injected name, or one of Sigil's
    /// and the gateway's own (`sigil-…`; a browser sends Sigil's session cookie to every
    /// port of its host).
    fn cookie(&self, name: &str) -> bool {
        let bare = name.strip_prefix("__Host-").unwrap_or(name);
        bare.starts_with("sigil-") || self.cookies.contains(name)
    }
}

/// A header name as servers that fold case and `_`/`-` see it.
fn fold(name: &str) -> String {
    name.to_ascii_lowercase().replace('_', "-")
}

/// What to add to one forwarded request.
pub struct Forward<'a> {
    /// The normalised path.
    pub path: &'a str,
    /// The query, as received.
    pub query: Option<&'a str>,
    /// The client's address.
    pub client_ip: IpAddr,
    /// `http` or `https`, as the client reached the gateway.
    pub scheme: &'a str,
    /// Identity headers to set.
    pub headers: &'a BTreeMap<String, String>,
    /// Cookies to add.
    pub cookies: &'a BTreeMap<String, String>,
}

/// The upstream application and a pooled client for it.
pub struct Upstream {
    base: String,
    client: Client<HttpsConnector<HttpConnector>, Body>,
}

impl Upstream {
    /// The application at `url` (`http://host:port/optional/base`).
    pub fn new(url: &str) -> Result<Self, UpstreamError> {
        let parsed = url::Url::parse(url).map_err(|_| UpstreamError::Url(url.into()))?;
        if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
            return Err(UpstreamError::Url(url.into()));
        }
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(Duration::from_secs(10)));
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| UpstreamError::Tls(e.to_string()))?
            .with_platform_verifier()
            .map_err(|e| UpstreamError::Tls(e.to_string()))?
            .with_no_client_auth();
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(60))
            .build(https);
        Ok(Self {
            base: url.trim_end_matches('/').to_owned(),
            client,
        })
    }

    /// Sends `request` on with `forward`'s path and identity; answers the upstream's
    /// response, or 502 when it cannot be reached.
    pub async fn forward(
        &self,
        mut request: Request<Body>,
        protected: &Protected,
        forward: Forward<'_>,
    ) -> Response<Body> {
        let upgrade = wants_upgrade(request.headers());
        let client_side = upgrade.then(|| hyper::upgrade::on(&mut request));
        let (mut parts, body) = request.into_parts();
        let target = match forward.query {
            Some(q) => format!("{}{}?{q}", self.base, forward.path),
            None => format!("{}{}", self.base, forward.path),
        };
        let Ok(uri) = target.parse::<Uri>() else {
            return status(StatusCode::BAD_REQUEST);
        };
        parts.uri = uri;
        let host = parts.headers.get(header::HOST).cloned();
        clean_request(&mut parts.headers, protected, upgrade);
        add_forwarding(&mut parts.headers, &forward, host);
        inject(&mut parts.headers, forward.headers, forward.cookies);
        let response = match self.client.request(Request::from_parts(parts, body)).await {
            Ok(response) => response,
            Err(error) => {
                tracing::warn!(%error, "upstream unreachable");
                return status(StatusCode::BAD_GATEWAY);
            }
        };
        if response.status() == StatusCode::SWITCHING_PROTOCOLS
            && let Some(client_side) = client_side
        {
            return splice(response, client_side);
        }
        let (mut parts, body) = response.into_parts();
        remove_hop_by_hop(&mut parts.headers);
        Response::from_parts(parts, Body::new(body))
    }
}

/// Answers the upstream's `101 Switching Protocols` and copies bytes both ways once both
/// sides have switched.
fn splice(
    mut response: Response<hyper::body::Incoming>,
    client_side: hyper::upgrade::OnUpgrade,
) -> Response<Body> {
    let upstream_side = hyper::upgrade::on(&mut response);
    tokio::spawn(async move {
        let (Ok(client), Ok(upstream)) = (client_side.await, upstream_side.await) else {
            tracing::debug!("an upgraded connection closed before it started");
            return;
        };
        let mut client = TokioIo::new(client);
        let mut upstream = TokioIo::new(upstream);
        if let Err(error) = tokio::io::copy_bidirectional(&mut client, &mut upstream).await {
            tracing::debug!(%error, "upgraded connection ended");
        }
    });
    let (parts, _) = response.into_parts();
    Response::from_parts(parts, Body::empty())
}

fn status(code: StatusCode) -> Response<Body> {
    let mut response = Response::new(Body::from(
        code.canonical_reason().unwrap_or_default().to_owned(),
    ));
    *response.status_mut() = code;
    response
}

/// Whether the client asks to switch protocols (`Connection: upgrade` with `Upgrade`).
fn wants_upgrade(headers: &HeaderMap) -> bool {
    headers.contains_key(header::UPGRADE) && connection_tokens(headers).any(|t| t == "upgrade")
}

fn connection_tokens(headers: &HeaderMap) -> impl Iterator<Item = String> + '_ {
    headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
}

fn remove_hop_by_hop(headers: &mut HeaderMap) {
    let listed: Vec<String> = connection_tokens(headers).collect();
    for name in HOP_BY_HOP
        .iter()
        .copied()
        .chain(listed.iter().map(String::as_str))
    {
        headers.remove(name);
    }
}

/// Removes hop-by-hop headers (keeping an upgrade request's own), every header that folds to
/// a protected name, and protected cookies.
pub fn clean_request(headers: &mut HeaderMap, protected: &Protected, upgrade: bool) {
    let upgrade_to = headers.get(header::UPGRADE).cloned();
    remove_hop_by_hop(headers);
    if upgrade && let Some(protocol) = upgrade_to {
        headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
        headers.insert(header::UPGRADE, protocol);
    }
    let forged: Vec<HeaderName> = headers
        .keys()
        .filter(|name| protected.headers.contains(&fold(name.as_str())))
        .cloned()
        .collect();
    for name in forged {
        headers.remove(&name);
    }
    let kept: Vec<String> = crate::cookies::cookie_pairs(headers)
        .filter(|(name, _)| !protected.cookie(name))
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    headers.remove(header::COOKIE);
    if !kept.is_empty()
        && let Ok(value) = HeaderValue::from_str(&kept.join("; "))
    {
        headers.insert(header::COOKIE, value);
    }
}

/// `X-Forwarded-For` (appended), `-Proto` and `-Host` (replaced).
fn add_forwarding(headers: &mut HeaderMap, forward: &Forward<'_>, host: Option<HeaderValue>) {
    let chain = match headers.get("x-forwarded-for").and_then(|v| v.to_str().ok()) {
        Some(earlier) => format!("{earlier}, {}", forward.client_ip),
        None => forward.client_ip.to_string(),
    };
    if let Ok(value) = HeaderValue::from_str(&chain) {
        headers.insert("x-forwarded-for", value);
    }
    headers.insert(
        "x-forwarded-proto",
        HeaderValue::from_static(if forward.scheme == "https" {
            "https"
        } else {
            "http"
        }),
    );
    match host {
        Some(host) => headers.insert("x-forwarded-host", host),
        None => headers.remove("x-forwarded-host"),
    };
}

/// Sets the identity headers and adds the identity cookies. A value that cannot be a header
/// (a line break in a directory attribute) is left out and logged, never passed on raw.
fn inject(
    headers: &mut HeaderMap,
    identity: &BTreeMap<String, String>,
    cookies: &BTreeMap<String, String>,
) {
    for (name, value) in identity {
        match (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(value.as_bytes()),
        ) {
            (Ok(name), Ok(value)) => {
                headers.insert(name, value);
            }
            _ => tracing::warn!(header = %name, "an identity header's value cannot be sent"),
        }
    }
    if cookies.is_empty() {
        return;
    }
    let mut pairs: Vec<String> = headers
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .map(|v| vec![v.to_owned()])
        .unwrap_or_default();
    pairs.extend(
        cookies
            .iter()
            .map(|(name, value)| format!("{name}={}", cookie_value(value))),
    );
    if let Ok(value) = HeaderValue::from_str(&pairs.join("; ")) {
        headers.insert(header::COOKIE, value);
    }
}

/// A cookie value with every byte outside RFC 6265's `cookie-octet` percent-encoded.
fn cookie_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        let plain = matches!(byte, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E)
            && byte != b'%';
        if plain {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn protected() -> Protected {
        let injected = InjectedNames {
            headers: ["sm_user".to_owned(), "x-employee".to_owned()].into(),
            cookies: ["SMPROFILE".to_owned()].into(),
        };
        Protected::new(&injected)
    }

    #[test]
    fn forged_identity_headers_are_removed_in_every_spelling() {
        let mut headers = HeaderMap::new();
        for name in ["SM_USER", "sm-user", "Sm_User", "X_EMPLOYEE", "x-employee"] {
            headers.append(
                HeaderName::from_bytes(name.as_bytes()).expect("name"),
                HeaderValue::from_static("admin"),
            );
        }
        headers.insert("accept", HeaderValue::from_static("text/html"));
        clean_request(&mut headers, &protected(), false);
        assert_eq!(headers.len(), 1, "{headers:?}");
        assert!(headers.contains_key("accept"));
    }

    #[test]
    fn own_and_injected_cookies_are_removed_and_the_rest_kept() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static(
                "a=1; sigil-gw-abc=secret; __Host-sigil-session=s; SMPROFILE=forged",
            ),
        );
        headers.append(header::COOKIE, HeaderValue::from_static("b=2"));
        clean_request(&mut headers, &protected(), false);
        assert_eq!(headers.get(header::COOKIE).expect("kept"), "a=1; b=2");
    }

    #[test]
    fn hop_by_hop_headers_go_and_an_upgrade_survives_only_when_asked_for() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONNECTION,
            HeaderValue::from_static("x-private, Upgrade"),
        );
        headers.insert("x-private", HeaderValue::from_static("1"));
        headers.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        headers.insert(header::TE, HeaderValue::from_static("trailers"));
        let mut upgraded = headers.clone();
        clean_request(&mut headers, &protected(), false);
        assert!(headers.is_empty(), "{headers:?}");
        assert!(wants_upgrade(&upgraded));
        clean_request(&mut upgraded, &protected(), true);
        assert_eq!(upgraded.get(header::UPGRADE).expect("kept"), "websocket");
        assert_eq!(upgraded.get(header::CONNECTION).expect("kept"), "upgrade");
        assert!(!upgraded.contains_key("x-private"));
    }

    #[test]
    fn injected_values_that_cannot_be_headers_are_left_out() {
        let mut headers = HeaderMap::new();
        let identity = BTreeMap::from([
            ("SM_USER".to_owned(), "alice".to_owned()),
            ("X-Note".to_owned(), "a\r\nSet-Cookie: x".to_owned()),
        ]);
        let cookies = BTreeMap::from([("SMPROFILE".to_owned(), "a b;c".to_owned())]);
        inject(&mut headers, &identity, &cookies);
        assert_eq!(headers.get("sm_user").expect("set"), "alice");
        assert!(!headers.contains_key("x-note"));
        assert_eq!(
            headers.get(header::COOKIE).expect("set"),
            "SMPROFILE=a%20b%3Bc"
        );
    }
}
