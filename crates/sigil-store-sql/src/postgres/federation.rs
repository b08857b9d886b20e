//! External identities (the shared implementation in [`crate::federation`]).

use async_trait::async_trait;
use sigil_core::model::{AuditEvent, ExternalIdentity};
use sigil_core::{TenantId, UserId};
use sigil_store::{FederationStore, StoreResult};

use super::audit::insert_audit;
use super::{PgStore, backend, conflict_or_backend};

crate::federation::impl_federation_store!(PgStore, Postgres, pool);
