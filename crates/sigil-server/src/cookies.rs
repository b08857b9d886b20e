//! The two cookies Sigil sets: the session cookie (a 256-bit secret; the store keeps only its
//! digest) and the browser cookie (binds interactions to the browser that started them and
//! anchors CSRF tokens). Both `HttpOnly`, `SameSite=Lax`, `Path=/`; on https also `Secure`
//! with the `__Host-` prefix, so no subdomain can set or shadow them.

use axum::http::HeaderMap;
use axum::http::HeaderValue;
use axum::http::header::COOKIE;
use sigil_core::TenantId;

/// Names of the cookies for one tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CookieNames {
    /// Session cookie.
    pub session: String,
    /// Browser cookie.
    pub browser: String,
}

impl CookieNames {
    /// Cookie names for `tenant`, prefixed `__Host-` when `secure`.
    pub fn new(secure: bool, tenant: &TenantId) -> Self {
        let prefix = if secure { "__Host-" } else { "" };
        let suffix = if tenant.is_default() {
            String::new()
        } else {
            format!("-{tenant}")
        };
        CookieNames {
            session: format!("{prefix}sigil-session{suffix}"),
            browser: format!("{prefix}sigil-browser"),
        }
    }
}

/// Reads a cookie's value from the request headers (the first occurrence wins).
pub fn read(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"').to_owned())
        .filter(|v| !v.is_empty() && v.len() <= 256)
}

/// A `Set-Cookie` value. `max_age` in seconds; `None` makes a browser-session cookie.
pub fn set(name: &str, value: &str, secure: bool, max_age: Option<u64>) -> HeaderValue {
    let mut text = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if secure {
        text.push_str("; Secure");
    }
    if let Some(age) = max_age {
        text.push_str(&format!("; Max-Age={age}"));
    }
    // Names and values are ASCII we generated (base64url), so this cannot fail.
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("invalid=1"))
}

/// A `Set-Cookie` value that deletes the cookie.
pub fn clear(name: &str, secure: bool) -> HeaderValue {
    set(name, "", secure, Some(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_prefix_only_on_https() {
        let t = TenantId::default_tenant();
        assert_eq!(CookieNames::new(true, &t).session, "__Host-sigil-session");
        assert_eq!(CookieNames::new(false, &t).session, "sigil-session");
        let acme = TenantId::parse("acme").expect("valid");
        assert_eq!(
            CookieNames::new(true, &acme).session,
            "__Host-sigil-session-acme"
        );
        let v = set("__Host-sigil-session", "abc", true, Some(60));
        assert_eq!(
            v.to_str().expect("ascii"),
            "__Host-sigil-session=abc; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=60"
        );
    }

    #[test]
    fn reads_cookies() {
        let mut h = HeaderMap::new();
        h.insert(
            COOKIE,
            HeaderValue::from_static("a=1; sigil-session=xyz; b=2"),
        );
        assert_eq!(read(&h, "sigil-session").as_deref(), Some("xyz"));
        assert_eq!(read(&h, "missing"), None);
    }
}
