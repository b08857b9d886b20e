//! The provisioning-token store, written once for both backends.

/// Implements [`sigil_store::ProvisioningTokenStore`] for a backend (one body for both; only
/// the store type, dialect and read pool differ). Expects `begin`, `backend`,
/// `conflict_or_backend` and `insert_audit` in the invoking backend module.
macro_rules! impl_provisioning_store {
    ($store:ident, $dialect:ident, $reader:ident) => {
        fn sql(text: &str) -> String {
            $crate::listing::Dialect::$dialect.placeholders(text)
        }

        #[async_trait]
        impl ProvisioningTokenStore for $store {
            async fn create_provisioning_token(
                &self,
                token: &ProvisioningToken,
                audit: &AuditEvent,
            ) -> StoreResult<()> {
                let mut tx = self.begin().await?;
                sqlx::query(&sql(
                    "INSERT INTO provisioning_tokens (tenant_id, id, name, digest, created_at)
                     VALUES (?, ?, ?, ?, ?)",
                ))
                .bind(token.tenant.as_str())
                .bind(&token.id)
                .bind(&token.name)
                .bind(token.digest.0.as_slice())
                .bind(token.created_at.0)
                .execute(&mut *tx)
                .await
                .map_err(conflict_or_backend("provisioning token"))?;
                insert_audit(&mut tx, audit).await?;
                tx.commit().await.map_err(backend)
            }

            async fn find_provisioning_token(
                &self,
                digest: &Digest32,
            ) -> StoreResult<Option<ProvisioningToken>> {
                sqlx::query(&sql("SELECT * FROM provisioning_tokens WHERE digest = ?"))
                    .bind(digest.0.as_slice())
                    .fetch_optional(&self.$reader)
                    .await
                    .map_err(backend)?
                    .as_ref()
                    .map($crate::records::provisioning_token)
                    .transpose()
            }

            async fn list_provisioning_tokens(
                &self,
                tenant: &TenantId,
            ) -> StoreResult<Vec<ProvisioningToken>> {
                sqlx::query(&sql(
                    "SELECT * FROM provisioning_tokens WHERE tenant_id = ? ORDER BY created_at, id",
                ))
                .bind(tenant.as_str())
                .fetch_all(&self.$reader)
                .await
                .map_err(backend)?
                .iter()
                .map($crate::records::provisioning_token)
                .collect()
            }

            async fn delete_provisioning_token(
                &self,
                tenant: &TenantId,
                id: &str,
                audit: &AuditEvent,
            ) -> StoreResult<bool> {
                let mut tx = self.begin().await?;
                let deleted = sqlx::query(&sql(
                    "DELETE FROM provisioning_tokens WHERE tenant_id = ? AND id = ?",
                ))
                .bind(tenant.as_str())
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(backend)?
                .rows_affected()
                    == 1;
                if deleted {
                    insert_audit(&mut tx, audit).await?;
                    tx.commit().await.map_err(backend)?;
                }
                Ok(deleted)
            }
        }
    };
}
pub(crate) use impl_provisioning_store;
