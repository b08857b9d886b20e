//! The PostgreSQL backend: many stateless Sigil nodes on one database. Same tables and
//! columns as the SQLite backend (a test checks), PostgreSQL's dialect. Every statement runs
//! under a statement timeout; single-use records are consumed with conditional `UPDATE`s, so
//! under READ COMMITTED exactly one of any number of racing requests wins.

mod access;
mod accounts;
mod audit;
mod clients;
mod credentials;
mod federation;
mod grants;
mod groups;
mod hooks;
mod idempotency;
mod migrations;
mod provisioning;
mod sessions;
mod users;

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sigil_core::UnixTime;
use sigil_store::{ChangeListener, Store, StoreError, StoreResult};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Postgres, Transaction};

/// Connection settings of the PostgreSQL backend.
#[derive(Debug, Clone)]
pub struct PgSettings {
    /// Most connections this node opens.
    pub max_connections: u32,
    /// Longest any statement may run.
    pub statement_timeout: Duration,
    /// Longest a request waits for a free connection.
    pub acquire_timeout: Duration,
    /// Schema to use (`search_path`); the server's default when `None`.
    pub schema: Option<String>,
}

impl Default for PgSettings {
    fn default() -> Self {
        PgSettings {
            max_connections: 16,
            statement_timeout: Duration::from_secs(5),
            acquire_timeout: Duration::from_secs(5),
            schema: None,
        }
    }
}

/// A Sigil store in a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to `url` (`postgres://…`) and applies pending migrations (under PostgreSQL's
    /// advisory lock, so nodes starting together migrate once).
    pub async fn connect(url: &str, settings: &PgSettings) -> StoreResult<Self> {
        let mut options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("invalid PostgreSQL URL: {e}")))?
            .application_name("sigil");
        let timeout_ms = settings.statement_timeout.as_millis().to_string();
        let mut server_options = vec![("statement_timeout", timeout_ms)];
        if let Some(schema) = &settings.schema {
            server_options.push(("search_path", schema.clone()));
        }
        options = options.options(server_options);
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout)
            .connect_with(options)
            .await
            .map_err(unavailable)?;
        migrations::run(&pool).await?;
        Ok(PgStore { pool })
    }

    /// The pool (for the store copier).
    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn begin(&self) -> StoreResult<Transaction<'static, Postgres>> {
        self.pool.begin().await.map_err(backend)
    }
}

fn unavailable(e: sqlx::Error) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

/// Maps any sqlx error, telling unavailability apart from other failures.
pub(crate) fn backend(e: sqlx::Error) -> StoreError {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed => unavailable(e),
        // 57014: statement timeout; 57P01-57P03: the server is shutting down or not accepting.
        sqlx::Error::Database(ref db)
            if db
                .code()
                .is_some_and(|c| c == "57014" || c.starts_with("57P")) =>
        {
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

/// The channel change notifications travel on.
const CHANGES_CHANNEL: &str = "sigil_changes";

/// Bumps the change epoch inside a transaction that changed cached data, and notifies every
/// listening node (PostgreSQL delivers the notification when the transaction commits).
pub(crate) async fn bump_epoch(tx: &mut Transaction<'static, Postgres>) -> StoreResult<()> {
    sqlx::query("UPDATE change_epoch SET epoch = epoch + 1 WHERE id = 1")
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    sqlx::query("SELECT pg_notify($1, '')")
        .bind(CHANGES_CHANNEL)
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    Ok(())
}

/// LISTEN on the change channel.
struct PgChanges(sqlx::postgres::PgListener);

#[async_trait]
impl ChangeListener for PgChanges {
    async fn next_change(&mut self) -> StoreResult<()> {
        // PgListener reconnects on the next call after a lost connection.
        self.0.recv().await.map(|_| ()).map_err(backend)
    }
}

#[async_trait]
impl Store for PgStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn change_epoch(&self) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT epoch FROM change_epoch WHERE id = 1")
            .fetch_one(&self.pool)
            .await
            .map_err(backend)
    }

    async fn purge_expired(&self, now: UnixTime) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        let mut removed = 0;
        for sql in [
            "DELETE FROM artifacts WHERE expires_at <= $1",
            "DELETE FROM revoked_access_tokens WHERE expires_at <= $1",
            "DELETE FROM device_authorizations WHERE expires_at <= $1",
            "DELETE FROM idempotency_keys WHERE expires_at <= $1",
            // Finished hook deliveries (and their attempts) are kept 30 days.
            "DELETE FROM hook_deliveries WHERE state <> 'pending' AND updated_at <= $1 - 2592000",
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

    async fn listen_changes(&self) -> StoreResult<Option<Box<dyn ChangeListener>>> {
        let mut listener = sqlx::postgres::PgListener::connect_with(&self.pool)
            .await
            .map_err(backend)?;
        listener.listen(CHANGES_CHANNEL).await.map_err(backend)?;
        Ok(Some(Box::new(PgChanges(listener))))
    }
}
