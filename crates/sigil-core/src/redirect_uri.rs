//! Redirect URIs: what a client may register, and the exact-match rule used at request time.
//!
//! Registration accepts `https` URIs, `http` only on loopback hosts (development and native
//! apps, RFC 8252 §7.3), and private-use schemes containing a dot (RFC 8252 §7.1). Matching
//! is byte-for-byte string equality; the one exception RFC 8252 §7.3 requires is that a
//! native (public) client registered with a loopback IP literal may use any port.

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Deserializer, Serialize};
use url::{Host, Url};

/// A registered (or requested) redirect URI that passed validation.
#[derive(Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct RedirectUri(String);

/// Why a redirect URI is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid redirect URI: {0}")]
pub struct RedirectUriError(pub &'static str);

impl RedirectUri {
    /// Validates a URI for registration or as a request parameter.
    pub fn parse(text: &str) -> Result<Self, RedirectUriError> {
        if text.len() > 2000 {
            return Err(RedirectUriError("longer than 2000 characters"));
        }
        let url = Url::parse(text).map_err(|_| RedirectUriError("not an absolute URI"))?;
        if url.fragment().is_some() || text.contains('#') {
            return Err(RedirectUriError("must not contain a fragment"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(RedirectUriError("must not contain user information"));
        }
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&url) => {}
            "http" => return Err(RedirectUriError("http is only allowed for loopback hosts")),
            scheme if scheme.contains('.') => {}
            _ => {
                return Err(RedirectUriError(
                    "scheme must be https, loopback http, or a private-use scheme",
                ));
            }
        }
        Ok(RedirectUri(text.to_owned()))
    }

    /// The URI as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether a requested URI matches this registered one: exact string equality, plus
    /// any port on a loopback IP literal when `allow_loopback_port` (native clients).
    pub fn matches(&self, requested: &str, allow_loopback_port: bool) -> bool {
        if self.0 == requested {
            return true;
        }
        if !allow_loopback_port {
            return false;
        }
        let (Ok(registered), Ok(mut asked)) = (Url::parse(&self.0), Url::parse(requested)) else {
            return false;
        };
        if registered.scheme() != "http" || !is_loopback_ip_literal(&registered) {
            return false;
        }
        // Compare with the requested port replaced by the registered one; everything else
        // must still match exactly.
        if asked.set_port(registered.port()).is_err() {
            return false;
        }
        asked.as_str() == registered.as_str() && requested.starts_with("http://")
    }

    /// The origin (`scheme://host[:port]`) for Content-Security-Policy `form-action`;
    /// `None` for private-use schemes, which have no web origin.
    pub fn web_origin(&self) -> Option<String> {
        let url = Url::parse(&self.0).ok()?;
        match url.scheme() {
            "http" | "https" => Some(url.origin().ascii_serialization()),
            _ => None,
        }
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

fn is_loopback_ip_literal(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        _ => false,
    }
}

impl fmt::Display for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RedirectUri({:?})", self.0)
    }
}

impl<'de> Deserialize<'de> for RedirectUri {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        RedirectUri::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_rules() {
        for ok in [
            "https://rp.example/cb",
            "https://rp.example/cb?x=1",
            "http://127.0.0.1:8080/cb",
            "http://[::1]/cb",
            "http://localhost:3000/cb",
            "com.example.app:/oauth2redirect",
        ] {
            assert!(RedirectUri::parse(ok).is_ok(), "{ok} refused");
        }
        for bad in [
            "/relative",
            "https://rp.example/cb#frag",
            "http://rp.example/cb",
            "javascript:alert(1)",
            "https://user:pw@rp.example/cb",
            "data:text/html,hi",
        ] {
            assert!(RedirectUri::parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn matching_is_exact() {
        let r = RedirectUri::parse("https://rp.example/cb").expect("valid");
        assert!(r.matches("https://rp.example/cb", false));
        for near in [
            "https://rp.example/cb/",
            "https://rp.example/cb?x",
            "https://RP.example/cb",
            "https://rp.example/cb/../cb",
            "https://rp.example:443/cb",
            "https://rp.example/c",
            "https://rp.example.evil/cb",
        ] {
            assert!(!r.matches(near, true), "{near} matched");
        }
    }

    #[test]
    fn loopback_port_flexibility_only_for_ip_literals_and_when_allowed() {
        let r = RedirectUri::parse("http://127.0.0.1/cb").expect("valid");
        assert!(r.matches("http://127.0.0.1:51004/cb", true));
        assert!(!r.matches("http://127.0.0.1:51004/cb", false));
        assert!(!r.matches("http://127.0.0.1:51004/other", true));
        assert!(!r.matches("http://127.0.0.2:51004/cb", true));
        let named = RedirectUri::parse("http://localhost/cb").expect("valid");
        assert!(!named.matches("http://localhost:9999/cb", true));
    }
}
