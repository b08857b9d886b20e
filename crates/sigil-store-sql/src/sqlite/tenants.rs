//! Tenants.

use async_trait::async_trait;
use sigil_core::TenantId;
use sigil_core::model::{AuditEvent, Tenant};
use sigil_store::{StoreResult, TenantStore};

use super::audit::insert_audit;
use super::{SqliteStore, backend, bump_epoch, conflict_or_backend};
use crate::records;

#[async_trait]
impl TenantStore for SqliteStore {
    async fn create_tenant(&self, tenant: &Tenant, audit: &AuditEvent) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO tenants (id, display_name, created_at) VALUES (?, ?, ?)")
            .bind(tenant.id.as_str())
            .bind(&tenant.display_name)
            .bind(tenant.created_at.0)
            .execute(&mut *tx)
            .await
            .map_err(conflict_or_backend("tenant"))?;
        insert_audit(&mut tx, audit).await?;
        bump_epoch(&mut tx).await?;
        tx.commit().await.map_err(backend)
    }

    async fn get_tenant(&self, id: &TenantId) -> StoreResult<Option<Tenant>> {
        sqlx::query("SELECT * FROM tenants WHERE id = ?")
            .bind(id.as_str())
            .fetch_optional(&self.reader)
            .await
            .map_err(backend)?
            .as_ref()
            .map(records::tenant)
            .transpose()
    }

    async fn list_tenants(&self) -> StoreResult<Vec<Tenant>> {
        sqlx::query("SELECT * FROM tenants ORDER BY id")
            .fetch_all(&self.reader)
            .await
            .map_err(backend)?
            .iter()
            .map(records::tenant)
            .collect()
    }
}
