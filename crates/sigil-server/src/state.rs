//! Shared application state handed to every handler.

use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use sigil_oidc::Provider;

use crate::config::ServerConfig;
use crate::pages::Pages;

/// Everything handlers need; one `Arc`, so the per-request clones axum makes cost one
/// reference-count increment.
#[derive(Clone)]
pub struct AppState(Arc<AppStateInner>);

impl std::ops::Deref for AppState {
    type Target = AppStateInner;
    fn deref(&self) -> &AppStateInner {
        &self.0
    }
}

/// The shared state behind [`AppState`].
pub struct AppStateInner {
    /// The OpenID provider.
    pub provider: Arc<Provider>,
    /// Server settings.
    pub config: ServerConfig,
    /// Hosted page renderer.
    pub pages: Pages,
    /// Key for CSRF tokens.
    pub csrf_key: aws_lc_rs::hmac::Key,
    /// Prometheus exposition.
    pub metrics: PrometheusHandle,
    /// Rate limit buckets.
    pub limiter: crate::ratelimit::Limiter,
}

impl AppState {
    /// Assembles the state: loads the page templates and the metrics recorder.
    pub fn new(
        provider: Arc<Provider>,
        config: ServerConfig,
        csrf_key: &[u8; 32],
    ) -> Result<Self, String> {
        let pages = Pages::new(&config.ui)?;
        let limiter = crate::ratelimit::Limiter::new(&config.rate_limits)?;
        Ok(AppState(Arc::new(AppStateInner {
            limiter,
            provider,
            config,
            pages,
            csrf_key: aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, csrf_key),
            metrics: crate::metrics::install(),
        })))
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}
