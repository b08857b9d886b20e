//! Audit events.

use async_trait::async_trait;
use sigil_core::TenantId;
use sigil_core::model::AuditEvent;
use sigil_store::{AuditStore, StoreError, StoreResult};
use sqlx::sqlite::SqliteRow;
use sqlx::{Sqlite, Transaction};

use super::rows::{col, json_col, tenant_col, time_col, to_json};
use super::{SqliteStore, backend};

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

fn event_from_row(row: &SqliteRow) -> StoreResult<AuditEvent> {
    let kind_text: String = col(row, "kind")?;
    let kind = serde_json::from_value(serde_json::Value::String(kind_text.clone()))
        .map_err(|_| StoreError::Corrupt(format!("unknown audit kind {kind_text}")))?;
    let user: Option<String> = col(row, "user_id")?;
    let client: Option<String> = col(row, "client_id")?;
    Ok(AuditEvent {
        tenant: tenant_col(row, "tenant_id")?,
        id: col(row, "id")?,
        at: time_col(row, "at")?,
        kind,
        actor: col(row, "actor")?,
        user_id: user.and_then(|u| sigil_core::UserId::parse(&u).ok()),
        client_id: client.and_then(|c| sigil_core::ClientId::parse(&c).ok()),
        ip: col(row, "ip")?,
        details: json_col(row, "details")?,
    })
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
            .map(event_from_row)
            .collect()
    }
}
