//! Remembered consent.

use async_trait::async_trait;
use sigil_core::model::{AuditEvent, Consent};
use sigil_core::{ClientId, TenantId, UnixTime, UserId};
use sigil_store::{ConsentStore, StoreResult};

use super::audit::insert_audit;
use super::grants::{Families, revoke_families};
use super::{SqliteStore, backend};
use crate::records;

#[async_trait]
impl ConsentStore for SqliteStore {
    async fn get_consent(
        &self,
        tenant: &TenantId,
        user: &UserId,
        client: &ClientId,
    ) -> StoreResult<Option<Consent>> {
        sqlx::query("SELECT * FROM consents WHERE tenant_id = ? AND user_id = ? AND client_id = ?")
            .bind(tenant.as_str())
            .bind(user.as_str())
            .bind(client.as_str())
            .fetch_optional(&self.reader)
            .await
            .map_err(backend)?
            .as_ref()
            .map(records::consent)
            .transpose()
    }

    async fn save_consent(&self, c: &Consent, audit: &AuditEvent) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO consents (tenant_id, user_id, client_id, scopes, granted_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (tenant_id, user_id, client_id) DO UPDATE SET
                 scopes = excluded.scopes, granted_at = excluded.granted_at",
        )
        .bind(c.tenant.as_str())
        .bind(c.user_id.as_str())
        .bind(c.client_id.as_str())
        .bind(c.scopes.to_string())
        .bind(c.granted_at.0)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(backend)
    }

    async fn list_user_consents(
        &self,
        tenant: &TenantId,
        user: &UserId,
    ) -> StoreResult<Vec<Consent>> {
        sqlx::query(
            "SELECT * FROM consents WHERE tenant_id = ? AND user_id = ? ORDER BY granted_at DESC",
        )
        .bind(tenant.as_str())
        .bind(user.as_str())
        .fetch_all(&self.reader)
        .await
        .map_err(backend)?
        .iter()
        .map(records::consent)
        .collect()
    }

    async fn withdraw_consent(
        &self,
        tenant: &TenantId,
        user: &UserId,
        client: &ClientId,
        now: UnixTime,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let removed = sqlx::query(
            "DELETE FROM consents WHERE tenant_id = ? AND user_id = ? AND client_id = ?",
        )
        .bind(tenant.as_str())
        .bind(user.as_str())
        .bind(client.as_str())
        .execute(&mut *tx)
        .await
        .map_err(backend)?
        .rows_affected()
            == 1;
        if removed {
            revoke_families(
                &mut tx,
                tenant,
                Families::UserClient(user.as_str(), client.as_str()),
                now,
            )
            .await?;
            insert_audit(&mut tx, audit).await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(removed)
    }
}
