//! Applies the embedded SQLite migrations.

use sigil_store::{StoreError, StoreResult};
use sqlx::SqlitePool;

use crate::embedded::{SQLITE, migrator};

/// Applies pending migrations.
pub(super) async fn run(pool: &SqlitePool) -> StoreResult<()> {
    migrator(SQLITE)
        .await?
        .run(pool)
        .await
        .map_err(|e| StoreError::Backend(format!("applying migrations: {e}")))
}
