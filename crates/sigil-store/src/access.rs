//! Applications behind the identity-aware gateway.

use async_trait::async_trait;
use sigil_core::TenantId;
use sigil_core::model::{AccessApp, AuditEvent};

use crate::StoreResult;

/// Stores gateway applications, one versioned document each.
#[async_trait]
pub trait AccessStore {
    /// Saves applications together, all or none: each is created at version 1 or replaces the
    /// one with its name at the next version. One audit event per application, in order.
    async fn save_access_apps(&self, apps: &[AccessApp], audit: &[AuditEvent]) -> StoreResult<()>;
    /// A tenant's applications, by name.
    async fn list_access_apps(&self, tenant: &TenantId) -> StoreResult<Vec<AccessApp>>;
    /// One application.
    async fn get_access_app(&self, tenant: &TenantId, name: &str)
    -> StoreResult<Option<AccessApp>>;
    /// Deletes an application; false if there was none.
    async fn delete_access_app(
        &self,
        tenant: &TenantId,
        name: &str,
        audit: &AuditEvent,
    ) -> StoreResult<bool>;
}
