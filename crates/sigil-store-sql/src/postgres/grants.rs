//! Code redemption, refresh tokens and their families, revoked access tokens, single-use
//! artifacts and device authorizations.

use async_trait::async_trait;
use sigil_core::model::{
    Artifact, ArtifactKind, AuditEvent, DeviceAuthorization, DeviceStatus, RefreshToken,
};
use sigil_core::{Digest32, TenantId, UnixMillis, UnixTime};
use sigil_store::{
    ArtifactStore, DeviceDecision, DeviceStore, GrantStore, Issue, Redemption, StoreResult,
};
use sqlx::{Postgres, Transaction};

use super::audit::insert_audit;
use super::{PgStore, backend, conflict_or_backend};
use crate::records;
use crate::rows::to_json;

type Tx = Transaction<'static, Postgres>;

/// Stores a new family and its first refresh token inside the caller's transaction.
async fn insert_issue(tx: &mut Tx, issue: &Issue) -> StoreResult<()> {
    if let Some(f) = &issue.family {
        sqlx::query(
            "INSERT INTO token_families (tenant_id, id, client_id, user_id, session_id, scopes, auth_time,
                 amr, acr, audience, created_at, expires_at, revoked_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(f.tenant.as_str())
        .bind(&f.id)
        .bind(f.client_id.as_str())
        .bind(f.user_id.as_str())
        .bind(f.session_id.as_ref().map(|s| s.as_str()))
        .bind(f.scopes.to_string())
        .bind(f.auth_time.0)
        .bind(to_json(&f.amr))
        .bind(&f.acr)
        .bind(to_json(&f.audience))
        .bind(f.created_at.0)
        .bind(f.expires_at.0)
        .bind(f.revoked_at.map(|t| t.0))
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    }
    if let Some(r) = &issue.refresh {
        insert_refresh(tx, r).await?;
    }
    if let Some(c) = &issue.session_client {
        sqlx::query(
            &crate::listing::Dialect::Postgres.placeholders(crate::session_clients::INSERT),
        )
        .bind(c.tenant.as_str())
        .bind(c.session_id.as_str())
        .bind(c.client_id.as_str())
        .bind(c.joined_at.0)
        .bind(c.tenant.as_str())
        .bind(c.session_id.as_str())
        .execute(&mut **tx)
        .await
        .map_err(backend)?;
    }
    Ok(())
}

async fn insert_refresh(tx: &mut Tx, r: &RefreshToken) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO refresh_tokens (tenant_id, digest, family_id, scopes, issued_at, expires_at, used_at,
             access_jti, access_expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(r.tenant.as_str())
    .bind(r.digest.0.to_vec())
    .bind(&r.family_id)
    .bind(r.scopes.to_string())
    .bind(r.issued_at.0)
    .bind(r.expires_at.0)
    .bind(r.used_at.map(|t| t.0))
    .bind(&r.access_jti)
    .bind(r.access_expires_at.0)
    .execute(&mut **tx)
    .await
    .map_err(backend)?;
    Ok(())
}

/// Which families to revoke.
pub(crate) enum Families<'a> {
    /// One family.
    Id(&'a str),
    /// Every family a client holds for a user.
    UserClient(&'a str, &'a str),
    /// Every family of a user.
    User(&'a str),
    /// Every family a client holds.
    Client(&'a str),
}

/// Revokes families and puts their unexpired access tokens on the revocation list.
pub(crate) async fn revoke_families(
    tx: &mut Tx,
    tenant: &TenantId,
    which: Families<'_>,
    now: UnixTime,
) -> StoreResult<()> {
    let (filter, binds): (&str, Vec<&str>) = match which {
        Families::Id(id) => ("f.id = $3", vec![id]),
        Families::Client(client) => ("f.client_id = $3", vec![client]),
        Families::User(user) => ("f.user_id = $3", vec![user]),
        Families::UserClient(user, client) => {
            ("f.user_id = $3 AND f.client_id = $4", vec![user, client])
        }
    };
    let list = format!(
        "INSERT INTO revoked_access_tokens (tenant_id, jti, expires_at)
         SELECT r.tenant_id, r.access_jti, r.access_expires_at FROM refresh_tokens r
         JOIN token_families f ON f.tenant_id = r.tenant_id AND f.id = r.family_id
         WHERE f.tenant_id = $1 AND r.access_expires_at > $2 AND {filter}
         ON CONFLICT DO NOTHING"
    );
    let mut q = sqlx::query(&list).bind(tenant.as_str()).bind(now.0);
    for b in &binds {
        q = q.bind(*b);
    }
    q.execute(&mut **tx).await.map_err(backend)?;
    let mark = format!(
        "UPDATE token_families AS f SET revoked_at = $2 WHERE f.tenant_id = $1 AND f.revoked_at IS NULL AND {filter}"
    );
    let mut q = sqlx::query(&mark).bind(tenant.as_str()).bind(now.0);
    for b in &binds {
        q = q.bind(*b);
    }
    q.execute(&mut **tx).await.map_err(backend)?;
    Ok(())
}

#[async_trait]
impl GrantStore for PgStore {
    async fn redeem_code(
        &self,
        tenant: &TenantId,
        code_key: &Digest32,
        now: UnixTime,
        issue: &Issue,
        audit: &AuditEvent,
    ) -> StoreResult<Redemption> {
        let mut tx = self.begin().await?;
        let consumed = sqlx::query(
            "UPDATE artifacts SET consumed_at = $1 WHERE tenant_id = $2 AND kind = $3 AND key = $4
             AND consumed_at IS NULL AND expires_at > $1",
        )
        .bind(now.0)
        .bind(tenant.as_str())
        .bind(ArtifactKind::AuthorizationCode.as_str())
        .bind(code_key.0.to_vec())
        .execute(&mut *tx)
        .await
        .map_err(backend)?
        .rows_affected();
        if consumed != 1 {
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

    async fn find_refresh_token(
        &self,
        tenant: &TenantId,
        digest: &Digest32,
    ) -> StoreResult<Option<(RefreshToken, sigil_core::model::TokenFamily)>> {
        sqlx::query(
            "SELECT r.*, f.client_id, f.user_id, f.session_id, f.scopes AS family_scopes, f.auth_time, f.amr,
                    f.acr, f.audience, f.created_at, f.expires_at AS family_expires_at, f.revoked_at
             FROM refresh_tokens r JOIN token_families f ON f.tenant_id = r.tenant_id AND f.id = r.family_id
             WHERE r.tenant_id = $1 AND r.digest = $2",
        )
        .bind(tenant.as_str())
        .bind(digest.0.to_vec())
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?
        .as_ref()
        .map(records::refresh)
        .transpose()
    }

    async fn rotate_refresh_token(
        &self,
        tenant: &TenantId,
        old: &Digest32,
        new: &RefreshToken,
        audit: &AuditEvent,
    ) -> StoreResult<Redemption> {
        let mut tx = self.begin().await?;
        let used = sqlx::query("UPDATE refresh_tokens SET used_at = $1 WHERE tenant_id = $2 AND digest = $3 AND used_at IS NULL")
            .bind(new.issued_at.0)
            .bind(tenant.as_str())
            .bind(old.0.to_vec())
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected();
        if used != 1 {
            // Roll back now: a dropped transaction is only rolled back when its connection
            // is next used, holding its locks until then.
            tx.rollback().await.map_err(backend)?;
            return Ok(Redemption::AlreadyUsed);
        }
        insert_refresh(&mut tx, new).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(backend)?;
        Ok(Redemption::Issued)
    }

    async fn revoke_family(
        &self,
        tenant: &TenantId,
        family_id: &str,
        now: UnixTime,
        audit: &AuditEvent,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        revoke_families(&mut tx, tenant, Families::Id(family_id), now).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(backend)
    }

    async fn revoke_access_token(
        &self,
        tenant: &TenantId,
        jti: &str,
        expires_at: UnixTime,
        audit: &AuditEvent,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO revoked_access_tokens (tenant_id, jti, expires_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(tenant.as_str())
            .bind(jti)
            .bind(expires_at.0)
            .execute(&mut *tx)
            .await
            .map_err(backend)?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(backend)
    }

    async fn is_access_token_revoked(&self, tenant: &TenantId, jti: &str) -> StoreResult<bool> {
        let hit: Option<i32> = sqlx::query_scalar(
            "SELECT 1 FROM revoked_access_tokens WHERE tenant_id = $1 AND jti = $2",
        )
        .bind(tenant.as_str())
        .bind(jti)
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?;
        Ok(hit.is_some())
    }
}

#[async_trait]
impl ArtifactStore for PgStore {
    async fn put_artifact(&self, a: &Artifact, now: UnixTime) -> StoreResult<bool> {
        // An expired row with the same key may be overwritten; a live one may not.
        let written = sqlx::query(
            "INSERT INTO artifacts (tenant_id, kind, key, payload, expires_at, consumed_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (tenant_id, kind, key) DO UPDATE SET
                 payload = excluded.payload, expires_at = excluded.expires_at, consumed_at = excluded.consumed_at
             WHERE artifacts.expires_at <= $7",
        )
        .bind(a.tenant.as_str())
        .bind(a.kind.as_str())
        .bind(a.key.0.to_vec())
        .bind(to_json(&a.payload))
        .bind(a.expires_at.0)
        .bind(a.consumed_at.map(|t| t.0))
        .bind(now.0)
        .execute(&self.pool)
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
        sqlx::query("SELECT * FROM artifacts WHERE tenant_id = $1 AND kind = $2 AND key = $3 AND expires_at > $4")
            .bind(tenant.as_str())
            .bind(kind.as_str())
            .bind(key.0.to_vec())
            .bind(now.0)
            .fetch_optional(&self.pool)
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
            "UPDATE artifacts SET payload = $1 WHERE tenant_id = $2 AND kind = $3 AND key = $4
             AND consumed_at IS NULL AND expires_at > $5",
        )
        .bind(to_json(payload))
        .bind(tenant.as_str())
        .bind(kind.as_str())
        .bind(key.0.to_vec())
        .bind(now.0)
        .execute(&self.pool)
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
            "UPDATE artifacts SET consumed_at = $1 WHERE tenant_id = $2 AND kind = $3 AND key = $4
             AND consumed_at IS NULL AND expires_at > $1",
        )
        .bind(now.0)
        .bind(tenant.as_str())
        .bind(kind.as_str())
        .bind(key.0.to_vec())
        .execute(&mut *tx)
        .await
        .map_err(backend)?
        .rows_affected();
        if consumed != 1 {
            tx.rollback().await.map_err(backend)?;
            return Ok(false);
        }
        sqlx::query("INSERT INTO artifacts (tenant_id, kind, key, payload, expires_at, consumed_at) VALUES ($1, $2, $3, $4, $5, $6)")
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
            "UPDATE artifacts SET consumed_at = $1 WHERE tenant_id = $2 AND kind = $3 AND key = $4
             AND consumed_at IS NULL AND expires_at > $1 RETURNING *",
        )
        .bind(now.0)
        .bind(tenant.as_str())
        .bind(kind.as_str())
        .bind(key.0.to_vec())
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?
        .as_ref()
        .map(|r| records::artifact(r, kind))
        .transpose()
    }
}

#[async_trait]
impl DeviceStore for PgStore {
    async fn create_device_authorization(&self, d: &DeviceAuthorization) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO device_authorizations (tenant_id, device_code_digest, user_code, client_id, scopes,
                 expires_at, interval_secs, last_polled_ms, status, approval, grant_id, access_jti)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(d.tenant.as_str())
        .bind(d.device_code_digest.0.to_vec())
        .bind(&d.user_code)
        .bind(d.client_id.as_str())
        .bind(d.scopes.to_string())
        .bind(d.expires_at.0)
        .bind(i64::from(d.interval_secs))
        .bind(d.last_polled_at.map(|t| t.0))
        .bind(d.status.as_str())
        .bind(d.approval.as_ref().map(to_json))
        .bind(&d.grant_id)
        .bind(&d.access_jti)
        .execute(&self.pool)
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
        sqlx::query("SELECT * FROM device_authorizations WHERE tenant_id = $1 AND user_code = $2 AND expires_at > $3")
            .bind(tenant.as_str())
            .bind(user_code)
            .bind(now.0)
            .fetch_optional(&self.pool)
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
            "SELECT * FROM device_authorizations WHERE tenant_id = $1 AND device_code_digest = $2",
        )
        .bind(tenant.as_str())
        .bind(digest.0.to_vec())
        .fetch_optional(&self.pool)
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
            "UPDATE device_authorizations SET status = $1, approval = $2
             WHERE tenant_id = $3 AND user_code = $4 AND status = 'pending' AND expires_at > $5",
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
            "UPDATE device_authorizations SET last_polled_ms = $1, interval_secs = $2
             WHERE tenant_id = $3 AND device_code_digest = $4",
        )
        .bind(at.0)
        .bind(i64::from(interval_secs))
        .bind(tenant.as_str())
        .bind(digest.0.to_vec())
        .execute(&self.pool)
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
             WHERE tenant_id = $1 AND device_code_digest = $2 AND status = 'approved'",
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
