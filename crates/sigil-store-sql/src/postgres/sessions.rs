//! Browser sessions and remembered consent.

use async_trait::async_trait;
use sigil_core::model::{AuditEvent, Consent, Session};
use sigil_core::{ClientId, Digest32, SessionId, TenantId, UnixTime, UserId};
use sigil_store::{ConsentStore, SessionStore, StoreResult};

use super::audit::insert_audit;
use super::grants::{Families, revoke_families};
use super::{PgStore, backend, conflict_or_backend};
use crate::records;
use crate::rows::RowExt;
use crate::rows::to_json;

#[async_trait]
impl SessionStore for PgStore {
    async fn create_session(
        &self,
        s: &Session,
        replaces: Option<&SessionId>,
        audit: &AuditEvent,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        if let Some(old) = replaces {
            sqlx::query("UPDATE sessions SET ended_at = $1 WHERE tenant_id = $2 AND id = $3 AND ended_at IS NULL")
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
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
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
        sqlx::query("SELECT * FROM sessions WHERE tenant_id = $1 AND secret_digest = $2")
            .bind(tenant.as_str())
            .bind(digest.0.to_vec())
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?
            .as_ref()
            .map(records::session)
            .transpose()
    }

    async fn get_session(&self, tenant: &TenantId, id: &SessionId) -> StoreResult<Option<Session>> {
        sqlx::query("SELECT * FROM sessions WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.as_str())
            .bind(id.as_str())
            .fetch_optional(&self.pool)
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
        sqlx::query("UPDATE sessions SET last_seen_at = GREATEST(last_seen_at, $1) WHERE tenant_id = $2 AND id = $3")
            .bind(at.0)
            .bind(tenant.as_str())
            .bind(id.as_str())
            .execute(&self.pool)
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
        let ended = sqlx::query("UPDATE sessions SET ended_at = $1 WHERE tenant_id = $2 AND id = $3 AND ended_at IS NULL")
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
        let ended = sqlx::query("UPDATE sessions SET ended_at = $1 WHERE tenant_id = $2 AND user_id = $3 AND ended_at IS NULL")
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
        sqlx::query(&crate::listing::Dialect::Postgres.placeholders(crate::session_clients::LIST))
            .bind(tenant.as_str())
            .bind(session.as_str())
            .fetch_all(&self.pool)
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
            "SELECT * FROM sessions WHERE tenant_id = $1 AND user_id = $2 AND ended_at IS NULL
             AND expires_at > $3 ORDER BY created_at DESC",
        )
        .bind(tenant.as_str())
        .bind(user.as_str())
        .bind(now.0)
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .iter()
        .map(records::session)
        .collect()
    }
}

#[async_trait]
impl ConsentStore for PgStore {
    async fn get_consent(
        &self,
        tenant: &TenantId,
        user: &UserId,
        client: &ClientId,
    ) -> StoreResult<Option<Consent>> {
        sqlx::query(
            "SELECT * FROM consents WHERE tenant_id = $1 AND user_id = $2 AND client_id = $3",
        )
        .bind(tenant.as_str())
        .bind(user.as_str())
        .bind(client.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(backend)?
        .as_ref()
        .map(records::consent)
        .transpose()
    }

    async fn save_consent(&self, c: &Consent, audit: &AuditEvent) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO consents (tenant_id, user_id, client_id, scopes, granted_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (tenant_id, user_id, client_id) DO UPDATE SET
                 scopes = excluded.scopes, granted_at = excluded.granted_at",
        )
        .bind(c.tenant.as_str())
        .bind(c.user_id.as_str())
        .bind(c.client_id.as_str())
        .bind(c.scopes.to_string())
        .bind(c.granted_at.0)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await.map_err(backend)
    }

    async fn list_user_consents(
        &self,
        tenant: &TenantId,
        user: &UserId,
    ) -> StoreResult<Vec<Consent>> {
        sqlx::query(
            "SELECT * FROM consents WHERE tenant_id = $1 AND user_id = $2 ORDER BY granted_at DESC",
        )
        .bind(tenant.as_str())
        .bind(user.as_str())
        .fetch_all(&self.pool)
        .await
        .map_err(backend)?
        .iter()
        .map(records::consent)
        .collect()
    }

    async fn withdraw_consent(
        &self,
        tenant: &TenantId,
        user: &UserId,
        client: &ClientId,
        now: UnixTime,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let removed = sqlx::query(
            "DELETE FROM consents WHERE tenant_id = $1 AND user_id = $2 AND client_id = $3",
        )
        .bind(tenant.as_str())
        .bind(user.as_str())
        .bind(client.as_str())
        .execute(&mut *tx)
        .await
        .map_err(backend)?
        .rows_affected()
            == 1;
        if removed {
            revoke_families(
                &mut tx,
                tenant,
                Families::UserClient(user.as_str(), client.as_str()),
                now,
            )
            .await?;
            insert_audit(&mut tx, audit).await?;
        }
        tx.commit().await.map_err(backend)?;
        Ok(removed)
    }
}
