//! External identities: the links between subjects at external identity providers and local
//! users (the providers themselves are access documents of kind `IdentityProvider`).

use async_trait::async_trait;
use sigil_core::model::{AuditEvent, ExternalIdentity};
use sigil_core::{TenantId, UserId};

use crate::StoreResult;

/// Stores external identity links.
#[async_trait]
pub trait FederationStore {
    /// The link of `subject` at `provider`, if any.
    async fn find_external_identity(
        &self,
        tenant: &TenantId,
        provider: &str,
        subject: &str,
    ) -> StoreResult<Option<ExternalIdentity>>;
    /// Links a subject to a user, with its audit event; `Conflict` if the subject is linked
    /// already (to anyone). A link goes with its user.
    async fn link_external_identity(
        &self,
        link: &ExternalIdentity,
        audit: &AuditEvent,
    ) -> StoreResult<()>;
    /// A user's links, by provider then subject.
    async fn list_external_identities(
        &self,
        tenant: &TenantId,
        user: &UserId,
    ) -> StoreResult<Vec<ExternalIdentity>>;
}
