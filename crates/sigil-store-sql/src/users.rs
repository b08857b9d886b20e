//! The user store, written once for both backends.

/// Implements [`sigil_store::UserStore`] for a backend (one body for both; only the store
/// type, dialect and read pool differ). Expects `begin`, `backend`, `bump_epoch`,
/// `conflict_or_backend`, `insert_audit`, `revoke_families`, `Families`, `bind_params` and
/// `normalize_username` in the invoking backend module.
macro_rules! impl_user_store {
    ($store:ident, $dialect:ident, $reader:ident) => {
        #[async_trait]
        impl UserStore for $store {
            async fn create_user(&self, user: &User, audit: &AuditEvent) -> StoreResult<()> {
                let mut tx = self.begin().await?;
                sqlx::query(&$crate::listing::Dialect::$dialect.placeholders(
                    "INSERT INTO users (tenant_id, id, username, username_normalized, email, email_verified,
                                        name, password_hash, disabled, external_id, attributes,
                                        email_lower, name_lower, created_at, updated_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                ))
                .bind(user.tenant.as_str())
                .bind(user.id.as_str())
                .bind(&user.username)
                .bind(normalize_username(&user.username))
                .bind(user.email.as_deref())
                .bind(user.email_verified)
                .bind(user.name.as_deref())
                .bind(user.password_hash.as_deref())
                .bind(user.disabled)
                .bind(user.external_id.as_deref())
                .bind($crate::users::attributes_json(user)?)
                .bind(user.email.as_deref().map(str::to_lowercase))
                .bind(user.name.as_deref().map(str::to_lowercase))
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
                sqlx::query(&$crate::listing::Dialect::$dialect.placeholders("SELECT * FROM users WHERE tenant_id = ? AND username_normalized = ?"))
                    .bind(tenant.as_str())
                    .bind(normalized)
                    .fetch_optional(&self.$reader)
                    .await
                    .map_err(backend)?
                    .as_ref()
                    .map($crate::records::user)
                    .transpose()
            }

            async fn find_user_by_email(
                &self,
                tenant: &TenantId,
                email: &str,
            ) -> StoreResult<Option<User>> {
                sqlx::query(&$crate::listing::Dialect::$dialect.placeholders(
                    "SELECT * FROM users WHERE tenant_id = ? AND email = ? ORDER BY created_at, id LIMIT 1",
                ))
                .bind(tenant.as_str())
                .bind(email)
                .fetch_optional(&self.$reader)
                .await
                .map_err(backend)?
                .as_ref()
                .map($crate::records::user)
                .transpose()
            }

            async fn get_user(&self, tenant: &TenantId, id: &UserId) -> StoreResult<Option<User>> {
                sqlx::query(&$crate::listing::Dialect::$dialect.placeholders("SELECT * FROM users WHERE tenant_id = ? AND id = ?"))
                    .bind(tenant.as_str())
                    .bind(id.as_str())
                    .fetch_optional(&self.$reader)
                    .await
                    .map_err(backend)?
                    .as_ref()
                    .map($crate::records::user)
                    .transpose()
            }

            async fn list_users(&self, tenant: &TenantId, query: &UserQuery) -> StoreResult<Vec<User>> {
                let listing = $crate::listing::users($crate::listing::Dialect::$dialect, tenant, query);
                bind_params(sqlx::query(&listing.sql), &listing.params)
                    .fetch_all(&self.$reader)
                    .await
                    .map_err(backend)?
                    .iter()
                    .map($crate::records::user)
                    .collect()
            }

            async fn search_users(
                &self,
                tenant: &TenantId,
                search: &sigil_store::Search<sigil_store::UserField>,
            ) -> StoreResult<sigil_store::Found<User>> {
                let (count, page) = $crate::search::users($crate::listing::Dialect::$dialect, tenant, search)?;
                $crate::search::run!(self.$reader, count, page, search.limit, $crate::records::user)
            }

            async fn update_user(&self, user: &User, audit: &AuditEvent) -> StoreResult<bool> {
                let mut tx = self.begin().await?;
                let updated = sqlx::query(&$crate::listing::Dialect::$dialect.placeholders(
                    "UPDATE users SET username = ?, username_normalized = ?, email = ?, email_verified = ?,
                                      name = ?, password_hash = ?, disabled = ?, external_id = ?,
                                      attributes = ?, email_lower = ?, name_lower = ?, updated_at = ?,
                                      revision = revision + 1
                     WHERE tenant_id = ? AND id = ? AND revision = ?",
                ))
                .bind(&user.username)
                .bind(normalize_username(&user.username))
                .bind(user.email.as_deref())
                .bind(user.email_verified)
                .bind(user.name.as_deref())
                .bind(user.password_hash.as_deref())
                .bind(user.disabled)
                .bind(user.external_id.as_deref())
                .bind($crate::users::attributes_json(user)?)
                .bind(user.email.as_deref().map(str::to_lowercase))
                .bind(user.name.as_deref().map(str::to_lowercase))
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
                // The groups the user leaves change with them (their entity tags and
                // `lastModified` must say so); the memberships go by cascade.
                sqlx::query(&$crate::listing::Dialect::$dialect.placeholders(
                    "UPDATE user_groups SET revision = revision + 1, updated_at = ?
                     WHERE tenant_id = ? AND id IN
                       (SELECT group_id FROM group_members WHERE tenant_id = ? AND user_id = ?)",
                ))
                .bind(audit.at.0)
                .bind(tenant.as_str())
                .bind(tenant.as_str())
                .bind(id.as_str())
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                let deleted = sqlx::query(&$crate::listing::Dialect::$dialect.placeholders(
                    "DELETE FROM users WHERE tenant_id = ? AND id = ? AND (? IS NULL OR revision = ?)",
                ))
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
                // Credentials about someone who is gone say what is no longer true.
                sqlx::query(&$crate::listing::Dialect::$dialect.placeholders(
                    "UPDATE credentials SET status = 'revoked', updated_at = ?
                     WHERE tenant_id = ? AND user_id = ? AND status <> 'revoked'",
                ))
                .bind(audit.at.0)
                .bind(tenant.as_str())
                .bind(id.as_str())
                .execute(&mut *tx)
                .await
                .map_err(backend)?;
                insert_audit(&mut tx, audit).await?;
                bump_epoch(&mut tx).await?;
                tx.commit().await.map_err(backend)?;
                Ok(true)
            }
        }
    };
}
pub(crate) use impl_user_store;

/// A user's further attributes as the JSON text stored.
pub(crate) fn attributes_json(user: &sigil_core::model::User) -> sigil_store::StoreResult<String> {
    serde_json::to_string(&user.attributes)
        .map_err(|e| sigil_store::StoreError::Corrupt(format!("user attributes: {e}")))
}
