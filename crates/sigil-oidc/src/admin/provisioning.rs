//! Provisioning tokens for SCIM: long-lived bearer tokens for HR systems that cannot run an
//! OAuth client. The token is shown once; only its SHA-256 digest is stored, and a presented
//! token is looked up by its digest (a 256-bit random secret needs no slow hash).

use serde_json::json;
use sigil_core::model::{AuditEvent, AuditKind, PROVISIONING_TOKEN_PREFIX, ProvisioningToken};
use sigil_core::{Digest32, TenantId, random};

use super::{AdminError, invalid};
use crate::provider::Provider;

/// Longest token name, in characters.
const MAX_NAME: usize = 200;

impl Provider {
    /// Creates a provisioning token for a tenant: the stored record and the token itself,
    /// which is not kept and cannot be shown again.
    pub async fn create_provisioning_token(
        &self,
        tenant: &TenantId,
        name: String,
        actor: &str,
    ) -> Result<(ProvisioningToken, String), AdminError> {
        self.require_tenant(tenant).await?;
        let count = name.chars().count();
        if count == 0
            || count > MAX_NAME
            || name.trim() != name
            || name.chars().any(char::is_control)
        {
            return Err(invalid(
                "name",
                "a token name must be 1 to 200 characters, without control characters or surrounding spaces",
            ));
        }
        let secret = format!("{PROVISIONING_TOKEN_PREFIX}{}", random::secret_token());
        let token = ProvisioningToken {
            tenant: tenant.clone(),
            id: random::identifier(),
            name,
            digest: Digest32::of(&secret),
            created_at: self.now(),
        };
        let audit = AuditEvent::new(
            tenant,
            token.created_at,
            AuditKind::ProvisioningTokenCreated,
            actor,
        )
        .details(json!({"token_id": token.id, "name": token.name}));
        self.store.create_provisioning_token(&token, &audit).await?;
        Ok((token, secret))
    }

    /// A tenant's provisioning tokens.
    pub async fn list_provisioning_tokens(
        &self,
        tenant: &TenantId,
    ) -> Result<Vec<ProvisioningToken>, AdminError> {
        self.require_tenant(tenant).await?;
        Ok(self.store.list_provisioning_tokens(tenant).await?)
    }

    /// Deletes a provisioning token: it stops working at once.
    pub async fn delete_provisioning_token(
        &self,
        tenant: &TenantId,
        id: &str,
        actor: &str,
    ) -> Result<(), AdminError> {
        let audit = AuditEvent::new(
            tenant,
            self.now(),
            AuditKind::ProvisioningTokenDeleted,
            actor,
        )
        .details(json!({"token_id": id}));
        if self
            .store
            .delete_provisioning_token(tenant, id, &audit)
            .await?
        {
            Ok(())
        } else {
            Err(AdminError::NotFound("provisioning token"))
        }
    }

    /// The provisioning token a bearer token is, if it is one of this tenant's.
    pub async fn verify_provisioning_token(
        &self,
        tenant: &TenantId,
        presented: &str,
    ) -> Result<Option<ProvisioningToken>, AdminError> {
        if !presented.starts_with(PROVISIONING_TOKEN_PREFIX) {
            return Ok(None);
        }
        let digest = Digest32::of(presented);
        Ok(self
            .store
            .find_provisioning_token(&digest)
            .await?
            .filter(|t| &t.tenant == tenant && t.digest.ct_eq(&digest)))
    }
}
