//! Access documents: gateway applications, clients' sign-on policies, external identity
//! providers and SAML service providers (named, versioned documents, one table per kind).

use async_trait::async_trait;
use sigil_core::TenantId;
use sigil_core::model::{AccessApp, AccessKind, AuditEvent};

use crate::StoreResult;

/// Stores access documents, one versioned document per tenant, kind and name.
#[async_trait]
pub trait AccessStore {
    /// Saves documents together, all or none: each is created at version 1 or replaces the
    /// one of its kind and name at the next version. One audit event per document, in order.
    async fn save_access_apps(&self, apps: &[AccessApp], audit: &[AuditEvent]) -> StoreResult<()>;
    /// A tenant's documents of one kind, by name.
    async fn list_access_apps(
        &self,
        tenant: &TenantId,
        kind: AccessKind,
    ) -> StoreResult<Vec<AccessApp>>;
    /// One document.
    async fn get_access_app(
        &self,
        tenant: &TenantId,
        kind: AccessKind,
        name: &str,
    ) -> StoreResult<Option<AccessApp>>;
    /// Deletes a document; false if there was none.
    async fn delete_access_app(
        &self,
        tenant: &TenantId,
        kind: AccessKind,
        name: &str,
        audit: &AuditEvent,
    ) -> StoreResult<bool>;
}
