//! Audit events.

use async_trait::async_trait;
use sigil_core::TenantId;
use sigil_core::model::AuditEvent;
use sigil_store::{AuditStore, StoreResult};
use sqlx::{Sqlite, Transaction};

use super::{SqliteStore, backend};
use crate::records;
use crate::rows::to_json;

/// Writes one event inside the caller's transaction.
pub(crate) async fn insert_audit(
    tx: &mut Transaction<'static, Sqlite>,
    e: &AuditEvent,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit_events (tenant_id, id, at, kind, actor, user_id, client_id, ip, details)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(e.tenant.as_str())
    .bind(&e.id)
    .bind(e.at.0)
    .bind(e.kind.as_str())
    .bind(&e.actor)
    .bind(e.user_id.as_ref().map(|u| u.as_str()))
    .bind(e.client_id.as_ref().map(|c| c.as_str()))
    .bind(e.ip.as_deref())
    .bind(to_json(&e.details))
    .execute(&mut **tx)
    .await
    .map_err(backend)?;
    Ok(())
}

#[async_trait]
impl AuditStore for SqliteStore {
    async fn append_audit(&self, events: &[AuditEvent]) -> StoreResult<()> {
        if events.is_empty() {
            return Ok(());
        }
        // Multi-row INSERTs: a batch of client-credentials events costs a few statements,
        // not one per event (SQLite allows 32766 bound parameters per statement).
        let mut tx = self.begin().await?;
        for chunk in events.chunks(200) {
            let mut qb = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
                "INSERT INTO audit_events (tenant_id, id, at, kind, actor, user_id, client_id, ip, details) ",
            );
            qb.push_values(chunk, |mut row, e| {
                row.push_bind(e.tenant.as_str())
                    .push_bind(&e.id)
                    .push_bind(e.at.0)
                    .push_bind(e.kind.as_str())
                    .push_bind(&e.actor)
                    .push_bind(e.user_id.as_ref().map(|u| u.as_str()))
                    .push_bind(e.client_id.as_ref().map(|c| c.as_str()))
                    .push_bind(e.ip.as_deref())
                    .push_bind(to_json(&e.details));
            });
            qb.build().execute(&mut *tx).await.map_err(backend)?;
        }
        tx.commit().await.map_err(backend)
    }

    async fn list_audit(&self, tenant: &TenantId, limit: u32) -> StoreResult<Vec<AuditEvent>> {
        sqlx::query("SELECT * FROM audit_events WHERE tenant_id = ? ORDER BY seq DESC LIMIT ?")
            .bind(tenant.as_str())
            .bind(limit)
            .fetch_all(&self.reader)
            .await
            .map_err(backend)?
            .iter()
            .map(records::event)
            .collect()
    }
}
