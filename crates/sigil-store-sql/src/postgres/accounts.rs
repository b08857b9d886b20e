//! Tenants and signing keys.

use async_trait::async_trait;
use sigil_core::TenantId;
use sigil_core::model::{AuditEvent, StoredKey, Tenant};
use sigil_store::{KeyStore, StoreResult, TenantStore};

use super::audit::insert_audit;
use super::{PgStore, backend, bump_epoch, conflict_or_backend};
use crate::records;
use crate::rows::to_json;

#[async_trait]
impl TenantStore for PgStore {
    async fn create_tenant(&self, tenant: &Tenant, audit: &AuditEvent) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO tenants (id, display_name, created_at) VALUES ($1, $2, $3)")
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
        sqlx::query("SELECT * FROM tenants WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?
            .as_ref()
            .map(records::tenant)
            .transpose()
    }

    async fn list_tenants(&self) -> StoreResult<Vec<Tenant>> {
        sqlx::query("SELECT * FROM tenants ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?
            .iter()
            .map(records::tenant)
            .collect()
    }
}

#[async_trait]
impl KeyStore for PgStore {
    async fn list_keys(&self, tenant: &TenantId) -> StoreResult<Vec<StoredKey>> {
        sqlx::query("SELECT * FROM signing_keys WHERE tenant_id = $1 ORDER BY created_at, kid")
            .bind(tenant.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?
            .iter()
            .map(records::key)
            .collect()
    }

    async fn save_keys(&self, keys: &[StoredKey], audit: &[AuditEvent]) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        for k in keys {
            // Only the rotation timestamps of an existing key ever change.
            sqlx::query(
                "INSERT INTO signing_keys (tenant_id, kid, alg, encrypted_private_key, public_jwk,
                     created_at, activates_at, retires_at, publish_until)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT (tenant_id, kid) DO UPDATE SET
                     retires_at = excluded.retires_at, publish_until = excluded.publish_until",
            )
            .bind(k.tenant.as_str())
            .bind(&k.kid)
            .bind(k.alg.as_str())
            .bind(&k.encrypted_private_key)
            .bind(to_json(&k.public_jwk))
            .bind(k.created_at.0)
            .bind(k.activates_at.0)
            .bind(k.retires_at.map(|t| t.0))
            .bind(k.publish_until.map(|t| t.0))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        }
        for e in audit {
            insert_audit(&mut tx, e).await?;
        }
        bump_epoch(&mut tx).await?;
        tx.commit().await.map_err(backend)
    }
}
