//! Security headers on every response, the per-page Content-Security-Policy, and the browser
//! cookie middleware.

use axum::extract::{Request, State};
use axum::http::HeaderValue;
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY, SET_COOKIE, STRICT_TRANSPORT_SECURITY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::middleware::Next;
use axum::response::Response;

use crate::cookies::{self, CookieNames};
use crate::extract::BrowserId;
use crate::state::AppState;

/// The policy of responses that are not pages (JSON): nothing may load, nothing may frame.
const API_CSP: &str =
    "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The policy of hosted pages: own stylesheet and images only, no script at all, forms posting
/// only to Sigil and to the origins the page's form may redirect to (Chromium applies
/// `form-action` to the redirects that follow a form submission), and frames only from
/// `frame_sources` (the clients' front-channel logout pages; none when empty).
pub fn page_csp(form_targets: &[String], frame_sources: &[String]) -> String {
    let mut targets = String::from("'self'");
    for t in form_targets {
        targets.push(' ');
        targets.push_str(t);
    }
    let mut policy = format!(
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action {targets}; \
         frame-ancestors 'none'; base-uri 'none'"
    );
    if !frame_sources.is_empty() {
        policy.push_str("; frame-src ");
        policy.push_str(&frame_sources.join(" "));
    }
    policy
}

/// Sets the headers every response carries unless its handler set them.
pub fn add_security_headers(state: &AppState, res: &mut Response) {
    let h = res.headers_mut();
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.entry(REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("no-referrer"));
    h.entry(CONTENT_SECURITY_POLICY)
        .or_insert(HeaderValue::from_static(API_CSP));
    h.entry(CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    if state.config.is_https() {
        h.insert(
            STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
}

/// How long the browser cookie lives (the browsers' own cap is 400 days).
const BROWSER_COOKIE_MAX_AGE: u64 = 400 * 86400;

/// Middleware for browser-facing routes: makes sure the browser has a browser cookie, and
/// passes its value on as [`BrowserId`].
pub async fn browser_cookie(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let secure = state.config.is_https();
    let name = CookieNames::new(secure, &sigil_core::TenantId::default_tenant()).browser;
    let existing = cookies::read(req.headers(), &name).filter(|v| v.len() == 43);
    let (id, fresh) = match existing {
        Some(v) => (v, false),
        None => (sigil_core::random::secret_token(), true),
    };
    req.extensions_mut().insert(BrowserId(id.clone()));
    let mut res = next.run(req).await;
    if fresh {
        res.headers_mut().append(
            SET_COOKIE,
            cookies::set(&name, &id, secure, Some(BROWSER_COOKIE_MAX_AGE)),
        );
    }
    res
}
