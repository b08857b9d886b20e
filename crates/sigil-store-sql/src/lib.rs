//! SQL storage backends for Sigil, one module per dialect.
//!
//! - SQLite, the embedded default: one file in the data directory, WAL mode, a single writer
//!   connection (SQLite admits one writer at a time; queueing in-process beats `SQLITE_BUSY`),
//!   a small pool of readers.
//! - PostgreSQL, for many stateless nodes: a connection pool with statement timeouts.
//!
//! Both have the same tables and columns (a test compares them); rows are decoded by one set of
//! functions ([`records`]). Queries are written per dialect.

mod access;
mod audit;
mod clients;
pub mod copy;
mod credentials;
mod embedded;
mod federation;
mod groups;
mod hooks;
mod idempotency;
mod listing;
mod provisioning;
mod records;
mod rows;
mod search;
mod session_clients;
mod users;

pub mod postgres;
pub mod seed;
pub mod sqlite;
pub mod testing;

use std::sync::Arc;

pub use postgres::{PgSettings, PgStore};
use sigil_store::{Store, StoreError, StoreResult};
pub use sqlite::SqliteStore;

/// Opens the store a URL names: `sqlite://PATH` or `postgres://…` (also `postgresql://`).
pub async fn open_url(url: &str, pg: &PgSettings) -> StoreResult<Arc<dyn Store>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PgStore::connect(url, pg).await?))
    } else if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::open_url(url).await?))
    } else {
        Err(StoreError::Unavailable(format!(
            "unsupported database URL {url:?}: use sqlite://PATH or postgres://…"
        )))
    }
}
