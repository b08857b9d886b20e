//! Signing keys.

use async_trait::async_trait;
use sigil_core::TenantId;
use sigil_core::model::{AuditEvent, StoredKey};
use sigil_store::{KeyStore, StoreResult};

use super::audit::insert_audit;
use super::{SqliteStore, backend, bump_epoch};
use crate::records;
use crate::rows::to_json;

#[async_trait]
impl KeyStore for SqliteStore {
    async fn list_keys(&self, tenant: &TenantId) -> StoreResult<Vec<StoredKey>> {
        sqlx::query("SELECT * FROM signing_keys WHERE tenant_id = ? ORDER BY created_at, kid")
            .bind(tenant.as_str())
            .fetch_all(&self.reader)
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
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
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
