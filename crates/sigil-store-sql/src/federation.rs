//! The external identity store, written once for both backends.

/// Implements [`sigil_store::FederationStore`] for a backend. Expects `begin`, `backend`,
/// `conflict_or_backend` and `insert_audit` in the invoking backend module.
macro_rules! impl_federation_store {
    ($store:ident, $dialect:ident, $reader:ident) => {
        fn sql(text: &str) -> String {
            $crate::listing::Dialect::$dialect.placeholders(text)
        }

        #[async_trait]
        impl FederationStore for $store {
            async fn find_external_identity(
                &self,
                tenant: &TenantId,
                provider: &str,
                subject: &str,
            ) -> StoreResult<Option<ExternalIdentity>> {
                sqlx::query(&sql(
                    "SELECT * FROM external_identities
                     WHERE tenant_id = ? AND provider = ? AND subject = ?",
                ))
                .bind(tenant.as_str())
                .bind(provider)
                .bind(subject)
                .fetch_optional(&self.$reader)
                .await
                .map_err(backend)?
                .as_ref()
                .map($crate::records::external_identity)
                .transpose()
            }

            async fn link_external_identity(
                &self,
                identity: &ExternalIdentity,
                audit: &AuditEvent,
            ) -> StoreResult<()> {
                let mut tx = self.begin().await?;
                sqlx::query(&sql(
                    "INSERT INTO external_identities
                     (tenant_id, provider, subject, user_id, created_at) VALUES (?, ?, ?, ?, ?)",
                ))
                .bind(identity.tenant.as_str())
                .bind(&identity.provider)
                .bind(&identity.subject)
                .bind(identity.user_id.as_str())
                .bind(identity.created_at.0)
                .execute(&mut *tx)
                .await
                .map_err(conflict_or_backend("external identity"))?;
                insert_audit(&mut tx, audit).await?;
                tx.commit().await.map_err(backend)
            }

            async fn list_external_identities(
                &self,
                tenant: &TenantId,
                user: &UserId,
            ) -> StoreResult<Vec<ExternalIdentity>> {
                sqlx::query(&sql(
                    "SELECT * FROM external_identities WHERE tenant_id = ? AND user_id = ?
                     ORDER BY provider, subject",
                ))
                .bind(tenant.as_str())
                .bind(user.as_str())
                .fetch_all(&self.$reader)
                .await
                .map_err(backend)?
                .iter()
                .map($crate::records::external_identity)
                .collect()
            }
        }
    };
}
pub(crate) use impl_federation_store;
