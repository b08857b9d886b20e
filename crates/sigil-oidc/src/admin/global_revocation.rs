//! Global Token Revocation (draft-parecki-oauth-global-token-revocation): a security tool or
//! the identity provider a user signed in through asks Sigil to sign one user out everywhere.
//! The user is named by a Subject Identifier (RFC 9493): `opaque` (Sigil's user id), `email`,
//! or `iss_sub`, whose issuer is Sigil itself (the subject is the user id) or an external
//! identity provider the user signs in through (the subject is their identity there). Every
//! session ends (its clients told over the back channel), and every refresh token and the
//! access tokens issued with them are revoked: the user must sign in again.

use serde_json::Value;
use sigil_core::UserId;

use super::AdminError;
use crate::provider::{Provider, TenantCtx};

/// Why a global revocation request was not carried out.
#[derive(Debug, thiserror::Error)]
pub enum GlobalRevocationError {
    /// The subject identifier is malformed or of a format Sigil does not resolve (400).
    #[error("{0}")]
    Malformed(String),
    /// No user has that identifier (404).
    #[error("no user has this subject identifier")]
    UnknownUser,
    /// The store failed.
    #[error(transparent)]
    Admin(#[from] AdminError),
}

impl From<sigil_store::StoreError> for GlobalRevocationError {
    fn from(e: sigil_store::StoreError) -> Self {
        Self::Admin(e.into())
    }
}

fn member<'a>(subject: &'a Value, name: &str) -> Result<&'a str, GlobalRevocationError> {
    subject
        .get(name)
        .and_then(Value::as_str)
        .filter(|v| !v.is_empty() && v.len() <= 1024)
        .ok_or_else(|| {
            GlobalRevocationError::Malformed(format!("the subject identifier needs {name}"))
        })
}

impl Provider {
    /// The user a Subject Identifier names, if any.
    async fn user_of_subject(
        &self,
        t: &TenantCtx,
        subject: &Value,
    ) -> Result<Option<UserId>, GlobalRevocationError> {
        let format = member(subject, "format")?;
        let found = match format {
            "opaque" => self.user_by_id(t, member(subject, "id")?).await?,
            "email" => {
                let email = member(subject, "email")?;
                self.store
                    .find_user_by_email(&t.id, email)
                    .await?
                    .map(|u| u.id)
            }
            "iss_sub" => {
                let (iss, sub) = (member(subject, "iss")?, member(subject, "sub")?);
                if iss == t.issuer {
                    self.user_by_id(t, sub).await?
                } else {
                    self.user_linked_at(t, iss, sub).await?
                }
            }
            other => {
                return Err(GlobalRevocationError::Malformed(format!(
                    "subject identifier format {other:?} is not one Sigil resolves (opaque, email, iss_sub)"
                )));
            }
        };
        Ok(found)
    }

    /// The user whose id is `id`, if any.
    async fn user_by_id(
        &self,
        t: &TenantCtx,
        id: &str,
    ) -> Result<Option<UserId>, GlobalRevocationError> {
        let Ok(id) = UserId::parse(id) else {
            return Ok(None);
        };
        Ok(self.store.get_user(&t.id, &id).await?.map(|u| u.id))
    }

    /// The user linked to `sub` at the external identity provider whose identifier is `iss`.
    async fn user_linked_at(
        &self,
        t: &TenantCtx,
        iss: &str,
        sub: &str,
    ) -> Result<Option<UserId>, GlobalRevocationError> {
        for provider in self.identity_providers(t).await? {
            if provider.provider.issuer == iss
                && let Some(link) = self
                    .store
                    .find_external_identity(&t.id, &provider.name, sub)
                    .await?
            {
                return Ok(Some(link.user_id));
            }
        }
        Ok(None)
    }

    /// Signs the user `subject` names out everywhere and revokes every token they hold, for
    /// `actor`; how many sessions ended.
    pub async fn revoke_subject_globally(
        &self,
        t: &TenantCtx,
        subject: &Value,
        actor: &str,
    ) -> Result<u64, GlobalRevocationError> {
        let user = self
            .user_of_subject(t, subject)
            .await?
            .ok_or(GlobalRevocationError::UnknownUser)?;
        Ok(self.revoke_user_sessions(&t.id, &user, true, actor).await?)
    }
}
