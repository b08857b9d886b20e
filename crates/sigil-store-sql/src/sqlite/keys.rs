//! Signing keys.

use async_trait::async_trait;
use sigil_core::TenantId;
use sigil_core::model::{AuditEvent, SigningAlg, StoredKey};
use sigil_store::{KeyStore, StoreError, StoreResult};
use sqlx::sqlite::SqliteRow;

use super::audit::insert_audit;
use super::rows::{col, json_col, opt_time_col, tenant_col, time_col, to_json};
use super::{SqliteStore, backend, bump_epoch};

fn key_from_row(row: &SqliteRow) -> StoreResult<StoredKey> {
    let alg: String = col(row, "alg")?;
    Ok(StoredKey {
        tenant: tenant_col(row, "tenant_id")?,
        kid: col(row, "kid")?,
        alg: SigningAlg::parse(&alg)
            .ok_or_else(|| StoreError::Corrupt(format!("key alg {alg}")))?,
        encrypted_private_key: col(row, "encrypted_private_key")?,
        public_jwk: json_col(row, "public_jwk")?,
        created_at: time_col(row, "created_at")?,
        activates_at: time_col(row, "activates_at")?,
        retires_at: opt_time_col(row, "retires_at")?,
        publish_until: opt_time_col(row, "publish_until")?,
    })
}

#[async_trait]
impl KeyStore for SqliteStore {
    async fn list_keys(&self, tenant: &TenantId) -> StoreResult<Vec<StoredKey>> {
        sqlx::query("SELECT * FROM signing_keys WHERE tenant_id = ? ORDER BY created_at, kid")
            .bind(tenant.as_str())
            .fetch_all(&self.reader)
            .await
            .map_err(backend)?
            .iter()
            .map(key_from_row)
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
