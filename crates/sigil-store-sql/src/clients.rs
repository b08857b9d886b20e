//! Client changes, written once for both dialects (placeholders aside).

/// Replaces a client's settings if its revision is still the one read. Binds: name, secret
/// digest, auth method, redirect URIs, post-logout redirect URIs, grant types, scopes,
/// resources, jwks_uri, jwks, require_pkce, first_party, id_token_alg, logout channels,
/// disabled, updated_at, then tenant, id, revision.
pub(crate) const UPDATE: &str = "UPDATE clients SET name = ?, secret_digest = ?, auth_method = ?,
    redirect_uris = ?, post_logout_redirect_uris = ?, grant_types = ?, scopes = ?, resources = ?,
    jwks_uri = ?, jwks = ?, require_pkce = ?, first_party = ?, id_token_alg = ?,
    logout_channels = ?, disabled = ?, updated_at = ?, revision = revision + 1
    WHERE tenant_id = ? AND id = ? AND revision = ?";

/// Deletes a client (optionally only at a revision). Binds: tenant, id, revision, revision.
pub(crate) const DELETE: &str =
    "DELETE FROM clients WHERE tenant_id = ? AND id = ? AND (? IS NULL OR revision = ?)";

/// Deletes the consents users gave a client. Binds: tenant, id.
pub(crate) const DELETE_CONSENTS: &str =
    "DELETE FROM consents WHERE tenant_id = ? AND client_id = ?";

/// Implements [`sigil_store::ClientStore`] for a backend (one body for both; only the store
/// type, dialect and read pool differ). Expects `begin`, `backend`, `bump_epoch`,
/// `conflict_or_backend`, `insert_audit`, `revoke_families`, `Families`, `bind_params` and
/// `to_json` in the invoking backend module.
macro_rules! impl_client_store {
    ($store:ident, $dialect:ident, $reader:ident) => {
        #[async_trait]
        impl ClientStore for $store {
            async fn create_client(&self, c: &Client, audit: &AuditEvent) -> StoreResult<()> {
                let mut tx = self.begin().await?;
                sqlx::query(&$crate::listing::Dialect::$dialect.placeholders(
                    "INSERT INTO clients (tenant_id, id, name, secret_digest, auth_method, redirect_uris,
                         post_logout_redirect_uris, grant_types, scopes, resources, jwks_uri, jwks,
                         require_pkce, first_party, id_token_alg, logout_channels, disabled, created_at,
                         updated_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                ))
                .bind(c.tenant.as_str())
                .bind(c.id.as_str())
                .bind(&c.name)
                .bind(c.secret_digest.map(|d| d.0.to_vec()))
                .bind(c.auth_method.as_str())
                .bind(to_json(&c.redirect_uris))
                .bind(to_json(&c.post_logout_redirect_uris))
                .bind(to_json(&c.grant_types))
                .bind(c.scopes.to_string())
                .bind(to_json(&c.resources))
                .bind(c.jwks_uri.as_deref())
                .bind(c.jwks.as_ref().map(to_json))
                .bind(c.require_pkce)
                .bind(c.first_party)
                .bind(c.id_token_signed_response_alg.as_str())
                .bind(to_json(&c.logout))
                .bind(c.disabled)
                .bind(c.created_at.0)
                .bind(c.updated_at.0)
                .execute(&mut *tx)
                .await
                .map_err(conflict_or_backend("client"))?;
                insert_audit(&mut tx, audit).await?;
                bump_epoch(&mut tx).await?;
                tx.commit().await.map_err(backend)
            }

            async fn get_client(&self, tenant: &TenantId, id: &ClientId) -> StoreResult<Option<Client>> {
                sqlx::query(&$crate::listing::Dialect::$dialect.placeholders("SELECT * FROM clients WHERE tenant_id = ? AND id = ?"))
                    .bind(tenant.as_str())
                    .bind(id.as_str())
                    .fetch_optional(&self.$reader)
                    .await
                    .map_err(backend)?
                    .as_ref()
                    .map($crate::records::client)
                    .transpose()
            }

            async fn list_clients(&self, tenant: &TenantId) -> StoreResult<Vec<Client>> {
                sqlx::query(&$crate::listing::Dialect::$dialect.placeholders("SELECT * FROM clients WHERE tenant_id = ? ORDER BY created_at, id"))
                    .bind(tenant.as_str())
                    .fetch_all(&self.$reader)
                    .await
                    .map_err(backend)?
                    .iter()
                    .map($crate::records::client)
                    .collect()
            }

            async fn list_clients_page(
                &self,
                tenant: &TenantId,
                after: Option<&ClientId>,
                limit: u32,
            ) -> StoreResult<Vec<Client>> {
                let listing = $crate::listing::clients($crate::listing::Dialect::$dialect, tenant, after, limit);
                bind_params(sqlx::query(&listing.sql), &listing.params)
                    .fetch_all(&self.$reader)
                    .await
                    .map_err(backend)?
                    .iter()
                    .map($crate::records::client)
                    .collect()
            }

            async fn update_client(&self, c: &Client, audit: &AuditEvent) -> StoreResult<bool> {
                let mut tx = self.begin().await?;
                let updated = sqlx::query(&$crate::listing::Dialect::$dialect.placeholders($crate::clients::UPDATE))
                    .bind(&c.name)
                    .bind(c.secret_digest.map(|d| d.0.to_vec()))
                    .bind(c.auth_method.as_str())
                    .bind(to_json(&c.redirect_uris))
                    .bind(to_json(&c.post_logout_redirect_uris))
                    .bind(to_json(&c.grant_types))
                    .bind(c.scopes.to_string())
                    .bind(to_json(&c.resources))
                    .bind(c.jwks_uri.as_deref())
                    .bind(c.jwks.as_ref().map(to_json))
                    .bind(c.require_pkce)
                    .bind(c.first_party)
                    .bind(c.id_token_signed_response_alg.as_str())
                    .bind(to_json(&c.logout))
                    .bind(c.disabled)
                    .bind(c.updated_at.0)
                    .bind(c.tenant.as_str())
                    .bind(c.id.as_str())
                    .bind(c.revision)
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?
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

            async fn delete_client(
                &self,
                tenant: &TenantId,
                id: &ClientId,
                revision: Option<i64>,
                audit: &AuditEvent,
            ) -> StoreResult<bool> {
                let mut tx = self.begin().await?;
                let deleted = sqlx::query(&$crate::listing::Dialect::$dialect.placeholders($crate::clients::DELETE))
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
                sqlx::query(&$crate::listing::Dialect::$dialect.placeholders($crate::clients::DELETE_CONSENTS))
                    .bind(tenant.as_str())
                    .bind(id.as_str())
                    .execute(&mut *tx)
                    .await
                    .map_err(backend)?;
                revoke_families(&mut tx, tenant, Families::Client(id.as_str()), audit.at).await?;
                insert_audit(&mut tx, audit).await?;
                bump_epoch(&mut tx).await?;
                tx.commit().await.map_err(backend)?;
                Ok(true)
            }
        }
    };
}
pub(crate) use impl_client_store;
