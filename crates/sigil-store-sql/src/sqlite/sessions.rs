//! Browser sessions.

use async_trait::async_trait;
use sigil_core::model::{AuditEvent, Session};
use sigil_core::{ClientId, Digest32, SessionId, TenantId, UnixTime, UserId};
use sigil_store::{SessionStore, StoreResult};

use super::audit::insert_audit;
use super::grants::{Families, revoke_families};
use super::{SqliteStore, backend, conflict_or_backend};
use crate::records;
use crate::rows::RowExt;
use crate::rows::to_json;

#[async_trait]
impl SessionStore for SqliteStore {
    async fn create_session(
        &self,
        s: &Session,
        replaces: Option<&SessionId>,
        audit: &AuditEvent,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        if let Some(old) = replaces {
            sqlx::query("UPDATE sessions SET ended_at = ? WHERE tenant_id = ? AND id = ? AND ended_at IS NULL")
                .bind(s.created_at.0)
                .bind(s.tenant.as_str())
                .bind(old.as_str())
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
        }
        sqlx::query(
            "INSERT INTO sessions (tenant_id, id, secret_digest, user_id, auth_time, amr, acr,
                 created_at, last_seen_at, expires_at, ended_at, user_agent, ip)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(s.tenant.as_str())
        .bind(s.id.as_str())
        .bind(s.secret_digest.0.to_vec())
        .bind(s.auth.user_id.as_str())
        .bind(s.auth.auth_time.0)
        .bind(to_json(&s.auth.amr))
        .bind(&s.auth.acr)
        .bind(s.created_at.0)
        .bind(s.last_seen_at.0)
        .bind(s.expires_at.0)
        .bind(s.ended_at.map(|t| t.0))
        .bind(s.user_agent.as_deref())
        .bind(s.ip.as_deref())
        .execute(&mut *tx)
        .await
        .map_err(conflict_or_backend("session"))?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(backend)
    }

    async fn find_session_by_secret(
        &self,
        tenant: &TenantId,
        digest: &Digest32,
    ) -> StoreResult<Option<Session>> {
        sqlx::query("SELECT * FROM sessions WHERE tenant_id = ? AND secret_digest = ?")
            .bind(tenant.as_str())
            .bind(digest.0.to_vec())
            .fetch_optional(&self.reader)
            .await
            .map_err(backend)?
            .as_ref()
            .map(records::session)
            .transpose()
    }

    async fn get_session(&self, tenant: &TenantId, id: &SessionId) -> StoreResult<Option<Session>> {
        sqlx::query("SELECT * FROM sessions WHERE tenant_id = ? AND id = ?")
            .bind(tenant.as_str())
            .bind(id.as_str())
            .fetch_optional(&self.reader)
            .await
            .map_err(backend)?
            .as_ref()
            .map(records::session)
            .transpose()
    }

    async fn touch_session(
        &self,
        tenant: &TenantId,
        id: &SessionId,
        at: UnixTime,
    ) -> StoreResult<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = max(last_seen_at, ?) WHERE tenant_id = ? AND id = ?")
            .bind(at.0)
            .bind(tenant.as_str())
            .bind(id.as_str())
            .execute(&self.writer)
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn end_session(
        &self,
        tenant: &TenantId,
        id: &SessionId,
        at: UnixTime,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let ended = sqlx::query(
            "UPDATE sessions SET ended_at = ? WHERE tenant_id = ? AND id = ? AND ended_at IS NULL",
        )
        .bind(at.0)
        .bind(tenant.as_str())
        .bind(id.as_str())
        .execute(&mut *tx)
        .await
        .map_err(backend)?
        .rows_affected()
            == 1;
        if ended {
            insert_audit(&mut tx, audit).await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(ended)
    }

    async fn end_user_sessions(
        &self,
        tenant: &TenantId,
        user: &UserId,
        at: UnixTime,
        revoke_grants: bool,
        audit: &AuditEvent,
    ) -> StoreResult<u64> {
        let mut tx = self.begin().await?;
        let ended = sqlx::query("UPDATE sessions SET ended_at = ? WHERE tenant_id = ? AND user_id = ? AND ended_at IS NULL")
            .bind(at.0)
            .bind(tenant.as_str())
            .bind(user.as_str())
            .execute(&mut *tx)
            .await
            .map_err(backend)?
            .rows_affected();
        if revoke_grants {
            revoke_families(&mut tx, tenant, Families::User(user.as_str()), at).await?;
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(backend)?;
        Ok(ended)
    }

    async fn session_clients(
        &self,
        tenant: &TenantId,
        session: &SessionId,
    ) -> StoreResult<Vec<ClientId>> {
        sqlx::query(&crate::listing::Dialect::Sqlite.placeholders(crate::session_clients::LIST))
            .bind(tenant.as_str())
            .bind(session.as_str())
            .fetch_all(&self.reader)
            .await
            .map_err(backend)?
            .iter()
            .map(|row| row.client("client_id"))
            .collect()
    }

    async fn list_user_sessions(
        &self,
        tenant: &TenantId,
        user: &UserId,
        now: UnixTime,
    ) -> StoreResult<Vec<Session>> {
        sqlx::query(
            "SELECT * FROM sessions WHERE tenant_id = ? AND user_id = ? AND ended_at IS NULL
             AND expires_at > ? ORDER BY created_at DESC",
        )
        .bind(tenant.as_str())
        .bind(user.as_str())
        .bind(now.0)
        .fetch_all(&self.reader)
        .await
        .map_err(backend)?
        .iter()
        .map(records::session)
        .collect()
    }
}
