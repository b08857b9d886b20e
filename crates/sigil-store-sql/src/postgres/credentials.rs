//! Verifiable credentials and status lists (the shared implementation in [`crate::credentials`]).

use async_trait::async_trait;
use sigil_core::model::{
    AuditEvent, CredentialState, CredentialStatus, IssuedCredential, StatusListInfo, StatusSlot,
    VcDefinition,
};
use sigil_core::{TenantId, UnixTime, UserId};
use sigil_store::{CredentialStore, Issuance, StatusListEntries, StoreError, StoreResult};

use super::audit::insert_audit;
use super::{PgStore, backend, conflict_or_backend};
use crate::rows::RowExt;

crate::credentials::impl_credential_store!(PgStore, Postgres, pool);
