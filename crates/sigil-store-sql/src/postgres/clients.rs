//! Clients.

use async_trait::async_trait;
use sigil_core::model::{AuditEvent, Client};
use sigil_core::{ClientId, TenantId};
use sigil_store::{ClientStore, StoreResult};

use super::audit::insert_audit;
use super::grants::{Families, revoke_families};
use super::users::bind_params;
use super::{PgStore, backend, bump_epoch, conflict_or_backend};
use crate::clients as shared;
use crate::listing::{self, Dialect};
use crate::records;
use crate::rows::to_json;

#[async_trait]
impl ClientStore for PgStore {
    async fn create_client(&self, c: &Client, audit: &AuditEvent) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO clients (tenant_id, id, name, secret_digest, auth_method, redirect_uris,
                 post_logout_redirect_uris, grant_types, scopes, resources, jwks_uri, jwks,
                 require_pkce, first_party, id_token_alg, disabled, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
        )
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
        sqlx::query("SELECT * FROM clients WHERE tenant_id = $1 AND id = $2")
            .bind(tenant.as_str())
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(backend)?
            .as_ref()
            .map(records::client)
            .transpose()
    }

    async fn list_clients(&self, tenant: &TenantId) -> StoreResult<Vec<Client>> {
        sqlx::query("SELECT * FROM clients WHERE tenant_id = $1 ORDER BY created_at, id")
            .bind(tenant.as_str())
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?
            .iter()
            .map(records::client)
            .collect()
    }

    async fn list_clients_page(
        &self,
        tenant: &TenantId,
        after: Option<&ClientId>,
        limit: u32,
    ) -> StoreResult<Vec<Client>> {
        let listing = listing::clients(Dialect::Postgres, tenant, after, limit);
        bind_params(sqlx::query(&listing.sql), &listing.params)
            .fetch_all(&self.pool)
            .await
            .map_err(backend)?
            .iter()
            .map(records::client)
            .collect()
    }

    async fn update_client(&self, c: &Client, audit: &AuditEvent) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let updated = sqlx::query(&Dialect::Postgres.placeholders(shared::UPDATE))
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
        let deleted = sqlx::query(&Dialect::Postgres.placeholders(shared::DELETE))
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
        sqlx::query(&Dialect::Postgres.placeholders(shared::DELETE_CONSENTS))
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
