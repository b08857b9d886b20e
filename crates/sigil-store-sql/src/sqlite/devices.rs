//! RFC 8628 device authorizations.

use async_trait::async_trait;
use sigil_core::model::{AuditEvent, DeviceAuthorization, DeviceStatus};
use sigil_core::{Digest32, TenantId, UnixMillis, UnixTime};
use sigil_store::{DeviceDecision, DeviceStore, Issue, Redemption, StoreResult};

use super::audit::insert_audit;
use super::grants::insert_issue;
use super::{SqliteStore, backend, conflict_or_backend};
use crate::records;
use crate::rows::to_json;

#[async_trait]
impl DeviceStore for SqliteStore {
    async fn create_device_authorization(&self, d: &DeviceAuthorization) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO device_authorizations (tenant_id, device_code_digest, user_code, client_id, scopes,
                 expires_at, interval_secs, last_polled_ms, status, approval, grant_id, access_jti)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(d.tenant.as_str())
        .bind(d.device_code_digest.0.to_vec())
        .bind(&d.user_code)
        .bind(d.client_id.as_str())
        .bind(d.scopes.to_string())
        .bind(d.expires_at.0)
        .bind(d.interval_secs)
        .bind(d.last_polled_at.map(|t| t.0))
        .bind(d.status.as_str())
        .bind(d.approval.as_ref().map(to_json))
        .bind(&d.grant_id)
        .bind(&d.access_jti)
        .execute(&self.writer)
        .await
        .map_err(conflict_or_backend("user code"))?;
        Ok(())
    }

    async fn find_device_by_user_code(
        &self,
        tenant: &TenantId,
        user_code: &str,
        now: UnixTime,
    ) -> StoreResult<Option<DeviceAuthorization>> {
        sqlx::query("SELECT * FROM device_authorizations WHERE tenant_id = ? AND user_code = ? AND expires_at > ?")
            .bind(tenant.as_str())
            .bind(user_code)
            .bind(now.0)
            .fetch_optional(&self.reader)
            .await
            .map_err(backend)?
            .as_ref()
            .map(records::device)
            .transpose()
    }

    async fn find_device_by_code(
        &self,
        tenant: &TenantId,
        digest: &Digest32,
    ) -> StoreResult<Option<DeviceAuthorization>> {
        sqlx::query(
            "SELECT * FROM device_authorizations WHERE tenant_id = ? AND device_code_digest = ?",
        )
        .bind(tenant.as_str())
        .bind(digest.0.to_vec())
        .fetch_optional(&self.reader)
        .await
        .map_err(backend)?
        .as_ref()
        .map(records::device)
        .transpose()
    }

    async fn decide_device(
        &self,
        tenant: &TenantId,
        user_code: &str,
        decision: &DeviceDecision,
        now: UnixTime,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        let (status, approval) = match decision {
            DeviceDecision::Approve(a) => (DeviceStatus::Approved, Some(to_json(a))),
            DeviceDecision::Deny => (DeviceStatus::Denied, None),
        };
        let mut tx = self.begin().await?;
        let n = sqlx::query(
            "UPDATE device_authorizations SET status = ?, approval = ?
             WHERE tenant_id = ? AND user_code = ? AND status = 'pending' AND expires_at > ?",
        )
        .bind(status.as_str())
        .bind(approval)
        .bind(tenant.as_str())
        .bind(user_code)
        .bind(now.0)
        .execute(&mut *tx)
        .await
        .map_err(backend)?
        .rows_affected();
        if n == 1 {
            insert_audit(&mut tx, audit).await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(n == 1)
    }

    async fn record_device_poll(
        &self,
        tenant: &TenantId,
        digest: &Digest32,
        at: UnixMillis,
        interval_secs: u32,
    ) -> StoreResult<()> {
        sqlx::query(
            "UPDATE device_authorizations SET last_polled_ms = ?, interval_secs = ?
             WHERE tenant_id = ? AND device_code_digest = ?",
        )
        .bind(at.0)
        .bind(interval_secs)
        .bind(tenant.as_str())
        .bind(digest.0.to_vec())
        .execute(&self.writer)
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn redeem_device(
        &self,
        tenant: &TenantId,
        digest: &Digest32,
        issue: &Issue,
        audit: &AuditEvent,
    ) -> StoreResult<Redemption> {
        let mut tx = self.begin().await?;
        let n = sqlx::query(
            "UPDATE device_authorizations SET status = 'consumed'
             WHERE tenant_id = ? AND device_code_digest = ? AND status = 'approved'",
        )
        .bind(tenant.as_str())
        .bind(digest.0.to_vec())
        .execute(&mut *tx)
        .await
        .map_err(backend)?
        .rows_affected();
        if n != 1 {
            // Roll back now: a dropped transaction is only rolled back when its connection
            // is next used, holding its locks until then.
            tx.rollback().await.map_err(backend)?;
            return Ok(Redemption::AlreadyUsed);
        }
        insert_issue(&mut tx, issue).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(backend)?;
        Ok(Redemption::Issued)
    }
}
