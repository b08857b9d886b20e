//! The SQLite backend.

mod access;
mod artifacts;
mod audit;
mod clients;
mod consents;
mod credentials;
mod devices;
mod federation;
mod grants;
mod groups;
mod hooks;
mod idempotency;
mod keys;
mod migrations;
mod provisioning;
mod sessions;
mod tenants;
mod users;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sigil_core::UnixTime;
use sigil_store::{Store, StoreError, StoreResult};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};

/// A Sigil store in one SQLite database file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
}

/// Name of the database file inside a data directory.
pub const DATABASE_FILE: &str = "sigil.db";

impl SqliteStore {
    /// Opens (creating if needed) the store in `data_dir` and applies pending migrations.
    pub async fn open_dir(data_dir: &Path) -> StoreResult<Self> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            StoreError::Unavailable(format!("cannot create {}: {e}", data_dir.display()))
        })?;
        let options = SqliteConnectOptions::new().filename(data_dir.join(DATABASE_FILE));
        Self::open(options).await
    }

    /// Opens the store at a `sqlite:` URL (e.g. `sqlite:///var/lib/sigil/sigil.db`).
    pub async fn open_url(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("invalid SQLite URL: {e}")))?;
        Self::open(options).await
    }

    async fn open(options: SqliteConnectOptions) -> StoreResult<Self> {
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL in WAL mode loses nothing when the process dies; only an OS crash or
            // power loss can drop the last commits. It avoids an fsync per transaction.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5))
            .pragma("cache_size", "-2000");
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.clone())
            .await
            .map_err(unavailable)?;
        migrations::run(&writer).await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.read_only(true))
            .await
            .map_err(unavailable)?;
        Ok(SqliteStore { writer, reader })
    }

    /// The read-only pool (for the store copier).
    pub(crate) fn reader(&self) -> &SqlitePool {
        &self.reader
    }

    /// Begins a write transaction that takes the database write lock up front, so it never
    /// fails half-way when another process (the CLI) writes at the same time.
    async fn begin(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        self.writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(backend)
    }
}

/// Maps connection-level failures.
fn unavailable(e: sqlx::Error) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

/// Maps any sqlx error, telling unavailability apart from other failures.
pub(crate) fn backend(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => unavailable(e),
        sqlx::Error::Database(ref db) if db.message().contains("database is locked") => {
            unavailable(e)
        }
        other => StoreError::Backend(other.to_string()),
    }
}

/// Maps a unique-constraint violation to `Conflict(what)`.
pub(crate) fn conflict_or_backend(what: &'static str) -> impl Fn(sqlx::Error) -> StoreError {
    move |e| match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(what),
        _ => backend(e),
    }
}

/// Bumps the change epoch inside a transaction that changed cached data.
pub(crate) async fn bump_epoch(tx: &mut Transaction<'static, Sqlite>) -> StoreResult<()> {
    sqlx::query("UPDATE change_epoch SET epoch = epoch + 1 WHERE id = 1")
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    Ok(())
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.reader)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn change_epoch(&self) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT epoch FROM change_epoch WHERE id = 1")
            .fetch_one(&self.reader)
            .await
            .map_err(backend)
    }

    async fn purge_expired(&self, now: UnixTime) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        let mut removed = 0;
        for sql in [
            "DELETE FROM artifacts WHERE expires_at <= ?",
            "DELETE FROM revoked_access_tokens WHERE expires_at <= ?",
            "DELETE FROM device_authorizations WHERE expires_at <= ?",
            "DELETE FROM idempotency_keys WHERE expires_at <= ?",
            // Finished hook deliveries (and their attempts) are kept 30 days.
            "DELETE FROM hook_deliveries WHERE state <> 'pending' AND updated_at <= ? - 2592000",
        ] {
            removed += sqlx::query(sql)
                .bind(now.0)
                .execute(&mut *tx)
                .await
                .map_err(backend)?
                .rows_affected();
        }
        tx.commit().await.map_err(backend)?;
        Ok(removed)
    }
}
