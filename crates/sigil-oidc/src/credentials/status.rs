//! Credential status: administrators list, suspend, reinstate and revoke credentials; Sigil
//! publishes each status list as a signed Token Status List (draft-ietf-oauth-status-list,
//! `statuslist+jwt`), rebuilt from the store at most once per `status_list_ttl` per node.

use std::sync::Arc;

use serde_json::json;
use sigil_core::model::{AuditEvent, AuditKind, CredentialStatus, IssuedCredential};
use sigil_core::{TenantId, UserId};
use sigil_keys::{key_header, sign_with_header};
use sigil_sdjwt::status_list::StatusList;

use crate::admin::AdminError;
use crate::error::{ErrorCode, OAuthError};
use crate::provider::{Provider, TenantCtx};

/// The path under the issuer where status lists are served.
pub const STATUS_LIST_PATH: &str = "/vci/status-lists";
/// `typ` of a status list token.
pub const STATUS_LIST_TYP: &str = "statuslist+jwt";
/// How long a status list token is valid after it is signed, seconds.
const STATUS_LIST_LIFETIME: i64 = 24 * 3600;

/// A status change an administrator asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusChange {
    /// Valid → suspended.
    Suspend,
    /// Suspended → valid.
    Reinstate,
    /// Valid or suspended → revoked, for good.
    Revoke,
}

impl Provider {
    /// The URL of a status list.
    pub fn status_list_url(&self, t: &TenantCtx, list_id: &str) -> String {
        t.url(&format!("{STATUS_LIST_PATH}/{list_id}"))
    }

    /// A status list token, signed now or at most `status_list_ttl` ago; `None` for an
    /// unknown list.
    pub async fn status_list_token(
        &self,
        t: &TenantCtx,
        list_id: &str,
    ) -> Result<Option<Arc<str>>, OAuthError> {
        let now = self.now();
        let ttl = self.config.credentials.status_list_ttl as i64;
        let key = (t.id.clone(), list_id.to_owned());
        let cached = self
            .caches
            .status_lists
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .filter(|(signed, _)| now.0 - signed.0 < ttl)
            .map(|(_, token)| token.clone());
        if cached.is_some() {
            return Ok(cached);
        }
        let Some(entries) = self.store.status_list_entries(&t.id, list_id).await? else {
            return Ok(None);
        };
        let corrupt = || OAuthError::new(ErrorCode::ServerError, "a status list is inconsistent");
        let mut list = StatusList::new(entries.list.bits, entries.list.size as usize)
            .map_err(|_| corrupt())?;
        for (idx, status) in entries.invalid {
            list.set(idx as usize, status.list_value())
                .map_err(|_| corrupt())?;
        }
        let signer = self.es256_signer(&t.id, now).await?;
        let claims = json!({
            "sub": self.status_list_url(t, list_id),
            "iss": t.issuer,
            "iat": now.0,
            "exp": now.0 + STATUS_LIST_LIFETIME,
            "ttl": ttl,
            "status_list": list.to_json(),
        });
        let x5c = self.issuer_x5c(t, &signer, now).await?;
        let header = key_header(&signer, STATUS_LIST_TYP, x5c.as_deref());
        let token: Arc<str> = sign_with_header(&signer, &header, &claims).into();
        let mut cache = self
            .caches
            .status_lists
            .write()
            .unwrap_or_else(|p| p.into_inner());
        cache.retain(|_, (signed, _)| now.0 - signed.0 < ttl);
        cache.insert(key, (now, token.clone()));
        Ok(Some(token))
    }

    /// A credential by id.
    pub async fn get_credential(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> Result<IssuedCredential, AdminError> {
        self.store
            .get_credential(tenant, id)
            .await?
            .ok_or(AdminError::NotFound("credential"))
    }

    /// A user's credentials, newest first.
    pub async fn list_credentials(
        &self,
        tenant: &TenantId,
        user: &UserId,
    ) -> Result<Vec<IssuedCredential>, AdminError> {
        Ok(self.store.list_user_credentials(tenant, user).await?)
    }

    /// Suspends, reinstates or revokes a credential; returns it as it now is.
    pub async fn change_credential_status(
        &self,
        tenant: &TenantId,
        actor: &str,
        id: &str,
        change: StatusChange,
    ) -> Result<IssuedCredential, AdminError> {
        let current = self
            .store
            .get_credential(tenant, id)
            .await?
            .ok_or(AdminError::NotFound("credential"))?;
        let (allowed, target) = match change {
            StatusChange::Suspend => (
                current.status == CredentialStatus::Valid,
                CredentialStatus::Suspended,
            ),
            StatusChange::Reinstate => (
                current.status == CredentialStatus::Suspended,
                CredentialStatus::Valid,
            ),
            StatusChange::Revoke => (
                current.status != CredentialStatus::Revoked,
                CredentialStatus::Revoked,
            ),
        };
        if !allowed {
            return Err(AdminError::Invalid {
                field: "status",
                message: format!(
                    "a {} credential cannot be {}",
                    current.status.as_str(),
                    match change {
                        StatusChange::Suspend => "suspended",
                        StatusChange::Reinstate => "reinstated",
                        StatusChange::Revoke => "revoked",
                    }
                ),
            });
        }
        let now = self.now();
        let audit = AuditEvent::new(tenant, now, AuditKind::CredentialStatusChanged, actor)
            .user(&current.user_id)
            .details(json!({"credential_id": id, "from": current.status.as_str(), "to": target.as_str()}));
        if !self
            .store
            .set_credential_status(tenant, id, target, now, &audit)
            .await?
        {
            return Err(AdminError::Stale("credential"));
        }
        Ok(IssuedCredential {
            status: target,
            updated_at: now,
            ..current
        })
    }
}
