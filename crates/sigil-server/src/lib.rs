//! Sigil's HTTP face: every route in [`router`], thin handlers that parse a request, call the
//! provider and map its outcome onto HTTP, plus the cross-cutting layers (security headers, request context,
//! CSRF, tenants, metrics, tracing) and the hosted pages.

pub mod config;
pub mod cookies;
pub mod csrf;
pub mod edge;
pub mod error;
pub mod extract;
pub mod hooks;
pub mod jwks_fetch;
pub mod lazy_router;
pub mod metrics;
pub mod pages;
pub mod ratelimit;
pub mod request_context;
pub mod router;
pub mod routes;
pub mod security;
pub mod state;
pub mod tenant;

pub use config::ServerConfig;
pub use router::router;
pub use state::AppState;
