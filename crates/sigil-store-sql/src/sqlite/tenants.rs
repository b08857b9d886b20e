//! Tenants.

use async_trait::async_trait;
use sigil_core::TenantId;
use sigil_core::model::{AuditEvent, Tenant};
use sigil_store::{StoreResult, TenantStore};
use sqlx::sqlite::SqliteRow;

use super::audit::insert_audit;
use super::rows::{col, tenant_col, time_col};
use super::{SqliteStore, backend, bump_epoch, conflict_or_backend};

fn tenant_from_row(row: &SqliteRow) -> StoreResult<Tenant> {
    Ok(Tenant {
        id: tenant_col(row, "id")?,
        display_name: col(row, "display_name")?,
        created_at: time_col(row, "created_at")?,
    })
}

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
            .map(tenant_from_row)
            .transpose()
    }

    async fn list_tenants(&self) -> StoreResult<Vec<Tenant>> {
        sqlx::query("SELECT * FROM tenants ORDER BY id")
            .fetch_all(&self.reader)
            .await
            .map_err(backend)?
            .iter()
            .map(tenant_from_row)
            .collect()
    }
}
