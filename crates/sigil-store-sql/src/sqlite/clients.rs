//! Clients.

use async_trait::async_trait;
use sigil_core::model::{AuditEvent, AuthMethod, Client, SigningAlg};
use sigil_core::{ClientId, Digest32, TenantId};
use sigil_store::{ClientStore, StoreError, StoreResult};
use sqlx::sqlite::SqliteRow;

use super::audit::insert_audit;
use super::rows::{
    client_col, col, json_col, opt_json_col, scopes_col, tenant_col, time_col, to_json,
};
use super::{SqliteStore, backend, bump_epoch, conflict_or_backend};

fn client_from_row(row: &SqliteRow) -> StoreResult<Client> {
    let method: String = col(row, "auth_method")?;
    let alg: String = col(row, "id_token_alg")?;
    let secret: Option<Vec<u8>> = col(row, "secret_digest")?;
    let secret_digest = secret
        .map(|b| b.try_into().map(Digest32))
        .transpose()
        .map_err(|_| StoreError::Corrupt("client secret digest length".into()))?;
    Ok(Client {
        tenant: tenant_col(row, "tenant_id")?,
        id: client_col(row, "id")?,
        name: col(row, "name")?,
        secret_digest,
        auth_method: AuthMethod::parse(&method)
            .ok_or_else(|| StoreError::Corrupt(format!("auth method {method}")))?,
        redirect_uris: json_col(row, "redirect_uris")?,
        post_logout_redirect_uris: json_col(row, "post_logout_redirect_uris")?,
        grant_types: json_col(row, "grant_types")?,
        scopes: scopes_col(row, "scopes")?,
        resources: json_col(row, "resources")?,
        jwks_uri: col(row, "jwks_uri")?,
        jwks: opt_json_col(row, "jwks")?,
        require_pkce: col(row, "require_pkce")?,
        first_party: col(row, "first_party")?,
        id_token_signed_response_alg: SigningAlg::parse(&alg)
            .ok_or_else(|| StoreError::Corrupt(format!("id token alg {alg}")))?,
        disabled: col(row, "disabled")?,
        created_at: time_col(row, "created_at")?,
        updated_at: time_col(row, "updated_at")?,
    })
}

#[async_trait]
impl ClientStore for SqliteStore {
    async fn create_client(&self, c: &Client, audit: &AuditEvent) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO clients (tenant_id, id, name, secret_digest, auth_method, redirect_uris,
                 post_logout_redirect_uris, grant_types, scopes, resources, jwks_uri, jwks,
                 require_pkce, first_party, id_token_alg, disabled, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
        sqlx::query("SELECT * FROM clients WHERE tenant_id = ? AND id = ?")
            .bind(tenant.as_str())
            .bind(id.as_str())
            .fetch_optional(&self.reader)
            .await
            .map_err(backend)?
            .as_ref()
            .map(client_from_row)
            .transpose()
    }

    async fn list_clients(&self, tenant: &TenantId) -> StoreResult<Vec<Client>> {
        sqlx::query("SELECT * FROM clients WHERE tenant_id = ? ORDER BY created_at, id")
            .bind(tenant.as_str())
            .fetch_all(&self.reader)
            .await
            .map_err(backend)?
            .iter()
            .map(client_from_row)
            .collect()
    }
}
