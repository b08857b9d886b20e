//! Applies the embedded PostgreSQL migrations (under sqlx's advisory lock, so nodes starting
//! together migrate once).

use sigil_store::{StoreError, StoreResult};
use sqlx::PgPool;

use crate::embedded::{POSTGRES, migrator};

/// Applies pending migrations.
pub(super) async fn run(pool: &PgPool) -> StoreResult<()> {
    migrator(POSTGRES)
        .await?
        .run(pool)
        .await
        .map_err(|e| StoreError::Backend(format!("applying migrations: {e}")))
}
