//! Credential status: administrators list, suspend, reinstate and revoke credentials; Sigil
//! publishes each stored status list as a signed Token Status List (draft-ietf-oauth-status-list,
//! `statuslist+jwt`, for SD-JWT VCs) and as two Bitstring Status List credentials (`vc+jwt`,
//! one per purpose, for W3C credentials), each rebuilt from the store at most once per
//! `status_list_ttl` per node.

use std::sync::Arc;

use serde_json::json;
use sigil_core::model::{AuditEvent, AuditKind, CredentialStatus, IssuedCredential};
use sigil_core::{TenantId, UserId};
use sigil_keys::sign_with_header;
use sigil_sdjwt::status_list::StatusList;
use sigil_vc::did::issuer_header;
use sigil_vc::w3c::status::{Bitstring, StatusPurpose};
use sigil_vc::w3c::{StatusListContents, status_list_credential};

use crate::admin::AdminError;
use crate::error::{ErrorCode, OAuthError};
use crate::provider::{Provider, TenantCtx};

/// The path under the issuer where status lists are served.
pub const STATUS_LIST_PATH: &str = "/vci/status-lists";
/// `typ` of a status list token.
pub const STATUS_LIST_TYP: &str = "statuslist+jwt";
/// How long a status list token is valid after it is signed, seconds.
const STATUS_LIST_LIFETIME: i64 = 24 * 3600;

/// One published form of a stored status list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PublishedList {
    /// The Token Status List (`statuslist+jwt`), every status in two bits.
    Token,
    /// The Bitstring Status List credential of one purpose (`vc+jwt`).
    Bitstring(StatusPurpose),
}

impl PublishedList {
    /// Its path under the status list's own.
    fn suffix(self) -> &'static str {
        match self {
            PublishedList::Token => "",
            PublishedList::Bitstring(StatusPurpose::Revocation) => "/revocation",
            PublishedList::Bitstring(StatusPurpose::Suspension) => "/suspension",
        }
    }

    /// The media type it is served as.
    pub fn media_type(self) -> &'static str {
        match self {
            PublishedList::Token => "application/statuslist+jwt",
            PublishedList::Bitstring(_) => "application/vc+jwt",
        }
    }
}

/// The stored status a Bitstring Status List purpose's set bit stands for.
pub(crate) fn marked_by(purpose: StatusPurpose) -> CredentialStatus {
    match purpose {
        StatusPurpose::Revocation => CredentialStatus::Revoked,
        StatusPurpose::Suspension => CredentialStatus::Suspended,
    }
}

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
    /// The URL of a status list's Token Status List.
    pub fn status_list_url(&self, t: &TenantCtx, list_id: &str) -> String {
        self.published_list_url(t, list_id, PublishedList::Token)
    }

    /// The URL of one published form of a status list.
    pub fn published_list_url(&self, t: &TenantCtx, list_id: &str, form: PublishedList) -> String {
        t.url(&format!("{STATUS_LIST_PATH}/{list_id}{}", form.suffix()))
    }

    /// One published form of a status list, signed now or at most `status_list_ttl` ago;
    /// `None` for an unknown list.
    pub async fn status_list_token(
        &self,
        t: &TenantCtx,
        list_id: &str,
        form: PublishedList,
    ) -> Result<Option<Arc<str>>, OAuthError> {
        let now = self.now();
        let ttl = self.config.credentials.status_list_ttl as i64;
        let key = (t.id.clone(), format!("{list_id}{}", form.suffix()));
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
        let signer = self.es256_signer(&t.id, now).await?;
        let x5c = self.issuer_x5c(t, &signer, now).await?;
        let url = self.published_list_url(t, list_id, form);
        let issuer = self.credential_issuer_id(t);
        let token: Arc<str> = match form {
            PublishedList::Token => {
                let mut list = StatusList::new(entries.list.bits, entries.list.size as usize)
                    .map_err(|_| corrupt())?;
                for (idx, status) in entries.invalid {
                    list.set(idx as usize, status.list_value())
                        .map_err(|_| corrupt())?;
                }
                let claims = json!({
                    "sub": url,
                    "iss": issuer,
                    "iat": now.0,
                    "exp": now.0 + STATUS_LIST_LIFETIME,
                    "ttl": ttl,
                    "status_list": list.to_json(),
                });
                let header = issuer_header(&signer, STATUS_LIST_TYP, &issuer, x5c.as_deref());
                sign_with_header(&signer, &header, &claims).into()
            }
            PublishedList::Bitstring(purpose) => {
                let mut list = Bitstring::new(entries.list.size as usize);
                let marked = marked_by(purpose);
                for (idx, _) in entries.invalid.iter().filter(|(_, s)| *s == marked) {
                    list.set(*idx, true).map_err(|_| corrupt())?;
                }
                let contents = StatusListContents {
                    issuer: &issuer,
                    url: &url,
                    purpose,
                    list: &list,
                    now: now.0,
                    lifetime: STATUS_LIST_LIFETIME,
                    ttl,
                    x5c: x5c.as_deref(),
                };
                status_list_credential(&signer, &contents).into()
            }
        };
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
