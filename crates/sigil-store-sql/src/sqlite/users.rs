//! Users.

use async_trait::async_trait;
use sigil_core::model::{AuditEvent, User, normalize_username};
use sigil_core::{TenantId, UserId};
use sigil_store::{StoreResult, UserQuery, UserStore};
use sqlx::Sqlite;
use sqlx::query::Query;
use sqlx::sqlite::SqliteArguments;

use super::audit::insert_audit;
use super::grants::{Families, revoke_families};
use super::{SqliteStore, backend, bump_epoch, conflict_or_backend};
use crate::listing::{self, Dialect, Param};
use crate::records;

/// Binds a listing's parameters in order.
pub(crate) fn bind_params<'q>(
    mut query: Query<'q, Sqlite, SqliteArguments<'q>>,
    params: &'q [Param],
) -> Query<'q, Sqlite, SqliteArguments<'q>> {
    for p in params {
        query = match p {
            Param::Text(t) => query.bind(t.as_str()),
            Param::Int(i) => query.bind(*i),
            Param::Bool(b) => query.bind(*b),
        };
    }
    query
}

#[async_trait]
impl UserStore for SqliteStore {
    async fn create_user(&self, user: &User, audit: &AuditEvent) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO users (tenant_id, id, username, username_normalized, email, email_verified,
                                name, password_hash, disabled, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(user.tenant.as_str())
        .bind(user.id.as_str())
        .bind(&user.username)
        .bind(normalize_username(&user.username))
        .bind(user.email.as_deref())
        .bind(user.email_verified)
        .bind(user.name.as_deref())
        .bind(user.password_hash.as_deref())
        .bind(user.disabled)
        .bind(user.created_at.0)
        .bind(user.updated_at.0)
        .execute(&mut *tx)
        .await
        .map_err(conflict_or_backend("username"))?;
        insert_audit(&mut tx, audit).await?;
        bump_epoch(&mut tx).await?;
        tx.commit().await.map_err(backend)
    }

    async fn find_user_by_username(
        &self,
        tenant: &TenantId,
        normalized: &str,
    ) -> StoreResult<Option<User>> {
        sqlx::query("SELECT * FROM users WHERE tenant_id = ? AND username_normalized = ?")
            .bind(tenant.as_str())
            .bind(normalized)
            .fetch_optional(&self.reader)
            .await
            .map_err(backend)?
            .as_ref()
            .map(records::user)
            .transpose()
    }

    async fn find_user_by_email(
        &self,
        tenant: &TenantId,
        email: &str,
    ) -> StoreResult<Option<User>> {
        sqlx::query(
            "SELECT * FROM users WHERE tenant_id = ? AND email = ? ORDER BY created_at, id LIMIT 1",
        )
        .bind(tenant.as_str())
        .bind(email)
        .fetch_optional(&self.reader)
        .await
        .map_err(backend)?
        .as_ref()
        .map(records::user)
        .transpose()
    }

    async fn get_user(&self, tenant: &TenantId, id: &UserId) -> StoreResult<Option<User>> {
        sqlx::query("SELECT * FROM users WHERE tenant_id = ? AND id = ?")
            .bind(tenant.as_str())
            .bind(id.as_str())
            .fetch_optional(&self.reader)
            .await
            .map_err(backend)?
            .as_ref()
            .map(records::user)
            .transpose()
    }

    async fn list_users(&self, tenant: &TenantId, query: &UserQuery) -> StoreResult<Vec<User>> {
        let listing = listing::users(Dialect::Sqlite, tenant, query);
        bind_params(sqlx::query(&listing.sql), &listing.params)
            .fetch_all(&self.reader)
            .await
            .map_err(backend)?
            .iter()
            .map(records::user)
            .collect()
    }

    async fn update_user(&self, user: &User, audit: &AuditEvent) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let updated = sqlx::query(
            "UPDATE users SET username = ?, username_normalized = ?, email = ?, email_verified = ?,
                              name = ?, password_hash = ?, disabled = ?, updated_at = ?,
                              revision = revision + 1
             WHERE tenant_id = ? AND id = ? AND revision = ?",
        )
        .bind(&user.username)
        .bind(normalize_username(&user.username))
        .bind(user.email.as_deref())
        .bind(user.email_verified)
        .bind(user.name.as_deref())
        .bind(user.password_hash.as_deref())
        .bind(user.disabled)
        .bind(user.updated_at.0)
        .bind(user.tenant.as_str())
        .bind(user.id.as_str())
        .bind(user.revision)
        .execute(&mut *tx)
        .await
        .map_err(conflict_or_backend("username"))?
        .rows_affected()
            == 1;
        if !updated {
            return Ok(false);
        }
        insert_audit(&mut tx, audit).await?;
        bump_epoch(&mut tx).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }

    async fn delete_user(
        &self,
        tenant: &TenantId,
        id: &UserId,
        revision: Option<i64>,
        audit: &AuditEvent,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let deleted = sqlx::query(
            "DELETE FROM users WHERE tenant_id = ? AND id = ? AND (? IS NULL OR revision = ?)",
        )
        .bind(tenant.as_str())
        .bind(id.as_str())
        .bind(revision)
        .bind(revision)
        .execute(&mut *tx)
        .await
        .map_err(backend)?
        .rows_affected()
            == 1;
        if !deleted {
            return Ok(false);
        }
        revoke_families(&mut tx, tenant, Families::User(id.as_str()), audit.at).await?;
        insert_audit(&mut tx, audit).await?;
        bump_epoch(&mut tx).await?;
        tx.commit().await.map_err(backend)?;
        Ok(true)
    }
}
