//! The access document store, written once for both backends: one table per kind of
//! document, the same columns in each.

/// Implements [`sigil_store::AccessStore`] for a backend. Expects `begin`, `backend` and
/// `insert_audit` in the invoking backend module.
macro_rules! impl_access_store {
    ($store:ident, $dialect:ident, $reader:ident) => {
        /// A statement on the table of `kind` (`{table}` in `text`).
        fn sql(text: &str, kind: AccessKind) -> String {
            let table = match kind {
                AccessKind::GatewayApp => "access_apps",
                AccessKind::SignOn => "sign_on_policies",
                AccessKind::IdentityProvider => "identity_providers",
                AccessKind::SamlServiceProvider => "saml_service_providers",
            };
            $crate::listing::Dialect::$dialect.placeholders(&text.replace("{table}", table))
        }

        #[async_trait]
        impl AccessStore for $store {
            async fn save_access_apps(
                &self,
                apps: &[AccessApp],
                audit: &[AuditEvent],
            ) -> StoreResult<()> {
                let mut tx = self.begin().await?;
                for app in apps {
                    sqlx::query(&sql(
                        "INSERT INTO {table} (tenant_id, name, version, document, created_at, updated_at)
                         VALUES (?, ?, 1, ?, ?, ?)
                         ON CONFLICT (tenant_id, name) DO UPDATE
                         SET document = excluded.document, updated_at = excluded.updated_at,
                             version = {table}.version + 1",
                        app.kind,
                    ))
                    .bind(app.tenant.as_str())
                    .bind(&app.name)
                    .bind(app.document.to_string())
                    .bind(app.created_at.0)
                    .bind(app.updated_at.0)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                }
                for event in audit {
                    insert_audit(&mut tx, event).await?;
                }
                tx.commit().await.map_err(backend)
            }

            async fn list_access_apps(
                &self,
                tenant: &TenantId,
                kind: AccessKind,
            ) -> StoreResult<Vec<AccessApp>> {
                sqlx::query(&sql("SELECT * FROM {table} WHERE tenant_id = ? ORDER BY name", kind))
                    .bind(tenant.as_str())
                    .fetch_all(&self.$reader)
                    .await
                    .map_err(backend)?
                    .iter()
                    .map(|row| $crate::records::access_app(row, kind))
                    .collect()
            }

            async fn get_access_app(
                &self,
                tenant: &TenantId,
                kind: AccessKind,
                name: &str,
            ) -> StoreResult<Option<AccessApp>> {
                sqlx::query(&sql("SELECT * FROM {table} WHERE tenant_id = ? AND name = ?", kind))
                    .bind(tenant.as_str())
                    .bind(name)
                    .fetch_optional(&self.$reader)
                    .await
                    .map_err(backend)?
                    .as_ref()
                    .map(|row| $crate::records::access_app(row, kind))
                    .transpose()
            }

            async fn delete_access_app(
                &self,
                tenant: &TenantId,
                kind: AccessKind,
                name: &str,
                audit: &AuditEvent,
            ) -> StoreResult<bool> {
                let mut tx = self.begin().await?;
                let deleted = sqlx::query(&sql(
                    "DELETE FROM {table} WHERE tenant_id = ? AND name = ?",
                    kind,
                ))
                .bind(tenant.as_str())
                .bind(name)
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
pub(crate) use impl_access_store;
