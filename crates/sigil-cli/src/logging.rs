//! One tracing set-up: text or JSON lines on stderr, filtered by config or `RUST_LOG`.
//!
//! Never logged: passwords, client secrets, codes, tokens, cookies, query strings (see
//! `docs/LOGGING.md`). Request spans carry the method and path only.

use tracing_subscriber::EnvFilter;

use crate::config::LogConfig;

/// Installs the global subscriber (once; later calls are ignored).
pub fn init(cfg: &LogConfig) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&cfg.filter));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = if cfg.format == "json" {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
}
