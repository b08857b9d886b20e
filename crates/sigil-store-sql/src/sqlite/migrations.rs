//! Migrations embedded in the binary, so `sigil` needs no files beside it. The SQL lives in
//! `migrations/sqlite/`; sqlx's migrator records what ran and refuses edited migrations.

use std::borrow::Cow;
use std::pin::Pin;

use sigil_store::{StoreError, StoreResult};
use sqlx::SqlitePool;
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};

/// Every migration: version, description, SQL.
const MIGRATIONS: &[(i64, &str, &str)] = &[(
    1,
    "init",
    include_str!("../../migrations/sqlite/0001_init.sql"),
)];

#[derive(Debug)]
struct Embedded;

impl<'s> MigrationSource<'s> for Embedded {
    fn resolve(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxDynError>> + Send + 's>> {
        Box::pin(async {
            Ok(MIGRATIONS
                .iter()
                .map(|(version, description, sql)| {
                    Migration::new(
                        *version,
                        Cow::Borrowed(*description),
                        MigrationType::Simple,
                        Cow::Borrowed(*sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

/// Applies pending migrations.
pub(super) async fn run(pool: &SqlitePool) -> StoreResult<()> {
    let migrator = Migrator::new(Embedded)
        .await
        .map_err(|e| StoreError::Backend(format!("loading migrations: {e}")))?;
    migrator
        .run(pool)
        .await
        .map_err(|e| StoreError::Backend(format!("applying migrations: {e}")))
}
