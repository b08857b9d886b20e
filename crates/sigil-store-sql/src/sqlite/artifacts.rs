//! Short-lived single-use artifacts.

use async_trait::async_trait;
use sigil_core::model::{Artifact, ArtifactKind};
use sigil_core::{Digest32, TenantId, UnixTime};
use sigil_store::{ArtifactStore, StoreResult};

use super::{SqliteStore, backend};
use crate::records;
use crate::rows::to_json;

#[async_trait]
impl ArtifactStore for SqliteStore {
    async fn put_artifact(&self, a: &Artifact, now: UnixTime) -> StoreResult<bool> {
        // An expired row with the same key may be overwritten; a live one may not.
        let written = sqlx::query(
            "INSERT INTO artifacts (tenant_id, kind, key, payload, expires_at, consumed_at)
             VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (tenant_id, kind, key) DO UPDATE SET
                 payload = excluded.payload, expires_at = excluded.expires_at, consumed_at = excluded.consumed_at
             WHERE artifacts.expires_at <= ?",
        )
        .bind(a.tenant.as_str())
        .bind(a.kind.as_str())
        .bind(a.key.0.to_vec())
        .bind(to_json(&a.payload))
        .bind(a.expires_at.0)
        .bind(a.consumed_at.map(|t| t.0))
        .bind(now.0)
        .execute(&self.writer)
        .await
        .map_err(backend)?
        .rows_affected();
        Ok(written == 1)
    }

    async fn get_artifact(
        &self,
        tenant: &TenantId,
        kind: ArtifactKind,
        key: &Digest32,
        now: UnixTime,
    ) -> StoreResult<Option<Artifact>> {
        sqlx::query("SELECT * FROM artifacts WHERE tenant_id = ? AND kind = ? AND key = ? AND expires_at > ?")
            .bind(tenant.as_str())
            .bind(kind.as_str())
            .bind(key.0.to_vec())
            .bind(now.0)
            .fetch_optional(&self.reader)
            .await
            .map_err(backend)?
            .as_ref()
            .map(|r| records::artifact(r, kind))
            .transpose()
    }

    async fn update_artifact(
        &self,
        tenant: &TenantId,
        kind: ArtifactKind,
        key: &Digest32,
        payload: &serde_json::Value,
        now: UnixTime,
    ) -> StoreResult<bool> {
        let n = sqlx::query(
            "UPDATE artifacts SET payload = ? WHERE tenant_id = ? AND kind = ? AND key = ?
             AND consumed_at IS NULL AND expires_at > ?",
        )
        .bind(to_json(payload))
        .bind(tenant.as_str())
        .bind(kind.as_str())
        .bind(key.0.to_vec())
        .bind(now.0)
        .execute(&self.writer)
        .await
        .map_err(backend)?
        .rows_affected();
        Ok(n == 1)
    }

    async fn exchange_artifact(
        &self,
        tenant: &TenantId,
        kind: ArtifactKind,
        key: &Digest32,
        put: &Artifact,
        now: UnixTime,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let consumed = sqlx::query(
            "UPDATE artifacts SET consumed_at = ? WHERE tenant_id = ? AND kind = ? AND key = ?
             AND consumed_at IS NULL AND expires_at > ?",
        )
        .bind(now.0)
        .bind(tenant.as_str())
        .bind(kind.as_str())
        .bind(key.0.to_vec())
        .bind(now.0)
        .execute(&mut *tx)
        .await
        .map_err(backend)?
        .rows_affected();
        if consumed != 1 {
            tx.rollback().await.map_err(backend)?;
            return Ok(false);
        }
        sqlx::query("INSERT INTO artifacts (tenant_id, kind, key, payload, expires_at, consumed_at) VALUES (?, ?, ?, ?, ?, ?)")
            .bind(put.tenant.as_str())
            .bind(put.kind.as_str())
            .bind(put.key.0.to_vec())
            .bind(to_json(&put.payload))
            .bind(put.expires_at.0)
            .bind(put.consumed_at.map(|t| t.0))
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn consume_artifact(
        &self,
        tenant: &TenantId,
        kind: ArtifactKind,
        key: &Digest32,
        now: UnixTime,
    ) -> StoreResult<Option<Artifact>> {
        sqlx::query(
            "UPDATE artifacts SET consumed_at = ? WHERE tenant_id = ? AND kind = ? AND key = ?
             AND consumed_at IS NULL AND expires_at > ? RETURNING *",
        )
        .bind(now.0)
        .bind(tenant.as_str())
        .bind(kind.as_str())
        .bind(key.0.to_vec())
        .bind(now.0)
        .fetch_optional(&self.writer)
        .await
        .map_err(backend)?
        .as_ref()
        .map(|r| records::artifact(r, kind))
        .transpose()
    }
}
