//! Token families, refresh tokens, code redemption and the access-token revocation list.

use async_trait::async_trait;
use sigil_core::model::{ArtifactKind, AuditEvent, RefreshToken, TokenFamily};
use sigil_core::{Digest32, TenantId, UnixTime};
use sigil_store::{GrantStore, Issue, Redemption, StoreResult};
use sqlx::{Sqlite, Transaction};

use super::audit::insert_audit;
use super::{SqliteStore, backend};
use crate::records;
use crate::rows::to_json;

/// Stores a new family and its first refresh token inside the caller's transaction.
pub(crate) async fn insert_issue(
    tx: &mut Transaction<'static, Sqlite>,
    issue: &Issue,
) -> StoreResult<()> {
    if let Some(f) = &issue.family {
        sqlx::query(
            "INSERT INTO token_families (tenant_id, id, client_id, user_id, session_id, scopes, auth_time,
                 amr, acr, audience, created_at, expires_at, revoked_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
        sqlx::query(&crate::listing::Dialect::Sqlite.placeholders(crate::session_clients::INSERT))
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

async fn insert_refresh(
    tx: &mut Transaction<'static, Sqlite>,
    r: &RefreshToken,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO refresh_tokens (tenant_id, digest, family_id, scopes, issued_at, expires_at, used_at,
             access_jti, access_expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
    tx: &mut Transaction<'static, Sqlite>,
    tenant: &TenantId,
    which: Families<'_>,
    now: UnixTime,
) -> StoreResult<()> {
    let (filter, binds): (&str, Vec<&str>) = match which {
        Families::Id(id) => ("f.id = ?", vec![id]),
        Families::Client(client) => ("f.client_id = ?", vec![client]),
        Families::User(user) => ("f.user_id = ?", vec![user]),
        Families::UserClient(user, client) => {
            ("f.user_id = ? AND f.client_id = ?", vec![user, client])
        }
    };
    let list = format!(
        "INSERT OR IGNORE INTO revoked_access_tokens (tenant_id, jti, expires_at)
         SELECT r.tenant_id, r.access_jti, r.access_expires_at FROM refresh_tokens r
         JOIN token_families f ON f.tenant_id = r.tenant_id AND f.id = r.family_id
         WHERE f.tenant_id = ? AND {filter} AND r.access_expires_at > ?"
    );
    let mut q = sqlx::query(&list).bind(tenant.as_str());
    for b in &binds {
        q = q.bind(*b);
    }
    q.bind(now.0).execute(&mut **tx).await.map_err(backend)?;
    let mark = format!(
        "UPDATE token_families AS f SET revoked_at = ? WHERE f.tenant_id = ? AND {filter} AND f.revoked_at IS NULL"
    );
    let mut q = sqlx::query(&mark).bind(now.0).bind(tenant.as_str());
    for b in &binds {
        q = q.bind(*b);
    }
    q.execute(&mut **tx).await.map_err(backend)?;
    Ok(())
}

#[async_trait]
impl GrantStore for SqliteStore {
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
            "UPDATE artifacts SET consumed_at = ? WHERE tenant_id = ? AND kind = ? AND key = ?
             AND consumed_at IS NULL AND expires_at > ?",
        )
        .bind(now.0)
        .bind(tenant.as_str())
        .bind(ArtifactKind::AuthorizationCode.as_str())
        .bind(code_key.0.to_vec())
        .bind(now.0)
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
    ) -> StoreResult<Option<(RefreshToken, TokenFamily)>> {
        sqlx::query(
            "SELECT r.*, f.client_id, f.user_id, f.session_id, f.scopes AS family_scopes, f.auth_time, f.amr,
                    f.acr, f.audience, f.created_at, f.expires_at AS family_expires_at, f.revoked_at
             FROM refresh_tokens r JOIN token_families f ON f.tenant_id = r.tenant_id AND f.id = r.family_id
             WHERE r.tenant_id = ? AND r.digest = ?",
        )
        .bind(tenant.as_str())
        .bind(digest.0.to_vec())
        .fetch_optional(&self.reader)
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
        let used = sqlx::query(
            "UPDATE refresh_tokens SET used_at = ? WHERE tenant_id = ? AND digest = ? AND used_at IS NULL",
        )
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
        sqlx::query("INSERT OR IGNORE INTO revoked_access_tokens (tenant_id, jti, expires_at) VALUES (?, ?, ?)")
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
        let hit: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM revoked_access_tokens WHERE tenant_id = ? AND jti = ?",
        )
        .bind(tenant.as_str())
        .bind(jti)
        .fetch_optional(&self.reader)
        .await
        .map_err(backend)?;
        Ok(hit.is_some())
    }
}
