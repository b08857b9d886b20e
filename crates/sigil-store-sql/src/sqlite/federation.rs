//! External identities (the shared implementation in [`crate::federation`]).

use async_trait::async_trait;
use sigil_core::model::{AuditEvent, ExternalIdentity};
use sigil_core::{TenantId, UserId};
use sigil_store::{FederationStore, StoreResult};

use super::audit::insert_audit;
use super::{SqliteStore, backend, conflict_or_backend};

crate::federation::impl_federation_store!(SqliteStore, Sqlite, reader);
