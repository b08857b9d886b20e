//! Moving house: copies a whole embedded (SQLite) deployment into PostgreSQL, table by table in
//! one PostgreSQL transaction, and verifies the copy by comparing row counts before committing.
//! Both schemas have the same tables and columns (see the schema parity test), so a row is
//! copied column by column, typed by the target's column types.

use sigil_store::{StoreError, StoreResult};
use sqlx::sqlite::SqliteRow;
use sqlx::{Postgres, Row};

use crate::postgres::{PgSettings, PgStore, backend as pg_error};
use crate::sqlite::SqliteStore;

/// Tables in an order that respects foreign keys (parents first).
const TABLES: &[&str] = &[
    "tenants",
    "users",
    "user_groups",
    "group_members",
    "clients",
    "signing_keys",
    "sessions",
    "session_clients",
    "consents",
    "token_families",
    "refresh_tokens",
    "revoked_access_tokens",
    "artifacts",
    "device_authorizations",
    "audit_events",
    "idempotency_keys",
    "provisioning_tokens",
    "hooks",
    "hook_outbox",
    "hook_deliveries",
    "hook_attempts",
    "credentials",
    "status_lists",
    "credential_status_entries",
    "vc_definitions",
    "access_apps",
    "sign_on_policies",
    "identity_providers",
    "external_identities",
    "saml_service_providers",
];

/// Tables whose contents make a target "not empty" (a fresh store has only the default tenant).
const DATA_TABLES: &[&str] = &[
    "users",
    "user_groups",
    "clients",
    "signing_keys",
    "sessions",
    "token_families",
    "audit_events",
    "provisioning_tokens",
    "credentials",
];

/// What was copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyReport {
    /// Rows per table, in copy order.
    pub tables: Vec<(String, u64)>,
}

#[derive(Debug, Clone)]
enum Cell {
    Int(Option<i64>),
    Bool(Option<bool>),
    Text(Option<String>),
    Bytes(Option<Vec<u8>>),
}

fn sqlite_err(e: sqlx::Error) -> StoreError {
    StoreError::Backend(format!("reading the SQLite store: {e}"))
}

/// Copies the SQLite store at `from` into the PostgreSQL database at `to`. Refuses a target
/// that holds data unless `force`, in which case the target's data is replaced.
pub async fn sqlite_to_postgres(
    from: &str,
    to: &str,
    force: bool,
    settings: &PgSettings,
) -> StoreResult<CopyReport> {
    let source = SqliteStore::open_url(from).await?;
    let target = PgStore::connect(to, settings).await?;
    let mut tx = target.pool().begin().await.map_err(pg_error)?;
    let mut existing = 0i64;
    for table in DATA_TABLES {
        existing += sqlx::query_scalar::<_, i64>(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&mut *tx)
            .await
            .map_err(pg_error)?;
    }
    if existing > 0 && !force {
        return Err(StoreError::Conflict(
            "data in the target database (use --force to replace it)",
        ));
    }
    for table in TABLES.iter().rev() {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&mut *tx)
            .await
            .map_err(pg_error)?;
    }
    let mut report = CopyReport { tables: Vec::new() };
    for table in TABLES {
        let copied = copy_table(&source, &mut tx, table).await?;
        let landed: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
            .fetch_one(&mut *tx)
            .await
            .map_err(pg_error)?;
        if u64::try_from(landed).ok() != Some(copied) {
            return Err(StoreError::Backend(format!(
                "verification failed for {table}: {copied} rows read, {landed} written"
            )));
        }
        report.tables.push(((*table).to_owned(), copied));
    }
    let epoch: i64 = sqlx::query_scalar("SELECT epoch FROM change_epoch WHERE id = 1")
        .fetch_one(source.reader())
        .await
        .map_err(sqlite_err)?;
    sqlx::query("UPDATE change_epoch SET epoch = $1 WHERE id = 1")
        .bind(epoch + 1)
        .execute(&mut *tx)
        .await
        .map_err(pg_error)?;
    tx.commit().await.map_err(pg_error)?;
    Ok(report)
}

/// The target's columns of `table` with their PostgreSQL types, identity columns excluded.
async fn columns(
    tx: &mut sqlx::Transaction<'static, Postgres>,
    table: &str,
) -> StoreResult<Vec<(String, String)>> {
    let rows = sqlx::query(
        "SELECT column_name::text, data_type::text FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = $1 AND is_identity = 'NO'
         ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(&mut **tx)
    .await
    .map_err(pg_error)?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

fn read_cell(row: &SqliteRow, name: &str, pg_type: &str) -> StoreResult<Cell> {
    let cell = match pg_type {
        "bigint" => Cell::Int(row.try_get(name).map_err(sqlite_err)?),
        "boolean" => Cell::Bool(
            row.try_get::<Option<i64>, _>(name)
                .map_err(sqlite_err)?
                .map(|v| v != 0),
        ),
        "bytea" => Cell::Bytes(row.try_get(name).map_err(sqlite_err)?),
        _ => Cell::Text(row.try_get(name).map_err(sqlite_err)?),
    };
    Ok(cell)
}

async fn copy_table(
    source: &SqliteStore,
    tx: &mut sqlx::Transaction<'static, Postgres>,
    table: &str,
) -> StoreResult<u64> {
    let cols = columns(tx, table).await?;
    let names: Vec<&str> = cols.iter().map(|(n, _)| n.as_str()).collect();
    let order = if table == "audit_events" {
        " ORDER BY seq"
    } else {
        ""
    };
    let rows = sqlx::query(&format!("SELECT {} FROM {table}{order}", names.join(", ")))
        .fetch_all(source.reader())
        .await
        .map_err(sqlite_err)?;
    let cells: Vec<Vec<Cell>> = rows
        .iter()
        .map(|row| {
            cols.iter()
                .map(|(n, t)| read_cell(row, n, t))
                .collect::<StoreResult<_>>()
        })
        .collect::<StoreResult<_>>()?;
    // PostgreSQL allows 65535 parameters per statement.
    let per_statement = (60_000 / cols.len().max(1)).max(1);
    for chunk in cells.chunks(per_statement) {
        let mut qb = sqlx::QueryBuilder::<Postgres>::new(format!(
            "INSERT INTO {table} ({}) ",
            names.join(", ")
        ));
        qb.push_values(chunk, |mut b, row| {
            for cell in row {
                match cell.clone() {
                    Cell::Int(v) => b.push_bind(v),
                    Cell::Bool(v) => b.push_bind(v),
                    Cell::Text(v) => b.push_bind(v),
                    Cell::Bytes(v) => b.push_bind(v),
                };
            }
        });
        qb.build().execute(&mut **tx).await.map_err(pg_error)?;
    }
    Ok(cells.len() as u64)
}
