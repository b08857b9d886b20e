//! Users.

use async_trait::async_trait;
use sigil_core::model::{AuditEvent, User, normalize_username};
use sigil_core::{TenantId, UserId};
use sigil_store::{StoreResult, UserStore};

use super::audit::insert_audit;
use super::{SqliteStore, backend, bump_epoch, conflict_or_backend};
use crate::records;

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
}
