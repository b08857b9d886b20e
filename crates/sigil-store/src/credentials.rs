//! Verifiable credentials and their status lists.

use async_trait::async_trait;
use sigil_core::model::{
    AuditEvent, CredentialState, CredentialStatus, IssuedCredential, StatusListInfo, StatusSlot,
    VcDefinition,
};
use sigil_core::{TenantId, UnixTime, UserId};

use crate::StoreResult;

/// What issuing copies of a credential records.
#[derive(Debug, Clone)]
pub struct Issuance<'a> {
    /// The credential.
    pub credential_id: &'a str,
    /// How many copies (status entries) to allocate.
    pub copies: usize,
    /// The size of a new status list, when one must be opened.
    pub list_size: u64,
    /// When the copies expire.
    pub expires_at: UnixTime,
    /// Now.
    pub now: UnixTime,
}

/// A status list and the entries in it that are not valid.
#[derive(Debug, Clone)]
pub struct StatusListEntries {
    /// The list.
    pub list: StatusListInfo,
    /// `(index, status)` of every entry whose credential is suspended or revoked.
    pub invalid: Vec<(u64, CredentialStatus)>,
}

/// Credentials offered and issued, and the status lists that publish their status.
#[async_trait]
pub trait CredentialStore: Send + Sync {
    /// Stores a newly offered credential.
    async fn create_credential(
        &self,
        credential: &IssuedCredential,
        audit: &AuditEvent,
    ) -> StoreResult<()>;
    /// A credential by id.
    async fn get_credential(
        &self,
        tenant: &TenantId,
        id: &str,
    ) -> StoreResult<Option<IssuedCredential>>;
    /// A user's credentials, newest first.
    async fn list_user_credentials(
        &self,
        tenant: &TenantId,
        user: &UserId,
    ) -> StoreResult<Vec<IssuedCredential>>;
    /// Records the issuance of copies of a valid credential: each copy gets an entry at an
    /// unused random index of the tenant's open status list (a new list is opened when the
    /// open one is half full), the credential becomes issued. `None`, changing nothing, when
    /// the credential is missing or not valid.
    async fn record_issuance(
        &self,
        tenant: &TenantId,
        issuance: &Issuance<'_>,
        audit: &AuditEvent,
    ) -> StoreResult<Option<Vec<StatusSlot>>>;
    /// Sets a credential's status; false when it is missing or already revoked (revocation is
    /// final).
    async fn set_credential_status(
        &self,
        tenant: &TenantId,
        id: &str,
        status: CredentialStatus,
        now: UnixTime,
        audit: &AuditEvent,
    ) -> StoreResult<bool>;
    /// Moves a valid credential from state `from` to state `to`; false, changing nothing,
    /// when it is missing, not valid, or in another state.
    async fn set_credential_state(
        &self,
        tenant: &TenantId,
        id: &str,
        from: CredentialState,
        to: CredentialState,
        now: UnixTime,
        audit: &AuditEvent,
    ) -> StoreResult<bool>;
    /// A status list with its suspended and revoked entries.
    async fn status_list_entries(
        &self,
        tenant: &TenantId,
        list_id: &str,
    ) -> StoreResult<Option<StatusListEntries>>;
    /// Saves a credential type or verifier definition (created, or replacing the one with its
    /// kind and id).
    async fn put_vc_definition(
        &self,
        definition: &VcDefinition,
        audit: &AuditEvent,
    ) -> StoreResult<()>;
    /// A tenant's definitions of one kind, by id.
    async fn list_vc_definitions(
        &self,
        tenant: &TenantId,
        kind: &str,
    ) -> StoreResult<Vec<VcDefinition>>;
    /// Deletes a definition; false if there was none.
    async fn delete_vc_definition(
        &self,
        tenant: &TenantId,
        kind: &str,
        id: &str,
        audit: &AuditEvent,
    ) -> StoreResult<bool>;
}
