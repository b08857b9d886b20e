//! Audit events.

use async_trait::async_trait;
use sigil_core::TenantId;
use sigil_core::model::AuditEvent;
use sigil_store::{AuditQuery, AuditRecord, AuditStore, StoreResult};
use sqlx::{Postgres, QueryBuilder, Transaction};

use super::users::bind_params;
use super::{PgStore, backend};
use crate::audit::{INSERT, push_event};
use crate::listing::{self, Dialect};
use crate::records;
use crate::rows::RowExt;

/// Rows per INSERT statement (a handful of statements for a large batch, well inside the
/// bound-parameter limit).
const CHUNK: usize = 500;

/// Writes events inside the caller's transaction.
async fn insert_events(
    tx: &mut Transaction<'static, Postgres>,
    events: &[AuditEvent],
) -> StoreResult<()> {
    for chunk in events.chunks(CHUNK) {
        let mut qb = QueryBuilder::<Postgres>::new(INSERT);
        qb.push_values(chunk, |mut row, e| push_event!(row, e));
        qb.build().execute(&mut **tx).await.map_err(backend)?;
    }
    crate::audit::insert_outbox!(tx, events, Postgres, Postgres);
    Ok(())
}

/// Writes one event inside the caller's transaction.
pub(crate) async fn insert_audit(
    tx: &mut Transaction<'static, Postgres>,
    e: &AuditEvent,
) -> StoreResult<()> {
    insert_events(tx, std::slice::from_ref(e)).await
}

#[async_trait]
impl AuditStore for PgStore {
    async fn append_audit(&self, events: &[AuditEvent]) -> StoreResult<()> {
        if events.is_empty() {
            return Ok(());
        }
        let mut tx = self.begin().await?;
        insert_events(&mut tx, events).await?;
        tx.commit().await.map_err(backend)
    }

    async fn list_audit(
        &self,
        tenant: &TenantId,
        query: &AuditQuery,
    ) -> StoreResult<Vec<AuditRecord>> {
        let listing = listing::audit(Dialect::Postgres, tenant, query);
        bind_params(sqlx::query(&listing.sql), &listing.params)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?
            .iter()
            .map(|row| {
                Ok(AuditRecord {
                    seq: row.int("seq")?,
                    event: records::event(row)?,
                })
            })
            .collect()
    }
}
