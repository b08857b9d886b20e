//! Server settings: where to listen, the public issuer, hosted-page branding, and what
//! outbound fetches may reach.

use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

/// HTTP server settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Public issuer URL of the default tenant (what clients see; no trailing slash).
    pub issuer: String,
    /// Largest request body accepted, bytes.
    pub max_body_bytes: usize,
    /// Seconds a request may take before it is answered 503.
    pub request_timeout: u64,
    /// Trust the first `X-Forwarded-For` address as the client IP (only behind a proxy that
    /// sets it).
    pub trust_forwarded_for: bool,
    /// Seconds to let in-flight requests finish on shutdown.
    pub shutdown_grace: u64,
    /// Hosted pages.
    pub ui: UiConfig,
    /// Outbound fetches (client `jwks_uri`).
    pub outbound: OutboundConfig,
    /// Rate limits.
    pub rate_limits: crate::ratelimit::RateLimitConfig,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            issuer: "http://localhost:8080".into(),
            max_body_bytes: 64 * 1024,
            request_timeout: 30,
            trust_forwarded_for: false,
            shutdown_grace: 20,
            ui: UiConfig::default(),
            outbound: OutboundConfig::default(),
            rate_limits: crate::ratelimit::RateLimitConfig::default(),
        }
    }
}

/// Hosted page branding.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UiConfig {
    /// A directory whose templates (same names as the built-in ones) and `sigil.css`
    /// replace the built-in ones.
    pub template_dir: Option<std::path::PathBuf>,
    /// Product name shown in page titles; the tenant's display name when absent.
    pub product_name: Option<String>,
}

/// What outbound requests may reach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutboundConfig {
    /// Allow loopback, private and link-local targets (development only: this opens SSRF).
    pub allow_private_networks: bool,
    /// Timeout of one fetch, seconds.
    pub timeout: u64,
}

impl Default for OutboundConfig {
    fn default() -> Self {
        OutboundConfig {
            allow_private_networks: false,
            timeout: 5,
        }
    }
}

impl ServerConfig {
    /// Whether the issuer is https (then cookies are `Secure` and `__Host-` prefixed, and HSTS
    /// is sent).
    pub fn is_https(&self) -> bool {
        self.issuer.starts_with("https://")
    }

    /// The issuer's origin (scheme, host, port), for `Origin` checks.
    pub fn issuer_origin(&self) -> String {
        url::Url::parse(&self.issuer)
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default()
    }
}
