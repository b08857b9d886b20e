//! Extractors: OAuth parameters from a query or a form body (with the duplicate and size rules
//! of [`Params`]), the browser behind a request, and the client IP.

use std::net::SocketAddr;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use axum::http::request::Parts;
use axum::response::Response;
use sigil_oidc::error::ErrorCode;
use sigil_oidc::{Browser, OAuthError, Params, TenantCtx};
use sigil_vc::wallet_attestation::{ATTESTATION_HEADER, POP_HEADER, PresentedAttestation};

use crate::cookies::{self, CookieNames};
use crate::error::oauth_error;
use crate::state::AppState;

/// Parameters from the query string.
pub struct QueryParams(pub Params);

impl<S: Send + Sync> FromRequestParts<S> for QueryParams {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Response> {
        Params::parse(parts.uri.query().unwrap_or("").as_bytes())
            .map(QueryParams)
            .map_err(|e| oauth_error(&e))
    }
}

/// Parameters from an `application/x-www-form-urlencoded` body.
pub struct FormParams(pub Params);

impl<S: Send + Sync> FromRequest<S> for FormParams {
    type Rejection = Response;

    async fn from_request(req: Request, state: &S) -> Result<Self, Response> {
        read_form(req, state)
            .await
            .map(FormParams)
            .map_err(|e| oauth_error(&e))
    }
}

/// Reads a form body into parameters.
pub async fn read_form<S: Send + Sync>(req: Request, state: &S) -> Result<Params, OAuthError> {
    let is_form = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        });
    if !is_form {
        return Err(OAuthError::invalid_request(
            "the body must be application/x-www-form-urlencoded",
        ));
    }
    let body = Bytes::from_request(req, state)
        .await
        .map_err(|_| OAuthError::invalid_request("the request body is too large or unreadable"))?;
    Params::parse(&body)
}

/// The `Authorization` header as text.
pub fn authorization(headers: &HeaderMap) -> Option<&str> {
    headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok())
}

/// The one value of header `name`, if any; why not, when it is repeated or not text.
fn single_header<'h>(headers: &'h HeaderMap, name: &str) -> Result<Option<&'h str>, String> {
    let mut values = headers.get_all(name).iter();
    let first = values.next();
    if values.next().is_some() {
        return Err(format!("a request carries one {name} header at most"));
    }
    first
        .map(|v| {
            v.to_str()
                .map_err(|_| format!("the {name} header is not text"))
        })
        .transpose()
}

/// The request's `DPoP` proof header (RFC 9449 §4.1), of which there may be one at most.
pub fn dpop_header(headers: &HeaderMap) -> Result<Option<String>, OAuthError> {
    single_header(headers, "DPoP")
        .map(|v| v.map(str::to_owned))
        .map_err(|why| OAuthError::new(ErrorCode::InvalidDpopProof, why))
}

/// A wallet's `OAuth-Client-Attestation` and `OAuth-Client-Attestation-PoP` headers: both or
/// neither, one of each.
pub fn client_attestation(
    headers: &HeaderMap,
) -> Result<Option<PresentedAttestation<'_>>, OAuthError> {
    let one = |name| single_header(headers, name).map_err(OAuthError::invalid_client);
    match (one(ATTESTATION_HEADER)?, one(POP_HEADER)?) {
        (None, None) => Ok(None),
        (Some(attestation), Some(pop)) => Ok(Some(PresentedAttestation { attestation, pop })),
        _ => Err(OAuthError::invalid_client(
            "a wallet attestation comes with its proof of possession, and only with it",
        )),
    }
}

/// The token of an `Authorization: Bearer …` header (RFC 6750 §2.1).
pub fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let (scheme, token) = authorization(headers)?.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The browser identity cookie value set by [`crate::security::browser_cookie`].
#[derive(Debug, Clone)]
pub struct BrowserId(pub String);

/// The client IP of a request.
pub fn client_ip(parts: &Parts, trust_forwarded_for: bool) -> Option<String> {
    if trust_forwarded_for
        && let Some(forwarded) = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
        && let Some(first) = forwarded.split(',').next()
    {
        let ip = first.trim();
        if ip.parse::<std::net::IpAddr>().is_ok() {
            return Some(ip.to_owned());
        }
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
}

/// Everything page handlers need about the request: tenant, browser, cookie names.
pub struct Ctx {
    /// The tenant.
    pub tenant: TenantCtx,
    /// The browser.
    pub browser: Browser,
    /// Cookie names for this tenant.
    pub cookies: CookieNames,
    /// Request headers (for CSRF origin checks).
    pub headers: HeaderMap,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let tenant = parts
            .extensions
            .get::<TenantCtx>()
            .cloned()
            .ok_or_else(|| crate::error::problem(404, "not-found", "No such tenant", None))?;
        let names = CookieNames::new(state.config.is_https(), &tenant.id);
        let browser_id = parts
            .extensions
            .get::<BrowserId>()
            .map(|b| b.0.clone())
            .unwrap_or_default();
        let browser = Browser {
            session_secret: cookies::read(&parts.headers, &names.session),
            browser_id,
            ip: client_ip(parts, state.config.trust_forwarded_for),
            user_agent: parts
                .headers
                .get(USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        };
        Ok(Ctx {
            tenant,
            browser,
            cookies: names,
            headers: parts.headers.clone(),
        })
    }
}

/// The tenant alone, for protocol endpoints.
pub struct Tenant(pub TenantCtx);

impl<S: Send + Sync> FromRequestParts<S> for Tenant {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Response> {
        parts
            .extensions
            .get::<TenantCtx>()
            .cloned()
            .map(Tenant)
            .ok_or_else(|| crate::error::problem(404, "not-found", "No such tenant", None))
    }
}
