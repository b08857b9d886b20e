//! Remembered consent per client and scope set.

use serde_json::json;
use sigil_core::model::{AuditEvent, AuditKind, Client, Consent, User};
use sigil_core::{ClientId, ScopeSet};

use crate::error::OAuthError;
use crate::provider::{Provider, TenantCtx};

impl Provider {
    /// Whether `user` already consented to every scope of `scopes` for `client`. First-party
    /// clients need no consent.
    pub(crate) async fn has_consent(
        &self,
        t: &TenantCtx,
        user: &User,
        client: &Client,
        scopes: &ScopeSet,
    ) -> Result<bool, OAuthError> {
        if client.first_party {
            return Ok(true);
        }
        let consent = self.store.get_consent(&t.id, &user.id, &client.id).await?;
        Ok(consent.is_some_and(|c| scopes.is_subset(&c.scopes)))
    }

    /// Records consent to `scopes`, adding to what was consented before.
    pub(crate) async fn grant_consent(
        &self,
        t: &TenantCtx,
        user: &User,
        client: &Client,
        scopes: &ScopeSet,
    ) -> Result<(), OAuthError> {
        let now = self.now();
        let previous = self.store.get_consent(&t.id, &user.id, &client.id).await?;
        let all = previous.map_or_else(|| scopes.clone(), |c| c.scopes.union(scopes));
        let consent = Consent {
            tenant: t.id.clone(),
            user_id: user.id.clone(),
            client_id: client.id.clone(),
            scopes: all,
            granted_at: now,
        };
        let audit = AuditEvent::new(
            &t.id,
            now,
            AuditKind::ConsentGranted,
            format!("user:{}", user.id),
        )
        .user(&user.id)
        .client(&client.id)
        .details(json!({"scope": scopes.to_string()}));
        Ok(self.store.save_consent(&consent, &audit).await?)
    }

    /// Withdraws a user's consent to a client, revoking the client's refresh tokens for them.
    pub async fn withdraw_consent(
        &self,
        t: &TenantCtx,
        user: &User,
        client: &ClientId,
        ip: Option<String>,
    ) -> Result<bool, OAuthError> {
        let now = self.now();
        let audit = AuditEvent::new(
            &t.id,
            now,
            AuditKind::ConsentRevoked,
            format!("user:{}", user.id),
        )
        .user(&user.id)
        .client(client)
        .ip(ip);
        Ok(self
            .store
            .withdraw_consent(&t.id, &user.id, client, now, &audit)
            .await?)
    }
}
