//! CSRF protection for Sigil's own forms: a token that is an HMAC of the browser cookie (so
//! an attacker's page cannot know it), checked in constant time, plus an `Origin` check when
//! the browser sends one. `SameSite=Lax` cookies are the third layer.

use aws_lc_rs::hmac;
use axum::http::HeaderMap;
use axum::http::header::ORIGIN;
use sigil_core::{TenantId, b64url_encode};
use subtle::ConstantTimeEq;

/// The token for a form shown to `browser_id` of `tenant`.
pub fn token(key: &hmac::Key, tenant: &TenantId, browser_id: &str) -> String {
    let tag = hmac::sign(key, format!("csrf\0{tenant}\0{browser_id}").as_bytes());
    b64url_encode(tag.as_ref())
}

/// Checks a submitted form: the token must match, and a present `Origin` must be ours.
pub fn check(
    key: &hmac::Key,
    tenant: &TenantId,
    browser_id: &str,
    submitted: Option<&str>,
    headers: &HeaderMap,
    origin: &str,
) -> bool {
    if let Some(o) = headers.get(ORIGIN)
        && o.as_bytes() != origin.as_bytes()
    {
        return false;
    }
    let Some(submitted) = submitted else {
        return false;
    };
    let expected = token(key, tenant, browser_id);
    bool::from(expected.as_bytes().ct_eq(submitted.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn tokens_bind_browser_and_origin() {
        let key = hmac::Key::new(hmac::HMAC_SHA256, b"k");
        let t = TenantId::default_tenant();
        let tok = token(&key, &t, "browser-a");
        let mut h = HeaderMap::new();
        assert!(check(
            &key,
            &t,
            "browser-a",
            Some(&tok),
            &h,
            "http://localhost:8080"
        ));
        assert!(!check(
            &key,
            &t,
            "browser-b",
            Some(&tok),
            &h,
            "http://localhost:8080"
        ));
        assert!(!check(
            &key,
            &t,
            "browser-a",
            None,
            &h,
            "http://localhost:8080"
        ));
        h.insert(ORIGIN, HeaderValue::from_static("https://evil.example"));
        assert!(!check(
            &key,
            &t,
            "browser-a",
            Some(&tok),
            &h,
            "http://localhost:8080"
        ));
        h.insert(ORIGIN, HeaderValue::from_static("http://localhost:8080"));
        assert!(check(
            &key,
            &t,
            "browser-a",
            Some(&tok),
            &h,
            "http://localhost:8080"
        ));
    }
}
